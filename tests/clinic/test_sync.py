"""Working through outages: readings made while the server is down are kept on this PC and sent
exactly once when it is back (QueueingHistory, service/sync.py), against a real server that the
test stops and starts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cxr_desktop.core.errors import DatabaseUnreachableError
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.audit import AuditEvent
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.sync import QueueingHistory, describe
from tests.core.storage.helpers import make_reading


class Counting:
    """The server store, counting the calls that reach it."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self.calls += 1
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def clinic(server_up, tmp_path: Path):
    url = server_up.new_history_url()
    history = QueueingHistory(Counting(PostgresHistory(url, connect_now=False)),
                              SqliteHistory(tmp_path / "outbox.sqlite3"),
                              state_path=tmp_path / "outbox-state.json")
    yield server_up, url, history
    history.close()


def test_readings_made_offline_are_kept_and_sent_once_when_the_server_is_back(clinic) -> None:
    server, url, history = clinic
    online_id = history.add(make_reading(patient_id="ONLINE-1"))
    assert online_id > 0 and history.status().online
    server.stop()  # the middle of the day
    queued = history.add(make_reading(patient_id="OFFLINE-1"))
    queued2 = history.add(make_reading(patient_id="OFFLINE-2"))
    assert queued < 0 and queued2 < 0 and queued != queued2
    status = history.status()
    assert status.online is False and status.waiting == 2
    assert "Working offline" in describe(status) and "2 new readings" in describe(status)
    assert history.get(queued).patient_id == "OFFLINE-1" and history.get(queued).id == queued
    reviewed = history.update_review(queued, note="seen offline", confirmed_label="Normal")
    assert reviewed.id == queued and reviewed.version == 2
    assert [r.patient_id for r in history.search()] == ["OFFLINE-2", "OFFLINE-1"]
    with pytest.raises(DatabaseUnreachableError):
        history.get(online_id)
    assert history.flush() == 0 and history.status().waiting == 2  # still down
    server.start()
    assert history.flush() == 2
    assert history.status() == dataclasses.replace(history.status(), online=True, waiting=0)
    with PostgresHistory(url) as direct:
        rows = direct.search(ReadingQuery(descending=False))
        assert [r.patient_id for r in rows] == ["ONLINE-1", "OFFLINE-1", "OFFLINE-2"]
        assert rows[1].note == "seen offline" and rows[1].confirmed_label == "Normal"
        assert rows[1].preview_png is None and direct.get(rows[1].id).preview_png  # images sent
    assert history.get(queued).id == rows[1].id  # the queued id now leads to the server's
    assert history.flush() == 0  # nothing left, nothing doubled
    with PostgresHistory(url) as direct:
        assert direct.count() == 3


def test_a_send_interrupted_after_the_server_stored_it_is_not_doubled(clinic) -> None:
    server, url, history = clinic
    server.stop()
    history.add(make_reading(patient_id="TWICE"))
    server.start()
    real = history.ids.delete_local
    failures = iter([OSError("crash between the server's answer and the local delete")])

    def crash_once(local: int) -> bool:
        for exc in failures:
            raise exc
        return real(local)

    history.ids.delete_local = crash_once
    with pytest.raises(OSError):
        history.flush()
    assert history.status().waiting == 1  # still queued here, already on the server
    assert history.flush() == 1
    with PostgresHistory(url) as direct:
        assert [r.patient_id for r in direct.search()] == ["TWICE"]


def test_while_offline_calls_do_not_wait_for_the_server_each_time(clinic) -> None:
    server, _url, history = clinic
    history.count()
    server.stop()
    history.add(make_reading())  # finds out: one attempt
    calls = history.server.calls
    for _ in range(5):
        history.add(make_reading())
        history.search()
        history.count()
    assert history.server.calls == calls  # no attempt until the retry time
    assert history.status().waiting == 6


def test_audit_events_made_offline_are_sent_with_the_reading_id_of_the_server(clinic) -> None:
    server, url, history = clinic
    server.stop()
    queued = history.add(make_reading(uid="5d1c1d1e-0000-4000-8000-0000000000cc"))
    history.append_audit(AuditEvent(actor="ama", action="save", reading_id=queued,
                                    reading_uid="5d1c1d1e-0000-4000-8000-0000000000cc"))
    server.start()
    history.flush()
    history.flush()  # a second run sends nothing again
    with PostgresHistory(url) as direct:
        (event,) = direct.search_audit()
        assert event.reading_id == direct.find_uid("5d1c1d1e-0000-4000-8000-0000000000cc")
        assert event.actor == "ama"


def test_a_queued_id_is_not_reused_for_another_reading_after_sending(clinic) -> None:
    server, _url, history = clinic
    server.stop()
    first = history.add(make_reading(patient_id="FIRST"))
    server.start()
    history.flush()
    server.stop()
    history._offline_until = 0  # find out now that it is down again
    second = history.add(make_reading(patient_id="SECOND"))
    assert second != first
    assert history.get(second).patient_id == "SECOND"
    server.start()
    history.flush()
    assert history.get(first).patient_id == "FIRST"
