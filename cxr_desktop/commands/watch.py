"""``cxr-desktop watch FOLDER [--interval S] [--settle S] [--once]``: read the images an X-ray
unit exports into a folder as they arrive, each once (a journal in the user data folder keeps
track across restarts and power cuts); every reading is saved in the history."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, print_error, print_line
from cxr_desktop.i18n import _
from cxr_desktop.privacy import remember_sensitive


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a number: {text}").format(text=text)) from None
    if value < 0:
        raise argparse.ArgumentTypeError(_("must be 0 or more"))
    return value


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    watch = sub.add_parser(
        "watch", parents=[common], help=_("read the images exported into a folder as they arrive"),
        description=_("Watch a folder and read every image that arrives in it, once it is "
                      "completely written; each file is read once, also after a restart."))
    watch.add_argument("folder", type=Path, metavar="FOLDER", help=_("the folder to watch"))
    watch.add_argument("--interval", type=_seconds, default=2.0, metavar="S",
                       help=_("seconds between two looks at the folder (default 2)"))
    watch.add_argument("--settle", type=_seconds, default=3.0, metavar="S",
                       help=_("a file must stay unchanged this long before it is read (default 3)"))
    watch.add_argument("--once", action="store_true",
                       help=_("look until nothing is left to read, then stop"))
    watch.add_argument("--model-dir", type=Path, default=None, metavar="DIR",
                       help=_("folder holding the model"))


def run(args: argparse.Namespace) -> int:
    from cxr_desktop import paths
    from cxr_desktop.commands import clinic_notice
    from cxr_desktop.commands.predict import site_calibration
    from cxr_desktop.commands.staff import open_guarded
    from cxr_desktop.composition import load_classifier
    from cxr_desktop.private_files import make_private_dir
    from cxr_desktop.service.reading import ReadingService
    from cxr_desktop.service.watch_folder import JOURNAL_NAME, FolderWatcher, Journal

    remember_sensitive(str(args.folder))
    if not args.folder.is_dir():
        print_error(_("There is no folder at {path}.").format(path=args.folder))
        return EXIT_ERROR
    make_private_dir(paths.data_dir())
    classifier = load_classifier(args.model_dir)
    # issue 15: each reading is a save of the person signed in when staff accounts are on
    with open_guarded(notice=False) as store:
        service = ReadingService(classifier, store)
        service.site = site_calibration(classifier, store)  # issue 12: the clinic's calibration
        clinic_notice.site_calibration_notice(service.site)
        watcher = FolderWatcher(args.folder, Journal(paths.data_dir() / JOURNAL_NAME),
                                service, store, settle_s=args.settle)
        print_line(_("Watching {folder} (Ctrl+C stops).").format(folder=args.folder))
        quiet_since = time.monotonic()
        try:
            while True:
                events = watcher.poll()
                for event in events:
                    _print(event)
                if events:
                    quiet_since = time.monotonic()
                elif args.once and time.monotonic() - quiet_since > args.settle + args.interval:
                    return EXIT_OK
                time.sleep(args.interval)
        finally:
            clinic_notice.offline_notice(store, probe=False)  # what is kept on this PC, if so


def _print(event) -> None:
    if event.state == "done" and event.reading_id is not None and event.reading_id < 0:
        print_line(_("{file}: kept on this PC until the clinic database is back").format(
            file=event.path))  # issue 15: queued for the clinic server
    elif event.state == "done":
        print_line(_("{file}: saved as #{id}").format(file=event.path, id=event.reading_id))
    else:
        print_line(_("{file}: skipped: {reason}").format(file=event.path, reason=event.reason))
