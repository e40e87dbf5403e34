"""Where the clinic server is: a ``postgresql://`` URL (or libpq key=value text), checked, and
shown to people and logs without its password."""

from __future__ import annotations

from dataclasses import dataclass

from cxr_desktop.core.errors import StorageError
from cxr_desktop.i18n import _

SCHEMES = ("postgresql://", "postgres://")
#: Shown in "location" (never the password).
SHOWN_KEYS = ("host", "port", "dbname", "user", "sslmode")


def is_database_url(text: object) -> bool:
    return isinstance(text, str) and text.strip().lower().startswith(SCHEMES)


@dataclass(frozen=True)
class ServerAddress:
    """A parsed address. ``params`` are libpq parameters; ``password`` kept apart."""

    params: tuple[tuple[str, str], ...]
    password: str | None = None

    @property
    def values(self) -> dict[str, str]:
        return dict(self.params)

    def location(self) -> str:
        """``postgresql://user@host:port/db?sslmode=...``: for people and logs, no password."""
        v = self.values
        host = v.get("host", "localhost")
        port = v.get("port", "5432")
        user = v.get("user", "")
        where = f"postgresql://{user + '@' if user else ''}{host}:{port}/{v.get('dbname', '')}"
        extra = [f"{k}={v[k]}" for k in ("sslmode",) if k in v]
        return where + (f"?{'&'.join(extra)}" if extra else "")

    def conninfo(self, password: str | None = None) -> str:
        from psycopg.conninfo import make_conninfo

        params = self.values
        secret = password if password is not None else self.password
        if secret is not None:
            params["password"] = secret
        return make_conninfo(**params)

    def with_password(self, password: str | None) -> ServerAddress:
        return ServerAddress(self.params, password)


def parse_address(url: str) -> ServerAddress:
    """Raises StorageError (for people) when ``url`` is not a PostgreSQL address."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        values = conninfo_to_dict(url.strip())
    except (ProgrammingError, ValueError, TypeError) as exc:
        raise StorageError(
            _("The clinic database address is not valid. It looks like "
              "postgresql://user@server:5432/cxr."), detail=type(exc).__name__) from None
    if not values.get("dbname"):
        raise StorageError(_("The clinic database address does not name a database. It looks "
                             "like postgresql://user@server:5432/cxr."))
    password = values.pop("password", None)
    params = tuple(sorted((str(k), str(v)) for k, v in values.items() if v is not None))
    return ServerAddress(params, None if password is None else str(password))
