"""The worker side of :mod:`decode_guard`, and how decoded arrays travel back.

The worker receives ``("decode", source, min_side, max_pixels, buffer)`` and answers
``("ok", WorkerResult)``, ``("error", CxrError)`` or ``("fail", text)``. Arrays of a result
below :data:`SHM_MIN_BYTES` travel in the pickle; larger ones are written into a
shared-memory buffer of the guard's (``("need", nbytes)`` asks for one first) and only their
place in it is sent. The buffer lives for one result: the worker detaches from it once written,
the guard frees it once copied out, so no image stays in shared memory while the app is idle.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np

from cxr_desktop.core.types import ImageMetadata, XrayImage

#: Results smaller than this come back through the pipe (a pickle of 1 MB costs ~1 ms).
SHM_MIN_BYTES = 1 << 20
_ALIGN = 64


@dataclass
class WorkerResult:
    """An :class:`XrayImage` without its arrays, and where the arrays are."""

    metadata: ImageMetadata
    source_path: str | None
    sha256: str | None
    #: [pixels, display] or [pixels] when display is pixels; each ("pipe", array) or
    #: ("shm", offset, shape, dtype string).
    arrays: list
    color: np.ndarray | None = None  # issue 13: colour pictures only, in the pickle

    def image(self, arrays: list[np.ndarray]) -> XrayImage:
        pixels = arrays[0]
        display = arrays[1] if len(arrays) > 1 else pixels
        return XrayImage(pixels=pixels, display=display, metadata=self.metadata,
                         source_path=self.source_path, sha256=self.sha256, color=self.color)


def create_buffer(nbytes: int) -> shared_memory.SharedMemory | None:
    """A shared-memory block of ``nbytes`` owned by the caller, or None (no room: use the pipe).

    On Linux the block lives in /dev/shm, which can be small (containers); writing past its
    free space would kill the worker (SIGBUS), so a block must fit twice over."""
    if sys.platform.startswith("linux"):
        try:
            stats = os.statvfs("/dev/shm")
        except OSError:
            return None
        if stats.f_bavail * stats.f_frsize < 2 * nbytes:
            return None
    try:
        return shared_memory.SharedMemory(create=True, size=nbytes)
    except (OSError, ValueError):
        return None


def read_arrays(result: WorkerResult, buffer: shared_memory.SharedMemory | None) -> list:
    """The result's arrays, copied out of the shared buffer (freed by the caller afterwards)."""
    out = []
    for spec in result.arrays:
        if spec[0] == "pipe":
            out.append(spec[1])
            continue
        _kind, offset, shape, dtype = spec
        view = np.ndarray(shape, dtype=np.dtype(dtype), buffer=buffer.buf, offset=offset)
        out.append(view.copy())
        del view  # no export of the buffer may outlive this call
    return out


# -- the worker process -----------------------------------------------------------------------


class DuplexPipe:
    """Both directions between the app and a worker, over two one-way pipes.
    ``multiprocessing.Pipe()`` would be a socket pair on POSIX, and the app opens no sockets at
    all (tests/test_no_network.py)."""

    def __init__(self, reader, writer) -> None:
        self._reader, self._writer = reader, writer

    def send(self, obj) -> None:
        self._writer.send(obj)

    def recv(self):
        return self._reader.recv()

    def poll(self, timeout: float = 0.0) -> bool:
        return self._reader.poll(timeout)

    def fileno(self) -> int:  # for multiprocessing.connection.wait: readable means a message
        return self._reader.fileno()

    def close(self) -> None:
        self._reader.close()
        self._writer.close()


def duplex_pipe(ctx) -> tuple[DuplexPipe, DuplexPipe]:
    """(the app's end, the worker's end)."""
    app_reads, worker_writes = ctx.Pipe(duplex=False)
    worker_reads, app_writes = ctx.Pipe(duplex=False)
    return DuplexPipe(app_reads, app_writes), DuplexPipe(worker_reads, worker_writes)


def worker_main(conn, memory_limit_mb: int | None) -> None:
    """Entry point of a decoding process: import the decoders, then decode until told to stop."""
    # OpenJPEG reads this when it creates a decoder; set before any thread exists here.
    os.environ.setdefault("OPJ_NUM_THREADS", str(max(1, min(4, os.cpu_count() or 1))))
    import logging

    logging.getLogger("cxr_desktop").setLevel(logging.ERROR)  # the parent logs the outcome
    from cxr_desktop.core import dicom  # noqa: F401 - imported now, not in the first file's time
    from cxr_desktop.core.imaging import load_xray, load_xray_bytes

    _import_codecs()
    if memory_limit_mb and sys.platform != "win32":
        import resource

        limit = memory_limit_mb << 20
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        try:
            resource.setrlimit(resource.RLIMIT_AS, (min(limit, hard) if hard > 0 else limit, hard))
        except (ValueError, OSError):  # macOS does not enforce RLIMIT_AS: no cap there
            pass
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        _kind, source, min_side, max_pixels, buffer = message
        try:
            if source[0] == "path":
                image = load_xray(source[1], min_side=min_side, max_pixels=max_pixels)
            else:
                image = load_xray_bytes(source[1], source[2], min_side=min_side,
                                        max_pixels=max_pixels)
        except BaseException as exc:  # noqa: BLE001 - everything is answered, nothing kills us
            conn.send(_error_message(exc))
            continue
        conn.send(("ok", _pack(image, conn, buffer)))
        del image


def _import_codecs() -> None:
    """pydicom loads its pixel-data plugins on first use: load them now."""
    for name in ("openjpeg", "libjpeg", "pydicom.pixels.decoders.pylibjpeg"):
        try:
            __import__(name)
        except ImportError:
            pass


def _error_message(exc: BaseException) -> tuple:
    from cxr_desktop.core.errors import CxrError, ImageTooLargeError
    from cxr_desktop.i18n import _

    if isinstance(exc, CxrError):
        clean = type(exc)(exc.message, detail=exc.detail)  # no traceback or chained causes
        return ("error", clean)
    if isinstance(exc, MemoryError):
        return ("error", ImageTooLargeError(
            _("This image is too large to open on this computer (not enough memory)."),
            detail="MemoryError in the decoder process",
        ))
    return ("fail", f"{type(exc).__name__}: {exc}")


def _pack(image: XrayImage, conn, buffer: tuple[str, int] | None) -> WorkerResult:
    arrays = [np.ascontiguousarray(image.pixels)]
    if image.display is not image.pixels:
        arrays.append(np.ascontiguousarray(image.display))
    offsets, total = [], 0
    for array in arrays:
        offsets.append(total)
        total += -(-array.nbytes // _ALIGN) * _ALIGN
    specs: list = [("pipe", a) for a in arrays]
    if total >= SHM_MIN_BYTES:
        if buffer is None or buffer[1] < total:
            conn.send(("need", total))
            buffer = conn.recv()[1]
        block = _attach(buffer) if buffer is not None else None
        if block is not None:
            specs = []
            for array, offset in zip(arrays, offsets):
                target = np.ndarray(array.shape, array.dtype, buffer=block.buf, offset=offset)
                target[...] = array
                del target
                specs.append(("shm", offset, array.shape, array.dtype.str))
            block.close()  # the guard's mapping keeps the pages until it has copied them
    return WorkerResult(image.metadata, image.source_path, image.sha256, specs, image.color)


def _attach(buffer: tuple[str, int]) -> shared_memory.SharedMemory | None:
    try:
        return shared_memory.SharedMemory(name=buffer[0])
    except (OSError, ValueError):
        return None
