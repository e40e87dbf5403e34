"""``cxr-desktop report ID... --pdf FILE``: the one-page report of each reading, in one PDF,
without the window (Qt draws it offscreen when there is no display)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, print_error, print_line
from cxr_desktop.i18n import _, ngettext
from cxr_desktop.service.clinic import ClinicInfo, load_clinic


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    report = sub.add_parser(
        "report", parents=[common], help=_("save the report of readings as a PDF file"),
        description=_("Save a one-page report of each reading (for a referral) in one PDF file."),
    )
    report.add_argument("ids", nargs="+", type=positive_int, metavar="ID",
                        help=_("reading numbers, as the history lists them"))
    report.add_argument("--pdf", type=Path, required=True, metavar="FILE",
                        help=_("the PDF file to write"))
    add_clinic_options(report)


def add_clinic_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clinic-name", default=None, metavar="TEXT",
                        help=_("the clinic's name on the page (default: the saved setting)"))
    parser.add_argument("--clinic-address", default=None, metavar="TEXT",
                        help=_("the clinic's address on the page (default: the saved setting)"))


def clinic_from(args: argparse.Namespace) -> ClinicInfo:
    saved = load_clinic()
    return ClinicInfo(saved.name if args.clinic_name is None else args.clinic_name.strip(),
                      saved.address if args.clinic_address is None else args.clinic_address.strip())


def save_pdf(path: Path, pages: list, title: str) -> bool:
    from cxr_desktop.ui.report_pdf import write_pdf  # Qt, only now (allowed: pyproject.toml)

    try:
        write_pdf(path, pages, title)
    except OSError as exc:
        print_error(_("The PDF file could not be written ({reason}).").format(
            reason=exc.strerror or type(exc).__name__))
        return False
    return True


def run(args: argparse.Namespace) -> int:
    from cxr_desktop.commands.staff import open_guarded
    from cxr_desktop.service.report import build_report, record_reports

    clinic = clinic_from(args)
    with open_guarded() as store:  # issue 15: signed in when staff accounts are on
        readings = [(reading_id, store.get(reading_id)) for reading_id in dict.fromkeys(args.ids)]
        missing = [str(reading_id) for reading_id, reading in readings if reading is None]
        if missing:
            print_error(ngettext("Reading {ids} is not in the history; nothing was written.",
                                 "Readings {ids} are not in the history; nothing was written.",
                                 len(missing)).format(ids=", ".join(missing)))
            return EXIT_ERROR
        found = [reading for _id, reading in readings if reading is not None]
        pages = [build_report(reading, clinic) for reading in found]
        if not save_pdf(args.pdf, pages, _("Chest X-ray: AI second opinion")):
            return EXIT_ERROR
        record_reports(store, found, "PDF")  # issue 15: in the audit trail
    print_line(ngettext("Saved the report of {count} reading to {file}",
                        "Saved the reports of {count} readings to {file}",
                        len(pages)).format(count=len(pages), file=args.pdf))
    return EXIT_OK
