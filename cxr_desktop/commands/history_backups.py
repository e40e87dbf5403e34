"""``cxr-desktop history backup|restore`` (issue 14), and the history opened for a command with
what it has to tell printed as one ``warning:`` line each (a damaged file repaired, a deleted
journal put back)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, print_line, write_line
from cxr_desktop.core.storage import (
    BackupInfo,
    HistoryStore,
    list_backups,
    reason_text,
    restore_history,
)
from cxr_desktop.i18n import _, format_datetime, format_number, ngettext

LATEST = "latest"


def add_subcommands(history_sub: Any, common: argparse.ArgumentParser) -> None:
    backup = history_sub.add_parser("backup", parents=[common],
                                    help=_("make a verified copy of the reading history"))
    backup.add_argument("--folder", type=Path, default=None, metavar="DIR",
                        help=_("where to put it (default: the backup folder)"))
    backup.add_argument("--list", action="store_true", help=_("list the backups instead"))
    restore = history_sub.add_parser("restore", parents=[common],
                                     help=_("replace the reading history with a backup"))
    restore.add_argument("backup", nargs="?", default=None, metavar="BACKUP",
                         help=_("a number from the list, 'latest' or a backup file; "
                                "without it, the backups are listed"))
    restore.add_argument("--folder", type=Path, default=None, metavar="DIR",
                         help=_("where the backups are (default: the backup folder)"))
    restore.add_argument("--start-empty", action="store_true",
                         help=_("start a new, empty history instead of a lost one"))


def warn(message: str) -> None:
    write_line(sys.stderr, _("warning: {message}").format(message=message))


def open_cli_store() -> HistoryStore:
    """The history for a command; what it has to tell goes to stderr."""
    from cxr_desktop.composition import open_store

    store = open_store()
    for notice in store.notices():
        warn(notice.message)
    return store


def describe(number: int, info: BackupInfo) -> str:
    count = ngettext("{count} reading", "{count} readings", info.readings).format(
        count=format_number(info.readings))
    return "  ".join((f"{number:>2}", format_datetime(info.taken_utc, "short"),
                      reason_text(info.reason), count, info.path.name))


def _folder(args: argparse.Namespace) -> Path:
    from cxr_desktop.service.backups import backup_folder

    return args.folder if args.folder is not None else backup_folder()


def _all_backups(folder: Path) -> list[BackupInfo]:
    from cxr_desktop.core.storage import default_backup_folder

    places = [folder] + ([default_backup_folder()] if default_backup_folder() != folder else [])
    found = [b for place in places for b in list_backups(place)]
    return sorted(found, key=lambda b: (b.taken_utc, b.path.name), reverse=True)


def _print_list(backups: list[BackupInfo]) -> None:
    if not backups:
        print_line(_("There are no backups yet."))
        return
    for number, info in enumerate(backups, 1):
        print_line(describe(number, info))


def run_backup(args: argparse.Namespace) -> int:
    from cxr_desktop.service.backups import backup_now

    if args.list:
        _print_list(_all_backups(_folder(args)))
        return EXIT_OK
    with open_cli_store() as store:
        info = backup_now(store, args.folder)
    print_line(ngettext("Backup made and checked: {file} ({count} reading).",
                        "Backup made and checked: {file} ({count} readings).",
                        info.readings).format(file=info.path, count=format_number(info.readings)))
    return EXIT_OK


def _choose(choice: str, backups: list[BackupInfo]) -> BackupInfo | Path | None:
    if choice == LATEST:
        return backups[0] if backups else None
    if choice.isdigit():
        number = int(choice)
        return backups[number - 1] if 1 <= number <= len(backups) else None
    return Path(choice)


def run_restore(args: argparse.Namespace) -> int:
    from cxr_desktop.composition import open_store

    folder = _folder(args)
    if args.start_empty:
        with open_store(new_if_missing=True) as store:
            print_line(ngettext("The history is open with {count} reading.",
                                "The history is open with {count} readings.",
                                store.count()).format(count=store.count()))
        return EXIT_OK
    backups = _all_backups(folder)
    if args.backup is None:
        _print_list(backups)
        if backups:
            print_line(_("To restore one, run: cxr-desktop history restore NUMBER"))
        return EXIT_OK
    chosen = _choose(args.backup, backups)
    if chosen is None:
        write_line(sys.stderr, _("error: {message}").format(
            message=_("There is no backup {choice}.").format(choice=args.backup)))
        return EXIT_ERROR
    store, aside = restore_history(None, chosen, folder)
    with store:
        count = store.count()
    print_line(ngettext("The history was restored: it now holds {count} reading.",
                        "The history was restored: it now holds {count} readings.",
                        count).format(count=format_number(count)))
    if aside is not None:
        print_line(_("The history as it was before is kept as the backup {file}.").format(
            file=aside.path.name))
    return EXIT_OK
