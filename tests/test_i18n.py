"""The translation seam: messages can be extracted (Babel), and no user-facing text bypasses _().

What "user-facing" means here: the text of a Qt widget, action, dialog, tooltip or status
message, a domain error's message (CxrError and its subclasses), an argparse help text, and what
the command line prints. Such an argument must be a call to ``_``/``ngettext``/``pgettext`` (or
``.format`` on one), a name (a constant marked with ``N_``, translated where shown) or a value
computed elsewhere; a plain string literal or an f-string fails the test. Messages have named
placeholders only, and ``_`` is never shadowed in a module that translates.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cxr_desktop import i18n

PACKAGE = Path(__file__).resolve().parent.parent / "cxr_desktop"

#: Qt methods whose first string argument is shown to people.
TEXT_METHODS = {
    "setText", "setToolTip", "setWindowTitle", "setPlaceholderText", "setStatusTip", "setWhatsThis",
    "setLabelText", "showMessage", "setAccessibleName", "setAccessibleDescription", "setTitle",
    "addMenu", "setCancelButtonText", "addItem", "addButton", "setPlainText", "setSuffix",
    "setPrefix", "setSpecialValueText", "make_action", "make", "QToolBar",
}
#: Constructors whose first string argument is shown to people.
TEXT_CLASSES = {
    "QLabel", "QPushButton", "QCheckBox", "QRadioButton", "QAction", "QGroupBox", "QDockWidget",
    "QProgressDialog", "QToolButton", "QMenu",
}
#: Functions whose every string argument (after the parent widget) is shown to people.
MESSAGE_FUNCTIONS = {"show_error", "show_info", "confirm", "warning", "information", "critical",
                     "question", "print_error", "print_line", "write_line"}
ERROR_CLASSES = {"CxrError", "UnsupportedFileError", "CorruptImageError", "ImageTooLargeError",
                 "ModelError", "StorageError", "NewerDatabaseError", "DecodeTimeoutError",
                 "DamagedHistoryError", "HistoryMissingError", "JournalVanishedError", "BackupError"}
#: Files whose texts are not translated yet (each has an owner working on it right now).
NOT_YET: set[str] = {"core/imaging.py", "core/dicom.py", "core/model_card.py", "core/inference.py"}


def _python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "locale" not in p.parts)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_prose(node: ast.expr) -> bool:
    """A literal a person would read (letters, not a format code or a style sheet)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        return bool(re.search(r"[A-Za-z]{2}", text)) and not text.startswith(
            ("background", "color", "QProgressBar", "#"))
    return False


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in ("log", "logger", "logging", "qt_log"):
            continue  # log lines are for developers, in English
        candidates: list[ast.expr] = []
        if name in TEXT_METHODS or name in TEXT_CLASSES or name in ERROR_CLASSES:
            candidates = list(node.args[:1])
        elif name in MESSAGE_FUNCTIONS:
            candidates = list(node.args)
        candidates += [kw.value for kw in node.keywords
                       if kw.arg in ("help", "description", "message", "tip", "title")]
        for arg in candidates:
            if _is_prose(arg):
                found.append(f"{path.relative_to(PACKAGE)}:{arg.lineno}: {name}({ast.unparse(arg)[:60]})")
        if name in ("_", "ngettext") and node.args and isinstance(node.args[0], ast.JoinedStr):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}(f-string)")
    return found


def test_no_user_facing_text_bypasses_translation():
    problems = [v for p in _python_files() if str(p.relative_to(PACKAGE)) not in NOT_YET
                for v in _violations(p)]
    assert problems == [], "\n".join(problems)


def test_the_check_catches_a_bypass(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("label.setText('Hello there')\nraise ModelError(f'broken {x}')\n"
                   "label.setText(_('Fine'))\n")
    assert len(_violations_at(bad)) == 2


def _violations_at(path: Path) -> list[str]:
    global PACKAGE
    saved, PACKAGE = PACKAGE, path.parent
    try:
        return _violations(path)
    finally:
        PACKAGE = saved


def _extract() -> list[tuple[str, str | tuple[str, ...], str]]:
    from babel.messages.extract import extract_from_dir

    keywords = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
    return [(fname, message, lineno) for fname, lineno, message, _c, _ctx in
            extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")], keywords=keywords,
                             comment_tags=("Translators:",))]


def test_messages_can_be_extracted_with_babel():
    messages = _extract()
    assert len(messages) > 150
    texts = {m if isinstance(m, str) else m[0] for _f, m, _l in messages}
    for expected in ("This is not a frontal chest X-ray.", "Uncertain \u2014 refer to a radiologist.",
                     "{count} reading", "The reading history could not be saved."):
        assert expected in texts


def test_placeholders_are_named():
    for fname, message, lineno in _extract():
        for text in [message] if isinstance(message, str) else [m for m in message if m]:
            assert not re.search(r"\{\d*\}|%[sd]", text), f"{fname}:{lineno}: {text!r}"
            if isinstance(message, tuple) and message[1]:
                assert set(re.findall(r"\{(\w+)\}", message[0])) <= set(
                    re.findall(r"\{(\w+)\}", message[1])) | {"count"}, f"{fname}:{lineno}"


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_underscore_is_never_shadowed(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports_underscore = any(isinstance(n, ast.ImportFrom) and n.module == "cxr_desktop.i18n"
                             and any(a.name == "_" for a in n.names) for n in ast.walk(tree))
    if not imports_underscore:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            pytest.fail(f"{path.name}:{node.lineno}: assigns to _")
        if isinstance(node, ast.arg) and node.arg == "_":
            pytest.fail(f"{path.name}:{node.lineno}: a parameter named _")
        if isinstance(node, (ast.FunctionDef, ast.Lambda)) and node.args.vararg is not None \
                and node.args.vararg.arg == "_":
            pytest.fail(f"{path.name}:{node.lineno}: *_ parameter")


def test_english_is_the_source_and_switching_changes_no_code(monkeypatch):
    assert i18n.set_language("en") == "en"
    assert i18n._("Not a chest X-ray.") == "Not a chest X-ray."
    assert i18n.ngettext("{count} reading", "{count} readings", 2) == "{count} readings"
    assert i18n.format_percent(0.9996) == ">99%" and i18n.format_percent(0.5, 1) == "50.0%"
    monkeypatch.setenv("LANGUAGE", "")
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("LC_MESSAGES", "fr_FR.UTF-8")
    assert i18n.system_language() == "fr_FR"
    assert not i18n.is_right_to_left("fr") and i18n.is_right_to_left("ar")
    i18n.set_language("en")


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_constants_translated_where_shown_are_marked_for_extraction(path):
    """``_(CONSTANT)`` only finds a translation if the constant was extracted: it must be
    assigned with ``N_()`` (a dict or list of them is fine)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "_" and node.args \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in assigned:
            value = assigned[node.args[0].id]
            marked = isinstance(value, ast.Call) and _name(value.func) == "N_"
            assert marked, f"{path.name}:{node.lineno}: {node.args[0].id} is not marked with N_()"
