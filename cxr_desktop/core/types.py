"""Frozen dataclasses that cross module boundaries (imaging -> inference -> storage -> UI)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: What the history and the CLI call a reading whose image does not look like a frontal chest X-ray.
OOD_LABEL = "Not a chest X-ray"


@dataclass(frozen=True)
class ImageMetadata:
    """What we know about the file an image came from."""

    format: str  # "PNG", "JPEG", "BMP", "TIFF", "DICOM"
    width: int
    height: int
    bit_depth: int  # bits per sample as stored (8, 12, 16, ...)
    photometric: str  # DICOM photometric interpretation or Pillow mode ("L", "RGB", ...)
    frames: int = 1
    #: Hasler-Suesstrunk colourfulness of the original colours (0 for grey images). Radiographs
    #: are grey even when stored as RGB; a colourful picture is not an X-ray.
    colorfulness: float = 0.0
    patient_id: str | None = None
    patient_name: str | None = None
    study_date: str | None = None
    modality: str | None = None
    body_part: str | None = None
    view_position: str | None = None
    #: DICOM PatientAge as written (Age String, e.g. "007Y", "018M"), and PatientBirthDate
    #: (YYYYMMDD): raw text; ``core.reading_limits`` interprets them.
    patient_age: str | None = None
    patient_birth_date: str | None = None
    patient_sex: str | None = None  # M, F, O
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    sop_instance_uid: str | None = None
    institution: str | None = None
    equipment_manufacturer: str | None = None  # the X-ray unit's maker (not the AI model)
    equipment_model: str | None = None  # the X-ray unit's model name (not the AI model)

    # -- issue 13: length measurements in the viewer
    #: Millimetres between pixel centres as (row, column) spacing, from the DICOM PixelSpacing
    #: (at the patient) or else ImagerPixelSpacing (at the detector); None when the file does not
    #: say. Always of the full-size image (``width`` x ``height``).
    pixel_spacing_mm: tuple[float, float] | None = None
    pixel_spacing_tag: str | None = None  # "PixelSpacing" or "ImagerPixelSpacing"


@dataclass(frozen=True)
class DicomFacts:
    """What a DICOM file said about the patient, the study and the X-ray unit, kept with the
    reading (issue 11). Text as the file stored it; None when the file did not say."""

    patient_age: str | None = None
    patient_sex: str | None = None
    patient_birth_date: str | None = None
    study_date: str | None = None
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    sop_instance_uid: str | None = None
    institution: str | None = None
    equipment_manufacturer: str | None = None
    equipment_model: str | None = None
    view_position: str | None = None

    @classmethod
    def from_metadata(cls, meta: ImageMetadata) -> DicomFacts | None:
        """The facts of a DICOM image's header; None for other files or when it said nothing."""
        if meta.format != "DICOM":
            return None
        facts = cls(**{name: getattr(meta, name, None) for name in DICOM_FACT_FIELDS})
        return facts if any(getattr(facts, n) for n in DICOM_FACT_FIELDS) else None


#: The fields of ``DicomFacts``, in order (storage columns, CSV, JSON use the same names).
DICOM_FACT_FIELDS = (
    "patient_age", "patient_sex", "patient_birth_date", "study_date", "study_instance_uid",
    "series_instance_uid", "sop_instance_uid", "institution", "equipment_manufacturer",
    "equipment_model", "view_position",
)


@dataclass(frozen=True, eq=False)
class XrayImage:
    """A decoded radiograph.

    ``pixels`` holds the full-resolution grayscale values as decoded (after DICOM rescale and
    MONOCHROME1 inversion), ``display`` the same image mapped to the 8-bit appearance the
    training images have: bright bone, dark air. The model sees ``display``.
    """

    pixels: np.ndarray  # 2-D, float32 or integer, full resolution
    display: np.ndarray  # 2-D uint8, same shape as pixels
    metadata: ImageMetadata
    source_path: str | None = None
    sha256: str | None = None  # of the file's bytes
    # -- issue 13: a colour picture is shown in colour (the model still sees ``display``)
    #: (height, width, 3) uint8 RGB of the same picture as ``display`` when the file has visible
    #: colour (a photo, a coloured screenshot); None for grey images (every real radiograph).
    color: np.ndarray | None = None

    @property
    def width(self) -> int:
        return int(self.display.shape[1])

    @property
    def height(self) -> int:
        return int(self.display.shape[0])


