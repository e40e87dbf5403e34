"""The fast path, ``load_xray(path, min_side=N)``: what it returns, and that the shipped model
answers as it does on the full decode.

Agreement here: every sample in its original file and re-encoded (JPEG q95/q75, 16-bit PNG,
12-bit DICOM, JPEG baseline DICOM; JPEG 2000 DICOM for four of them, its encoder being slow),
and a seeded subset of cxr3 val enlarged to 1,024-3,072 px and re-encoded. The full figures
(all 1,698 val images) come from ``python -m bench --only agreement`` (bench/fast_path_agreement.py).
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench import fast_path_agreement as agreement
from cxr_desktop import paths
from cxr_desktop.core import dicom_reduced
from cxr_desktop.core.imaging import is_reduced, load_xray_bytes
from cxr_desktop.core.pixel_values import reduction_factor
from cxr_desktop.core.preprocess import preprocess
from tests.core import dicom_factory as dcm


@pytest.fixture(scope="module")
def classifier():
    from cxr_desktop.core.inference import Classifier

    return Classifier(paths.model_dir(), threads=1)


@pytest.fixture(scope="module")
def radiograph() -> np.ndarray:
    """The largest real sample (2665 x 2197), grey."""
    from bench.common import largest_sample

    with Image.open(largest_sample(paths.shared_data_dir() / "samples")) as im:
        return np.asarray(im.convert("L"))


def test_the_model_agrees_on_every_sample_and_its_re_encodings(classifier) -> None:
    samples = paths.shared_data_dir() / "samples"
    j2k_for = {p.stem for p in sorted(samples.glob("*/*"))[::3]}
    total = agreement.Agreement()
    for path in sorted(p for p in samples.glob("*/*") if p.suffix != ".csv"):
        total.add(agreement.compare(classifier, path.read_bytes(), path.name))
        with Image.open(path) as im:
            gray = np.asarray(im.convert("L"))
        if max(gray.shape) < 2 * agreement.MIN_SIDE:
            gray = agreement.enlarge(gray, 2048)
        for encoding in agreement.ENCODINGS:
            if encoding == "dicom-j2k" and path.stem not in j2k_for:
                continue
            data = agreement.encode(gray, encoding)
            total.add(agreement.compare(classifier, data, f"{path.stem}.{encoding}"))
    assert total.cases >= 12 * len(agreement.ENCODINGS)
    assert total.disagreements == []
    # images whose shorter side is under 2 x 512 px decode whole (a factor of 2 would break 512)
    assert total.reduced >= total.cases // 2
    assert total.max_probability_diff < 0.15


def test_the_model_agrees_on_a_seeded_subset_of_val(classifier) -> None:
    val = agreement.val_files(paths.shared_data_dir())
    assert len(val) == 1698
    subset = random.Random(20261126).sample(val, 40)
    plan = [("jpeg-q95", subset[:20]), ("jpeg-q75", subset[20:26]), ("png-16bit", subset[26:32]),
            ("dicom-12bit", subset[32:36]), ("dicom-jpeg", subset[36:38]),
            ("dicom-j2k", subset[38:40])]
    total = agreement.Agreement()
    for encoding, files in plan:
        total.add(agreement.run_val(classifier, files, encoding, seed=7))
    # long sides drawn from 1,024-3,072 px: a shorter side under 2 x 768 decodes whole
    assert total.cases == 40 and total.reduced >= 30
    assert total.disagreements == []


# -- what the fast path returns ----------------------------------------------------------------


def _jpeg(gray: np.ndarray, **params) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, "JPEG", quality=95, **params)
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", agreement.ENCODINGS)
def test_reduced_image_keeps_the_full_metadata_and_look(radiograph, encoding) -> None:
    data = agreement.encode(radiograph, encoding)
    full, fast = load_xray_bytes(data, "x"), load_xray_bytes(data, "x", min_side=512)
    assert is_reduced(fast) and not is_reduced(full)
    assert fast.metadata == full.metadata and fast.sha256 == full.sha256
    assert (fast.metadata.width, fast.metadata.height) == (2665, 2197)
    assert min(fast.display.shape) >= 512 and fast.display.shape == fast.pixels.shape
    assert fast.display.shape == (550, 667)  # 1/4: the shorter side stays >= 512
    # the same picture: the model's input from both is nearly the same
    spec = _spec()
    a, b = preprocess(full, spec)[0, 0], preprocess(fast, spec)[0, 0]
    assert np.abs(a - b).mean() * spec.std * 255 < 2.0  # in grey levels
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.99


def test_small_images_and_no_min_side_decode_whole(radiograph) -> None:
    small = radiograph[::8, ::8]
    image = load_xray_bytes(_jpeg(small), min_side=512)
    assert not is_reduced(image) and image.display.shape == small.shape
    assert not is_reduced(load_xray_bytes(_jpeg(radiograph)))


def test_exif_rotation_is_applied_and_the_metadata_give_the_rotated_size(radiograph) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise
    data = _jpeg(radiograph, exif=exif.tobytes())
    full, fast = load_xray_bytes(data), load_xray_bytes(data, min_side=512)
    assert full.display.shape == (2665, 2197) and fast.display.shape == (667, 550)
    assert (fast.metadata.width, fast.metadata.height) == (2197, 2665) == (
        full.metadata.width, full.metadata.height)


def test_16bit_png_keeps_the_full_images_bit_depth(radiograph) -> None:
    """The full scale comes from the whole image: one bright pixel above 12 bits makes the
    image 14-bit, whatever a reduced copy's own maximum is."""
    wide = radiograph.astype(np.uint16) << 4
    wide[0, 0] = 5000  # > 4095
    buffer = io.BytesIO()
    Image.fromarray(wide).save(buffer, "PNG")
    full = load_xray_bytes(buffer.getvalue())
    fast = load_xray_bytes(buffer.getvalue(), min_side=512)
    assert abs(float(full.display.mean()) - float(fast.display.mean())) < 1.0
    assert full.display.mean() < 70  # 14-bit scaling: a quarter of the 12-bit brightness


