"""``cxr-desktop summary --from D --to D [--pdf FILE] [--csv FILE]``: the period summary
(counts per finding, referred, not a chest X-ray, reviewed, agreement, referred readings)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, print_error, print_line
from cxr_desktop.commands.report import add_clinic_options, clinic_from, save_pdf
from cxr_desktop.i18n import _


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("not a date (YYYY-MM-DD): {text}").format(text=text)) from None


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    summary = sub.add_parser(
        "summary", parents=[common], help=_("summarise the readings of a period"),
        description=_("Count the readings of a period (local calendar days, both included) and "
                      "list the referred ones; print it, or save it as PDF or CSV."),
    )
    today = date.today()
    summary.add_argument("--from", dest="first", type=_day, default=today.replace(day=1),
                         metavar="YYYY-MM-DD", help=_("first day (default: the 1st of this month)"))
    summary.add_argument("--to", dest="last", type=_day, default=today, metavar="YYYY-MM-DD",
                         help=_("last day (default: today)"))
    summary.add_argument("--pdf", type=Path, default=None, metavar="FILE",
                         help=_("also save it as a PDF file"))
    summary.add_argument("--csv", type=Path, default=None, metavar="FILE",
                         help=_("also save it as a CSV file"))
    add_clinic_options(summary)


def run(args: argparse.Namespace) -> int:
    from cxr_desktop.commands.staff import open_guarded
    from cxr_desktop.service.summary import record_summary, summarize

    if args.last < args.first:
        print_error(_("The last day comes before the first day."))
        return EXIT_ERROR
    with open_guarded() as store:  # issue 15: a supervisor's when staff accounts are on
        summary = summarize(store, args.first, args.last)
        outcome, how = _write(args, summary)
        record_summary(store, summary, ", ".join(how))  # what left the app, in the audit trail
    return outcome


def _write(args: argparse.Namespace, summary: Any) -> tuple[int, list[str]]:
    """Print the summary and save the files asked for: (exit status, what was written)."""
    from cxr_desktop.service.summary import (
        count_rows,
        period_text,
        summary_pages,
        write_summary_csv,
    )

    clinic = clinic_from(args)
    how = ["shown"]
    print_line(period_text(summary))
    for label, value in count_rows(summary):
        print_line(_("{label}: {value}").format(label=label, value=value))
    if args.csv is not None:
        try:
            write_summary_csv(args.csv, summary, clinic)
        except OSError as exc:
            print_error(_("The CSV file could not be written ({reason}).").format(
                reason=exc.strerror or type(exc).__name__))
            return EXIT_ERROR, how
        how.append("CSV")
        print_line(_("Saved the summary to {file}").format(file=args.csv))
    if args.pdf is not None:
        if not save_pdf(args.pdf, summary_pages(summary, clinic), period_text(summary)):
            return EXIT_ERROR, how
        how.append("PDF")
        print_line(_("Saved the summary to {file}").format(file=args.pdf))
    return EXIT_OK, how
