"""Working through outages (issue 15): ``QueueingHistory`` is the clinic server's history with
a local queue (an outbox: a SQLite history on this PC) in front of it.

* A new reading goes to the server. When the server cannot be reached it is kept in the outbox
  (durably, on this PC) and ``add`` returns a negative id: "queued, not on the server yet".
* A background thread (``start_sender``) sends the queue every few seconds, oldest first. Each
  reading carries its key (``uid``, made once on this PC): the server stores a key once, so a
  reading sent again after a crash or a lost answer is not doubled; it is removed from the queue
  only after the server has it. Exactly once, whatever fails when.
* While the server is unreachable, searches show the queued readings and reads of server
  readings fail at once (no 5-second wait per call) until the next try succeeds.
* Accounts signed in while online are kept in the outbox, so staff can sign in offline; audit
  events made offline are kept there too and sent with the readings.
* Issue 12: the site calibration in use is the server's, as last known on this PC while it is
  down; signing one off or rolling it back needs the server (``sync_site_profiles``).
* Issue 11: a reading's DICOM facts are kept and sent with it; the worklist and the search for
  an image read before cover the server and this PC's queue, offline the queue only
  (``sync_paperwork``).

``status()`` is in memory (no database call): the window and the CLI say they work offline.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cxr_desktop.core.errors import DatabaseUnreachableError, StorageError
from cxr_desktop.core.storage import HistoryStore, ReadingQuery, StoreInfo
from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery
from cxr_desktop.core.storage.query import UNSET, Unset
from cxr_desktop.core.storage.safeguards import BackupInfo
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _
from cxr_desktop.service.outbox_ids import QueueIds
from cxr_desktop.service.site_profile_cache import SiteProfileCache
from cxr_desktop.service.sync_paperwork import ClinicPaperwork
from cxr_desktop.service.sync_site_profiles import ClinicSiteProfiles

log = logging.getLogger(__name__)

T = TypeVar("T")

#: After a failed attempt, the server is left alone for this long (the sender tries again).
RETRY_S = 10.0


@dataclass(frozen=True)
class SyncStatus:
    online: bool  # the last attempt reached the server
    waiting: int  # readings kept on this PC, not yet on the server
    last_error: str | None = None  # the reason, for people


class QueueingHistory(ClinicSiteProfiles, ClinicPaperwork):
    """A ``HistoryStore``: the server, with ``outbox`` taking new readings while it is down.
    ``site_profile_path``: where the site calibration last known is kept (None: in memory)."""

    def __init__(self, server: HistoryStore, outbox: HistoryStore,
                 clock: Callable[[], float] = time.monotonic,
                 state_path: Path | None = None, site_profile_path: Path | None = None) -> None:
        self.server = server
        self.outbox = outbox
        self._clock = clock
        self._lock = threading.RLock()  # the queue: sending vs local changes to queued readings
        self._offline_until = 0.0
        self._online = True
        self._last_error: str | None = None
        self.ids = QueueIds(outbox, state_path)
        self._waiting = outbox.count()
        self._audit_sent = self.ids.audit_mark()
        self._stop = threading.Event()
        self._sender: threading.Thread | None = None
        self.on_change: Callable[[SyncStatus], None] | None = None
        self.site_cache = SiteProfileCache(site_profile_path, getattr(server, "location", ""))

    # -- state ----------------------------------------------------------------------------

    def status(self) -> SyncStatus:
        return SyncStatus(self._online, self._waiting, self._last_error)

    @property
    def read_only(self) -> bool:
        return False

    def info(self) -> StoreInfo:
        try:
            return self._server(lambda s: s.info())
        except DatabaseUnreachableError:
            local = self.outbox.info()
            return StoreInfo("postgresql", getattr(self.server, "location", "?"),
                             local.schema_version, False)

    def _set(self, online: bool, error: StorageError | None = None) -> None:
        changed = online != self._online or (error is not None and error.message != self._last_error)
        self._online = online
        self._last_error = None if online else (error.message if error else self._last_error)
        if not online:
            self._offline_until = self._clock() + RETRY_S
        if changed:
            log.info("clinic database %s", "reachable" if online else "unreachable")
            self._notify()

    def _notify(self) -> None:
        callback = self.on_change
        if callback is not None:
            try:
                callback(self.status())
            except Exception:  # noqa: BLE001 - a listener must not break a save
                log.exception("sync status listener failed")

    def _server(self, work: Callable[[HistoryStore], T]) -> T:
        """``work(server)``, or DatabaseUnreachableError at once while it is known down."""
        if not self._online and self._clock() < self._offline_until:
            raise DatabaseUnreachableError(self._last_error or _("The clinic database server "
                                                                  "cannot be reached."))
        try:
            result = work(self.server)
        except DatabaseUnreachableError as exc:
            self._set(False, exc)
            raise
        if not self._online:
            self._set(True)
        return result

    # -- readings ---------------------------------------------------------------------------

    def add(self, reading: Reading) -> int:
        if reading.uid is None:  # a key, made once, before the first attempt
            reading = dataclasses.replace(reading, uid=str(uuid.uuid4()))
        try:
            return self._server(lambda s: s.add(reading))
        except DatabaseUnreachableError:
            pass
        with self._lock:
            queued = self.ids.added(self.outbox.add(reading))
            self._waiting = self.outbox.count()
        log.info("clinic database unreachable: reading kept on this PC (queue %d)", self._waiting)
        self._notify()
        return queued

    def _route(self, reading_id: int) -> tuple[HistoryStore, int, bool]:
        """(store, id there, queued?) for an id this history handed out."""
        if reading_id >= 0:
            return self.server, reading_id, False
        sent = self.ids.sent_as(reading_id)
        if sent is not None:
            return self.server, sent, False
        local = self.ids.local_id(reading_id)
        if local is None:
            return self.outbox, 0, True  # an id from an earlier queue: gone
        return self.outbox, local, True

    def _on(self, reading_id: int, work: Callable[[HistoryStore, int], T]) -> T:
        with self._lock:
            store, target, queued = self._route(reading_id)
            if queued:
                return work(store, target)
        return self._server(lambda s: work(s, target))

    def _shown(self, reading: Reading | None, queued: bool) -> Reading | None:
        if reading is None or not queued:
            return reading
        return dataclasses.replace(reading, id=self.ids.queued_id(int(reading.id or 0)))

    def get(self, reading_id: int) -> Reading | None:
        queued = reading_id < 0 and self.ids.sent_as(reading_id) is None
        return self._shown(self._on(reading_id, lambda s, i: s.get(i)), queued)

    def search(self, query: ReadingQuery | None = None) -> list[Reading]:
        try:
            return self._server(lambda s: s.search(query))
        except DatabaseUnreachableError:
            return [self._shown(r, True) for r in self.outbox.search(query)]  # type: ignore[misc]

    def count(self, query: ReadingQuery | None = None) -> int:
        try:
            return self._server(lambda s: s.count(query))
        except DatabaseUnreachableError:
            return self.outbox.count(query)

    def iter_readings(self, query: ReadingQuery | None = None) -> Iterator[Reading]:
        return self._server(lambda s: s.iter_readings(query))

    def update_review(self, reading_id: int, *, note: str | None = None,
                      confirmed_label: str | None | Unset = UNSET,
                      expected_version: int | None = None) -> Reading:
        queued = reading_id < 0 and self.ids.sent_as(reading_id) is None
        return self._shown(self._on(reading_id, lambda s, i: s.update_review(  # type: ignore[return-value]
            i, note=note, confirmed_label=confirmed_label, expected_version=expected_version)),
            queued)

    def update_patient(self, reading_id: int, *, patient_id: str | None,
                       patient_name: str | None) -> Reading:
        queued = reading_id < 0 and self.ids.sent_as(reading_id) is None
        return self._shown(self._on(reading_id, lambda s, i: s.update_patient(  # type: ignore[return-value]
            i, patient_id=patient_id, patient_name=patient_name)), queued)

    def delete(self, reading_id: int) -> bool:
        def work(store: HistoryStore, target: int) -> bool:
            if store is self.outbox:
                deleted = self.ids.delete_local(target)
                self._waiting = self.outbox.count()
                return deleted
            return store.delete(target)

        return self._on(reading_id, work)

    def export_csv(self, path: Path | str, query: ReadingQuery | None = None) -> int:
        return self._server(lambda s: s.export_csv(path, query))

    def find_uid(self, uid: str) -> int | None:
        try:
            return self._server(lambda s: s.find_uid(uid))
        except DatabaseUnreachableError:
            local = self.outbox.find_uid(uid)
            return None if local is None else self.ids.queued_id(local)

    # -- accounts and audit -----------------------------------------------------------------

    def save_account(self, account: Account) -> None:
        self._server(lambda s: s.save_account(account))
        self.outbox.save_account(account)

    def get_account(self, name: str) -> Account | None:
        try:
            account = self._server(lambda s: s.get_account(name))
        except DatabaseUnreachableError:
            return self.outbox.get_account(name)  # as last seen online on this PC
        if account is not None:
            self.outbox.save_account(account)
        return account

    def list_accounts(self) -> list[Account]:
        try:
            accounts = self._server(lambda s: s.list_accounts())
        except DatabaseUnreachableError:
            return self.outbox.list_accounts()
        for account in accounts:  # so that sign-in stays on, and works, offline
            self.outbox.save_account(account)
        return accounts

    def append_audit(self, event: AuditEvent) -> int:
        try:
            return self._server(lambda s: s.append_audit(event))
        except DatabaseUnreachableError:
            with self._lock:
                return -self.outbox.append_audit(event)

    def search_audit(self, query: AuditQuery | None = None) -> list[AuditEvent]:
        return self._server(lambda s: s.search_audit(query))

    # -- issue 14: safeguards. The local queue is an SQLite file like any history: its own
    # problems are told; backups of the shared history are the server's (see PostgresHistory).

    def notices(self) -> list[StorageError]:
        return self.outbox.notices()

    def verify(self) -> list[StorageError]:
        return self.outbox.verify()

    def backup(self, folder: Path | str | None = None, reason: str = "manual") -> BackupInfo:
        return self.server.backup(folder, reason)

    def backups(self, folder: Path | str | None = None) -> list[BackupInfo]:
        return self.server.backups(folder)

    def restore(self, backup: BackupInfo | Path | str) -> BackupInfo:
        return self.server.restore(backup)

    # -- sending the queue ------------------------------------------------------------------

    def flush(self) -> int:
        """Send every queued reading and audit event, oldest first; returns how many readings
        were sent. Stops at the first failure (DatabaseUnreachableError is kept in status)."""
        sent = 0
        with self._lock:  # local changes to queued readings wait until this is done
            try:
                self._offline_until = 0.0  # a deliberate attempt
                for local in self.ids.queued_local_ids():
                    reading = self.outbox.get(local)
                    if reading is None:
                        continue
                    server_id = self._server(lambda s, r=reading: s.add(dataclasses.replace(r, id=None)))
                    self.ids.mark_sent(local, server_id)  # removes it from the outbox
                    sent += 1
                self._send_audit()
                self._server(lambda s: s.count(ReadingQuery(limit=1)))  # a probe when idle
                self.known_site_profile()  # issue 12: kept fresh for the next outage
            except DatabaseUnreachableError:
                pass
            finally:
                self._waiting = self.outbox.count()
        if sent:
            log.info("clinic database: %d queued readings sent", sent)
            self._notify()
        return sent

    def _send_audit(self) -> None:
        events = self.outbox.search_audit(AuditQuery(descending=False, limit=10_000))
        for event in (e for e in events if (e.id or 0) > self._audit_sent):
            reading_id = event.reading_id
            if event.reading_uid:
                reading_id = self.server.find_uid(event.reading_uid) or reading_id
            self._server(lambda s, e=event, r=reading_id: s.append_audit(
                dataclasses.replace(e, id=None, reading_id=r)))
            self._audit_sent = int(event.id or 0)
            self.ids.set_audit_mark(self._audit_sent)

    def start_sender(self, interval_s: float = RETRY_S) -> None:
        """Send the queue now and every ``interval_s`` from a background thread."""
        if self._sender is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.flush()
                except Exception:  # noqa: BLE001 - keep trying; the reason is in the log
                    log.exception("sending the queue failed")
                self._stop.wait(interval_s)

        self._sender = threading.Thread(target=loop, name="clinic-sender", daemon=True)
        self._sender.start()

    def close(self) -> None:
        self._stop.set()
        if self._sender is not None:
            self._sender.join(timeout=10)
        try:
            if self._waiting and self._online:
                self.flush()
        finally:
            self.server.close()
            self.outbox.close()

    def __enter__(self) -> QueueingHistory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def describe(status: SyncStatus) -> str | None:
    """One sentence for the window's status bar and the CLI; None when all is well."""
    from cxr_desktop.i18n import ngettext

    if status.online and not status.waiting:
        return None
    if status.online:
        return ngettext("{count} reading kept on this PC is being sent to the clinic database.",
                        "{count} readings kept on this PC are being sent to the clinic database.",
                        status.waiting).format(count=status.waiting)
    return ngettext(
        "Working offline: the clinic database cannot be reached. {count} new reading is kept "
        "on this PC and will be sent when it is back.",
        "Working offline: the clinic database cannot be reached. {count} new readings are kept "
        "on this PC and will be sent when it is back.", status.waiting).format(count=status.waiting)


