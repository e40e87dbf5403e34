"""A period summary (what a programme manager sends each month): counts per AI finding,
referred, not a chest X-ray, reviewed, agreement between the AI and the confirmed findings, and
the list of referred readings. Qt-free; drawn by ``ui/summary_pdf.py``, written as CSV here."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from cxr_desktop import APP_NAME, __version__
from cxr_desktop.core.labels import display_label
from cxr_desktop.core.patient import shown_name
from cxr_desktop.core.storage import HistoryStore, ReadingQuery
from cxr_desktop.core.storage.csv_export import csv_cell
from cxr_desktop.core.types import OOD_LABEL, Reading
from cxr_desktop.i18n import _, format_date, format_datetime, format_percent
from cxr_desktop.private_files import write_private
from cxr_desktop.service.accounts import EXPORT
from cxr_desktop.service.clinic import ClinicInfo
from cxr_desktop.service.guard import authorize, require
from cxr_desktop.service.wording import ResultSummary, one_line

ROWS_FIRST_PAGE = 22
ROWS_NEXT_PAGES = 40


@dataclass(frozen=True)
class ReferredRow:
    reading_id: int
    created_utc: str
    patient_id: str
    patient_name: str
    result: str  # the one-line result, as the history lists it
    confirmed: str  # the confirmed finding's name, '' when none


@dataclass
class PeriodSummary:
    first_day: date
    last_day: date
    total: int = 0
    by_finding: Counter[str] = field(default_factory=Counter)  # stored label -> count
    referred: int = 0  # uncertain ("refer to a radiologist"); 'not a chest X-ray' apart
    not_chest: int = 0
    reviewed: int = 0  # with a confirmed finding
    compared: int = 0  # reviewed readings that had an AI finding (not 'not a chest X-ray')
    agreed: int = 0
    referred_rows: list[ReferredRow] = field(default_factory=list)

    def add(self, r: Reading) -> None:
        self.total += 1
        self.by_finding[r.label] += 1
        self.not_chest += int(r.out_of_distribution)
        if r.confirmed_label:
            self.reviewed += 1
            if not r.out_of_distribution:
                self.compared += 1
                self.agreed += int(r.confirmed_label == r.label)
        if r.uncertain and not r.out_of_distribution and r.id is not None:
            self.referred += 1
            self.referred_rows.append(ReferredRow(
                r.id, r.created_utc, r.patient_id or "", shown_name(r.patient_name),
                one_line(ResultSummary.from_reading(r)), display_label(r.confirmed_label)))

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def day_bounds(first: date, last: date) -> tuple[str, str]:
    """Local calendar days (both included) -> the UTC ISO instants of a ReadingQuery."""
    start = datetime.combine(first, time()).astimezone()
    end = datetime.combine(last + timedelta(days=1), time()).astimezone() - timedelta(microseconds=1)
    return start.isoformat(), end.isoformat()


def summarize(store: HistoryStore, first: date, last: date) -> PeriodSummary:
    """Every reading made between ``first`` and ``last`` (local days, both included). With
    staff accounts on it is a supervisor's (the export permission): it counts every reading of
    the period and lists each referred patient by name, like an export of the history."""
    require(store, EXPORT)
    date_from, date_to = day_bounds(first, last)
    summary = PeriodSummary(first, last)
    for reading in store.iter_readings(ReadingQuery(date_from=date_from, date_to=date_to,
                                                    descending=False)):
        summary.add(reading)
    return summary


def record_summary(store: object, s: PeriodSummary, how: str) -> None:
    """The summary has left the app (``how``: "PDF", "CSV", "printed", "shown"): an ``export``
    in the audit trail."""
    authorize(store, EXPORT, "export", f"period summary {s.first_day} to {s.last_day} "
              f"(readings: {s.total}, referred: {s.referred}): {how}")


def period_text(s: PeriodSummary) -> str:
    return _("From {first} to {last}").format(first=format_date(s.first_day),
                                               last=format_date(s.last_day))


def count_rows(s: PeriodSummary) -> list[tuple[str, str]]:
    """(label, value) lines of the summary, the same in the PDF and the CSV."""
    rows = [(_("Readings"), str(s.total))]
    labels = sorted(s.by_finding, key=lambda k: (k == OOD_LABEL, -s.by_finding[k], k))
    rows += [(_("AI finding: {finding}").format(finding=display_label(k)), str(s.by_finding[k]))
             for k in labels]
    agreement = s.agreement
    rows += [
        (_("Referred (uncertain, refer to a radiologist)"), str(s.referred)),
        (_("Not a chest X-ray"), str(s.not_chest)),
        (_("Reviewed (confirmed finding recorded)"), str(s.reviewed)),
        (_("AI and confirmed finding agree"),
         _("{agreed} of {compared} ({percent})").format(
             agreed=s.agreed, compared=s.compared, percent=format_percent(agreement, 1))
         if agreement is not None else _("no reviewed readings with an AI finding")),
    ]
    return rows


def referred_header() -> list[str]:
    return [_("Reading"), _("Date"), _("Patient ID"), _("Name"), _("AI result"),
            _("Confirmed finding")]


def referred_cells(row: ReferredRow) -> list[str]:
    return [f"#{row.reading_id}", format_datetime(row.created_utc, "short"), row.patient_id,
            row.patient_name, row.result, row.confirmed]


@dataclass(frozen=True)
class SummaryPage:
    """One page of the summary PDF (the counts on the first, the referred list across pages)."""

    title: str
    clinic_name: str
    clinic_address: str
    period: str
    counts: list[tuple[str, str]]
    list_title: str
    header: list[str]
    rows: list[list[str]]
    footer: str


def summary_pages(s: PeriodSummary, clinic: ClinicInfo, printed: datetime | None = None) -> list[SummaryPage]:
    cells = [referred_cells(r) for r in s.referred_rows]
    chunks = [cells[:ROWS_FIRST_PAGE]]
    rest = cells[ROWS_FIRST_PAGE:]
    while rest:
        chunks.append(rest[:ROWS_NEXT_PAGES])
        rest = rest[ROWS_NEXT_PAGES:]
    when = format_datetime(printed or datetime.now().astimezone(), "medium")
    pages = []
    for i, chunk in enumerate(chunks):
        footer = _("Page {page} of {pages} \u00b7 printed {time} by {app} {version}").format(
            page=i + 1, pages=len(chunks), time=when, app=APP_NAME, version=__version__)
        pages.append(SummaryPage(
            _("Summary of chest X-ray readings"), clinic.name, clinic.address, period_text(s),
            count_rows(s) if i == 0 else [],
            _("Referred readings ({count})").format(count=s.referred) if cells
            else _("No readings were referred."),
            referred_header(), chunk, footer))
    return pages


def summary_csv_text(s: PeriodSummary, clinic: ClinicInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    head = [[clinic.name]] if clinic.name else []
    for row in (*head, [period_text(s)], [], *count_rows(s), [],
                referred_header(), *(referred_cells(r) for r in s.referred_rows)):
        writer.writerow([csv_cell(c) for c in row])
    return out.getvalue()


def write_summary_csv(path: str | Path, s: PeriodSummary, clinic: ClinicInfo) -> Path:
    """The summary as CSV (UTF-8 with BOM for spreadsheets), private and atomic."""
    return write_private(path, summary_csv_text(s, clinic), encoding="utf-8-sig")
