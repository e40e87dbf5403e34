"""HistoryOps: the one way the GUI touches the reading history (like Anki's QueryOp/CollectionOp).

Every read and every write of the history runs on a background thread, never on the GUI thread;
the result (or the error) comes back on the GUI thread, where widgets may be touched.

  * ``query(fn, on_done, on_error, key=...)``: a read, on the read lane. With a ``key`` only the
    latest request of that key runs (a newer search supersedes one still waiting). Reads never
    wait behind writes: the store serves them on a connection of their own.
  * ``long_read(fn, on_done, on_error)``: a read that takes a while (an export, a report over
    months), on a lane of its own so that it holds up neither searches nor saves.
  * ``write(fn, on_done, on_error)``: a write, on the write lane, in order. It may be called from
    any thread (a worker that just predicted queues the save of its reading itself, so the
    reading is saved even when the window closes before the result is shown).

``shutdown()`` drops reads that have not started and runs every queued write to its end (their
results are discarded), then stops the lanes. ``fn`` receives the ``HistoryStore``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from cxr_desktop.core.storage import HistoryStore

log = logging.getLogger(__name__)

Work = Callable[[HistoryStore], Any]
Done = Callable[[Any], None] | None
Failed = Callable[[BaseException], None] | None


class Op:
    """One queued read or write."""

    def __init__(self, fn: Work, on_done: Done, on_error: Failed, key: str | None,
                 is_write: bool) -> None:
        self.fn, self.on_done, self.on_error, self.key = fn, on_done, on_error, key
        self.is_write = is_write
        self.cancelled = False  # a read that will not run, or whose result nobody wants


class _Lane:
    def __init__(self, name: str, run: Callable[[Op], None]) -> None:
        self.queue: queue.Queue[Op | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, args=(run,), name=name, daemon=True)
        self.thread.start()

    def _loop(self, run: Callable[[Op], None]) -> None:
        while True:
            op = self.queue.get()
            if op is None:
                return
            run(op)


class HistoryOps(QObject):
    _finished = Signal(object, object, object)  # op, result, error

    def __init__(self, store: HistoryStore | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.closed = False
        self._lock = threading.Lock()
        self._pending: set[Op] = set()
        self._latest: dict[str, Op] = {}
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._reads = _Lane("history-reads", self._run)
        self._long_reads = _Lane("history-long-reads", self._run)
        self._writes = _Lane("history-writes", self._run)
        self._lanes = (self._reads, self._long_reads, self._writes)

    @property
    def available(self) -> bool:
        return self.store is not None

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def query(self, fn: Work, on_done: Done = None, on_error: Failed = None,
              key: str | None = None) -> Op:
        return self._submit(self._reads, fn, on_done, on_error, key)

    def long_read(self, fn: Work, on_done: Done = None, on_error: Failed = None) -> Op:
        return self._submit(self._long_reads, fn, on_done, on_error, None)

    def write(self, fn: Work, on_done: Done = None, on_error: Failed = None) -> Op:
        return self._submit(self._writes, fn, on_done, on_error, None)

    def _submit(self, lane: _Lane, fn: Work, on_done: Done, on_error: Failed,
                key: str | None) -> Op:
        op = Op(fn, on_done, on_error, key, is_write=lane is self._writes)
        with self._lock:
            if not self.closed:
                if key is not None:
                    older = self._latest.get(key)
                    if older is not None:
                        older.cancelled = True
                    self._latest[key] = op
                self._pending.add(op)
                lane.queue.put(op)
                return op
        op.cancelled = True
        if op.is_write and self.store is not None:  # after shutdown a write still runs, here
            op.fn(self.store)
        return op

    def _run(self, op: Op) -> None:  # a lane's thread
        if op.cancelled and not op.is_write:  # a write always runs
            self._finished.emit(op, None, None)
            return
        try:
            if self.store is None:
                from cxr_desktop.core.errors import StorageError
                from cxr_desktop.i18n import _

                raise StorageError(_("The reading history is not available."))
            result, error = op.fn(self.store), None
        except BaseException as exc:  # noqa: BLE001 - handed to on_error on the GUI thread
            result, error = None, exc
        self._finished.emit(op, result, error)

    @Slot(object, object, object)
    def _deliver(self, op: Op, result: object, error: object) -> None:  # GUI thread
        with self._lock:
            self._pending.discard(op)
            if op.key is not None and self._latest.get(op.key) is op:
                del self._latest[op.key]
        if op.cancelled or self.closed:
            return
        if error is not None:
            if op.on_error is not None:
                op.on_error(error)  # type: ignore[arg-type]
            else:
                log.error("history operation failed: %s", type(error).__name__)
        elif op.on_done is not None:
            op.on_done(result)

    def shutdown(self, timeout_s: float = 60.0) -> None:
        """Drop waiting reads, finish every queued write, stop both lanes."""
        with self._lock:
            self.closed = True
            for op in self._pending:
                op.cancelled = True  # reads are dropped; writes still run, unreported
            for lane in self._lanes:
                lane.queue.put(None)
        for lane in self._lanes:
            lane.thread.join(timeout_s)
            if lane.thread.is_alive():
                log.error("history %s still busy after %.0f s", lane.thread.name, timeout_s)
