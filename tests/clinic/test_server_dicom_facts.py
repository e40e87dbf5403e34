"""Issue 11's DICOM facts on the clinic server as the set-up script makes it: the PCs' login may
read and add them and nothing more (they are never changed; they go with their reading), and
``history migrate --to`` copies them with each reading, verified by its checksum."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg
import pytest

from cxr_desktop import cli
from cxr_desktop.core.storage.copy import checksum, reading_key
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.clinic.test_server_setup import apply_roles
from tests.core.storage.contract_paperwork import FACTS
from tests.core.storage.helpers import make_reading

PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def test_the_pcs_role_may_read_and_add_facts_and_nothing_more(pg_server, app_home, capsys) -> None:
    owner_url, app_url = apply_roles(pg_server, "cxr_roles_dicom")
    assert cli.main(["history", "migrate", "--to", owner_url]) == 0  # the schema, as the owner
    capsys.readouterr()
    with psycopg.connect(app_url, autocommit=True) as conn:
        granted = [p for p in PRIVILEGES if conn.execute(
            "SELECT has_table_privilege(current_user, 'reading_dicom', %s)", (p,)).fetchone()[0]]
    assert granted == ["SELECT", "INSERT"]
    with PostgresHistory(app_url) as pc:
        kept = pc.add(make_reading(dicom=FACTS))
        gone = pc.add(make_reading(dicom=FACTS, file_sha256="ee" * 32))
        assert pc.get(kept).dicom == FACTS
        assert [r.id for r in pc.find_same_image(sop_instance_uid=FACTS.sop_instance_uid)] == [gone, kept]
        assert [r.id for r in pc.to_review()] == [kept, gone] and pc.count_to_review() == 2
        assert pc.delete(gone)  # its facts go with it (the foreign key's cascade)
        assert [r.id for r in pc.find_same_image(sop_instance_uid=FACTS.sop_instance_uid)] == [kept]
    with psycopg.connect(app_url, autocommit=True) as conn:
        for statement in ("UPDATE reading_dicom SET institution = 'elsewhere'",
                          "DELETE FROM reading_dicom", "TRUNCATE reading_dicom",
                          "DROP INDEX reading_dicom_sop_instance_uid"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM reading_dicom").fetchone()[0] == 1


def test_history_migrate_copies_the_facts_and_checks_them(pg_url: str, app_home: Path,
                                                          capsys) -> None:
    app_home.mkdir(parents=True)
    local = app_home / "history.sqlite3"
    with SqliteHistory(local) as history:
        with_facts = history.add(make_reading(dicom=FACTS))
        history.add(make_reading(file_sha256="ee" * 32))  # a PNG: no facts
    assert cli.main(["history", "migrate", "--to", pg_url]) == 0
    assert "Verified: the server has all 2 readings identical" in capsys.readouterr().out
    with SqliteHistory(local) as source, PostgresHistory(pg_url) as target:
        original = source.get(with_facts)
        copied = target.get(target.find_uid(reading_key(original)))  # no key: derived
        original = dataclasses.replace(original, uid=copied.uid)
        assert copied.dicom == FACTS and checksum(copied) == checksum(original)
        assert checksum(dataclasses.replace(copied, dicom=None)) != checksum(original)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # changed on the server since
        conn.execute("UPDATE reading_dicom SET view_position = 'AP'")
    assert cli.main(["history", "migrate", "--to", pg_url]) == 2
    assert "1 reading on the server differs" in capsys.readouterr().err
