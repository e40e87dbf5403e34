"""The command line on a clinic server: CXR_DESKTOP_DATABASE chooses it; ``history migrate
--to`` copies a local history (counts and checksums verified, resumable, the local file left as
it was); offline, ``predict --save`` keeps readings on a PC that has reached the server before
and says so."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from cxr_desktop import cli
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.copy import checksum, reading_key
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory

V2_FILE = Path(__file__).resolve().parent.parent / "core" / "storage" / "data" / "history_v2.sqlite3"


def _readings(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM readings ORDER BY id").fetchall() + conn.execute(
            "SELECT * FROM reading_images ORDER BY reading_id").fetchall()
    finally:
        conn.close()


def test_history_migrate_copies_verifies_and_resumes(pg_url: str, app_home: Path, capsys,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app_home.mkdir(parents=True)
    local = app_home / "history.sqlite3"
    shutil.copyfile(V2_FILE, local)  # a history made by the previous version
    with SqliteHistory(local) as h:  # what the app does at its next start: schema upgrade
        for i in range(3):
            h.add(h.get(1).__class__(**{**h.get(1).__dict__, "id": None, "uid": None,
                                        "patient_id": f"EXTRA-{i}"}))
    before = _readings(local)
    digest = hashlib.sha256(local.read_bytes()).hexdigest()
    # an interrupted first run: only the first reading made it
    with SqliteHistory(local) as source, PostgresHistory(pg_url) as target:
        first = source.get(1)
        target.add(first)
    assert cli.main(["history", "migrate", "--to", pg_url]) == 0
    out = capsys.readouterr().out
    assert "4 readings copied." in out and "1 reading was already on the server" in out
    assert "Verified: the server has all 5 readings identical" in out
    assert "admin-secret" not in out  # the password in the URL is never printed
    assert _readings(local) == before and hashlib.sha256(local.read_bytes()).hexdigest() == digest
    with SqliteHistory(local) as source, PostgresHistory(pg_url) as target:
        assert target.count() == 5
        for reading in source.iter_readings():
            copied = target.get(target.find_uid(reading_key(reading)))  # no key: derived
            original = source.get(reading.id)
            assert checksum(copied) == checksum(original.__class__(**{**original.__dict__,
                                                                       "uid": copied.uid}))
        assert [r.patient_id for r in target.search(ReadingQuery(text="extra-1"))] == ["EXTRA-1"]
    assert cli.main(["history", "migrate", "--to", pg_url]) == 0  # again: nothing doubled
    assert "0 readings copied." in capsys.readouterr().out
    with PostgresHistory(pg_url) as target:
        assert target.count() == 5


def test_the_cli_uses_the_server_named_by_the_environment(pg_url: str, app_home: Path, capsys,
                                                          monkeypatch, tiny_model_dir: Path,
                                                          samples_dir: Path) -> None:
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", pg_url)
    image = sorted((samples_dir / "Normal").iterdir())[0]
    assert cli.main(["predict", str(image), "--save", "--model-dir", str(tiny_model_dir)]) == 0
    assert "[saved as #1]" in capsys.readouterr().out
    assert cli.main(["history", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("#1 ") and captured.err == ""
    assert not (app_home / "history.sqlite3").exists()  # nothing local but the queue
    with PostgresHistory(pg_url) as server:
        (reading,) = server.search()
        assert reading.uid and server.get(reading.id).preview_png


def test_offline_the_cli_keeps_readings_and_says_so(server_up, app_home: Path, capsys,
                                                    monkeypatch, tiny_model_dir: Path,
                                                    samples_dir: Path) -> None:
    url = server_up.new_history_url()
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    image = sorted((samples_dir / "Normal").iterdir())[0]
    # this PC worked online before (so it knows which site calibration the clinic uses: none)
    assert cli.main(["predict", str(image), "--save", "--model-dir", str(tiny_model_dir)]) == 0
    assert "[saved as #1]" in capsys.readouterr().out
    server_up.stop()  # the network goes down
    assert cli.main(["predict", str(image), "--save", "--model-dir", str(tiny_model_dir)]) == 0
    captured = capsys.readouterr()
    assert "[kept on this PC until the clinic database is back]" in captured.out
    assert "note: Working offline" in captured.err and "1 new reading is kept" in captured.err
    assert "admin-secret" not in captured.err
    assert cli.main(["history", "list"]) == 0
    captured = capsys.readouterr()
    assert "Working offline" in captured.err and captured.out.startswith("#-")
    with SqliteHistory(app_home / "outbox.sqlite3") as outbox:
        assert outbox.count() == 1


def test_history_migrate_reports_a_copy_changed_on_the_server(pg_url: str, app_home: Path,
                                                              capsys) -> None:
    app_home.mkdir(parents=True)
    shutil.copyfile(V2_FILE, app_home / "history.sqlite3")
    assert cli.main(["history", "migrate", "--to", pg_url]) == 0
    with PostgresHistory(pg_url) as server:
        server.update_review(1, note="reviewed on the server since")
    capsys.readouterr()
    assert cli.main(["history", "migrate", "--to", pg_url]) == 2
    err = capsys.readouterr().err
    assert "1 reading on the server differs" in err and "nothing was removed here" in err
