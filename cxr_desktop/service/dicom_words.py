"""The DICOM facts of a reading in words: the same rows in the reading's details on screen, in
the report and on the command line (issue 11)."""

from __future__ import annotations

import datetime as _dt
import re

from cxr_desktop.core.types import DicomFacts
from cxr_desktop.i18n import N_, _, format_date, ngettext

SEXES = {"M": N_("Male"), "F": N_("Female"), "O": N_("Other")}


def age_text(value: str | None) -> str:
    """DICOM AS ("034Y", "006M", "012W", "003D") -> "34 years" ...; other text as it is."""
    text = (value or "").strip()
    match = re.fullmatch(r"(\d{1,3})\s*([DWMY])", text.upper())
    if not match:
        return text
    count, unit = int(match.group(1)), match.group(2)
    if unit == "Y":
        return ngettext("{count} year", "{count} years", count).format(count=count)
    if unit == "M":
        return ngettext("{count} month", "{count} months", count).format(count=count)
    if unit == "W":
        return ngettext("{count} week", "{count} weeks", count).format(count=count)
    return ngettext("{count} day", "{count} days", count).format(count=count)


def sex_text(value: str | None) -> str:
    text = (value or "").strip()
    return _(SEXES[text.upper()]) if text.upper() in SEXES else text


def dicom_date_text(value: str | None) -> str:
    """DICOM DA ("20260301", or the old "2026.03.01") -> the date in the user's language."""
    text = (value or "").strip()
    digits = re.sub(r"[.\-/]", "", text)
    if re.fullmatch(r"\d{8}", digits):
        try:
            return format_date(_dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:])))
        except ValueError:
            return text
    return text


def equipment_text(facts: DicomFacts) -> str:
    return " ".join(p for p in (facts.equipment_manufacturer, facts.equipment_model) if p)


def patient_rows(facts: DicomFacts | None) -> list[tuple[str, str]]:
    """(label, value) rows about the patient that the file gave: age, sex, birth date."""
    if facts is None:
        return []
    rows = [(_("Age"), age_text(facts.patient_age)), (_("Sex"), sex_text(facts.patient_sex)),
            (_("Birth date"), dicom_date_text(facts.patient_birth_date))]
    return [(label, value) for label, value in rows if value]


def study_rows(facts: DicomFacts | None, uids: bool = True) -> list[tuple[str, str]]:
    """(label, value) rows about the study and the X-ray unit (study date, institution, unit,
    view and, with ``uids``, the study/series/image UIDs)."""
    if facts is None:
        return []
    rows = [(_("Study date"), dicom_date_text(facts.study_date)),
            (_("Institution"), facts.institution or ""),
            (_("X-ray unit"), equipment_text(facts)),
            (_("View"), facts.view_position or "")]
    if uids:
        rows += [(_("Study UID"), facts.study_instance_uid or ""),
                 (_("Series UID"), facts.series_instance_uid or ""),
                 (_("Image UID"), facts.sop_instance_uid or "")]
    return [(label, value) for label, value in rows if value]


def fact_lines(facts: DicomFacts | None) -> list[str]:
    """The facts as lines "Label: value", for the reading's details on screen."""
    return [_("{label}: {value}").format(label=label, value=value)
            for label, value in patient_rows(facts) + study_rows(facts)]
