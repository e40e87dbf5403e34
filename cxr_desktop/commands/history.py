"""``cxr-desktop history list|export``: the reading history without the window."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cxr_desktop.commands import clinic_notice, history_backups, history_migrate, staff
from cxr_desktop.commands.output import EXIT_OK, emit_json, json_float, print_line
from cxr_desktop.core.labels import display_label
from cxr_desktop.core.patient import shown_name
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _, format_datetime, ngettext
from cxr_desktop.privacy import describe_file
from cxr_desktop.service.wording import ResultSummary, one_line


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    history = sub.add_parser("history", help=_("list or export the reading history"))
    history_sub = history.add_subparsers(dest="history_command",
                                         metavar="{list,export,migrate,backup,restore}")
    history_sub.required = True
    listing = history_sub.add_parser("list", parents=[common], help=_("list recent readings"))
    listing.add_argument("--limit", type=positive_int, default=20, metavar="N",
                         help=_("how many (default 20)"))
    listing.add_argument("--json", action="store_true", help=_("one JSON object per line"))
    listing.add_argument("--search", default="", metavar="TEXT",
                         help=_("patient ID, name or note contains"))
    listing.add_argument("--label", default=None, metavar="L",
                         help=_("only readings with this result"))
    export = history_sub.add_parser("export", parents=[common],
                                    help=_("export readings to a CSV file"))
    export.add_argument("--csv", type=Path, required=True, metavar="FILE",
                        help=_("the CSV file to write"))
    export.add_argument("--search", default="", metavar="TEXT",
                        help=_("patient ID, name or note contains"))
    export.add_argument("--label", default=None, metavar="L",
                        help=_("only readings with this result"))
    history_migrate.add_parser(history_sub, common)  # issue 15
    history_backups.add_subcommands(history_sub, common)  # issue 14


def reading_json(reading: Reading) -> dict[str, Any]:
    return {
        "id": reading.id,
        "created_utc": reading.created_utc,
        "patient_id": reading.patient_id,
        "patient_name": shown_name(reading.patient_name) or None,
        "source_path": reading.source_path,
        "label": reading.label,
        "probabilities": reading.probabilities,
        "uncertain": reading.uncertain,
        "out_of_distribution": reading.out_of_distribution,
        "ood_score": json_float(reading.ood_score),
        "ood_reason": reading.ood_reason,
        "cautions": list(reading.cautions),
        "model": f"{reading.model_name} {reading.model_version}",
        "note": reading.note,
        "confirmed_label": reading.confirmed_label,
        "reviewed_utc": reading.reviewed_utc,
        "site_calibration": reading.site_profile_id,  # issue 12
    }


def reading_line(reading: Reading) -> str:
    parts = [f"#{reading.id}", format_datetime(reading.created_utc, "short"),
             one_line(ResultSummary.from_reading(reading))]
    patient = " ".join(x for x in (reading.patient_id, shown_name(reading.patient_name)) if x)
    if patient:
        parts.append(patient)
    if reading.source_path:
        parts.append(Path(reading.source_path).name)
    if reading.reviewed_utc and reading.confirmed_label:
        parts.append(_("reviewed: {finding}").format(finding=display_label(reading.confirmed_label)))
    return "  ".join(parts)


def run(args: argparse.Namespace) -> int:
    if args.history_command in ("backup", "restore"):  # issue 14
        return (history_backups.run_backup if args.history_command == "backup"
                else history_backups.run_restore)(args)
    if args.history_command == "migrate":  # issue 15
        return history_migrate.run(args)
    with history_backups.open_cli_store() as opened:  # its notices go to stderr (issue 14)
        clinic_notice.offline_notice(opened)
        store = staff.guarded(opened)  # issue 15: signed in when staff accounts are on
        if args.history_command == "list":
            readings = store.search(ReadingQuery(text=args.search, label=args.label, limit=args.limit))
            if args.json:
                for reading in readings:
                    emit_json(reading_json(reading))
            elif not readings:
                print_line(_("No readings."))
            else:
                for reading in readings:
                    print_line(reading_line(reading))
            return EXIT_OK
        query = ReadingQuery(text=args.search, label=args.label, descending=False)
        describe_file(args.csv)  # the target's name never reaches a log line
        rows = store.export_csv(args.csv, query)
        print_line(ngettext("Exported {count} reading to {file}", "Exported {count} readings to {file}",
                            rows).format(count=rows, file=args.csv))
        return EXIT_OK
