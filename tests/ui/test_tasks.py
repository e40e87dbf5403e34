"""ui/tasks.py: results arrive on the GUI thread; shutdown waits and drops results."""

from __future__ import annotations

import threading
import time

import pytest

from cxr_desktop.ui.tasks import TaskRunner, run_in_background


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner(max_threads=2)
    yield runner
    runner.shutdown()


def test_result_is_delivered_on_the_gui_thread(qtbot, runner):
    gui = threading.get_ident()
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    def done(value):
        seen["value"] = value
        seen["callback"] = threading.get_ident()

    runner.submit(work, done)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5_000)
    assert seen["value"] == 42
    assert seen["worker"] != gui
    assert seen["callback"] == gui
    assert not runner.busy


def test_errors_go_to_on_error(qtbot, runner):
    errors = []

    def boom():
        raise ValueError("bad")

    runner.submit(boom, lambda _: pytest.fail("no result expected"), errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5_000)
    assert isinstance(errors[0], ValueError) and errors[0].__traceback__ is not None


def test_none_results_are_delivered(qtbot, runner):
    got = []
    for _ in range(50):
        runner.submit(lambda: None, got.append)
    qtbot.waitUntil(lambda: len(got) == 50, timeout=5_000)
    assert got == [None] * 50


def test_shutdown_waits_for_running_jobs_and_drops_results(qtbot):
    runner = TaskRunner(max_threads=1)
    finished = []
    delivered = []

    def slow():
        time.sleep(0.3)
        finished.append(True)
        return "late"

    runner.submit(slow, delivered.append)
    queued = runner.submit(lambda: finished.append("queued"), delivered.append)
    time.sleep(0.05)
    runner.shutdown()
    assert finished == [True]  # the running job completed, the queued one never started
    qtbot.wait(50)
    assert delivered == []
    assert queued.cancelled
    late = runner.submit(lambda: 1, delivered.append)
    assert late.cancelled


def test_cancelled_task_does_not_call_back(qtbot, runner):
    gate = threading.Event()
    delivered = []
    task = runner.submit(lambda: gate.wait(5) and "x", delivered.append)
    task.cancel()
    gate.set()
    qtbot.waitUntil(lambda: task.done, timeout=5_000)
    assert delivered == []


def test_run_in_background_default_runner(qtbot):
    got = []
    run_in_background(lambda: "hi", got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=5_000)
    assert got == ["hi"]
