"""A throwaway PostgreSQL server for tests and the bench: Debian's ``postgresql`` binaries,
``initdb`` + ``pg_ctl`` in a temporary folder, listening on 127.0.0.1 (a free port) and a Unix
socket in that folder only, password (scram-sha-256) authentication, stopped and removed
afterwards.

initdb refuses to run as root, so as root (CI) the server runs as the ``postgres`` system user
that the Debian package creates (``runuser``). ``find_binaries()`` returns None when the
binaries are missing; tests then skip with that reason (CI installs them: scripts/setup.sh).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ADMIN = "cxr_admin"
ADMIN_PASSWORD = "admin-secret-for-tests"
MISSING = ("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql "
           "package (scripts/setup.sh dev does)")


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: Debian's /usr/lib/postgresql/<N>/bin (newest)."""
    found = shutil.which("pg_ctl")
    if found and Path(found).with_name("initdb").exists():
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One cluster. ``start()``/``stop()`` may be called again (the outage tests)."""

    def __init__(self, bindir: Path, *, fsync: bool = False, ssl: bool = False) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="cxr-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.fsync = fsync
        self.ssl = ssl
        self._user = self._run_as()
        self._databases = 0
        if self._user is not None:
            pw = pwd.getpwnam(self._user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        pwfile = self.root / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        self._chown(pwfile)
        self._cmd("initdb", "-D", str(self.data), "-U", ADMIN, "--pwfile", str(pwfile),
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
                  "--no-sync")
        pwfile.unlink()
        if ssl:
            self.ca_file = self._make_certificates()

    # -- running as a non-root user when we are root -----------------------------------------

    @staticmethod
    def _run_as() -> str | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise RuntimeError("running as root and no postgres/nobody user to run PostgreSQL as")

    def _chown(self, path: Path) -> None:
        if self._user is not None:
            pw = pwd.getpwnam(self._user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _cmd(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bindir / tool), *args]
        if self._user is not None:
            argv = ["runuser", "-u", self._user, "--", *argv]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if check and out.returncode != 0:
            raise RuntimeError(f"{tool} failed ({out.returncode}): {out.stdout}{out.stderr}"
                               f"{self.log.read_text() if self.log.exists() else ''}")
        return out

    def _make_certificates(self) -> Path:
        """A self-signed CA and a server certificate for 127.0.0.1/localhost signed by it."""
        from tests.clinic.certificates import write_ca_and_server

        ca = self.root / "ca.crt"
        write_ca_and_server(ca, self.data / "server.crt", self.data / "server.key")
        for name in ("server.crt", "server.key"):
            self._chown(self.data / name)
        os.chmod(self.data / "server.key", 0o600)
        with open(self.data / "pg_hba.conf", "w") as hba:  # TLS only over TCP for the tests
            hba.write("local all all scram-sha-256\n"
                      "hostssl all all 127.0.0.1/32 scram-sha-256\n"
                      "hostnossl all all 127.0.0.1/32 reject\n")
        os.chmod(ca, 0o644)
        return ca

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        options = [f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}",
                   f"-c fsync={'on' if self.fsync else 'off'}", "-c max_connections=200"]
        if not self.fsync:
            options.append("-c synchronous_commit=off -c full_page_writes=off")
        if self.ssl:
            options.append("-c ssl=on")
        self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", " ".join(options), "start")

    def stop(self) -> None:
        self._cmd("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def running(self) -> bool:
        return self._cmd("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- addresses ----------------------------------------------------------------------------

    def url(self, database: str = "postgres", user: str = ADMIN,
            password: str | None = ADMIN_PASSWORD, **params: str) -> str:
        auth = quote(user) + (f":{quote(password)}" if password is not None else "")
        query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def admin(self, database: str = "postgres", **params: str):
        import psycopg

        if self.ssl:
            params.setdefault("sslmode", "verify-full")
            params.setdefault("sslrootcert", str(self.ca_file))
            params.setdefault("host", "localhost")
        url = self.url(database, **{k: v for k, v in params.items() if k != "host"})
        if "host" in params:
            url = url.replace("127.0.0.1", params["host"])
        return psycopg.connect(url, autocommit=True, connect_timeout=10)

    def new_database(self, prefix: str = "t") -> str:
        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" STRATEGY = FILE_COPY')
        return name

    def new_history_url(self, user: str = ADMIN, password: str | None = ADMIN_PASSWORD) -> str:
        """A new empty schema in the shared test database, as a URL whose search_path points
        there: each test gets a history of its own in milliseconds (CREATE DATABASE takes
        about a second). The app sees an ordinary database."""
        if not getattr(self, "_shared_db", None):
            self._shared_db = self.new_database("histories")
            self.sql("CREATE EXTENSION IF NOT EXISTS pg_trgm", self._shared_db)
        self._databases += 1
        name = f"h{self._databases}"
        self.sql(f'CREATE SCHEMA "{name}"', self._shared_db)
        self.sql(f'GRANT ALL ON SCHEMA "{name}" TO PUBLIC', self._shared_db)
        return self.url(self._shared_db, user, password, options=f"-csearch_path={name},public")

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        with self.admin(database) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []


@contextlib.contextmanager
def running_server(**kwargs):
    bindir = find_binaries()
    if bindir is None:
        raise RuntimeError(MISSING)
    server = PgServer(bindir, **kwargs)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


def own_server(**kwargs):
    """The body of a pytest fixture: a started server of its own, destroyed afterwards; the
    test is skipped (with the reason) only when the binaries are missing."""
    import pytest

    bindir = find_binaries()
    if bindir is None:
        pytest.skip(MISSING)
    server = PgServer(bindir, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.destroy()


def wait_until(predicate, timeout_s: float = 30.0, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())
