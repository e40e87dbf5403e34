"""Staff accounts as every backend stores them (issue 15): a name, a role and a password hash.

The hash is made and checked in ``service.accounts`` (scrypt); storage only keeps the text.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Reads and reviews readings, corrects patient details.
HEALTH_WORKER = "health_worker"
#: Also deletes, exports, calibrates, sees the quality view and manages accounts.
SUPERVISOR = "supervisor"
ROLES = (HEALTH_WORKER, SUPERVISOR)


@dataclass(frozen=True)
class Account:
    name: str  # what the person types to sign in; unique, compared case-insensitively
    role: str  # one of ROLES
    password_hash: str  # "scrypt$n$r$p$salt$hash" (service.accounts)
    active: bool = True
    created_utc: str = ""
