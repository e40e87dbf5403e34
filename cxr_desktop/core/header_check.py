"""What a DICOM header says about the image, before the model looks at it.

A DICOM file names its modality, often the body part and the view. When those plainly say "not
a frontal chest radiograph" (an MRI, a CT, a hand, a lateral view), the app must not offer a
chest X-ray reading, however chest-like the pixels look to the model: a CT scout of the chest
or a lateral chest film can fool an image-only gate. Only explicit contradictions count: a
missing, empty or unknown value (common in real files, and in every PNG/JPEG) is no reason to
refuse, and the model's own out-of-distribution gate still applies.
"""

from __future__ import annotations

import re

from cxr_desktop.core.types import ImageMetadata

#: Modalities that are never a chest radiograph, with how to name them to a health worker.
#: Projection radiography is CR, DX (and the retired DR/RG); OT/SC are secondary captures,
#: which is how scanned or converted films often arrive, so they pass.
OTHER_MODALITIES: dict[str, str] = {
    "CT": "a CT scan",
    "MR": "an MRI scan",
    "PT": "a PET scan",
    "NM": "a nuclear medicine scan",
    "US": "an ultrasound image",
    "IVUS": "an ultrasound image",
    "MG": "a mammogram",
    "XA": "an angiogram",
    "RF": "a fluoroscopy image",
    "IO": "a dental X-ray",
    "PX": "a dental X-ray",
    "ES": "an endoscopy image",
    "XC": "a photograph",
    "OP": "an eye photograph",
    "OPT": "an eye scan",
    "OCT": "an optical coherence scan",
    "SM": "a microscopy slide",
    "GM": "a microscopy image",
    "BMD": "a bone density scan",
    "SEG": "a segmentation",
    "ECG": "an ECG",
}

#: Body parts whose radiographs are not chest radiographs. Checked after _CHEST, except spine,
#: because "THORACIC SPINE" is a spine study although it names the thorax.
_SPINE = ("SPINE", "CSPINE", "TSPINE", "LSPINE", "SSPINE", "COCCYX", "SACRUM")
_CHEST = ("CHEST", "THORAX", "THORAC", "LUNG", "TORAX", "TORACE", "BRUST", "POITRINE", "PECHO")
_OTHER_PARTS = (
    "HEAD", "SKULL", "BRAIN", "FACE", "SINUS", "ORBIT", "JAW", "MANDIBLE", "TMJ", "TEETH", "NECK",
    "HAND", "WRIST", "FINGER", "THUMB", "FOREARM", "ELBOW", "HUMERUS", "ARM", "SHOULDER",
    "CLAVICLE", "SCAPULA", "PELVIS", "HIP", "FEMUR", "KNEE", "PATELLA", "LEG", "TIBIA", "FIBULA",
    "ANKLE", "FOOT", "HEEL", "CALCANEUS", "TOE", "EXTREMITY", "ABDOMEN", "BREAST", "KIDNEY",
)

#: View positions that are not frontal (DICOM ViewPosition: AP and PA are frontal).
_LATERAL_VIEWS = {"LL", "RL", "LAT", "LATERAL", "LLO", "RLO"}


def _words(value: str | None) -> list[str]:
    return re.findall(r"[A-Z]+", (value or "").upper())


def header_conflict(metadata: ImageMetadata) -> str | None:
    """A sentence saying why the file's own header rules out a frontal chest X-ray, or None."""
    modality = (metadata.modality or "").strip().upper()
    if modality in OTHER_MODALITIES:
        return f"The file says it is {OTHER_MODALITIES[modality]} (DICOM modality {modality})."
    part_words = _words(metadata.body_part)
    part = " ".join(part_words)
    if part_words:
        if any(w in _SPINE or w.endswith("SPINE") for w in part_words):
            return f"The file says the body part is {part.lower()}, not the chest."
        chest = any(w.startswith(c) for w in part_words for c in _CHEST)
        other = next((w for w in part_words if any(w.startswith(o) for o in _OTHER_PARTS)), None)
        if other and not chest:
            return f"The file says the body part is {part.lower()}, not the chest."
    view = " ".join(_words(metadata.view_position))
    if view in _LATERAL_VIEWS:
        return f"The file says this is a lateral view ({view}); the model reads frontal views only."
    return None
