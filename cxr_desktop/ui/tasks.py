"""The one helper for background work.

``run_in_background(fn, on_done, on_error)`` runs ``fn()`` on a worker thread and calls
``on_done(result)`` or ``on_error(exc)`` later **on the GUI thread** (queued signal delivery).
Widgets must only be touched from those callbacks, never from ``fn``.

Quitting while a job runs is safe: ``TaskRunner.shutdown()`` drops jobs that have not started,
waits for the running ones and then discards their results. Each job's signal carrier is kept
alive by a strong Python reference until its result was delivered (or dropped), so a worker never
emits through a deleted QObject ("Signal source has been deleted").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class _Carrier(QObject):
    """Lives on the GUI thread; the worker emits through it, the GUI thread receives."""

    finished = Signal(object, object)  # result, exception

    def __init__(self, job: Task) -> None:
        super().__init__()
        self._job = job
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _deliver(self, result: object, error: object) -> None:
        self._job._deliver(result, error)


class Task:
    """Handle of one background job. ``cancel()`` only stops a job that has not started yet and
    suppresses its callbacks; ``fn`` itself may look at ``task.cancelled`` to stop early."""

    def __init__(self, runner: TaskRunner, fn: Callable[[], Any], on_done: DoneCallback | None,
                 on_error: ErrorCallback | None) -> None:
        self._runner = runner
        self._fn = fn
        self._on_done = on_done
        self._on_error = on_error
        self._cancel = threading.Event()
        self.done = False
        self._carrier = _Carrier(self)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def _work(self) -> None:  # worker thread
        if self._cancel.is_set():
            result, error = None, None
        else:
            try:
                result, error = self._fn(), None
            except BaseException as exc:  # noqa: BLE001 - delivered to on_error on the GUI thread
                result, error = None, exc
        self._carrier.finished.emit(result, error)

    def _deliver(self, result: object, error: object) -> None:  # GUI thread
        self.done = True
        self._runner._forget(self)
        if self._cancel.is_set() or self._runner.closed:
            return
        if error is not None:
            if self._on_error is not None:
                self._on_error(error)  # type: ignore[arg-type]
            else:
                log.error("background job failed", exc_info=error)  # type: ignore[arg-type]
        elif self._on_done is not None:
            self._on_done(result)


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        self._task._work()


class TaskRunner(QObject):
    """A thread pool plus bookkeeping. One per main window (the app), one default for helpers."""

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, max_threads))
        self._active: set[Task] = set()
        self.closed = False

    def submit(self, fn: Callable[[], Any], on_done: DoneCallback | None = None,
               on_error: ErrorCallback | None = None) -> Task:
        task = Task(self, fn, on_done, on_error)
        if self.closed:
            task.cancel()
            return task
        self._active.add(task)
        self._pool.start(_Runnable(task))
        return task

    @property
    def busy(self) -> bool:
        return bool(self._active)

    def _forget(self, task: Task) -> None:
        self._active.discard(task)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every started job finished (their callbacks are still queued)."""
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Stop accepting jobs, drop queued ones, wait for running ones, discard their results."""
        self.closed = True
        for task in list(self._active):
            task.cancel()
        self._pool.clear()
        self._pool.waitForDone()
        # Results of finished jobs may still sit in the event queue; they are ignored (closed).


_default_runner: TaskRunner | None = None


def default_runner() -> TaskRunner:
    global _default_runner
    if _default_runner is None or _default_runner.closed:
        _default_runner = TaskRunner()
    return _default_runner


def run_in_background(fn: Callable[[], Any], on_done: DoneCallback | None = None,
                      on_error: ErrorCallback | None = None,
                      runner: TaskRunner | None = None) -> Task:
    """Run ``fn()`` off the GUI thread; ``on_done(result)`` / ``on_error(exc)`` run on the GUI
    thread. Must be called from the GUI thread."""
    return (runner or default_runner()).submit(fn, on_done, on_error)
