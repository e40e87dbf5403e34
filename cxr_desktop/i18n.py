"""The translation seam: ``_()``, ``N_()``, ``ngettext()`` and locale-aware numbers and dates.

Qt-free, so core, service, the CLI and the UI all use it. Messages are looked up with the
standard library's gettext in the domain ``cxr_desktop``; compiled catalogues live under
``<resources>/locale/<language>/LC_MESSAGES/cxr_desktop.mo`` (made from ``locale/*.po``). With
no catalogue for the language, the English source text is used.

Rules for user text (checked by ``tests/test_i18n.py``):
  * every user-facing message goes through ``_()`` (or ``ngettext()`` for counts) as a whole
    sentence with *named* placeholders, filled in after translation:
    ``_("Reading {id} was saved.").format(id=n)``, never glued from fragments;
  * module-level constants are marked with ``N_()`` and translated where they are shown;
  * numbers, percentages and dates are formatted by ``format_number``, ``format_percent`` and
    ``format_datetime`` below, which follow the current language (Babel's CLDR data).

``set_language()`` switches at run time; the GUI calls it from its composition root (and installs
Qt's own translator there), the CLI from ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``.
"""

from __future__ import annotations

import datetime as _dt
import gettext as _gettext
import os
import threading
from pathlib import Path

DOMAIN = "cxr_desktop"
SOURCE_LANGUAGE = "en"
#: Languages written right to left (the UI is mirrored for them).
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
#: The languages the app ships, each with its own name (as its speakers write it; never translated).
SHIPPED_LANGUAGES = {"en": "English", "fr": "Fran\u00e7ais", "pt": "Portugu\u00eas",
                     "es": "Espa\u00f1ol", "ar": "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
                     "bn": "\u09ac\u09be\u0982\u09b2\u09be", "sw": "Kiswahili"}

_lock = threading.Lock()
_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_language = SOURCE_LANGUAGE


def locale_dir() -> Path:
    """Where the compiled catalogues are (also inside the frozen executable)."""
    override = os.environ.get("CXR_DESKTOP_LOCALE_DIR")
    if override:
        return Path(override)
    from cxr_desktop.paths import resource_path

    return resource_path("cxr_desktop", "locale")


def _(message: str) -> str:
    """The message in the current language."""
    return _translation.gettext(message)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker
    """Mark a constant for extraction; translate it with ``_()`` where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form (as many as the language has) for the count ``n``."""
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``_()`` for a short word whose meaning depends on where it is shown."""
    return _translation.pgettext(context, message)


def system_language() -> str:
    """The language the environment asks for (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``), as a code such as ``fr`` or ``pt_BR``; English when none is set."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        for part in value.split(":"):
            code = part.split(".")[0].split("@")[0].strip()
            if code and code not in ("C", "POSIX"):
                return code
    return SOURCE_LANGUAGE


def available_languages() -> list[str]:
    """English plus every language with a compiled catalogue, sorted."""
    found = {SOURCE_LANGUAGE}
    folder = locale_dir()
    if folder.is_dir():
        for child in folder.iterdir():
            if (child / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
                found.add(child.name)
    return sorted(found)


def set_language(code: str | None = None) -> str:
    """Use ``code`` (None: the system's) for every later message; returns the language in use
    (``en`` when there is no catalogue for the one asked for)."""
    global _translation, _language
    wanted = (code or system_language()).replace("-", "_")
    candidates = [wanted, wanted.split("_")[0]]
    translation = _gettext.translation(DOMAIN, str(locale_dir()), languages=candidates, fallback=True)
    if isinstance(translation, _gettext.GNUTranslations):
        language = wanted if (locale_dir() / wanted).is_dir() else wanted.split("_")[0]
    else:
        language = SOURCE_LANGUAGE
    with _lock:
        _translation = translation
        _language = language
    return language


def current_language() -> str:
    return _language


def is_right_to_left(language: str | None = None) -> bool:
    return (language or _language).split("_")[0] in RTL_LANGUAGES


# -- numbers, percentages, dates ---------------------------------------------------------------


def _babel_locale() -> str:
    return _language or SOURCE_LANGUAGE


def format_number(value: float, decimals: int = 0) -> str:
    """12345.678 -> '12,345.7' (decimals=1) in English, '12 345,7' in French."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_babel_locale(), decimal_quantization=True)


def format_percent(p: float, decimals: int = 0) -> str:
    """A probability for people: 0.973 -> '97%'; a model is never 100% or 0% sure, so 0.9996 is
    '>99%' and 0.0004 '<1%' (with decimals=1: '97.3%', '>99.9%', '<0.1%')."""
    from babel.numbers import format_percent as babel_percent

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    step = 10.0**-decimals
    shown = round(p * 100, decimals)
    locale = _babel_locale()
    if p < 1.0 and shown >= 100.0:
        value = babel_percent((100 - step) / 100, format=pattern, locale=locale)
        # Translators: a probability just below 100%, e.g. ">99%"; keep {percent}.
        return _(">{percent}").format(percent=value)
    if p > 0.0 and shown <= 0.0:
        value = babel_percent(step / 100, format=pattern, locale=locale)
        # Translators: a probability just above 0%, e.g. "<1%"; keep {percent}.
        return _("<{percent}").format(percent=value)
    return babel_percent(p, format=pattern, locale=locale)


def _as_local(value: str | _dt.datetime) -> _dt.datetime:
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone()


def format_datetime(value: str | _dt.datetime, style: str = "short") -> str:
    """A time (ISO 8601 text or datetime; naive means UTC) in local time and the current
    language's style. "short" is the date spelled out (never "12/1/26", which reads as two
    different days in two countries) and the time without seconds: "Dec 1, 2026, 9:54 PM" in
    English, "1 déc. 2026, 21:54" in French; "medium"/"long" are Babel's own styles."""
    from babel import Locale
    from babel.dates import format_date as babel_date
    from babel.dates import format_datetime as babel_datetime
    from babel.dates import format_time as babel_time

    moment = _as_local(value)
    if style != "short":
        return babel_datetime(moment, format=style, locale=_babel_locale())
    locale = Locale.parse(_babel_locale())
    pattern = str(locale.datetime_formats.get("medium", "{1} {0}"))
    return pattern.replace("{1}", babel_date(moment, "medium", locale=locale)).replace(
        "{0}", babel_time(moment, "short", locale=locale))


def format_date(value: str | _dt.date | _dt.datetime, style: str = "medium") -> str:
    """A calendar date (ISO text, date or datetime) in the current language's style."""
    from babel.dates import format_date as babel_date

    if isinstance(value, str):
        value = _dt.date.fromisoformat(value[:10])
    elif isinstance(value, _dt.datetime):
        value = _as_local(value).date()
    return babel_date(value, format=style, locale=_babel_locale())
