"""The server side as the set-up script makes it: roles.sql's least-privilege login (no UPDATE
or DELETE on the audit trail, no DDL), the schema created by ``history migrate`` as the owner,
and TLS with sslmode=verify-full against a certificate authority made by the script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from cxr_desktop import cli
from cxr_desktop.core.errors import DatabaseUnreachableError, StorageError
from cxr_desktop.core.storage.audit import AuditEvent
from cxr_desktop.core.storage.postgresql import PostgresHistory
from tests.core.storage.contract_site_profiles import make_profile
from tests.core.storage.helpers import make_reading
from tests.pg_server import ADMIN_PASSWORD, PgServer, own_server

ROLES_SQL = Path(__file__).resolve().parents[2] / "packaging" / "server" / "roles.sql"
SCRIPT = ROLES_SQL.with_name("setup_clinic_server.sh")


def apply_roles(server: PgServer, dbname: str) -> tuple[str, str]:
    env = {"PGPASSWORD": ADMIN_PASSWORD, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [str(server.bindir / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(server.port),
         "-U", "cxr_admin", "-d", "postgres", "-v", f"dbname={dbname}",
         "-v", "owner_password=owner-pw", "-v", "app_password=app-pw", "-f", str(ROLES_SQL)],
        capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return (server.url(dbname, "cxr_owner", "owner-pw"), server.url(dbname, "cxr_app", "app-pw"))


def test_the_set_up_script_is_valid_bash() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0


def test_the_pcs_role_cannot_change_the_audit_trail_or_the_schema(pg_server, app_home, capsys) -> None:
    owner_url, app_url = apply_roles(pg_server, "cxr_roles")
    apply_roles(pg_server, "cxr_roles")  # running the script again is harmless
    with pytest.raises(StorageError) as info:  # tables not made yet: the PC cannot make them
        PostgresHistory(app_url)
    assert "brought up to date by its administrator" in info.value.message
    assert cli.main(["history", "migrate", "--to", owner_url]) == 0  # no local history: schema
    assert "is ready (schema version" in capsys.readouterr().out
    with PostgresHistory(app_url) as pc:
        reading_id = pc.add(make_reading(uid="5d1c1d1e-0000-4000-8000-0000000000dd"))
        pc.update_review(reading_id, note="seen", expected_version=1)
        pc.append_audit(AuditEvent(actor="ama", action="review", reading_id=reading_id))
        assert pc.search_audit()[0].action == "review"
        assert pc.delete(reading_id) is True  # a supervisor's right, checked by the app
        profile = pc.add_site_profile(make_profile())  # issue 12: added and rolled back only
        assert pc.roll_back_site_profile(profile.id, by="kofi").rolled_back_by == "kofi"
    with psycopg.connect(app_url, autocommit=True) as conn:
        for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit",
                          "TRUNCATE audit", "DROP TABLE readings", "CREATE TABLE mine (x int)",
                          "ALTER TABLE readings ADD COLUMN x int",
                          "DELETE FROM site_profiles", "UPDATE site_profiles SET temperature = 2",
                          "TRUNCATE site_profiles"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM audit").fetchone()[0] == 1


@pytest.fixture(scope="module")
def tls_server():
    yield from own_server(ssl=True)


def test_verify_full_connects_to_the_clinic_certificate_only(tls_server, tmp_path: Path) -> None:
    from tests.clinic.certificates import make_certs

    url = tls_server.url("postgres", sslmode="verify-full", sslrootcert=str(tls_server.ca_file))
    by_name = url.replace("127.0.0.1", "localhost")
    with PostgresHistory(by_name) as store:
        assert store.count() == 0 and "sslmode=verify-full" in store.info().location
        assert store._read(lambda cur: (cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid ="
                                                    " pg_backend_pid()"), cur.fetchone())[1])[0]
    other_ca = make_certs(tmp_path / "other") / "ca.crt"  # a server pretending to be ours
    with pytest.raises(DatabaseUnreachableError) as info:
        PostgresHistory(by_name.replace(str(tls_server.ca_file), str(other_ca)))
    assert "certificate" in info.value.message
    with pytest.raises(DatabaseUnreachableError):  # the server refuses an unencrypted login
        PostgresHistory(tls_server.url("postgres", sslmode="disable"))
