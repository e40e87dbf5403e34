"""Accounts, roles and the audit trail in the service layer (issue 15), on the history file;
the same runs on the clinic server in tests/clinic/test_clinic_day.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxr_desktop.core.errors import PermissionDeniedError
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.accounts import StaffSession, hash_secret, verify_secret
from cxr_desktop.service.guard import GuardedHistory
from tests.core.storage.helpers import make_reading


def test_secrets_are_scrypt_hashes_salted_and_checked() -> None:
    first, second = hash_secret("1234"), hash_secret("1234")
    assert first != second and first.startswith("scrypt$16384$8$1$") and "1234" not in first
    assert verify_secret("1234", first) and not verify_secret("1235", first)
    assert not verify_secret("1234", "plain$1234") and not verify_secret("1234", "garbage")


@pytest.fixture
def store(tmp_path: Path):
    with SqliteHistory(tmp_path / "history.sqlite3") as opened:
        yield opened


def test_with_no_accounts_everything_works_and_nothing_is_audited(store) -> None:
    guarded = GuardedHistory(StaffSession(store))
    new_id = guarded.add(make_reading())
    guarded.get(new_id)
    assert guarded.delete(new_id) is True
    assert store.search_audit() == []


def test_roles_are_enforced_and_every_step_is_audited(store, tmp_path: Path) -> None:
    session = StaffSession(store, workstation="desk-1")
    with pytest.raises(PermissionDeniedError, match="first account must be a supervisor"):
        session.add_account("ama", HEALTH_WORKER, "1111")
    session.add_account("Kofi", SUPERVISOR, "9999")  # accounts are on from now
    guarded = GuardedHistory(session)
    with pytest.raises(PermissionDeniedError, match="sign in"):
        guarded.search()
    with pytest.raises(PermissionDeniedError, match="not right"):
        session.sign_in("kofi", "0000")
    session.sign_in("kofi", "9999")
    session.add_account("ama", HEALTH_WORKER, "1111")
    session.sign_out()
    session.sign_in("AMA", "1111")
    reading_id = guarded.add(make_reading())
    guarded.get(reading_id)
    guarded.update_review(reading_id, note="refer", confirmed_label="COVID-19")
    guarded.update_patient(reading_id, patient_id="P-9", patient_name=None)
    with pytest.raises(PermissionDeniedError, match="Only a supervisor can delete"):
        guarded.delete(reading_id)
    with pytest.raises(PermissionDeniedError, match="Only a supervisor can export"):
        guarded.export_csv(tmp_path / "x.csv")
    with pytest.raises(PermissionDeniedError):
        guarded.search_audit()
    with pytest.raises(PermissionDeniedError):
        session.add_account("eve", SUPERVISOR, "2222")
    assert store.get(reading_id) is not None  # not deleted
    session.sign_out()
    session.sign_in("kofi", "9999")
    assert guarded.export_csv(tmp_path / "x.csv") == 1
    assert guarded.delete(reading_id) is True
    trail = guarded.search_audit(AuditQuery(descending=False))
    steps = [(e.actor.lower(), e.action) for e in trail]
    assert steps == [
        ("", "account"), ("kofi", "sign_in_failed"), ("kofi", "sign_in"), ("kofi", "account"),
        ("kofi", "sign_out"), ("ama", "sign_in"), ("ama", "save"), ("ama", "view"),
        ("ama", "review"), ("ama", "edit_patient"), ("ama", "denied"), ("ama", "denied"),
        ("ama", "denied"), ("ama", "denied"), ("ama", "sign_out"), ("kofi", "sign_in"),
        ("kofi", "export"), ("kofi", "delete"),
    ]
    assert all(e.workstation == "desk-1" for e in trail)
    delete = trail[-1]
    assert delete.reading_id == reading_id and delete.reading_uid is None  # make_reading: no key
    review = next(e for e in trail if e.action == "review")
    assert "COVID-19" in review.detail and "refer" not in review.detail  # no note text copied
