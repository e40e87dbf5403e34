"""``cxr-desktop history migrate --to URL``: copy this PC's history to the clinic server.

Counts and checksums are verified; running it again after an interruption copies what is
missing (readings are known by their key); the local file keeps every reading. Run once with
the database owner's address on a new server: it also creates the tables."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, print_error, print_line
from cxr_desktop.i18n import _, ngettext


def add_parser(history_sub: Any, common: argparse.ArgumentParser) -> None:
    migrate = history_sub.add_parser(
        "migrate", parents=[common],
        help=_("copy this PC's history to the shared clinic database"))
    migrate.add_argument("--to", required=True, metavar="URL",
                         help=_("the clinic database, e.g. postgresql://cxr_owner@server/cxr "
                                "(the password from PGPASSWORD or ~/.pgpass)"))
    migrate.add_argument("--from", dest="source", type=Path, default=None, metavar="FILE",
                         help=_("the history file to copy (default: this PC's)"))


def run(args: argparse.Namespace) -> int:
    from cxr_desktop import paths
    from cxr_desktop.core.storage import open_history
    from cxr_desktop.core.storage.copy import copy_history
    from cxr_desktop.core.storage.postgresql import is_database_url

    if not is_database_url(args.to):
        print_error(_("--to must be a clinic database address starting with postgresql://"))
        return EXIT_ERROR
    source_path = args.source or paths.database_path()
    if not Path(source_path).is_file():
        if args.source is not None:
            print_error(_("There is no history file to copy at {file}.").format(file=source_path))
            return EXIT_ERROR
        with open_history(args.to) as target:  # a new server: its tables are made now
            info = target.info()
        print_line(_("There is no history on this PC to copy. The clinic database at {server} "
                     "is ready (schema version {version}).").format(server=info.location,
                                                                    version=info.schema_version))
        return EXIT_OK
    with open_history(source_path) as source, open_history(args.to) as target:
        where = target.info().location
        print_line(_("Copying the history to {server}\u2026").format(server=where))
        report = copy_history(source, target, lambda r: print_line(
            _("{done} of {total} readings copied or found").format(
                done=r.copied + r.already_there, total=r.total)))
    if report.site_profiles:  # issue 12
        print_line(ngettext("{count} site calibration copied.", "{count} site calibrations copied.",
                            report.site_profiles).format(count=report.site_profiles))
    print_line(ngettext("{count} reading copied.", "{count} readings copied.",
                        report.copied).format(count=report.copied))
    if report.already_there:
        print_line(ngettext("{count} reading was already on the server (an earlier run).",
                            "{count} readings were already on the server (an earlier run).",
                            report.already_there).format(count=report.already_there))
    if not report.ok:
        print_error(ngettext(
            "{count} reading on the server differs from this PC's copy (it may have been "
            "reviewed or corrected there since it was copied); nothing was removed here.",
            "{count} readings on the server differ from this PC's copy (they may have been "
            "reviewed or corrected there since they were copied); nothing was removed here.",
            len(report.mismatched)).format(count=len(report.mismatched)))
        return EXIT_ERROR
    print_line(ngettext(
        "Verified: the server has {count} reading identical to this PC's (checksums match). "
        "The history file on this PC was left as it was.",
        "Verified: the server has all {count} readings identical to this PC's (checksums "
        "match). The history file on this PC was left as it was.",
        report.total).format(count=report.total))
    return EXIT_OK
