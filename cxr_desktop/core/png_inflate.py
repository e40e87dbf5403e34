"""A faster route for 16-bit grey PNGs (DR exports): inflate on a second thread, unfilter in Pillow.

Decoding a 2665 x 2197 16-bit PNG with Pillow costs ~93 ms here, ~64 ms of it in zlib's
inflate, all on one thread. :func:`png_stream` gives Pillow the same PNG with its pixel data
re-packed as *stored* (uncompressed) deflate blocks: a background thread inflates the original
stream with ISA-L (python-isal, ~3.5x faster than zlib; plain zlib when it is missing) and
re-packs it piece by piece while Pillow, on the caller's thread, unfilters what has arrived.
The pixels are bit for bit Pillow's own (tests/core/test_png_inflate.py).

Only non-interlaced 16-bit grey PNGs take this route. The inflater stops at the exact size the
header implies (a zlib bomb inflates no further than the image), and anything unexpected ends
the stream early: Pillow then reports a broken file and the caller decodes the original bytes
the usual way, so a damaged file gets the usual typed error.
"""

from __future__ import annotations

import io
import queue
import struct
import threading
import zlib

try:  # ISA-L's inflate; the same API as zlib's
    from isal import isal_zlib as _inflate
except ImportError:  # pragma: no cover - an install without python-isal
    _inflate = zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PIECE = 1 << 17  # compressed bytes inflated at a time
_QUEUE_PIECES = 32
_END = object()


def png_stream(data: bytes) -> io.BufferedReader | None:
    """A file object reading as ``data`` with its IDAT stream stored, or None when this PNG
    does not take the route (not 16-bit grey, interlaced, no IHDR first)."""
    if len(data) < 33 or data[:8] != _SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", data[16:29]
    )
    if depth != 16 or colour != 0 or interlace != 0 or width == 0 or height == 0:
        return None
    return io.BufferedReader(_StoredIdat(data, height * (1 + 2 * width)), 1 << 20)


class _StoredIdat(io.RawIOBase):
    """The PNG's bytes, IDAT re-packed, produced by a background thread."""

    def __init__(self, data: bytes, raw_size: int) -> None:
        super().__init__()
        self._pieces: queue.Queue = queue.Queue(maxsize=_QUEUE_PIECES)
        self._stop = threading.Event()
        self._buffer = bytearray()
        self._offset = 0
        self._done = False
        self._thread = threading.Thread(
            target=self._produce, args=(data, raw_size), name="cxr-png-inflate", daemon=True
        )
        self._thread.start()

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while len(self._buffer) - self._offset < len(target) and not self._done:
            piece = self._pieces.get()
            if piece is _END:
                self._done = True
                continue
            if self._offset:  # drop what was read before appending: no quadratic shifting
                del self._buffer[: self._offset]
                self._offset = 0
            self._buffer += piece
        start = self._offset
        count = min(len(target), len(self._buffer) - start)
        target[:count] = self._buffer[start : start + count]
        self._offset += count
        return count

    def close(self) -> None:
        self._stop.set()  # the producer gives up within 0.1 s
        try:
            while True:
                self._pieces.get_nowait()
        except queue.Empty:
            pass
        self._thread.join(2.0)
        super().close()

    def _put(self, piece: object) -> bool:
        while not self._stop.is_set():
            try:
                self._pieces.put(piece, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _idat(self, payload: bytes) -> bool:
        if not payload:
            return True
        chunk = struct.pack(">I", len(payload)) + b"IDAT" + payload + b"\0\0\0\0"  # CRC unread
        return self._put(chunk)

    def _produce(self, data: bytes, raw_size: int) -> None:
        try:
            self._put(data[:8])
            inflater, packer = _inflate.decompressobj(), zlib.compressobj(0)
            left, pos, view = raw_size, 8, memoryview(data)
            while pos + 8 <= len(data) and not self._stop.is_set():
                (length,) = struct.unpack(">I", data[pos : pos + 4])
                kind, end = data[pos + 4 : pos + 8], pos + 12 + length
                if end > len(data):
                    break  # cut short: Pillow reports it
                if kind == b"IDAT":
                    payload = view[pos + 8 : pos + 8 + length]
                    for at in range(0, length, _PIECE):
                        if left <= 0:
                            break
                        raw = inflater.decompress(payload[at : at + _PIECE], left)
                        left -= len(raw)
                        if not self._idat(packer.compress(raw)):
                            return
                    while left > 0 and inflater.unconsumed_tail:  # the output limit held some
                        raw = inflater.decompress(inflater.unconsumed_tail, left)
                        if not raw:
                            break
                        left -= len(raw)
                        if not self._idat(packer.compress(raw)):
                            return
                else:
                    if kind == b"IEND" and not self._idat(packer.flush()):
                        return
                    if not self._put(bytes(view[pos:end])):
                        return
                pos = end
        except Exception:  # noqa: BLE001 - a broken stream just ends: Pillow reports it
            pass
        finally:
            self._put(_END)
