"""``cxr-desktop predict FILE... [--json] [--save] [--threads N]``: read files or folders
through the same ReadingService as the window, print one line (or JSON object) per file."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from cxr_desktop.commands import clinic_notice, staff
from cxr_desktop.commands.logs import CliLogging
from cxr_desktop.commands.output import (
    EXIT_ERROR,
    EXIT_OK,
    emit_json,
    json_float,
    print_error,
    print_line,
    write_line,
)
from cxr_desktop.core.errors import CxrError, StorageError
from cxr_desktop.i18n import _
from cxr_desktop.privacy import describe_file, redact, remember_sensitive
from cxr_desktop.service.folders import expand_paths
from cxr_desktop.service.reading import ReadOutcome
from cxr_desktop.service.wording import ResultSummary, one_line

log = logging.getLogger("cxr_desktop.cli")


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    predict = sub.add_parser(
        "predict", parents=[common], help=_("read X-ray files without opening the window"),
        description=_("Read chest X-ray files (or every image in a folder) and print the result."),
    )
    predict.add_argument("files", nargs="+", metavar="FILE", help=_("image files or folders"))
    predict.add_argument("--json", action="store_true", help=_("one JSON object per line"))
    predict.add_argument("--save", action="store_true",
                         help=_("also record the readings in the history"))
    predict.add_argument("--threads", type=positive_int, default=None, metavar="N",
                         help=_("CPU threads for the model"))
    predict.add_argument("--model-dir", type=Path, default=None, metavar="DIR",
                         help=_("folder holding the model"))


def run(args: argparse.Namespace, logging_setup: CliLogging) -> int:
    from cxr_desktop.commands.history_backups import open_cli_store
    from cxr_desktop.composition import (
        load_classifier,
        make_decode_guard,
        make_service,
    )

    remember_sensitive(*args.files)
    classifier = load_classifier(args.model_dir, threads=args.threads)
    files = expand_paths(args.files)
    if not files:
        print_error(_("There are no image files to read."))
        return EXIT_ERROR
    store = open_cli_store() if args.save else None
    guard = make_decode_guard()  # no file keeps the command waiting past its time limit
    service = make_service(classifier, staff.guarded(store) if store is not None else None, guard)
    failed = save_failed = False
    try:
        service.site = site_calibration(classifier, store)  # issue 12
        clinic_notice.site_calibration_notice(service.site)  # offline: as last known
        for name in files:
            start = time.perf_counter()
            try:
                outcome = service.read_file(name, save=store is not None and not save_failed)
            except CxrError as exc:
                failed = True
                log.info("could not read %s: %s", describe_file(name), redact(exc.detail, name))
                _report_failure(name, exc.message, args.json)
                continue
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                failed = True
                _report_failure(name, logging_setup.unexpected(exc), args.json)
                continue
            if outcome.save_error is not None and not save_failed:
                save_failed = True  # disk full, folder read-only: show the results anyway
                print_error(_("{reason} This and the next results are shown but not saved.").format(
                    reason=outcome.save_error.message))
            _report(name, outcome, (time.perf_counter() - start) * 1e3, args.json)
    finally:
        guard.close()
        if store is not None:
            clinic_notice.offline_notice(store, probe=False)  # issue 15
            store.close()
    return EXIT_ERROR if failed or save_failed else EXIT_OK


def site_calibration(classifier: Any, store: Any) -> Any:
    """The clinic's site calibration (for predict, import and watch; offline: as last known,
    and said); without --save, a history that cannot be read (a newer version's, a damaged
    one) does not stop the reading, and the user is told."""
    from cxr_desktop.composition import site_calibration_for
    from cxr_desktop.service.site_calibration import SiteCalibration

    try:
        return site_calibration_for(classifier, store)
    except StorageError as exc:
        if store is not None:
            raise
        write_line(sys.stderr, _("note: {reason} These results use the AI model's own "
                                 "calibration, not this clinic's.").format(reason=exc.message))
        return SiteCalibration.off()


def _report(name: str, outcome: ReadOutcome, ms: float, as_json: bool) -> None:
    prediction, reading = outcome.prediction, outcome.reading
    if as_json:
        obj: dict[str, Any] = {
            "file": name,
            "label": None if prediction.out_of_distribution else prediction.label,
            "probabilities": prediction.probability_by_label,
            "uncertain": prediction.uncertain,
            "out_of_distribution": prediction.out_of_distribution,
            "ood_score": json_float(prediction.ood_score),
            "ood_reason": prediction.ood_reason,
            "cautions": list(prediction.cautions),
            "model": f"{prediction.model_name} {prediction.model_version}",
            "ms": json_float(ms, 2),
        }
        obj["site_calibration"] = reading.site_profile_id  # issue 12
        if reading.id is not None:
            obj["id"] = reading.id
        emit_json(obj)
        return
    result = one_line(ResultSummary.from_prediction(prediction))
    if reading.id is not None and reading.id < 0:  # issue 15: queued for the clinic server
        print_line(_("{file}: {result} [kept on this PC until the clinic database is back]")
                   .format(file=name, result=result))
    elif reading.id is not None:
        print_line(_("{file}: {result} [saved as #{id}]").format(file=name, result=result,
                                                                  id=reading.id))
    else:
        print_line(_("{file}: {result}").format(file=name, result=result))
    for caution in prediction.cautions:
        print_line(_("{file}: caution: {text}").format(file=name, text=caution))


def _report_failure(name: str, message: str, as_json: bool) -> None:
    if as_json:
        emit_json({"file": name, "error": message})
    else:
        print_line(_("{file}: error: {message}").format(file=name, message=message))
