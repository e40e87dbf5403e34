"""Per-reading limits: a child's X-ray (by the DICOM header) gets the caution sentence."""

from __future__ import annotations

import numpy as np
import pytest

from cxr_desktop.core.imaging import load_xray_bytes
from cxr_desktop.core.reading_limits import (
    CHILD_CAUTION,
    age_from_age_string,
    age_from_dates,
    cautions_for,
    patient_age_years,
)
from cxr_desktop.core.types import ImageMetadata
from tests.core import dicom_factory


def _meta(**fields) -> ImageMetadata:
    return ImageMetadata("DICOM", 10, 10, 8, "MONOCHROME2", **fields)


@pytest.mark.parametrize("text, years", [
    ("007Y", 7.0), ("045Y", 45.0), ("018M", 1.5), ("030W", 30 * 7 / 365.25), ("100D", 100 / 365.25),
    ("7Y", 7.0), ("12", 12.0), (" 014y ", 14.0), ("", None), (None, None), ("abc", None), ("12X", None),
])
def test_age_strings(text, years):
    got = age_from_age_string(text)
    assert got == (pytest.approx(years) if years is not None else None)


@pytest.mark.parametrize("born, seen, years", [
    ("20100615", "20250614", 14.0), ("20100615", "20250615", 15.0), ("1980.01.01", "2021.03.02", 41.0),
    ("20100615", None, None), ("2010061", "20250614", None), ("20250101", "20200101", None),
    ("20100230", "20250614", None),
])
def test_age_from_dates(born, seen, years):
    assert age_from_dates(born, seen) == years


def test_age_string_wins_over_dates():
    m = _meta(patient_age="040Y", patient_birth_date="20150101", study_date="20210101")
    assert patient_age_years(m) == 40.0
    assert patient_age_years(_meta(patient_birth_date="20150101", study_date="20210101")) == 6.0


def test_child_gets_one_whole_sentence_adult_and_unknown_get_none():
    assert cautions_for(_meta(patient_age="006Y")) == (CHILD_CAUTION,)
    assert cautions_for(_meta(patient_age="014Y")) == (CHILD_CAUTION,)
    assert cautions_for(_meta(patient_age="015Y")) == ()
    assert cautions_for(_meta(patient_birth_date="20180301", study_date="20210301")) == (CHILD_CAUTION,)
    assert cautions_for(_meta()) == ()
    assert cautions_for(ImageMetadata("PNG", 10, 10, 8, "L")) == ()
    assert CHILD_CAUTION.endswith(".") and "child" in CHILD_CAUTION and "Viral Pneumonia" in CHILD_CAUTION


def test_dicom_loader_reads_age_and_birth_date():
    pixels = np.tile(np.arange(64, dtype=np.uint16) * 64, (64, 1))
    ds = dicom_factory.make_dataset(pixels, bits_stored=12, PatientAge="004Y", PatientBirthDate="20170102",
                                    StudyDate="20210405")
    image = load_xray_bytes(dicom_factory.to_bytes(ds), "child.dcm")
    assert image.metadata.patient_age == "004Y"
    assert image.metadata.patient_birth_date == "20170102"
    assert cautions_for(image.metadata) == (CHILD_CAUTION,)
