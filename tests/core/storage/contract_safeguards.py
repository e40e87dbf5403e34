"""Contract (issue 14): notices, the full check, backups and restore, for every backend.

Imported by each backend's contract module; nothing here names a database engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.storage import BackupInfo, HistoryStore
from tests.core.storage.helpers import make_reading


def test_a_sound_history_has_no_notices_and_passes_the_full_check(store: HistoryStore) -> None:
    store.add(make_reading())
    assert store.notices() == []
    assert store.verify() == []


def test_backup_then_restore_brings_the_readings_back(store: HistoryStore, tmp_path: Path) -> None:
    kept = [store.add(make_reading(patient_id=f"B{i}")) for i in range(3)]
    made = store.backup(tmp_path / "copies")
    assert isinstance(made, BackupInfo) and made.readings == 3
    assert store.backups(tmp_path / "copies")[0] == made
    store.delete(kept[0])
    store.update_review(kept[1], note="changed after the backup")
    store.restore(made)
    assert sorted(r.id for r in store.iter_readings()) == kept
    assert store.get(kept[1]).note == ""
    assert store.count() == 3


def test_restore_keeps_the_replaced_history_as_a_backup(store: HistoryStore) -> None:
    store.add(make_reading())
    made = store.backup()
    store.add(make_reading())
    aside = store.restore(made)
    assert aside.readings == 2 and aside in store.backups()
    store.restore(aside)
    assert store.count() == 2


def test_restoring_something_that_is_not_a_backup_fails_clearly(store: HistoryStore,
                                                                  tmp_path: Path) -> None:
    store.add(make_reading())
    fake = tmp_path / "not-a-backup.sqlite3"
    fake.write_bytes(b"no history in here\n" * 100)
    with pytest.raises(StorageError) as info:
        store.restore(fake)
    assert info.value.message.startswith("The reading history was not restored")
    assert store.count() == 1
