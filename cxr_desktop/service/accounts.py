"""Staff accounts and roles (issue 15, optional, off by default): who is signed in, what they
may do, and the audit trail of what they did.

Accounts are on as soon as the history holds an active supervisor account (``cxr-desktop
accounts add NAME --role supervisor``, or Settings > Staff accounts); with none, everything
works as before and nothing is audited. PINs and passwords are stored as scrypt hashes
(``hashlib.scrypt``, standard library; n=2**14, r=8, p=1, 16-byte salt), compared in constant
time. A health worker reads, saves and reviews; a supervisor also deletes, exports, calibrates,
sees the quality view, manages accounts and reads the audit trail. The rules are enforced here,
in the service layer (``service.guard.GuardedHistory``), for the window and the CLI alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import socket
import threading

from cxr_desktop.core.errors import PermissionDeniedError
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, ROLES, SUPERVISOR, Account
from cxr_desktop.core.storage.audit import AuditEvent
from cxr_desktop.i18n import N_, _

log = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_SECRET_LENGTH = 4

READ, SAVE, REVIEW = "read", "save", "review"
DELETE, EXPORT, CALIBRATE, QUALITY = "delete", "export", "calibrate", "quality"
MANAGE_ACCOUNTS, AUDIT = "manage_accounts", "audit"
PERMISSIONS = {
    HEALTH_WORKER: frozenset({READ, SAVE, REVIEW}),
    SUPERVISOR: frozenset({READ, SAVE, REVIEW, DELETE, EXPORT, CALIBRATE, QUALITY,
                           MANAGE_ACCOUNTS, AUDIT}),
}
#: What a refused action is called in the message (whole sentences, translated when shown).
REFUSED = {
    DELETE: N_("Only a supervisor can delete readings."),
    EXPORT: N_("Only a supervisor can export the history."),
    CALIBRATE: N_("Only a supervisor can calibrate."),
    QUALITY: N_("Only a supervisor can see the quality view."),
    MANAGE_ACCOUNTS: N_("Only a supervisor can manage staff accounts."),
    AUDIT: N_("Only a supervisor can see the audit trail."),
}
NOT_SIGNED_IN = N_("Please sign in first.")
WRONG_SECRET = N_("The name or PIN is not right.")


def hash_secret(secret: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, dklen=32)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(secret.encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_new_secret(secret: str) -> None:
    if len(secret) < MIN_SECRET_LENGTH:
        raise PermissionDeniedError(_("A PIN or password needs at least {count} characters.")
                                    .format(count=MIN_SECRET_LENGTH))


class StaffSession:
    """Who works at this PC now. Thread-safe; every method may touch the history (call it off
    the GUI thread)."""

    def __init__(self, store: HistoryStore, workstation: str | None = None) -> None:
        self.store = store
        self._workstation = workstation
        self._lock = threading.RLock()
        self._enabled: bool | None = None
        self.current: Account | None = None

    # -- state ----------------------------------------------------------------------------

    @property
    def workstation(self) -> str:
        if self._workstation is None:
            self._workstation = socket.gethostname()  # only once accounts are on
        return self._workstation

    def accounts_enabled(self, refresh: bool = False) -> bool:
        with self._lock:
            if self._enabled is None or refresh:
                accounts = self.store.list_accounts()
                self._enabled = any(a.active and a.role == SUPERVISOR for a in accounts)
            return self._enabled

    @property
    def actor(self) -> str:
        return self.current.name if self.current is not None else ""

    def allowed(self, permission: str) -> bool:
        if not self.accounts_enabled():
            return True
        return self.current is not None and permission in PERMISSIONS.get(self.current.role, ())

    def require(self, permission: str, reading_id: int | None = None) -> None:
        if self.allowed(permission):
            return
        if self.current is None:
            raise PermissionDeniedError(_(NOT_SIGNED_IN))
        self.record("denied", reading_id=reading_id, detail=permission)
        raise PermissionDeniedError(_(REFUSED.get(permission, NOT_SIGNED_IN)))

    def record(self, action: str, reading_id: int | None = None, reading_uid: str | None = None,
               detail: str = "") -> None:
        """One audit event, when accounts are on."""
        if not self.accounts_enabled():
            return
        self.store.append_audit(AuditEvent(actor=self.actor, action=action, reading_id=reading_id,
                                           reading_uid=reading_uid, detail=detail,
                                           workstation=self.workstation))

    # -- signing in and out -----------------------------------------------------------------

    def sign_in(self, name: str, secret: str) -> Account:
        account = self.store.get_account(name.strip())
        if account is None or not account.active or not verify_secret(secret, account.password_hash):
            self.accounts_enabled(refresh=True)
            self.store.append_audit(AuditEvent(actor=name.strip()[:80], action="sign_in_failed",
                                               workstation=self.workstation))
            log.info("sign-in refused")
            raise PermissionDeniedError(_(WRONG_SECRET))
        with self._lock:
            self.current = account
        self.accounts_enabled(refresh=True)
        self.record("sign_in")
        log.info("signed in (%s)", account.role)
        return account

    def sign_out(self, action: str = "sign_out") -> None:
        with self._lock:
            if self.current is None:
                return
            self.record(action)
            self.current = None

    # -- accounts ---------------------------------------------------------------------------

    def add_account(self, name: str, role: str, secret: str) -> Account:
        """Create or replace an account. The first one must be a supervisor (it turns accounts
        on); after that only a supervisor may."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        name = name.strip()
        if not name:
            raise PermissionDeniedError(_("An account needs a name."))
        check_new_secret(secret)
        if self.accounts_enabled(refresh=True):
            self.require(MANAGE_ACCOUNTS)
        elif role != SUPERVISOR:
            raise PermissionDeniedError(_("The first account must be a supervisor's."))
        account = Account(name=name, role=role, password_hash=hash_secret(secret))
        self.store.save_account(account)
        self.accounts_enabled(refresh=True)
        self.record("account", detail=f"{name}: {role}")
        return account
