"""Decoding under a budget: ``load_xray`` in a worker process that is killed past a time limit.

A hostile or broken file can keep an image decoder busy for minutes (issue 14: a progressive
JPEG with its last scan repeated thousands of times; no decoder can be interrupted from the
outside). :mod:`structure_check` refuses the known shapes of that cheaply; this guard bounds
whatever is left::

    guard = DecodeGuard()                      # once, at start-up: the worker starts at once
    image = guard.load(path, min_side=512)     # the fast path, as imaging.load_xray
    full = guard.load(path, time_limit_s=30)   # the viewer's full image, in the background
    guard.close()                              # kills a running decode at once

- ``load`` / ``load_bytes`` take the arguments of :func:`imaging.load_xray` /
  :func:`imaging.load_xray_bytes` and return the same :class:`XrayImage`, or raise the same
  :class:`CxrError` s, plus :class:`DecodeTimeoutError` (the worker was killed past
  ``time_limit_s``; a fresh one is started), :class:`DecoderCrashedError` (the decoder died)
  and :class:`DecodeCancelledError` (``close()`` was called). Every message is a sentence for
  the user; a batch reports it and goes on with the next file.
- Thread-safe: up to ``max_workers`` decodes run at once (a GUI's fast decode need not wait for
  the background full-resolution one); the others wait for a free worker.
- Workers are started once and reused (spawned, never forked: the same on Windows, and safe
  beside Qt's threads); their start-up (~0.3 s) happens while the app starts, and the time
  limit counts from when the worker is ready, never its start-up.
- Decoded arrays come back through a shared-memory buffer owned by this process (one copy,
  ~5 ms for a 2665 x 2197 16-bit image; the pipe took 50-80 ms), made for that result and freed
  once copied out (an idle app keeps no image in shared memory); small results (the fast path)
  come through the pipe.
- On POSIX the worker's address space is capped (``memory_limit_mb``): a decoder that trusts a
  huge header fails there with a typed "too large" error instead of swapping the computer.

A frozen (PyInstaller) app must call ``multiprocessing.freeze_support()`` first thing in its
entry point, as for any use of ``multiprocessing``.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import sys
import threading
import time
from multiprocessing.connection import wait

from cxr_desktop.core.decode_worker import (
    WorkerResult,
    create_buffer,
    duplex_pipe,
    read_arrays,
    worker_main,
)
from cxr_desktop.core.errors import (
    CorruptImageError,
    CxrError,
    DecodeCancelledError,
    DecoderCrashedError,
    DecodeTimeoutError,
)
from cxr_desktop.core.imaging import MAX_PIXELS
from cxr_desktop.core.types import XrayImage
from cxr_desktop.i18n import _, format_number

log = logging.getLogger(__name__)

#: Per-file limit on the time a decode may take. A legitimate 50 MP JPEG 2000 decodes at full
#: resolution in about 6 s on this 2-core machine, at reduced resolution in well under 1 s; the
#: viewer's background full decode may pass a longer limit.
DEFAULT_TIME_LIMIT_S = 8.0
#: Address-space cap of a worker (POSIX). The largest image allowed (50 MP, float32 values,
#: decoder scratch space, the shared buffer) stays far below it.
DEFAULT_MEMORY_LIMIT_MB = 4096
START_TIMEOUT_S = 60.0


class _Worker:
    """One decoding process and its end of the pipe and shared buffer."""

    def __init__(self, ctx, memory_limit_mb: int | None) -> None:
        parent, child = duplex_pipe(ctx)
        self.process = ctx.Process(
            target=worker_main, args=(child, memory_limit_mb), name="cxr-decoder", daemon=True
        )
        self.process.start()
        child.close()
        self.conn = parent
        self.ready = False
        self.started = time.monotonic()
        self.buffer = None  # shared_memory.SharedMemory, made for one large result

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready:
            if not wait([self.conn, self.process.sentinel], timeout) or not self.conn.poll():
                return False
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                return False
            self.ready = message[0] == "ready"
        return self.ready

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(2)
        self.conn.close()
        self.release_buffer()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(1)
        self.kill()

    def release_buffer(self) -> None:
        if self.buffer is not None:
            buffer, self.buffer = self.buffer, None
            try:
                buffer.close()
                buffer.unlink()
            except (OSError, BufferError):  # already gone, or a view still alive: leave it
                log.debug("shared buffer already released")

    def grow_buffer(self, nbytes: int) -> tuple[str, int] | None:
        self.release_buffer()
        self.buffer = create_buffer(nbytes)
        return (self.buffer.name, self.buffer.size) if self.buffer is not None else None


class DecodeGuard:
    """Decodes image files in reusable worker processes, each decode bounded in time."""

    def __init__(
        self,
        *,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        max_workers: int = 2,
        memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
        prestart: bool = True,
    ) -> None:
        self.time_limit_s = time_limit_s
        self.max_workers = max(1, max_workers)
        self.memory_limit_mb = memory_limit_mb if sys.platform != "win32" else None
        self._ctx = mp.get_context("spawn")
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False
        if prestart:
            with self._cond:
                self._idle.append(self._spawn())

    # -- public ---------------------------------------------------------------------------

    def load(
        self, path: str | os.PathLike[str], *, min_side: int | None = None,
        max_pixels: int = MAX_PIXELS, time_limit_s: float | None = None,
    ) -> XrayImage:
        """:func:`imaging.load_xray` in a worker, killed after ``time_limit_s``."""
        return self._decode(("path", os.fspath(path), None), min_side, max_pixels, time_limit_s)

    def load_bytes(
        self, data: bytes, name: str | None = None, *, min_side: int | None = None,
        max_pixels: int = MAX_PIXELS, time_limit_s: float | None = None,
    ) -> XrayImage:
        """:func:`imaging.load_xray_bytes` in a worker, killed after ``time_limit_s``."""
        return self._decode(("bytes", bytes(data), name), min_side, max_pixels, time_limit_s)

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> bool:
        """Block until an idle worker has started (for start-up measurements and tests)."""
        with self._cond:
            workers = list(self._idle)
        return all(w.wait_ready(timeout) for w in workers)

    def close(self) -> None:
        """Kill every worker now, a running decode included (its caller gets
        :class:`DecodeCancelledError`). Idempotent; later loads raise it too."""
        with self._cond:
            self._closed = True
            idle, busy = list(self._idle), [w for w in self._all if w not in self._idle]
            self._idle = []
            self._all.clear()
            self._cond.notify_all()
        for worker in busy:  # its caller wakes up (the process is gone) and cleans up
            if worker.process.is_alive():
                worker.process.kill()
        for worker in idle:
            worker.kill()

    @property
    def closed(self) -> bool:
        return self._closed

    def worker_pids(self) -> list[int]:
        with self._cond:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def __enter__(self) -> DecodeGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.memory_limit_mb)
        self._all.add(worker)
        return worker

    def _acquire(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise _cancelled()
                if self._idle:
                    return self._idle.pop()
                if len(self._all) < self.max_workers:
                    return self._spawn()
                self._cond.wait()

    def _release(self, worker: _Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and not self._closed and worker in self._all:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
                if not self._closed and not self._idle and not self._all:
                    self._idle.append(self._spawn())  # keep one warm for the next file
            self._cond.notify()
        if not healthy:
            worker.kill()

    def _decode(self, source: tuple, min_side, max_pixels: int, time_limit_s) -> XrayImage:
        limit = self.time_limit_s if time_limit_s is None else time_limit_s
        worker = self._acquire()
        healthy = False
        try:
            if not worker.wait_ready(START_TIMEOUT_S):
                raise self._ended(worker, "the decoder did not start")
            buffer = (worker.buffer.name, worker.buffer.size) if worker.buffer else None
            worker.conn.send(("decode", source, min_side, max_pixels, buffer))
            result = self._await(worker, limit)
            healthy = True
            try:
                return result.image(read_arrays(result, worker.buffer))
            finally:
                worker.release_buffer()
        except (EOFError, OSError, BrokenPipeError) as exc:
            raise self._ended(worker, f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._release(worker, healthy and worker.alive())

    def _await(self, worker: _Worker, limit: float) -> WorkerResult:
        deadline = time.monotonic() + limit
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wait([worker.conn, worker.process.sentinel], remaining):
                worker.kill()
                raise _timed_out(limit)
            if not worker.conn.poll():  # the process ended without a word
                raise self._ended(worker, "no answer")
            message = worker.conn.recv()
            kind = message[0]
            if kind == "need":  # the result is larger than the shared buffer
                worker.conn.send(("buffer", worker.grow_buffer(message[1])))
            elif kind == "ok":
                return message[1]
            elif kind == "error":
                raise message[1]
            else:
                raise CorruptImageError(
                    _("The image could not be opened because of an unexpected problem."),
                    detail=str(message[1]),
                )

    def _ended(self, worker: _Worker, why: str) -> CxrError:
        worker.kill()
        if self._closed:
            return _cancelled()
        code = worker.process.exitcode
        return DecoderCrashedError(
            _(
                "The image could not be opened: the part of CXR Desktop that reads images "
                "stopped unexpectedly. The file may be damaged. Try another copy of the image."
            ),
            detail=f"decoder process ended ({why}; exit code {code})",
        )


def _timed_out(limit: float) -> DecodeTimeoutError:
    return DecodeTimeoutError(
        _(
            "Opening this image took longer than {seconds} seconds, so CXR Desktop stopped "
            "trying. The file may be damaged or unusually complex. Try another copy of the image."
        ).format(seconds=format_number(limit) if limit >= 10 else format_number(max(limit, 0.1), 1)),
        detail=f"decode stopped after {limit:.1f} s",
    )


def _cancelled() -> DecodeCancelledError:
    return DecodeCancelledError(
        _("Opening the image was cancelled."), detail="the decode guard was closed"
    )


__all__ = ["DEFAULT_TIME_LIMIT_S", "DecodeGuard"]
