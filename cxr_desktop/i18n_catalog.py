"""The message catalogues: extract, update, compile and check them (Babel), in one command each.

    python -m cxr_desktop.i18n_catalog update    # source -> locale/cxr_desktop.pot -> every .po
    python -m cxr_desktop.i18n_catalog compile   # every .po -> its .mo (what the app reads)
    python -m cxr_desktop.i18n_catalog check     # what is missing, untranslated, fuzzy, stale
    python -m cxr_desktop.i18n_catalog all       # update + compile + check (the usual one)
    ... --language ar                            # only that language (repeatable)

Files (all in the repository, under ``cxr_desktop/locale``): ``cxr_desktop.pot`` (the template,
made from the source), ``<lang>/LC_MESSAGES/cxr_desktop.po`` (one per shipped language, edited
by translators) and the compiled ``cxr_desktop.mo`` beside it. After new strings land in the
source, ``all`` adds them to every ``.po`` (empty, or *fuzzy* when a similar old message was
found) and ``check`` lists each one that still needs a translator; ``tests/test_catalogues.py``
fails until none is left. See docs/TRANSLATIONS.md.

Qt's own words (standard buttons, text field menus, the file dialog) come from Qt's
translations where Qt has one (French, Spanish, Brazilian Portuguese, Arabic); for Bengali and
Swahili they are ours, ``locale/qt/qtbase_<lang>.ts`` (Qt Linguist files), and
``locale/qt/qtextra_<lang>.ts`` fills what Qt's own translations lack (the file dialog's labels),
which ``compile`` turns into ``.qm`` with PySide6's lrelease and ``check`` checks the same way.

Developer tool only: the app itself reads the ``.mo`` files with the standard library's gettext.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import string
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cxr_desktop import __version__
from cxr_desktop.i18n import DOMAIN, SHIPPED_LANGUAGES, SOURCE_LANGUAGE

PACKAGE = Path(__file__).resolve().parent
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / f"{DOMAIN}.pot"
QT_WORDS = LOCALE / "qt"  # qtbase_<lang>.ts / .qm for the languages Qt has no translation of
#: The gettext keywords of cxr_desktop.i18n (the same as tests/test_i18n.py extracts).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
COMMENT_TAGS = ("Translators:",)
WIDTH = 100
_FIELD = re.compile(r"\{(\w*)[^{}]*\}|%\((\w+)\)[sdr]")
#: gettext's usual plural rules. Newer CLDR data gives French, Spanish and Portuguese a third
#: form for millions ("1 million de ..."), which no message here needs; Arabic has six forms.
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "pt": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "bn": "nplurals=2; plural=(n != 1);",
    "sw": "nplurals=2; plural=(n != 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
          ": n%100>=11 ? 4 : 5);",
}
TEAM = "Draft for clinical review, see docs/TRANSLATIONS.md"


def translated_languages() -> list[str]:
    """Every shipped language but the source (English needs no catalogue)."""
    return [code for code in SHIPPED_LANGUAGES if code != SOURCE_LANGUAGE]


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


# -- extract / update / compile ---------------------------------------------------------------


def extract(package: Path = PACKAGE) -> Catalog:
    """Every message of the source, in source order, with the translators' comments."""
    catalog = Catalog(project="CXR Desktop", version=__version__, charset="utf-8",
                      msgid_bugs_address="cxr-desktop@users.noreply.github.com",
                      copyright_holder="CXR Desktop contributors")
    found = extract_from_dir(str(package), method_map=[("**.py", "python")], keywords=KEYWORDS,
                             comment_tags=COMMENT_TAGS, strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        if Path(filename).parts[0] == "locale":
            continue
        catalog.add(message, None, [(f"cxr_desktop/{filename}", lineno)],
                    auto_comments=comments, context=context)
    return catalog


def _po_text(catalog: Catalog, template: bool = False) -> str:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, include_lineno=False, omit_header=False,
             ignore_obsolete=True, sort_output=False)
    return buffer.getvalue().decode("utf-8")


