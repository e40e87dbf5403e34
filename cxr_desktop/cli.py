"""Command line: ``cxr-desktop [FILE]`` opens the window; ``predict`` and ``history`` work without it.

Qt is imported only when the window is started, so the command line works on machines without
display libraries. Expected problems (CxrError) become one line ``error: <message>`` on stderr and
exit status 2; unexpected ones a one-line message, with the traceback in the log file only.
Messages follow the language of ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cxr_desktop import APP_NAME, __version__, i18n
from cxr_desktop.commands import accounts as accounts_command
from cxr_desktop.commands import argparse_words
from cxr_desktop.commands import calibrate as calibrate_command
from cxr_desktop.commands import history as history_command
from cxr_desktop.commands import import_media as import_command
from cxr_desktop.commands import predict as predict_command
from cxr_desktop.commands import quality as quality_command
from cxr_desktop.commands import report as report_command
from cxr_desktop.commands import summary as summary_command
from cxr_desktop.commands import watch as watch_command
from cxr_desktop.commands.logs import CliLogging
from cxr_desktop.commands.output import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_UNEXPECTED,
    print_error,
    write_line,
)
from cxr_desktop.core.errors import CxrError
from cxr_desktop.display import missing_display_message
from cxr_desktop.i18n import _
from cxr_desktop.privacy import redact
from cxr_desktop.private_files import restore_umask, secure_start
from cxr_desktop.smoke import SMOKE_ENV

log = logging.getLogger("cxr_desktop.cli")

COMMANDS = ("predict", "history", "report", "summary", "import", "watch", "quality",
            "calibrate", "accounts")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a whole number: {text}").format(text=text)) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("must be 1 or more"))
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true",
                        help=_("show technical details (logging) on stderr"))
    parser = argparse.ArgumentParser(
        prog="cxr-desktop",
        description=_("{app}: an offline chest X-ray second-opinion assistant. With no command "
                      "(or just image files) the window opens.").format(app=APP_NAME),
        usage="cxr-desktop [FILE ...]\n       cxr-desktop {" + ",".join(COMMANDS) + "} ...",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}",
                                prog="cxr-desktop")
    predict_command.add_parser(sub, common, _positive_int)
    history_command.add_parser(sub, common, _positive_int)
    quality_command.add_parser(sub, common, _positive_int)
    calibrate_command.add_parser(sub, common, _positive_int)
    accounts_command.add_parser(sub, common, _positive_int)
    report_command.add_parser(sub, common, _positive_int)
    summary_command.add_parser(sub, common, _positive_int)
    import_command.add_parser(sub, common, _positive_int)
    watch_command.add_parser(sub, common, _positive_int)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxr-desktop",
        description=_("Open the {app} window, optionally with image files.").format(app=APP_NAME),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", metavar="FILE", help=_("image files to open"))
    smoke = parser.add_argument_group(
        _("smoke test"),
        _("Open the window (and FILE), check that it works, print one JSON line and quit by "
          "itself. Used after installing and in CI; the user's history and settings are not "
          "touched."),
    )
    smoke.add_argument("--smoke-test", action="store_true",
                       help=_("run the GUI smoke test (also when ${name}=1)").format(name=SMOKE_ENV))
    smoke.add_argument("--smoke-timeout", type=float, default=60.0, metavar="SECONDS",
                       help=_("fail when not done after this long (default 60)"))
    smoke.add_argument("--smoke-screenshot", type=Path, default=None, metavar="PNG",
                       help=_("save a picture of the window"))
    return parser


def _is_command_line(argv: Sequence[str]) -> bool:
    """``cxr-desktop`` and ``cxr-desktop FILE ...`` open the window; the rest are commands."""
    return bool(argv) and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version"))


# -- the window -----------------------------------------------------------------------------


def _wants_smoke_test(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "smoke_test", False)) or os.environ.get(SMOKE_ENV, "") not in ("", "0")


def _window_failed(exc: BaseException) -> int:
    log.info("GUI import failed", exc_info=True)
    print_error(_("The {app} window could not be started ({reason}).").format(
        app=APP_NAME, reason=redact(str(exc))))
    return EXIT_UNEXPECTED


def _run_smoke_test(args: argparse.Namespace) -> int:
    if len(args.files) > 1 or any(Path(f).is_dir() for f in args.files):
        print_error(_("The smoke test opens at most one image file."))
        return EXIT_ERROR
    try:
        from cxr_desktop.smoke import run_smoke_test

        return run_smoke_test(list(args.files), timeout_s=args.smoke_timeout,
                              screenshot=args.smoke_screenshot)
    except (ImportError, OSError) as exc:
        return _window_failed(exc)


def _run_gui(files: list[str]) -> int:
    problem = missing_display_message()  # before Qt: with no display it aborts the process
    if problem:
        print_error(problem)
        return EXIT_ERROR
    try:
        from cxr_desktop.ui.app import run_gui
    except (ImportError, OSError) as exc:
        return _window_failed(exc)
    return int(run_gui(files) or 0)


# -- entry points ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    i18n.set_language()  # the CLI follows LANG / LC_MESSAGES
    argparse_words.install()  # issue 13: "usage:", "options" and argparse's errors too
    parser = build_parser() if _is_command_line(argv) else build_gui_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    old_umask = secure_start()  # everything written from here on is private (0600/0700)
    logging_setup = CliLogging(verbose=getattr(args, "verbose", False))
    try:
        command = getattr(args, "command", None)
        if command == "predict":
            return predict_command.run(args, logging_setup)
        if command == "history":
            return history_command.run(args)
        if command == "accounts":
            return accounts_command.run(args)
        if command in ("quality", "calibrate"):
            return (quality_command if command == "quality" else calibrate_command).run(args)
        if command == "watch":
            return watch_command.run(args)
        if command == "import":
            return import_command.run(args, logging_setup)
        if command in ("report", "summary"):
            return (report_command if command == "report" else summary_command).run(args)
        if command is None and hasattr(args, "files"):
            if _wants_smoke_test(args):
                return _run_smoke_test(args)
            return _run_gui(list(args.files))
        parser.print_help()
        return EXIT_ERROR
    except CxrError as exc:
        if exc.detail:
            log.info("detail: %s", redact(exc.detail))
        print_error(exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        write_line(sys.stderr, _("Interrupted."))
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
        print_error(logging_setup.unexpected(exc))
        return EXIT_UNEXPECTED
    finally:
        logging_setup.close()
        restore_umask(old_umask)


def main_gui(argv: Sequence[str] | None = None) -> int:
    """Entry point of the windowed launcher: always the GUI, the arguments are files to open."""
    files = list(sys.argv[1:] if argv is None else argv)
    old_umask = secure_start()
    logging_setup = CliLogging(verbose=False)
    try:
        return _run_gui(files)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001
        print_error(logging_setup.unexpected(exc))
        return EXIT_UNEXPECTED
    finally:
        logging_setup.close()
        restore_umask(old_umask)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
