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
from cxr_desktop.i18n import N_, _

#: Modalities that are never a chest radiograph, with the sentence that says so (one whole
#: sentence each, so that a translation can decline the noun as its language needs).
#: Projection radiography is CR, DX (and the retired DR/RG); OT/SC are secondary captures,
#: which is how scanned or converted films often arrive, so they pass.
OTHER_MODALITIES: dict[str, str] = {
    "CT": N_("The file says it is a CT scan (DICOM modality {code})."),
    "MR": N_("The file says it is an MRI scan (DICOM modality {code})."),
    "PT": N_("The file says it is a PET scan (DICOM modality {code})."),
    "NM": N_("The file says it is a nuclear medicine scan (DICOM modality {code})."),
    "US": N_("The file says it is an ultrasound image (DICOM modality {code})."),
    "IVUS": N_("The file says it is an ultrasound image (DICOM modality {code})."),
    "MG": N_("The file says it is a mammogram (DICOM modality {code})."),
    "XA": N_("The file says it is an angiogram (DICOM modality {code})."),
    "RF": N_("The file says it is a fluoroscopy image (DICOM modality {code})."),
    "IO": N_("The file says it is a dental X-ray (DICOM modality {code})."),
    "PX": N_("The file says it is a dental X-ray (DICOM modality {code})."),
    "ES": N_("The file says it is an endoscopy image (DICOM modality {code})."),
    "XC": N_("The file says it is a photograph (DICOM modality {code})."),
    "OP": N_("The file says it is an eye photograph (DICOM modality {code})."),
    "OPT": N_("The file says it is an eye scan (DICOM modality {code})."),
    "OCT": N_("The file says it is an optical coherence scan (DICOM modality {code})."),
    "SM": N_("The file says it is a microscopy slide (DICOM modality {code})."),
    "GM": N_("The file says it is a microscopy image (DICOM modality {code})."),
    "BMD": N_("The file says it is a bone density scan (DICOM modality {code})."),
    "SEG": N_("The file says it is a segmentation (DICOM modality {code})."),
    "ECG": N_("The file says it is an ECG (DICOM modality {code})."),
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

NOT_CHEST = N_("The file says the body part is {part}, not the chest.")

#: View positions that are not frontal (DICOM ViewPosition: AP and PA are frontal).
_LATERAL_VIEWS = {"LL", "RL", "LAT", "LATERAL", "LLO", "RLO"}


def _words(value: str | None) -> list[str]:
    return re.findall(r"[A-Z]+", (value or "").upper())


def header_conflict(metadata: ImageMetadata) -> str | None:
    """A sentence saying why the file's own header rules out a frontal chest X-ray, or None."""
    modality = (metadata.modality or "").strip().upper()
    if modality in OTHER_MODALITIES:
        return _(OTHER_MODALITIES[modality]).format(code=modality)
    part_words = _words(metadata.body_part)
    part = " ".join(part_words)
    if part_words:
        if any(w in _SPINE or w.endswith("SPINE") for w in part_words):
            return _(NOT_CHEST).format(part=part.lower())
        chest = any(w.startswith(c) for w in part_words for c in _CHEST)
        other = next((w for w in part_words if any(w.startswith(o) for o in _OTHER_PARTS)), None)
        if other and not chest:
            return _(NOT_CHEST).format(part=part.lower())
    view = " ".join(_words(metadata.view_position))
    if view in _LATERAL_VIEWS:
        return _("The file says this is a lateral view ({view}); the model reads frontal views "
                 "only.").format(view=view)
    return None
