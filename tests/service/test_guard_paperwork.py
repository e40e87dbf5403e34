"""Issue 11 under issue 15's roles, in the service layer (on the history file; the clinic server
runs the same in tests/clinic/test_cli_paperwork.py): the worklist and the search for an image
read before need the right to read; a reading's report needs only that and is recorded as a
``report``; the period summary is a supervisor's and recorded as an ``export``; a reading from
media or a watched folder is a save of the person signed in, and a watched file met while
nobody is signed in is read once someone is (never marked as done without being read)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cxr_desktop.composition import load_classifier
from cxr_desktop.core.errors import PermissionDeniedError
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.accounts import StaffSession
from cxr_desktop.service.guard import GuardedHistory
from cxr_desktop.service.media_import import scan_media
from cxr_desktop.service.reading import ReadingService
from cxr_desktop.service.report import record_reports
from cxr_desktop.service.summary import record_summary, summarize
from cxr_desktop.service.watch_folder import FolderWatcher, Journal
from tests.core.storage.helpers import make_reading
from tests.service.test_watch_folder import Clock, png_bytes


@pytest.fixture
def clinic(tmp_path: Path):
    """A history with one reading, a supervisor (kofi) and a health worker (ama)."""
    with SqliteHistory(tmp_path / "history.sqlite3") as store:
        store.add(make_reading(file_sha256="aa" * 32))
        session = StaffSession(store, workstation="desk")
        session.add_account("kofi", SUPERVISOR, "9999")
        session.sign_in("kofi", "9999")
        session.add_account("ama", HEALTH_WORKER, "1111")
        session.sign_out()
        yield store, session, GuardedHistory(session)


def trail(store, *actions: str) -> list[tuple[str, str, int | None, str]]:
    return [(e.actor, e.action, e.reading_id, e.detail)
            for e in store.search_audit(AuditQuery(descending=False, limit=1000))
            if e.action in actions]


def test_nothing_is_listed_before_signing_in(clinic) -> None:
    _store, _session, guarded = clinic
    for call in (guarded.to_review, guarded.count_to_review,
                 lambda: guarded.find_same_image(file_sha256="aa" * 32)):
        with pytest.raises(PermissionDeniedError, match="Please sign in first."):
            call()


def test_a_health_worker_makes_reports_but_not_the_summary(clinic) -> None:
    store, session, guarded = clinic
    session.sign_in("ama", "1111")
    assert [r.id for r in guarded.to_review()] == [1] and guarded.count_to_review() == 1
    assert [r.id for r in guarded.find_same_image(file_sha256="aa" * 32)] == [1]
    reading = guarded.get(1)
    record_reports(guarded, [reading], "printed")
    with pytest.raises(PermissionDeniedError, match="Only a supervisor can export"):
        summarize(guarded, date(2026, 3, 1), date(2026, 3, 31))
    session.sign_out()
    session.sign_in("kofi", "9999")
    summary = summarize(guarded, date(2026, 3, 1), date(2026, 3, 31))
    record_summary(guarded, summary, "PDF")
    assert trail(store, "view", "report", "denied", "export") == [
        ("ama", "view", 1, ""), ("ama", "report", 1, "report (printed)"),
        ("ama", "denied", None, "export"),
        ("kofi", "export", None, "period summary 2026-03-01 to 2026-03-31 (readings: 1, "
                                 "referred: 0): PDF")]
    assert [e.reading_uid for e in store.search_audit(AuditQuery(action="report"))] == [reading.uid]


def test_media_and_watched_files_are_saves_of_the_person_signed_in(
        clinic, tmp_path: Path, tiny_model_dir: Path) -> None:
    store, session, guarded = clinic
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "first.png").write_bytes(png_bytes(1))
    service = ReadingService(load_classifier(tiny_model_dir), guarded)
    clock = Clock()
    watcher = FolderWatcher(folder, Journal(tmp_path / "journal"), service, guarded,
                            settle_s=1.0, clock=clock)
    assert watcher.poll() == []  # seen; settles
    clock.now += 2
    with pytest.raises(PermissionDeniedError):  # nobody signed in: nothing read, nothing final
        watcher.poll()
    session.sign_in("ama", "1111")
    session.current, signed_in = None, session.current  # signed out between two steps
    real_find = guarded.find_same_image
    guarded.find_same_image = lambda **kw: []  # the duplicate check passed before that
    (event,) = watcher.poll()
    assert event.state == "failed" and "sign in" in event.reason  # not done: read later
    guarded.find_same_image = real_find
    session.current = signed_in
    assert watcher.poll() == []
    clock.now += 2
    (event,) = watcher.poll()
    assert event.state == "done" and store.count() == 2
    plan = scan_media(folder, guarded)  # the same file from media: already there
    assert [i.known_reading for i in plan.items] == [event.reading_id]
    assert trail(store, "save") == [("ama", "save", event.reading_id, "")]
