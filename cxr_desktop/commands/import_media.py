"""``cxr-desktop import PATH [--save] [--json]``: the frontal chest X-rays of a CD, a USB stick
or an export folder (its DICOMDIR, else its files by content), one line per image read or
skipped, with the reason."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from cxr_desktop.commands.logs import CliLogging
from cxr_desktop.commands.output import (
    EXIT_ERROR,
    EXIT_OK,
    emit_json,
    json_float,
    print_error,
    print_line,
)
from cxr_desktop.core.errors import CxrError
from cxr_desktop.i18n import _, ngettext
from cxr_desktop.privacy import describe_file, redact, remember_sensitive
from cxr_desktop.service.reading import ReadingService
from cxr_desktop.service.wording import ResultSummary, one_line

log = logging.getLogger("cxr_desktop.cli")


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    command = sub.add_parser(
        "import", parents=[common], help=_("read the chest X-rays of a CD, USB stick or folder"),
        description=_("Read the frontal chest X-rays of X-ray media: a folder with a DICOMDIR "
                      "(a CD, a USB stick), or any folder, by content. Other modalities, body "
                      "parts, lateral views and images already in the history are skipped, "
                      "with the reason."))
    command.add_argument("path", type=Path, metavar="PATH", help=_("the media's folder or its DICOMDIR"))
    command.add_argument("--save", action="store_true", help=_("record the readings in the history"))
    command.add_argument("--json", action="store_true", help=_("one JSON object per line"))
    command.add_argument("--threads", type=positive_int, default=None, metavar="N",
                         help=_("CPU threads for the model"))
    command.add_argument("--model-dir", type=Path, default=None, metavar="DIR",
                         help=_("folder holding the model"))


def run(args: argparse.Namespace, logging_setup: CliLogging) -> int:
    import contextlib

    from cxr_desktop.commands.staff import open_guarded

    remember_sensitive(str(args.path))
    if not args.path.exists():
        print_error(_("There is no folder or file at {path}.").format(path=args.path))
        return EXIT_ERROR
    # issue 15: each saved reading is a save of the person signed in (staff accounts on)
    with open_guarded(notice=False) if args.save else contextlib.nullcontext() as store:
        return _import(args, store)


def _import(args: argparse.Namespace, store: Any) -> int:
    from cxr_desktop.commands import clinic_notice
    from cxr_desktop.commands.predict import site_calibration
    from cxr_desktop.composition import load_classifier
    from cxr_desktop.service.media_import import scan_media

    try:
        plan = scan_media(args.path, store)
    except (OSError, ValueError) as exc:
        log.info("media not readable: %s", redact(str(exc)))
        print_error(_("The DICOMDIR of this media could not be read."))
        return EXIT_ERROR
    classifier = load_classifier(args.model_dir, threads=args.threads)
    service = ReadingService(classifier, store)
    service.site = site_calibration(classifier, store)  # issue 12: the clinic's calibration
    clinic_notice.site_calibration_notice(service.site)
    failed = False
    for item in plan.items:
        if item.reason is not None:
            _skipped(item.path, item.reason, item.known_reading, args.json)
            continue
        try:
            outcome = service.read_file(item.path, save=store is not None)
        except CxrError as exc:
            failed = True
            log.info("could not read %s: %s", describe_file(item.path), redact(exc.detail))
            _skipped(item.path, exc.message, None, args.json, error=True)
            continue
        _read(item.path, outcome, args.json)
        failed = failed or outcome.save_error is not None
    if not args.json:
        count = len(plan.to_import)
        print_line(ngettext("{count} of {total} image read.", "{count} of {total} images read.",
                            count).format(count=count, total=len(plan.items)))
    if store is not None:
        clinic_notice.offline_notice(store, probe=False)  # kept on this PC, when offline
    return EXIT_ERROR if failed else EXIT_OK


def _skipped(path: str, reason: str, known: int | None, as_json: bool, error: bool = False) -> None:
    if as_json:
        obj: dict[str, Any] = {"file": path, "error" if error else "skipped": reason}
        if known is not None:
            obj["existing_id"] = known
        emit_json(obj)
    else:
        print_line(_("{file}: skipped: {reason}").format(file=path, reason=reason))


def _read(path: str, outcome, as_json: bool) -> None:
    p, reading = outcome.prediction, outcome.reading
    if as_json:
        obj: dict[str, Any] = {
            "file": path, "label": None if p.out_of_distribution else p.label,
            "probabilities": p.probability_by_label, "uncertain": p.uncertain,
            "out_of_distribution": p.out_of_distribution, "ood_score": json_float(p.ood_score),
            "ood_reason": p.ood_reason, "model": f"{p.model_name} {p.model_version}",
            "patient_id": reading.patient_id,
        }
        if reading.id is not None:
            obj["id"] = reading.id
        if outcome.save_error is not None:
            obj["save_error"] = outcome.save_error.message
        emit_json(obj)
        return
    result = one_line(ResultSummary.from_prediction(p))
    if reading.id is not None and reading.id < 0:  # issue 15: queued for the clinic server
        print_line(_("{file}: {result} [kept on this PC until the clinic database is back]")
                   .format(file=path, result=result))
    elif reading.id is not None:
        print_line(_("{file}: {result} [saved as #{id}]").format(file=path, result=result, id=reading.id))
    else:
        print_line(_("{file}: {result}").format(file=path, result=result))