def describe_short(status: SyncStatus) -> str | None:
    """The same in a few words, for the window's status bar (the sentence is its tooltip)."""
    from cxr_desktop.i18n import ngettext

    if status.online and not status.waiting:
        return None
    if status.online:
        return ngettext("Sending {count} reading to the clinic database.",
                        "Sending {count} readings to the clinic database.",
                        status.waiting).format(count=status.waiting)
    if not status.waiting:
        return _("Working offline.")
    return ngettext("Working offline: {count} reading waiting.",
                    "Working offline: {count} readings waiting.",
                    status.waiting).format(count=status.waiting)


def open_clinic_history(url: str, outbox_path: Path, password: str | None = None,
                        sender: bool = True) -> QueueingHistory:
    """The clinic server at ``url`` with its queue in ``outbox_path``; connects lazily, so a PC
    starts (and keeps readings) while the server is down."""
    from cxr_desktop.core.storage import open_history
    from cxr_desktop.core.storage.postgresql import PostgresHistory

    server: Any = PostgresHistory(url, password=password, connect_now=False)
    history = QueueingHistory(
        server, open_history(outbox_path),
        state_path=outbox_path.with_name(outbox_path.stem + "-state.json"),
        site_profile_path=outbox_path.with_name(outbox_path.stem + "-site-profile.json"))
    if sender:
        history.start_sender()
    return history