def _without_dates(text: str) -> str:
    return re.sub(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$', "", text, flags=re.M)


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file says the same apart from its dates (no churn in git)."""
    if path.is_file() and _without_dates(path.read_text(encoding="utf-8")) == _without_dates(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PACKAGE.parent))
    except ValueError:
        return str(path)


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=language, domain=DOMAIN)


def update(languages: Iterable[str] | None = None) -> list[str]:
    """Source -> template -> each language's .po (new messages added, old ones dropped)."""
    template = extract()
    changed = []
    if _write_if_changed(TEMPLATE, _po_text(template, template=True)):
        changed.append(_shown(TEMPLATE))
    for language in languages or translated_languages():
        path = po_path(language)
        if path.is_file():
            catalog = read_catalog(path, language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="CXR Desktop",
                              version=__version__, charset="utf-8")
        _set_header(catalog, language)
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        if _write_if_changed(path, _po_text(catalog)):
            changed.append(_shown(path))
    return changed


def _set_header(catalog: Catalog, language: str) -> None:
    catalog.fuzzy = False  # a fuzzy header would be left out of the .mo (and its plural rule)
    catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS.get(language, catalog.plural_forms))]
    catalog.last_translator = TEAM
    catalog.language_team = TEAM
    catalog.msgid_bugs_address = "cxr-desktop@users.noreply.github.com"
    catalog.copyright_holder = "CXR Desktop contributors"
    catalog.header_comment = (
        f"# {language} translation of CXR Desktop: a DRAFT for clinical review.\n"
        "# Medical terms follow docs/translations/glossary.csv; how to review or contribute:\n"
        "# docs/TRANSLATIONS.md. Keep every {placeholder} exactly as it is.\n#")


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all(languages: Iterable[str] | None = None) -> list[str]:
    changed = []
    for language in languages or translated_languages():
        data = compiled(read_catalog(po_path(language), language))
        target = mo_path(language)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
            changed.append(_shown(target))
    return changed


def _lrelease() -> str | None:
    here = Path(sys.executable).parent / "pyside6-lrelease"
    return str(here) if here.is_file() else shutil.which("pyside6-lrelease") or shutil.which(
        "lrelease")


def _qt_compiled(ts: Path) -> bytes | None:
    tool = _lrelease()
    if tool is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.qm"
        subprocess.run([tool, "-silent", str(ts), "-qm", str(out)], check=True,
                       capture_output=True)
        return out.read_bytes()


def compile_qt() -> list[str]:
    changed = []
    for ts in sorted(QT_WORDS.glob("qt*_*.ts")):
        data = _qt_compiled(ts)
        target = ts.with_suffix(".qm")
        if data is not None and (not target.is_file() or target.read_bytes() != data):
            target.write_bytes(data)
            changed.append(_shown(target))
    return changed


def qt_problems() -> list[Problem]:
    """Our Qt Linguist files: every message translated, %1 kept, the .qm made from them."""
    problems = []
    for ts in sorted(QT_WORDS.glob("qt*_*.ts")):
        language = ts.stem.split("_", 1)[1]
        for message in ET.parse(ts).getroot().iter("message"):
            source = message.findtext("source") or ""
            node = message.find("translation")
            text = (node.text or "") if node is not None else ""
            if not text or (node is not None and node.get("type") == "unfinished"):
                problems.append(Problem(language, "untranslated", f"Qt: {source}"))
            elif set(re.findall(r"%\d", source)) != set(re.findall(r"%\d", text)):
                problems.append(Problem(language, "placeholders", f"Qt: {source} -> {text}"))
        qm, data = ts.with_suffix(".qm"), _qt_compiled(ts)
        if not qm.is_file() or (data is not None and qm.read_bytes() != data):
            problems.append(Problem(language, "stale-mo", f"{qm.name}: run compile"))
    return problems


# -- check --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    language: str  # "" for the template
    kind: str  # stale-template, missing, untranslated, fuzzy, placeholders, format, plurals, stale-mo
    message: str  # the msgid (or a file name)

    def __str__(self) -> str:
        where = self.language or "template"
        return f"{where}: {self.kind}: {self.message}"


