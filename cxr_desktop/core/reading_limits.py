"""Limits of the model for one image, told to the user with the result (and stored with it).

The training data has children only as Normal or Viral Pneumonia (every Viral Pneumonia image
is of a child aged 1-5, every COVID-19 image of an adult), so for a child the model's answer
leans on age and needs extra caution. A DICOM header says the patient's age in PatientAge
(Age String, e.g. "007Y", "018M", "030W", "100D") or lets it be computed from PatientBirthDate
and StudyDate. Pure functions: no I/O, no Qt.
"""

from __future__ import annotations

import datetime as dt
import re

from cxr_desktop.core.types import ImageMetadata
from cxr_desktop.i18n import N_, _

CHILD_UNDER_YEARS = 15
CHILD_CAUTION = N_(
    "The file says the patient is a child under 15. The model saw children only as Normal or Viral "
    "Pneumonia, never as COVID-19, so its answer for a child needs extra caution."
)

_AGE = re.compile(r"^\s*0*(\d{1,3})\s*([DWMY]?)\s*$", re.IGNORECASE)
_DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25, "": 365.25}


def age_from_age_string(text: str | None) -> float | None:
    """Years from a DICOM Age String ("007Y"; a bare number counts as years); None if unreadable."""
    match = _AGE.match(text or "")
    if not match:
        return None
    return int(match.group(1)) * _DAYS_PER_UNIT[match.group(2).upper()] / 365.25


def _date(text: str | None) -> dt.date | None:
    digits = re.sub(r"[.\-/ ]", "", text or "")
    if not re.fullmatch(r"\d{8}", digits):
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def age_from_dates(birth_date: str | None, study_date: str | None) -> float | None:
    """Completed years between PatientBirthDate and StudyDate; None if either is missing or odd."""
    born, seen = _date(birth_date), _date(study_date)
    if born is None or seen is None or seen < born:
        return None
    years = seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))
    return float(years)


def patient_age_years(metadata: ImageMetadata) -> float | None:
    """The patient's age at the study as the file states it: PatientAge first, else the dates."""
    age = age_from_age_string(metadata.patient_age)
    if age is None:
        age = age_from_dates(metadata.patient_birth_date, metadata.study_date)
    return age


def cautions_for(metadata: ImageMetadata) -> tuple[str, ...]:
    """Whole, translated sentences about this image's known limits (empty: none known)."""
    age = patient_age_years(metadata)
    if age is not None and age < CHILD_UNDER_YEARS:
        return (_(CHILD_CAUTION),)
    return ()
