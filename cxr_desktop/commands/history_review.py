"""``cxr-desktop history review ID --confirmed LABEL [--note TEXT] [--json]``: the clinician's
confirmed finding (and note) for one reading, as the Review dialog sets them."""

from __future__ import annotations

import argparse
from typing import Any

from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, emit_json, print_error, print_line
from cxr_desktop.core.labels import OTHER_LABEL, display_label
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _

MAX_NOTE = 4000  # as the Review dialog
NONE_WORDS = ("none", "-")


def add_review_parser(history_sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    review = history_sub.add_parser(
        "review", parents=[common], help=_("set the confirmed finding (and note) of a reading"),
        description=_("Set the clinician's confirmed finding of a reading, and optionally a "
                      "note. LABEL is one of the model's findings (as listed, e.g. Normal or "
                      "\"Viral Pneumonia\"), Other, or none to clear it."))
    review.add_argument("id", type=positive_int, metavar="ID", help=_("the reading's number"))
    review.add_argument("--confirmed", required=True, metavar="LABEL",
                        help=_("the confirmed finding"))
    review.add_argument("--note", default=None, metavar="TEXT",
                        help=_("the clinician's note (replaces the old one)"))
    review.add_argument("--json", action="store_true", help=_("print the reading as JSON"))


def choices(reading: Reading) -> list[str]:
    labels = [*reading.probabilities, OTHER_LABEL]
    return labels if reading.confirmed_label in (None, *labels) else [*labels, reading.confirmed_label]


def match_label(text: str, reading: Reading) -> str | None:
    """The stored label that ``text`` names (its key or its display name, any case); '' for
    'none' (clear it); None when it names nothing."""
    wanted = " ".join(text.replace("_", " ").split()).casefold()
    if wanted in NONE_WORDS:
        return ""
    for label in choices(reading):
        if wanted in (label.replace("_", " ").casefold(), display_label(label).casefold()):
            return label
    return None


def run_review(args: argparse.Namespace, store: HistoryStore) -> int:
    from cxr_desktop.commands.history import reading_json, reading_line

    reading = store.get(args.id)
    if reading is None:
        print_error(_("Reading {id} is not in the history.").format(id=args.id))
        return EXIT_ERROR
    label = match_label(args.confirmed, reading)
    if label is None:
        names = ", ".join(display_label(c) for c in choices(reading))
        print_error(_("{label} is not a finding of this reading. Choose one of: {names}, or "
                      "none.").format(label=args.confirmed, names=names))
        return EXIT_ERROR
    note = None if args.note is None else args.note.strip()[:MAX_NOTE]
    updated = store.update_review(args.id, note=note, confirmed_label=label or None)
    if args.json:
        emit_json(reading_json(updated))
    else:
        print_line(reading_line(updated))
    return EXIT_OK
