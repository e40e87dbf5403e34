"""The DICOM header gate: explicit "not a frontal chest radiograph" in the header rules the image
out; missing or unknown values never do."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cxr_desktop.core.header_check import header_conflict
from cxr_desktop.core.imaging import load_xray
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.types import ImageMetadata, XrayImage
from tests.core import dicom_factory as dcm


def _meta(modality=None, body_part=None, view=None) -> ImageMetadata:
    return ImageMetadata("DICOM", 512, 512, 12, "MONOCHROME2", modality=modality,
                         body_part=body_part, view_position=view)


@pytest.mark.parametrize("modality, body_part, view", [
    (None, None, None),  # a PNG or JPEG: nothing is known
    ("DX", "CHEST", "PA"),
    ("CR", "CHEST", "AP"),
    ("cr", " chest ", "ap"),  # case and padding from real files
    ("OT", None, None),  # a secondary capture (a scanned film)
    ("SC", "", ""),
    ("DX", "THORAX", None),
    ("DX", "PORTABLE CHEST", "AP"),
    ("DX", "CHEST_ABDOMEN", "AP"),  # a babygram names the chest: let the model judge
    ("DX", "WHOLE BODY", None),  # unknown: let the model judge
    ("DX", "TORAX", "PA"),  # Spanish
    ("DX", "LUNGS", "LLD"),  # decubitus views are frontal
    ("XYZ", "SOMETHING", "??"),  # nonsense is not a contradiction
])
def test_chest_radiographs_and_unknown_headers_pass(modality, body_part, view):
    assert header_conflict(_meta(modality, body_part, view)) is None


@pytest.mark.parametrize("modality, body_part, view, words", [
    ("MR", None, None, "MRI"),
    ("CT", "CHEST", None, "CT scan"),  # a chest CT (or its scout) is not a chest radiograph
    ("US", None, None, "ultrasound"),
    ("MG", "BREAST", None, "mammogram"),
    ("DX", "HAND", "PA", "hand"),
    ("CR", "KNEE", None, "knee"),
    ("DX", "SKULL", "AP", "skull"),
    ("DX", "ABDOMEN", "AP", "abdomen"),
    ("DX", "THORACIC SPINE", "AP", "thoracic spine"),  # names the thorax, but a spine study
    ("DX", "TSPINE", "AP", "tspine"),
    ("DX", "CHEST", "LL", "lateral"),
    ("CR", "CHEST", "LATERAL", "lateral"),
])
def test_explicit_contradictions_rule_the_image_out(modality, body_part, view, words):
    reason = header_conflict(_meta(modality, body_part, view))
    assert reason is not None and words in reason and reason.endswith(".")


@pytest.fixture(scope="module")
def chest_pixels(samples_dir) -> np.ndarray:
    """A real chest X-ray from the shared samples, small enough for a quick DICOM."""
    path = sorted((samples_dir / "Normal").iterdir())[0]
    with Image.open(path) as im:
        im = im.convert("L")
        im.thumbnail((512, 512))
        return np.asarray(im)


def test_the_classifier_refuses_a_real_chest_image_whose_header_says_mr(
    shipped_model_dir, chest_pixels, tmp_path
):
    clf = Classifier(shipped_model_dir, threads=1)
    fine = load_xray(dcm.write(tmp_path / "dx.dcm", dcm.make_dataset(
        chest_pixels, BodyPartExamined="CHEST", ViewPosition="PA")))
    accepted = clf.predict(fine, with_heatmap=False)
    assert not accepted.out_of_distribution and accepted.ood_reason is None

    mr = load_xray(dcm.write(tmp_path / "mr.dcm", dcm.make_dataset(chest_pixels, Modality="MR")))
    refused = clf.predict(mr, with_heatmap=False)
    assert refused.out_of_distribution
    assert refused.ood_reason == "The file says it is an MRI scan (DICOM modality MR)."
    assert refused.probabilities == accepted.probabilities  # the model still ran, unchanged

    lateral = load_xray(dcm.write(tmp_path / "ll.dcm", dcm.make_dataset(
        chest_pixels, BodyPartExamined="CHEST", ViewPosition="LL")))
    assert "lateral" in clf.predict(lateral, with_heatmap=False).ood_reason


def test_a_colourful_picture_is_refused_with_the_colour_reason(shipped_model_dir, chest_pixels):
    meta = ImageMetadata("JPEG", chest_pixels.shape[1], chest_pixels.shape[0], 8, "RGB",
                         colorfulness=500.0)
    image = XrayImage(chest_pixels, chest_pixels, meta)
    p = Classifier(shipped_model_dir, threads=1).predict(image, with_heatmap=False)
    assert p.out_of_distribution and p.ood_reason == "The picture is in colour; X-rays are grey."
