"""Reviews on a shared history (issue 15): the error for a review made on an older copy."""

from __future__ import annotations

from cxr_desktop.core.errors import StaleReviewError, StorageError
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_, _

GONE = N_("This reading is no longer in the history.")
STALE = N_("Someone else reviewed this reading while you were looking at it. Your review was "
           "not saved; the reading now shows their review. Look at it, then review again if "
           "you still want to change it.")


def stale_review(current: Reading | None, reading_id: int) -> StorageError:
    """StaleReviewError with the reading as stored now (or 'gone' if it was deleted too)."""
    if current is None:
        return StorageError(_(GONE), detail=f"reading {reading_id}")
    return StaleReviewError(_(STALE), current=current,
                            detail=f"reading {reading_id}: stored version {current.version}")
