"""The DICOM facts a reading keeps (issue 11): read from the header by the decoder, carried by
``reading_from_prediction``; none for other files."""

from __future__ import annotations

import numpy as np

from cxr_desktop.core.imaging import load_xray
from cxr_desktop.core.types import DicomFacts, ImageMetadata
from tests.core.dicom_factory import make_dataset, write


def test_the_decoder_reads_every_fact(tmp_path) -> None:
    pixels = np.full((64, 64), 1000, np.uint16)
    ds = make_dataset(pixels, "MONOCHROME2", 12, PatientAge="007Y", PatientSex="M",
                      PatientBirthDate="20190105", StudyDate="20260301", StudyInstanceUID="1.2.3",
                      SeriesInstanceUID="1.2.3.4", InstitutionName="Clinic", Manufacturer="ACME",
                      ManufacturerModelName="DX-1", ViewPosition="AP")
    meta = load_xray(write(tmp_path / "x.dcm", ds)).metadata
    facts = DicomFacts.from_metadata(meta)
    assert facts == DicomFacts(patient_age="007Y", patient_sex="M", patient_birth_date="20190105",
                               study_date="20260301", study_instance_uid="1.2.3",
                               series_instance_uid="1.2.3.4", sop_instance_uid=ds.SOPInstanceUID,
                               institution="Clinic", equipment_manufacturer="ACME",
                               equipment_model="DX-1", view_position="AP")


def test_no_facts_for_other_files_or_an_empty_header() -> None:
    assert DicomFacts.from_metadata(ImageMetadata("PNG", 1, 1, 8, "L", patient_age="1Y")) is None
    assert DicomFacts.from_metadata(ImageMetadata("DICOM", 1, 1, 8, "MONOCHROME2")) is None