@dataclass(frozen=True, eq=False)
class Prediction:
    """The model's answer for one image."""

    labels: tuple[str, ...]
    probabilities: tuple[float, ...]  # calibrated, sum to 1, same order as labels
    label: str  # top class (meaningless when out_of_distribution)
    confidence: float  # probability of the top class
    uncertain: bool  # top probability below the model card's threshold: refer
    out_of_distribution: bool  # does not look like a frontal chest X-ray: no class is given
    ood_score: float  # <= 1.0 looks like the training data, > 1.0 does not
    #: Class-activation map of the top class, uint8 at the model's own resolution (e.g. 7x7,
    #: 0 = no evidence, 255 = most); scaled once, where it is drawn or stored.
    heatmap: np.ndarray | None
    model_name: str
    model_version: str
    model_sha256: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: Why the image was judged not a frontal chest X-ray, in words for the user (None: accepted,
    #: or the model's own gate said so without a more specific reason).
    ood_reason: str | None = None
    #: Whole sentences for the user about limits of the model for this image (e.g. a child's
    #: X-ray: see ``core.reading_limits``); shown with the result and stored with the reading.
    cautions: tuple[str, ...] = ()

    @property
    def probability_by_label(self) -> dict[str, float]:
        return dict(zip(self.labels, self.probabilities))

    @property
    def total_ms(self) -> float:
        return float(self.timings_ms.get("total", sum(self.timings_ms.values())))


@dataclass(frozen=True)
class Reading:
    """One row of the history: what was read, when, with which model, and what the clinician said."""

    id: int | None
    created_utc: str  # ISO 8601, UTC, e.g. 2026-11-26T18:25:00.123456+00:00
    source_path: str | None
    file_sha256: str | None
    file_format: str | None
    width: int | None
    height: int | None
    probabilities: dict[str, float]
    label: str  # the model's top class, or OOD_LABEL when out_of_distribution
    uncertain: bool
    out_of_distribution: bool
    ood_score: float | None
    model_name: str
    model_version: str
    model_sha256: str
    patient_id: str | None = None
    patient_name: str | None = None
    preview_png: bytes | None = None  # grayscale PNG, longest side <= 512 px
    #: grayscale PNG of the heatmap at the model's resolution (readings saved before v2: at the
    #: preview's size); drawn stretched over the preview.
    heatmap_png: bytes | None = None
    thumbnail_png: bytes | None = None  # grayscale PNG, longest side <= 96 px, for table rows
    inference_ms: float | None = None
    note: str = ""
    confirmed_label: str | None = None
    reviewed_utc: str | None = None
    #: Why the image was judged not a frontal chest X-ray (None: accepted, or no specific reason).
    ood_reason: str | None = None
    cautions: tuple[str, ...] = ()
    # -- issue 15: shared clinic database
    #: Made once by the PC that read the image (uuid4): the same reading sent twice (a retry
    #: after an outage, a resumed copy) is stored once. None: made before keys existed.
    uid: str | None = None
    #: How many times the reading was reviewed, plus one: a review made on an older copy is
    #: refused (``StaleReviewError``) instead of silently overwriting the newer one.
    version: int = 1
    # -- issue 12: site calibration ---------------------------------------------------------
    #: The site calibration profile that produced ``probabilities`` and ``uncertain`` (None: the
    #: model card's own calibration).
    site_profile_id: int | None = None
    #: The model card's probabilities before the site profile adjusted them (None: no profile,
    #: so they are ``probabilities``).
    model_probabilities: dict[str, float] | None = None
    # -- issue 11 --
    #: What the DICOM file said (None: not a DICOM, or stored before the DICOM facts existed). ``get``
    #: returns it; ``search`` and ``iter_readings`` leave it None, like the large images.
    dicom: DicomFacts | None = None
