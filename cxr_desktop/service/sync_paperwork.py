"""Issue 11's store methods through ``QueueingHistory`` (on issue 15's clinic server): an image
read before and the worklist, with the readings kept on this PC.

What they cover:

* **Online**: the server's answer (every PC's readings) together with the readings still queued
  on this PC (made during an outage, not sent yet), each once (known by its ``uid``), in the
  store's own order. The queue is read first and the server second, so a reading sent in
  between is found on the server (listed once), never missed.
* **Offline**: only the readings queued on this PC, like ``search`` and ``count``: the server's
  readings cannot be opened meanwhile, so listing them from an older answer would offer work
  that cannot be done. ``covers_server()`` says which of the two the last answer was (the window
  says so). An image read on another PC is therefore not recognised while this PC is offline.

``count_to_review`` adds the server's count and the queue's; a reading sent at that very moment
can be counted twice, until the next refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cxr_desktop.core.errors import DatabaseUnreachableError
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.types import Reading


def review_order(reading: Reading) -> tuple[int, str, int]:
    """``HistoryStore.to_review``'s order: referred, then not a chest X-ray, then the rest;
    oldest first in each."""
    group = 1 if reading.out_of_distribution else 0 if reading.uncertain else 2
    return group, reading.created_utc, int(reading.id or 0)


def newest_first(reading: Reading) -> tuple[str, int]:
    return reading.created_utc, int(reading.id or 0)


class ClinicPaperwork:
    """The issue 11 methods of ``QueueingHistory`` (its ``_server``, ``outbox`` and ``_shown``)."""

    outbox: HistoryStore
    _server: Callable[..., Any]
    _shown: Callable[[Reading | None, bool], Reading | None]
    _covered_server = True

    def covers_server(self) -> bool:
        """Whether the last find_same_image / to_review / count_to_review answer included the
        server's readings (False: it was offline, only this PC's queue was looked at)."""
        return self._covered_server

    def _with_queue(self, on_server: Callable[[HistoryStore], Any],
                    in_queue: Callable[[HistoryStore], Any]) -> tuple[Any, Any | None]:
        """(the queue's answer, the server's or None when it cannot be reached)."""
        queued = in_queue(self.outbox)  # first: a reading sent meanwhile is then on the server
        try:
            answer = self._server(on_server)
        except DatabaseUnreachableError:
            self._covered_server = False
            return queued, None
        self._covered_server = True
        return queued, answer

    def _merged(self, queued: list[Reading], found: list[Reading] | None,
                key: Callable[[Reading], Any], reverse: bool) -> list[Reading]:
        shown = [r for r in (self._shown(q, True) for q in queued) if r is not None]
        if found is None:
            return shown
        on_server = {r.uid for r in found if r.uid}
        extra = [r for r in shown if r.uid not in on_server]
        return sorted(found + extra, key=key, reverse=reverse) if extra else found

    def find_same_image(self, *, file_sha256: str | None = None,
                        sop_instance_uid: str | None = None) -> list[Reading]:
        queued, found = self._with_queue(
            lambda s: s.find_same_image(file_sha256=file_sha256, sop_instance_uid=sop_instance_uid),
            lambda q: q.find_same_image(file_sha256=file_sha256, sop_instance_uid=sop_instance_uid))
        return self._merged(queued, found, newest_first, reverse=True)

    def to_review(self, limit: int = 100, offset: int = 0) -> list[Reading]:
        limit, offset = max(0, int(limit)), max(0, int(offset))
        if self.outbox.count_to_review() == 0:  # nothing queued to add: the server's page
            queued, found = self._with_queue(lambda s: s.to_review(limit, offset), lambda q: [])
            return found if found is not None else []
        queued, found = self._with_queue(lambda s: s.to_review(offset + limit, 0),
                                         lambda q: q.to_review(offset + limit, 0))
        return self._merged(queued, found, review_order, reverse=False)[offset:offset + limit]

    def count_to_review(self) -> int:
        queued, found = self._with_queue(lambda s: s.count_to_review(),
                                         lambda q: q.count_to_review())
        return int(queued) + int(found or 0)
