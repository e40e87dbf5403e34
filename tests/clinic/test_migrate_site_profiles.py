"""``history migrate`` with site calibrations (issue 12 on issue 15): this PC's profiles reach the
server first, the same one is active there, and each copied reading names the server's id of the
profile that produced it; run again, nothing is doubled; a server with calibrations of its own
is refused before anything is copied."""

from __future__ import annotations

from pathlib import Path

import psycopg

from cxr_desktop import cli
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.core.storage.contract_site_profiles import make_profile
from tests.core.storage.helpers import make_reading


def local_history(path: Path) -> None:
    with SqliteHistory(path) as local:
        first = local.add_site_profile(make_profile(signed_by="Dr. Ama", temperature=1.2))
        second = local.add_site_profile(make_profile(signed_by="Dr. Kofi", temperature=0.9))
        local.roll_back_site_profile(second.id, by="Dr. Ama")
        local.add(make_reading(patient_id="PLAIN"))
        local.add(make_reading(patient_id="FIRST", site_profile_id=first.id,
                               model_probabilities={"COVID-19": 0.5, "Normal": 0.5}))
        local.add(make_reading(patient_id="SECOND", site_profile_id=second.id,
                               model_probabilities={"COVID-19": 0.2, "Normal": 0.8}))


def test_site_calibrations_move_with_the_readings(pg_url: str, app_home: Path, capsys) -> None:
    app_home.mkdir(parents=True)
    local_history(app_home / "history.sqlite3")
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the server's ids are not this PC's
        PostgresHistory(pg_url).close()
        conn.execute("SELECT setval(pg_get_serial_sequence('site_profiles', 'id'), 10)")
    assert cli.main(["history", "migrate", "--to", pg_url]) == 0
    out = capsys.readouterr().out
    assert "2 site calibrations copied." in out and "3 readings copied." in out
    assert "Verified: the server has all 3 readings identical" in out
    with PostgresHistory(pg_url) as server:
        profiles = server.site_profiles()
        assert [(p.id, p.signed_by, p.rolled_back_by) for p in profiles] == [
            (12, "Dr. Kofi", "Dr. Ama"), (11, "Dr. Ama", None)]
        assert server.active_site_profile() == profiles[1]  # the same one as on this PC
        readings = {r.patient_id: r for r in server.iter_readings(ReadingQuery())}
        assert readings["FIRST"].site_profile_id == 11 and readings["SECOND"].site_profile_id == 12
        assert readings["PLAIN"].site_profile_id is None
        assert readings["SECOND"].model_probabilities == {"COVID-19": 0.2, "Normal": 0.8}
    assert cli.main(["history", "migrate", "--to", pg_url]) == 0  # again: nothing doubled
    out = capsys.readouterr().out
    assert "0 readings copied." in out and "site calibration" not in out
    with PostgresHistory(pg_url) as server:
        assert len(server.site_profiles()) == 2 and server.count() == 3


def test_a_server_with_calibrations_of_its_own_is_refused(pg_url: str, app_home: Path,
                                                         capsys) -> None:
    app_home.mkdir(parents=True)
    local_history(app_home / "history.sqlite3")
    with PostgresHistory(pg_url) as server:
        theirs = server.add_site_profile(make_profile(signed_by="Someone else"))
    assert cli.main(["history", "migrate", "--to", pg_url]) == 2
    err = capsys.readouterr().err
    assert "already has site calibrations of its own" in err and "Nothing was copied" in err
    with PostgresHistory(pg_url) as server:
        assert server.site_profiles() == [theirs] and server.count() == 0


def test_a_history_without_calibrations_moves_to_a_server_that_has_some(
        pg_url: str, app_home: Path, capsys) -> None:
    app_home.mkdir(parents=True)
    with SqliteHistory(app_home / "history.sqlite3") as local:
        local.add(make_reading(patient_id="PLAIN"))
    with PostgresHistory(pg_url) as server:
        theirs = server.add_site_profile(make_profile(signed_by="Dr. Ama"))
    assert cli.main(["history", "migrate", "--to", pg_url]) == 0
    assert "1 reading copied." in capsys.readouterr().out
    with PostgresHistory(pg_url) as server:
        assert server.active_site_profile() == theirs and server.count() == 1