def placeholders(text: str) -> set[str]:
    """{name} fields and %(name)s ones (argparse's words)."""
    return {brace or f"%({percent})" for brace, percent in _FIELD.findall(text)}


def _format_ok(text: str) -> bool:
    try:
        list(string.Formatter().parse(text))
    except ValueError:
        return False
    return True


def _key(message: Message) -> tuple[str, str | None]:
    mid = message.id if isinstance(message.id, str) else message.id[0]
    return (mid, message.context)


def _message_problems(language: str, source: Message, entry: Message | None,
                      nplurals: int) -> list[Problem]:
    ids = [source.id] if isinstance(source.id, str) else list(source.id)
    label = ids[0] if source.context is None else f"{source.context}|{ids[0]}"
    if entry is None:
        return [Problem(language, "missing", label)]
    strings = [entry.string] if isinstance(entry.string, str) else list(entry.string or ())
    if entry.fuzzy:
        return [Problem(language, "fuzzy", label)]
    if not strings or any(not s for s in strings):
        return [Problem(language, "untranslated", label)]
    problems = []
    if len(ids) > 1 and len(strings) != nplurals:
        problems.append(Problem(language, "plurals", f"{label} ({len(strings)} of {nplurals})"))
    wanted = set().union(*(placeholders(i) for i in ids))
    for text in strings:
        if not _format_ok(text):
            problems.append(Problem(language, "format", f"{label} -> {text}"))
            continue
        got = placeholders(text)
        # a plural form may leave out the number itself ("one reading"), nothing else
        needed = wanted - {"count"} if len(ids) > 1 else wanted
        if not got <= wanted or not needed <= got:
            problems.append(Problem(language, "placeholders",
                                    f"{label} -> {text} (want {sorted(wanted)})"))
    return problems


def check(languages: Iterable[str] | None = None) -> list[Problem]:
    """Everything a release must not ship with, as a list (empty: all good)."""
    problems: list[Problem] = []
    source = extract()
    keys = [_key(m) for m in source if m.id]
    if not TEMPLATE.is_file():
        problems.append(Problem("", "stale-template", "no cxr_desktop.pot: run update"))
    else:
        template = read_catalog(TEMPLATE)
        in_template = {_key(m) for m in template if m.id}
        for mid, ctx in keys:
            if (mid, ctx) not in in_template:
                problems.append(Problem("", "stale-template", f"{mid} (run update)"))
    for language in languages or translated_languages():
        path = po_path(language)
        if not path.is_file():
            problems.append(Problem(language, "missing", f"{path.name}: run update"))
            continue
        catalog = read_catalog(path, language)
        entries = {_key(m): m for m in catalog if m.id}
        for message in source:
            if message.id:
                problems += _message_problems(language, message, entries.get(_key(message)),
                                              catalog.num_plurals)
        mo = mo_path(language)
        if not mo.is_file() or mo.read_bytes() != compiled(catalog):
            problems.append(Problem(language, "stale-mo", f"{mo.name}: run compile"))
    wanted = set(languages or translated_languages())
    return problems + [p for p in qt_problems() if p.language in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cxr_desktop.i18n_catalog",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("extract", "update", "compile", "check", "all"))
    parser.add_argument("--language", action="append", metavar="CODE")  # repeatable
    args = parser.parse_args(argv)
    languages = args.language
    if args.command == "extract":
        text = _po_text(extract(), template=True)
        print("wrote" if _write_if_changed(TEMPLATE, text) else "unchanged", TEMPLATE)
        return 0
    if args.command in ("update", "all"):
        for name in update(languages):
            print("updated", name)
    if args.command in ("compile", "all"):
        for name in compile_all(languages) + compile_qt():
            print("compiled", name)
    if args.command in ("check", "all"):
        problems = check(languages)
        for problem in problems:
            print(problem)
        counts: dict[str, int] = {}
        for problem in problems:
            counts[problem.language or "template"] = counts.get(problem.language or "template", 0) + 1
        total = len([m for m in extract() if m.id])
        print(f"{total} messages; " + (", ".join(f"{k}: {v} to do" for k, v in sorted(counts.items()))
                                       or "every language complete"))
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
