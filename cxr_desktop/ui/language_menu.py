"""Settings > Language: the window's language (default: the system's), saved in the settings and
applied when CXR Desktop starts; after a choice the menu offers to restart it at once (the
window closes as usual, so running analyses and saves finish first, and opens again in the new
language). The command line always follows LANG / LC_MESSAGES."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QProcess
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu

from cxr_desktop import i18n, paths
from cxr_desktop.i18n import _
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.settings import AppSettings

log = logging.getLogger(__name__)


def restart_command() -> tuple[str, list[str]]:
    """How to start this same app again (the frozen executable, or Python with the package)."""
    if paths.is_frozen():
        return sys.executable, []
    return sys.executable, ["-m", "cxr_desktop"]


def restart_application(window: QMainWindow) -> None:
    program, arguments = restart_command()
    window.close()  # waits for running analyses and queued saves
    if not QProcess.startDetached(program, arguments):
        log.error("could not start the app again")


def language_name(code: str) -> str:
    """A language by its own name ("Français"), never translated; the code when unknown."""
    return i18n.SHIPPED_LANGUAGES.get(code) or i18n.SHIPPED_LANGUAGES.get(code.split("_")[0], code)


class LanguageMenu(QObject):
    def __init__(self, window: QMainWindow, settings: AppSettings, parent_menu: QMenu,
                 restart: Callable[[QMainWindow], None] = restart_application) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.restart = restart
        self.menu = parent_menu.addMenu(_("&Language"))
        self.group = QActionGroup(self.menu)
        self.group.setExclusive(True)
        system = language_name(i18n.system_language())
        self.actions: dict[str, QAction] = {}
        choices = [("", _("The system's language ({language})").format(language=system))]
        choices += list(i18n.SHIPPED_LANGUAGES.items())
        for code, name in choices:
            action = QAction(name, self.menu)
            action.setCheckable(True)
            action.setChecked(code == settings.language)
            action.triggered.connect(lambda _checked=False, c=code: self.choose(c))
            self.group.addAction(action)
            self.menu.addAction(action)
            self.actions[code] = action
        if settings.language not in self.actions:
            self.actions[""].setChecked(True)

    def choose(self, code: str) -> None:
        if code == self.settings.language:
            return
        self.settings.language = code
        self.settings.sync()
        name = language_name(code or i18n.system_language())
        question = _("CXR Desktop will be in {language} from its next start. Restart it now? "
                     "Readings in progress are finished and saved first.").format(language=name)
        if dialogs.confirm(self.window, _("Language"), question):
            self.restart(self.window)