def test_jpeg2000_level_0_through_pillow_equals_pydicoms_decode(radiograph) -> None:
    from pydicom.encaps import generate_frames
    from pydicom.uid import JPEG2000Lossless

    twelve = (radiograph[:700, :900].astype(np.uint16) << 4) | (radiograph[:700, :900] >> 4)
    ds = dcm.make_dataset(twelve, bits_stored=12)
    ds.compress(JPEG2000Lossless)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    values, used = dicom_reduced._j2k(frame, 12, 1)
    assert used == 1
    np.testing.assert_array_equal(values, twelve)
    reduced, used = dicom_reduced._j2k(frame, 12, 4)
    assert used == 4 and reduced.shape == (175, 225) and reduced.dtype == np.uint16
    assert dicom_reduced.j2k_levels(frame)[5] >= 2


def test_jpeg2000_signed_or_odd_frames_fall_back_to_the_full_decoder() -> None:
    from pydicom.uid import JPEG2000Lossless

    signed = (np.arange(600 * 600).reshape(600, 600) % 2000 - 1000).astype(np.int16)
    ds = dcm.make_dataset(signed, bits_stored=12)
    ds.compress(JPEG2000Lossless)
    image = load_xray_bytes(dcm.to_bytes(ds), min_side=128)
    full = load_xray_bytes(dcm.to_bytes(ds))
    assert image.display.shape == (150, 150)  # decoded whole by pydicom, then box-reduced
    assert abs(float(image.pixels.mean()) - float(full.pixels.mean())) < 1.0


@pytest.mark.parametrize(
    ("size", "min_side", "choices", "expected"),
    [((2665, 2197), 512, (1, 2, 4, 8), 4), ((2665, 2197), 512, None, 4),
     ((1000, 600), 512, None, 1), ((7000, 7000), 512, (1, 2, 4, 8), 8),
     ((7000, 7000), 512, None, 13), ((300, 300), 512, None, 1), ((3000, 2000), None, None, 1)],
)
def test_reduction_factor(size, min_side, choices, expected) -> None:
    factor = reduction_factor(*size, min_side, choices)
    assert factor == expected
    if min_side:
        assert -(-min(size) // factor) >= min(min_side, min(size))


def _spec():
    from cxr_desktop.core.model_card import load_model_card

    return load_model_card(Path(paths.model_dir())).preprocess
