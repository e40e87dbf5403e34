"""Issue 15's part of the HistoryStore contract: idempotent saves by reading key, review
versions (a stale review is refused and the newer reading handed back), staff accounts and the
append-only audit trail. Run by every backend's contract module; names no database engine."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from cxr_desktop.core.errors import StaleReviewError, StorageError
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR, Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery
from tests.core.storage.helpers import at, make_reading


def test_add_with_a_known_uid_stores_the_reading_once(store: HistoryStore) -> None:
    reading = make_reading(uid="5d1c1d1e-0000-4000-8000-000000000001")
    first = store.add(reading)
    again = store.add(dataclasses.replace(reading, note="sent again after an outage"))
    assert again == first and store.count() == 1
    assert store.get(first).note == "" and store.get(first).uid == reading.uid
    assert store.find_uid(reading.uid) == first and store.find_uid("nope") is None
    other = store.add(make_reading(uid="5d1c1d1e-0000-4000-8000-000000000002"))
    assert other != first and store.count() == 2


def test_readings_without_uid_are_all_kept(store: HistoryStore) -> None:
    store.add(make_reading(uid=None))
    store.add(make_reading(uid=None))
    assert store.count() == 2


def test_concurrent_adds_of_one_uid_store_one_row(open_store) -> None:
    reading = make_reading(uid="5d1c1d1e-0000-4000-8000-0000000000aa")
    stores = [open_store() for _ in range(4)]
    ids: list[int] = []
    barrier = threading.Barrier(len(stores))

    def send(s: HistoryStore) -> None:
        barrier.wait()
        ids.append(s.add(reading))

    threads = [threading.Thread(target=send, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(set(ids)) == 1 and stores[0].count() == 1
    finally:
        for s in stores:
            s.close()


def test_reviews_count_versions(store: HistoryStore) -> None:
    new_id = store.add(make_reading())
    assert store.get(new_id).version == 1
    first = store.update_review(new_id, note="one", expected_version=1)
    assert first.version == 2
    second = store.update_review(new_id, note="two")  # no expectation: always applied
    assert second.version == 3 and second.note == "two"
    patient = store.update_patient(new_id, patient_id="X", patient_name=None)
    assert patient.version == 3  # a patient correction is not a review


def test_a_review_on_a_stale_copy_is_refused_with_the_newer_reading(open_store) -> None:
    with open_store() as desk, open_store() as office:
        new_id = desk.add(make_reading())
        seen_by_both = desk.get(new_id).version
        office.update_review(new_id, note="pneumonia, refer", confirmed_label="COVID-19",
                             expected_version=seen_by_both)
        with pytest.raises(StaleReviewError) as info:
            desk.update_review(new_id, note="normal", confirmed_label="Normal",
                               expected_version=seen_by_both)
        newer = info.value.current
        assert newer.note == "pneumonia, refer" and newer.version == seen_by_both + 1
        assert "Someone else reviewed" in info.value.message
        assert desk.get(new_id).note == "pneumonia, refer"  # not overwritten
        redone = desk.update_review(new_id, note="normal", expected_version=newer.version)
        assert redone.note == "normal" and redone.version == newer.version + 1


def test_a_stale_review_of_a_deleted_reading_says_it_is_gone(store: HistoryStore) -> None:
    new_id = store.add(make_reading())
    store.delete(new_id)
    with pytest.raises(StorageError, match="no longer in the history"):
        store.update_review(new_id, note="x", expected_version=1)


def test_accounts_are_saved_replaced_and_listed(store: HistoryStore) -> None:
    assert store.list_accounts() == [] and store.get_account("ama") is None
    store.save_account(Account("Ama", HEALTH_WORKER, "scrypt$1"))
    store.save_account(Account("kofi", SUPERVISOR, "scrypt$2"))
    store.save_account(Account("ama", HEALTH_WORKER, "scrypt$3", active=False))  # same person
    ama = store.get_account("AMA")
    assert ama is not None and ama.password_hash == "scrypt$3" and ama.active is False
    assert ama.created_utc
    assert [(a.name.lower(), a.role) for a in store.list_accounts()] == [
        ("ama", HEALTH_WORKER), ("kofi", SUPERVISOR)]


def test_audit_events_are_appended_and_searched(store: HistoryStore) -> None:
    reading_id = store.add(make_reading(uid="5d1c1d1e-0000-4000-8000-0000000000bb"))
    events = [
        AuditEvent(actor="ama", action="save", reading_id=reading_id, at_utc=at(1)),
        AuditEvent(actor="ama", action="view", reading_id=reading_id, at_utc=at(2)),
        AuditEvent(actor="kofi", action="delete", reading_id=reading_id, at_utc=at(3),
                   detail="duplicate", workstation="xray-room"),
        AuditEvent(actor="kofi", action="export", at_utc=at(4)),
    ]
    ids = [store.append_audit(e) for e in events]
    assert len(set(ids)) == 4
    newest = store.search_audit()
    assert [e.action for e in newest] == ["export", "delete", "view", "save"]
    assert newest[1] == dataclasses.replace(events[2], id=ids[2])
    assert [e.action for e in store.search_audit(AuditQuery(actor="ama", descending=False))] == [
        "save", "view"]
    assert [e.id for e in store.search_audit(AuditQuery(reading_id=reading_id))] == ids[2::-1]
    assert [e.action for e in store.search_audit(AuditQuery(action="delete"))] == ["delete"]
    assert [e.action for e in store.search_audit(AuditQuery(date_from="2026-03-03"))] == [
        "export", "delete"]
    assert len(store.search_audit(AuditQuery(limit=1, offset=1))) == 1


def test_audit_time_defaults_to_now(store: HistoryStore) -> None:
    store.append_audit(AuditEvent(actor="ama", action="sign_in"))
    (event,) = store.search_audit()
    assert event.at_utc.startswith("20") and event.at_utc.endswith("+00:00")


def test_the_store_offers_no_way_to_change_the_audit_trail(store: HistoryStore) -> None:
    for name in dir(store):
        lowered = name.lower()
        if "audit" in lowered:
            assert lowered in ("append_audit", "search_audit"), name
