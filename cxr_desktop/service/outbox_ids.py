"""Ids of queued readings (``service.sync``): a queued reading is shown with a negative id, so
nothing mistakes it for a reading on the server, and the id stays right after it is sent.

SQLite gives a new row the largest id + 1, so once the newest queued reading has been sent (and
removed), its id is given again to the next one. Each id handed out therefore carries the
*epoch* in which its row was added (the number of times the newest row was removed): ``-(epoch
* 10**9 + local id)``; a sent reading's old id leads to its id on the server.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from cxr_desktop.core.storage import HistoryStore, ReadingQuery
from cxr_desktop.private_files import write_private

log = logging.getLogger(__name__)

EPOCH = 10**9


class QueueIds:
    def __init__(self, outbox: HistoryStore, state_path: Path | None = None) -> None:
        self.outbox = outbox
        self.state_path = state_path
        self.epoch = 0
        self._added_epoch: dict[int, int] = {}  # local id -> epoch of its current row
        self._sent: dict[tuple[int, int], int] = {}  # (epoch, local id) -> id on the server

    def _max_local(self) -> int:
        newest = self.outbox.search(ReadingQuery(order_by="id", descending=True, limit=1))
        return int(newest[0].id or 0) if newest else 0

    def added(self, local: int) -> int:
        """Record a new queued row; returns the id to show for it."""
        self._added_epoch[local] = self.epoch
        return self.queued_id(local)

    def queued_id(self, local: int) -> int:
        return -(self._added_epoch.get(local, 0) * EPOCH + local)

    @staticmethod
    def _split(queued: int) -> tuple[int, int]:
        return divmod(-queued, EPOCH)

    def local_id(self, queued: int) -> int | None:
        """The outbox row of a queued id, or None when that row has gone since."""
        epoch, local = self._split(queued)
        return local if self._added_epoch.get(local, 0) == epoch else None

    def sent_as(self, queued: int) -> int | None:
        return self._sent.get(self._split(queued))

    def queued_local_ids(self) -> list[int]:
        return [int(r.id or 0) for r in
                self.outbox.iter_readings(ReadingQuery(order_by="id", descending=False))]

    def mark_sent(self, local: int, server_id: int) -> None:
        self._sent[(self._added_epoch.get(local, 0), local)] = server_id
        self.delete_local(local)

    def delete_local(self, local: int) -> bool:
        newest = self._max_local()
        deleted = self.outbox.delete(local)
        if deleted and local >= newest:
            self.epoch += 1  # the next row may get this id again
        return deleted

    # -- how far the audit events kept here have been sent ----------------------------------

    def audit_mark(self) -> int:
        if self.state_path is None or not self.state_path.is_file():
            return 0
        try:
            return int(json.loads(self.state_path.read_text(encoding="utf-8"))["audit_sent"])
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("outbox state unreadable: queued audit events will be sent again")
            return 0

    def set_audit_mark(self, last_sent: int) -> None:
        if self.state_path is not None:
            write_private(self.state_path, json.dumps({"audit_sent": int(last_sent)}))
