"""The audit trail as a CSV file for a supervisor (issue 15): every matching event, oldest
first, cells guarded against spreadsheet formulas, written privately (0600) and atomically."""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path

from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.csv_export import csv_cell
from cxr_desktop.private_files import open_private

FIELDS = ("id", "at_utc", "actor", "action", "reading_id", "reading_uid", "detail", "workstation")
PAGE = 1000


def export_audit_csv(store: HistoryStore, path: Path | str,
                     query: AuditQuery | None = None) -> int:
    query = dataclasses.replace(query or AuditQuery(), descending=False, limit=PAGE, offset=0)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    written = 0
    try:
        with open_private(tmp, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            while True:
                page = store.search_audit(dataclasses.replace(query, offset=written))
                for event in page:
                    writer.writerow([csv_cell(getattr(event, f)) for f in FIELDS])
                written += len(page)
                if len(page) < PAGE:
                    break
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return written
