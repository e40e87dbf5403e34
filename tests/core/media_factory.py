"""X-ray media for the tests, built with pydicom's FileSet: a DICOMDIR holding a frontal chest
DX, a lateral chest DX, a CT slice and a hand radiograph of one patient and study."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.fileset import FileSet
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tests.core.dicom_factory import make_dataset

#: (series description, modality, body part, view position) of the four series.
SERIES = (
    ("Chest PA", "DX", "CHEST", "PA"),
    ("Chest lateral", "DX", "CHEST", "LL"),
    ("Thorax CT", "CT", "CHEST", None),
    ("Left hand", "DX", "HAND", "PA"),
)


def make_cd(folder: Path, patient_id: str = "CD-0007", seed: int = 4,
            pixels: dict[int, np.ndarray] | None = None) -> Path:
    """Write the media into ``folder`` (DICOMDIR + PT*/ST*/SE*/IM* files); returns ``folder``.
    ``pixels``: 12-bit images by series index (0: the frontal chest) instead of noise."""
    rng = np.random.default_rng(seed)
    study = generate_uid()
    file_set = FileSet()
    for number, (description, modality, part, view) in enumerate(SERIES, start=1):
        image = np.clip(rng.normal(2048, 120, (256, 224)), 0, 4095).astype(np.uint16)
        if pixels and number - 1 in pixels:
            image = np.asarray(pixels[number - 1], dtype=np.uint16)
        tags = dict(PatientID=patient_id, PatientName="Banda^Grace", PatientAge="041Y",
                    PatientSex="F", PatientBirthDate="19850302", StudyInstanceUID=study,
                    SeriesInstanceUID=generate_uid(), StudyDate="20260302", StudyTime="093000",
                    StudyID="1", StudyDescription="Chest", SeriesNumber=str(number),
                    SeriesDescription=description, InstanceNumber="1", Modality=modality,
                    BodyPartExamined=part, InstitutionName="Mobile X-ray unit 3",
                    Manufacturer="ACME", ManufacturerModelName="DX-1")
        if view:
            tags["ViewPosition"] = view
        ds = make_dataset(image, "MONOCHROME2", 12, **tags)
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        file_set.add(ds)
    folder.mkdir(parents=True, exist_ok=True)
    file_set.write(folder)
    return folder
