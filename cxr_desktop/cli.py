"""Command line: ``cxr-desktop [FILE]`` opens the window; ``predict`` and ``history`` work without it.

Qt is imported only when the window is started, so the command line works on machines without
display libraries. Expected problems (CxrError) become one line ``error: <message>`` on stderr and
exit status 2; unexpected ones a one-line message, with the traceback in the log file only.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import math
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from cxr_desktop import APP_NAME, __version__, paths
from cxr_desktop.core.errors import CxrError
from cxr_desktop.core.percent import percent
from cxr_desktop.core.plain_text import printable
from cxr_desktop.display import missing_display_message
from cxr_desktop.log_files import QuietRotatingFileHandler
from cxr_desktop.private_files import restore_umask, secure_start
from cxr_desktop.smoke import SMOKE_ENV

log = logging.getLogger("cxr_desktop.cli")

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

COMMANDS = ("predict", "history")

#: File name endings a folder argument of ``predict`` always picks up (other files in the folder
#: are picked up when their content looks like an image).
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".dicom", ".dic", ".gif", ".webp"}
)

LOG_FILENAME = "cxr-desktop-cli.log"


# ---------------------------------------------------------------------------------------------
# Output and logging
# ---------------------------------------------------------------------------------------------


def _write_line(stream: TextIO | None, text: str) -> None:
    if stream is None:  # pythonw / gui-scripts on Windows have no console
        return
    stream.write(printable(text) + "\n")  # no terminal controls from names or notes
    stream.flush()


def _print(text: str) -> None:
    """One line on stdout, flushed at once (so JSON lines stream)."""
    _write_line(sys.stdout, text)


def _error(message: str) -> None:
    _write_line(sys.stderr, f"error: {message}")


class _OneLineFormatter(logging.Formatter):
    """Console log lines without tracebacks (those go to the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            record = logging.makeLogRecord(record.__dict__)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return super().format(record)


class _LoggingSetup:
    """Console (WARNING, one line) + log file (INFO, with tracebacks); undone on exit so that
    calling ``main`` repeatedly in one process (tests) leaves no handlers behind."""

    def __init__(self, verbose: bool) -> None:
        self.root = logging.getLogger()
        self.old_level = self.root.level
        self.handlers: list[logging.Handler] = []
        self.log_file: Path | None = None
        if sys.stderr is not None:
            console = logging.StreamHandler(sys.stderr)
            console.setLevel(logging.DEBUG if verbose else logging.WARNING)
            if not verbose:  # the user already gets a one-line message for these
                console.addFilter(lambda record: not getattr(record, "file_only", False))
            console.setFormatter(
                logging.Formatter("%(levelname)s %(name)s: %(message)s")
                if verbose
                else _OneLineFormatter("%(levelname)s: %(message)s")
            )
            self.handlers.append(console)
        try:
            folder = paths.log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            self.log_file = folder / LOG_FILENAME
            handler = QuietRotatingFileHandler(
                self.log_file, maxBytes=1 << 20, backupCount=2, encoding="utf-8", delay=True
            )
            handler.setLevel(logging.INFO)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
            )
            self.handlers.append(handler)
        except OSError:
            self.log_file = None
        for handler in self.handlers:
            self.root.addHandler(handler)
        self.root.setLevel(logging.DEBUG if verbose else logging.INFO)

    def close(self) -> None:
        for handler in self.handlers:
            self.root.removeHandler(handler)
            try:
                handler.close()
            except Exception:  # noqa: BLE001 - closing a log file must never fail the command
                pass
        self.root.setLevel(self.old_level)


def _unexpected(exc: BaseException, what: str, logging_setup: _LoggingSetup | None) -> str:
    """Log the traceback (file only) and return the one-line message for the user."""
    log.error(
        "unexpected error while %s: %s: %s",
        what,
        type(exc).__name__,
        exc,
        exc_info=exc,
        extra={"file_only": True},
    )
    where = ""
    if logging_setup is not None and logging_setup.log_file is not None:
        where = f" Details were written to {logging_setup.log_file}"
    return f"An unexpected problem occurred while {what} ({type(exc).__name__}).{where}"


