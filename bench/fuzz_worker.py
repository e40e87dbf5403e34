"""The sandboxed side of the fuzzer (bench/fuzz.py): a worker process that opens each case with
``load_xray`` under an address-space cap and reports the outcome and its peak memory.

Odd cases go through the fast path (``min_side=FAST_PATH_MIN_SIDE``), even ones at full
resolution; both must keep the XrayImage contract.
"""

from __future__ import annotations

import os
import time
import traceback
from multiprocessing.connection import Connection

#: Case data starting with this makes the worker crash / hang / blow up (tests of the harness).
SELF_TEST = b"\x00cxr-fuzz-self-test:"
#: Odd cases are opened through the fast path with this min_side (the seeds are ~256 px, so
#: the reduced-resolution decoders run on them).
FAST_PATH_MIN_SIDE = 64


def worker_main(conn: Connection, memory_bytes: int, budget_mb: int, folder: str,
                 quiet: bool) -> None:
    """Runs in the sandbox: receive (index, bytes), open them with load_xray, send the outcome."""
    import resource

    if quiet:  # C decoders (libtiff, libjpeg) print their complaints straight to fd 2
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import logging

    logging.disable(logging.CRITICAL)
    from cxr_desktop.core import dicom  # noqa: F401 - imported now, not in the first case's time
    from cxr_desktop.core.errors import CxrError
    from cxr_desktop.core.imaging import load_xray

    path = os.path.join(folder, f"case-{os.getpid()}.bin")
    conn.send(("ready", os.getpid()))
    while True:
        message = conn.recv()
        if message is None:
            break
        index, data = message
        with open(path, "wb") as handle:
            handle.write(data)
        _reset_peak_rss()
        start = time.perf_counter()
        detail = ""
        try:
            if data.startswith(SELF_TEST):
                _misbehave(data[len(SELF_TEST) :], budget_mb)
            min_side = FAST_PATH_MIN_SIDE if index % 2 else None
            image = load_xray(path, min_side=min_side)
            problem = _contract_problem(image, min_side)
            outcome, detail = ("error", problem) if problem else ("ok", "")
        except CxrError as exc:
            if not (exc.message and str(exc).strip()):
                outcome, detail = "error", f"{type(exc).__name__} without a message"
            elif _ran_out_of_memory(exc):  # a decoder hit the address-space cap
                outcome, detail = "memory", f"{type(exc).__name__} after: {_chain_text(exc)[:500]}"
            else:
                outcome, detail = "typed", type(exc).__name__
        except MemoryError:
            outcome, detail = "memory", "MemoryError escaped"
        except BaseException as exc:  # noqa: BLE001 - that is what we are looking for
            tail = "".join(traceback.format_exception(exc)[-3:])
            outcome, detail = "error", f"{type(exc).__name__}: {exc}\n{tail}"[:2000]
        seconds = time.perf_counter() - start
        image = None
        peak = _peak_rss_mb()
        if outcome in ("ok", "typed") and peak is not None and peak > budget_mb:
            outcome, detail = "memory", f"peak RSS {peak:.0f} MB > budget {budget_mb} MB ({detail})"
        conn.send((index, outcome, detail, seconds, peak, rss_mb()))
    os.unlink(path) if os.path.exists(path) else None


def _misbehave(action: bytes, budget_mb: int) -> None:
    """Self-test of the harness: behave like the defects it must catch."""
    if action == b"crash":
        os.abort()
    elif action == b"hang":
        while True:
            time.sleep(1)
    elif action == b"memory":  # a decoder that trusts a huge header: asks for more than the cap
        import resource

        cap = resource.getrlimit(resource.RLIMIT_AS)[0]
        hog = bytearray(cap if cap != resource.RLIM_INFINITY else 1 << 50)  # noqa: F841
        raise AssertionError("the address-space cap did not stop a cap-sized allocation")
    elif action == b"rss":  # within the cap but over the per-file RSS budget; touches ~budget+64 MB
        hog = bytearray((budget_mb + 64) << 20)
        del hog
    elif action == b"error":
        raise KeyError("self-test")


_MEMORY_WORDS = ("memoryerror", "out of memory", "out of free memory", "unable to allocate",
                 "cannot allocate", "bad_alloc", "insufficient memory")


def _chain_text(exc: BaseException) -> str:
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {exc} {getattr(exc, 'detail', '') or ''}")
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(parts)


def _ran_out_of_memory(exc: BaseException) -> bool:
    text = _chain_text(exc).lower()
    return any(word in text for word in _MEMORY_WORDS)


def _contract_problem(image, min_side: int | None = None) -> str:
    import numpy as np

    display, pixels = image.display, image.pixels
    if not isinstance(display, np.ndarray) or display.dtype != np.uint8 or display.ndim != 2:
        return f"display is not 2-D uint8: {getattr(display, 'dtype', None)} {getattr(display, 'shape', None)}"
    if not isinstance(pixels, np.ndarray) or pixels.shape != display.shape:
        return f"pixels shape {getattr(pixels, 'shape', None)} != display {display.shape}"
    if min(display.shape) < 16:
        return f"image of {display.shape} accepted"
    meta = image.metadata
    if min_side is None and (meta.width, meta.height) != (display.shape[1], display.shape[0]):
        return f"metadata size {meta.width}x{meta.height} != display {display.shape}"
    if min_side is not None:
        full = sorted((meta.width, meta.height))
        if sorted(display.shape) > full or min(display.shape) < min(min_side, full[0]):
            return f"fast path gave {display.shape} for a {meta.width}x{meta.height} image"
    return ""


def _reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float | None:
    from bench.common import peak_rss_mb

    return peak_rss_mb()


def rss_mb() -> float | None:
    from bench.common import rss_mb as current

    return current()