# ---------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show technical details (logging) on stderr"
    )

    parser = argparse.ArgumentParser(
        prog="cxr-desktop",
        description=(
            f"{APP_NAME}: an offline chest X-ray second-opinion assistant. "
            "With no command (or just image files) the window opens."
        ),
        usage="cxr-desktop [FILE ...]\n       cxr-desktop {predict,history} ...",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{predict,history}", prog="cxr-desktop")

    predict = sub.add_parser(
        "predict",
        parents=[common],
        help="read X-ray files without opening the window",
        description="Read chest X-ray files (or every image in a folder) and print the result.",
    )
    predict.add_argument("files", nargs="+", metavar="FILE", help="image files or folders")
    predict.add_argument("--json", action="store_true", help="one JSON object per line")
    predict.add_argument("--save", action="store_true", help="also record the readings in the history")
    predict.add_argument(
        "--threads", type=_positive_int, default=None, metavar="N", help="CPU threads for the model"
    )
    predict.add_argument(
        "--model-dir", type=Path, default=None, metavar="DIR", help="folder holding the model"
    )

    history = sub.add_parser("history", help="list or export the reading history")
    history_sub = history.add_subparsers(dest="history_command", metavar="{list,export}")
    history_sub.required = True
    listing = history_sub.add_parser("list", parents=[common], help="list recent readings")
    listing.add_argument(
        "--limit", type=_positive_int, default=20, metavar="N", help="how many (default 20)"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--search", default="", metavar="TEXT", help="patient ID, name or note contains")
    listing.add_argument("--label", default=None, metavar="L", help="only readings with this result")
    export = history_sub.add_parser("export", parents=[common], help="export readings to a CSV file")
    export.add_argument("--csv", type=Path, required=True, metavar="FILE", help="the CSV file to write")
    export.add_argument("--search", default="", metavar="TEXT", help="patient ID, name or note contains")
    export.add_argument("--label", default=None, metavar="L", help="only readings with this result")
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxr-desktop",
        description=f"Open the {APP_NAME} window, optionally with image files.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", metavar="FILE", help="image files to open")
    smoke = parser.add_argument_group(
        "smoke test",
        "Open the window (and FILE), check that it works, print one JSON line and quit by itself. "
        "Used after installing and in CI; the user's history and settings are not touched.",
    )
    smoke.add_argument(
        "--smoke-test", action="store_true",
        help=f"run the GUI smoke test (also when ${SMOKE_ENV}=1)",
    )  # fmt: skip
    smoke.add_argument(
        "--smoke-timeout", type=float, default=60.0, metavar="SECONDS",
        help="fail when not done after this long (default 60)",
    )  # fmt: skip
    smoke.add_argument(
        "--smoke-screenshot", type=Path, default=None, metavar="PNG",
        help="save a picture of the window",
    )  # fmt: skip
    return parser


def _is_command_line(argv: Sequence[str]) -> bool:
    """``cxr-desktop`` and ``cxr-desktop FILE ...`` open the window; the rest are commands."""
    return bool(argv) and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version"))


# ---------------------------------------------------------------------------------------------
# GUI
# ---------------------------------------------------------------------------------------------


def _wants_smoke_test(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "smoke_test", False)) or os.environ.get(SMOKE_ENV, "") not in ("", "0")


def _run_smoke_test(args: argparse.Namespace) -> int:
    if len(args.files) > 1 or any(Path(f).is_dir() for f in args.files):
        _error("the smoke test opens at most one image file.")
        return EXIT_ERROR
    try:
        from cxr_desktop.smoke import run_smoke_test

        return run_smoke_test(
            list(args.files), timeout_s=args.smoke_timeout, screenshot=args.smoke_screenshot
        )
    except (ImportError, OSError) as exc:
        log.info("GUI import failed", exc_info=True)
        _error(f"the {APP_NAME} window could not be started ({exc}).")
        return EXIT_UNEXPECTED


def _run_gui(files: list[str]) -> int:
    problem = missing_display_message()  # before Qt: with no display it aborts the process
    if problem:
        _error(problem)
        return EXIT_ERROR
    try:
        from cxr_desktop.ui.app import run_gui
    except (ImportError, OSError) as exc:
        log.info("GUI import failed", exc_info=True)
        _error(f"the {APP_NAME} window could not be started ({exc}).")
        return EXIT_UNEXPECTED
    return int(run_gui(files) or 0)


# ---------------------------------------------------------------------------------------------
# predict
# ---------------------------------------------------------------------------------------------


def _looks_like_image(path: Path) -> bool:
    """For folder arguments: an image by its name or by its first bytes (DICOM files often
    have no extension, or a UID-like name such as ``1.2.840.113619.2.55.1``)."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    from cxr_desktop.core.imaging import sniff_format

    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return sniff_format(head) is not None


def expand_inputs(items: Iterable[str]) -> list[str]:
    """Files as given; a folder becomes its image files (sorted by name, not recursive).

    Files in a folder that are clearly not images (``manifest.csv``, ``.DS_Store``) are skipped;
    files named as images are kept even when damaged, so that they are reported.
    """
    files: list[str] = []
    for item in items:
        path = Path(item)
        if not path.is_dir():
            files.append(item)
            continue
        found = sorted(
            child
            for child in path.iterdir()
            if not child.name.startswith(".") and child.is_file() and _looks_like_image(child)
        )
        if not found:
            log.warning("no image files in the folder %s", path)
        files.extend(str(child) for child in found)
    return files


def _json_float(value: float | None, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _emit(obj: dict[str, Any]) -> None:
    _print(json.dumps(obj, ensure_ascii=False))


def _cmd_predict(args: argparse.Namespace, logging_setup: _LoggingSetup) -> int:
    from cxr_desktop.core.imaging import load_xray
    from cxr_desktop.core.inference import Classifier

    model_dir = args.model_dir if args.model_dir is not None else paths.model_dir()
    classifier = Classifier(model_dir, threads=args.threads)
    card = classifier.card
    files = expand_inputs(args.files)
    if not files:
        _error("there are no image files to read.")
        return EXIT_ERROR

    history = None
    if args.save:
        from cxr_desktop.core.storage import History

        history = History()
    failed = 0
    save_failed = False
    try:
        for name in files:
            start = time.perf_counter()
            try:
                image = load_xray(name)
                prediction = classifier.predict(image, with_heatmap=args.save)
            except CxrError as exc:
                failed += 1
                log.info("could not read file: %s", exc.detail or exc)
                _report_failure(name, exc.message, args.json)
                continue
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
                failed += 1
                _report_failure(name, _unexpected(exc, f"reading {name}", logging_setup), args.json)
                continue
            ms = (time.perf_counter() - start) * 1e3
            reading_id = None
            if history is not None:
                from cxr_desktop.core.storage import reading_from_prediction

                try:
                    reading_id = history.add(reading_from_prediction(image, prediction))
                except CxrError as exc:  # disk full, folder read-only: show the results anyway
                    log.info("saving stopped: %s", exc.detail or exc)
                    _error(f"{exc.message} This and the next results are shown but not saved.")
                    save_failed = True
                    history.close()
                    history = None
            ood = prediction.out_of_distribution
            if args.json:
                obj: dict[str, Any] = {
                    "file": name,
                    "label": None if ood else prediction.label,
                    "probabilities": prediction.probability_by_label,
                    "uncertain": prediction.uncertain,
                    "out_of_distribution": ood,
                    "ood_score": _json_float(prediction.ood_score),
                    "ood_reason": prediction.ood_reason,
                    "model": f"{prediction.model_name} {prediction.model_version}",
                    "ms": _json_float(ms, 2),
                }
                if reading_id is not None:
                    obj["id"] = reading_id
                _emit(obj)
            else:
                if ood:
                    text = f"{name}: not a chest X-ray"
                    if prediction.ood_reason:
                        text += f". {prediction.ood_reason}"
                else:
                    text = (
                        f"{name}: {card.display_label(prediction.label)} "
                        f"{percent(prediction.confidence, 1)}"
                    )
                    if prediction.uncertain:
                        text += " (uncertain)"
                if reading_id is not None:
                    text += f" [saved as #{reading_id}]"
                _print(text)
    finally:
        if history is not None:
            history.close()
    return EXIT_ERROR if failed or save_failed else EXIT_OK


def _report_failure(name: str, message: str, as_json: bool) -> None:
    if as_json:
        _emit({"file": name, "error": message})
    else:
        _print(f"{name}: error: {message}")


# ---------------------------------------------------------------------------------------------
# history
# ---------------------------------------------------------------------------------------------


def _reading_json(reading: Any) -> dict[str, Any]:
    return {
        "id": reading.id,
        "created_utc": reading.created_utc,
        "patient_id": reading.patient_id,
        "patient_name": reading.patient_name,
        "source_path": reading.source_path,
        "label": reading.label,
        "probabilities": reading.probabilities,
        "uncertain": reading.uncertain,
        "out_of_distribution": reading.out_of_distribution,
        "ood_score": _json_float(reading.ood_score),
        "model": f"{reading.model_name} {reading.model_version}",
        "note": reading.note,
        "confirmed_label": reading.confirmed_label,
        "reviewed_utc": reading.reviewed_utc,
    }


def _reading_line(reading: Any) -> str:
    confidence = reading.probabilities.get(reading.label)
    result = reading.label
    if confidence is not None and not reading.out_of_distribution:
        result += f" {percent(confidence, 1)}"
    if reading.uncertain and not reading.out_of_distribution:
        result += " (uncertain)"
    patient = " ".join(x for x in (reading.patient_id, reading.patient_name) if x)
    source = Path(reading.source_path).name if reading.source_path else ""
    when = reading.created_utc[:19].replace("T", " ")
    review = f" reviewed: {reading.confirmed_label}" if reading.reviewed_utc and reading.confirmed_label else ""
    parts = [f"#{reading.id}", when, result, patient, source]
    return "  ".join(p for p in parts if p) + review


def _cmd_history(args: argparse.Namespace) -> int:
    from cxr_desktop.core.storage import History, ReadingQuery

    with History() as history:
        if args.history_command == "list":
            query = ReadingQuery(text=args.search, label=args.label, limit=args.limit)
            readings = history.search(query)
            if args.json:
                for reading in readings:
                    _emit(_reading_json(reading))
            elif not readings:
                _print("No readings.")
            else:
                for reading in readings:
                    _print(_reading_line(reading))
            return EXIT_OK
        query = ReadingQuery(text=args.search, label=args.label, descending=False)
        rows = history.export_csv(args.csv, query)
        _print(f"Exported {rows} reading{'s' if rows != 1 else ''} to {args.csv}")
        return EXIT_OK


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser() if _is_command_line(argv) else build_gui_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    old_umask = secure_start()  # everything written from here on is private (0600/0700)
    logging_setup = _LoggingSetup(verbose=getattr(args, "verbose", False))
    try:
        command = getattr(args, "command", None)
        if command == "predict":
            return _cmd_predict(args, logging_setup)
        if command == "history":
            return _cmd_history(args)
        if command is None and hasattr(args, "files"):
            if _wants_smoke_test(args):
                return _run_smoke_test(args)
            return _run_gui(list(args.files))
        parser.print_help()
        return EXIT_ERROR
    except CxrError as exc:
        if exc.detail:
            log.info("detail: %s", exc.detail)
        _error(exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _write_line(sys.stderr, "Interrupted.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout went away (e.g. piped into `head`): stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_UNEXPECTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        _error(_unexpected(exc, "running the command", logging_setup))
        return EXIT_UNEXPECTED
    finally:
        logging_setup.close()
        restore_umask(old_umask)


def main_gui(argv: Sequence[str] | None = None) -> int:
    """Entry point of the windowed launcher: always the GUI, the arguments are files to open."""
    files = list(sys.argv[1:] if argv is None else argv)
    old_umask = secure_start()
    logging_setup = _LoggingSetup(verbose=False)
    try:
        return _run_gui(files)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001
        _error(_unexpected(exc, "starting the window", logging_setup))
        return EXIT_UNEXPECTED
    finally:
        logging_setup.close()
        restore_umask(old_umask)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
