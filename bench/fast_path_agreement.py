"""Does the fast path (``load_xray(min_side=512)``) give the model the same answer as the full
decode? Predicted class (and the largest probability difference) of the shipped model, on:

- the 12 full-resolution samples, as they are and re-encoded (JPEG q95 / q75, 16-bit PNG,
  12-bit DICOM with a window, JPEG 2000 DICOM, JPEG baseline DICOM); the three 224 px ones
  are also enlarged to 2048 px, since the fast path leaves a 224 px image alone;
- cxr3 val (1,698 images, 224 px): each image enlarged (bicubic) to a seeded random size of
  1,024-3,072 px on its longer side and re-encoded, JPEG for all of them, the other
  encodings on a seeded subset (JPEG 2000 encoding takes ~1 s an image).

The enlarged val images are smoother than real radiographs of that size; the samples are real.
``python -m bench --only agreement`` prints the figures; tests/core/test_fast_path.py runs a
seeded subset.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from bench.common import Context, Figure, not_measured, sample_files
from cxr_desktop.service.reading import MODEL_MIN_SIDE as MIN_SIDE  # the app's own fast path

ENCODINGS = ("jpeg-q95", "jpeg-q75", "png-16bit", "dicom-12bit", "dicom-j2k", "dicom-jpeg")


def encode(gray: np.ndarray, encoding: str) -> bytes:
    """The 8-bit grey image ``gray`` as a file of the given encoding (see ENCODINGS)."""
    twelve = (gray.astype(np.uint16) << 4) | (gray >> 4)  # 0..4095, display == gray
    buffer = io.BytesIO()
    if encoding.startswith("jpeg-q"):
        Image.fromarray(gray).save(buffer, "JPEG", quality=int(encoding[6:]))
        return buffer.getvalue()
    if encoding == "png-16bit":
        Image.fromarray(twelve).save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()
    from tests.core import dicom_factory as dcm

    if encoding == "dicom-jpeg":
        return dcm.to_bytes(dcm.jpeg_baseline(gray, quality=95, BodyPartExamined="CHEST"))
    ds = dcm.make_dataset(twelve, bits_stored=12, WindowCenter=2048, WindowWidth=4096,
                          BodyPartExamined="CHEST")
    if encoding == "dicom-j2k":
        from pydicom.uid import JPEG2000Lossless

        ds.compress(JPEG2000Lossless)
    return dcm.to_bytes(ds)


def enlarge(gray: np.ndarray, long_side: int) -> np.ndarray:
    height, width = gray.shape
    scale = long_side / max(height, width)
    size = (max(16, round(width * scale)), max(16, round(height * scale)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.Resampling.BICUBIC))


@dataclass
class Agreement:
    cases: int = 0
    agree: int = 0
    max_probability_diff: float = 0.0
    reduced: int = 0  # cases where the fast path actually decoded less than every pixel
    disagreements: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.agree / self.cases if self.cases else float("nan")

    def add(self, other: Agreement) -> None:
        self.cases += other.cases
        self.agree += other.agree
        self.reduced += other.reduced
        self.max_probability_diff = max(self.max_probability_diff, other.max_probability_diff)
        self.disagreements += other.disagreements


def compare(classifier, data: bytes, name: str, min_side: int = MIN_SIDE) -> Agreement:
    """Full decode vs fast path of one file: the model's class and probabilities."""
    from cxr_desktop.core.imaging import is_reduced, load_xray_bytes

    full = load_xray_bytes(data, name)
    fast = load_xray_bytes(data, name, min_side=min_side)
    a = classifier.predict(full, with_heatmap=False)
    b = classifier.predict(fast, with_heatmap=False)
    same = a.label == b.label and a.out_of_distribution == b.out_of_distribution
    diff = float(np.max(np.abs(np.subtract(a.probabilities, b.probabilities))))
    return Agreement(1, int(same), diff, int(is_reduced(fast)),
                     [] if same else [f"{name}: {a.label} -> {b.label} ({diff:.3f})"])


def sample_cases(samples_dir: Path | None) -> list[tuple[str, bytes]]:
    """(name, file bytes): every sample as it is and in every encoding (small ones enlarged)."""
    cases = []
    for path in sample_files(samples_dir):
        cases.append((path.name, path.read_bytes()))
        with Image.open(path) as im:
            gray = np.asarray(im.convert("L"))
        if max(gray.shape) < 2 * MIN_SIDE:
            gray = enlarge(gray, 2048)
            cases.append((f"{path.stem}@2048.jpg", encode(gray, "jpeg-q95")))
        cases += [(f"{path.stem}.{e}", encode(gray, e)) for e in ENCODINGS]
    return cases


def val_files(data_dir: Path) -> list[Path]:
    manifest = data_dir / "cxr3" / "manifest.csv"
    if not manifest.is_file():
        return []
    with open(manifest, newline="", encoding="utf-8") as handle:
        return [manifest.parent / r["file"] for r in csv.DictReader(handle) if r["split"] == "val"]


def val_case(path: Path, encoding: str, seed: int) -> tuple[str, bytes]:
    rng = random.Random(f"{seed}:{path.name}:{encoding}")
    with Image.open(path) as im:
        gray = np.asarray(im.convert("L"))
    long_side = rng.randrange(1024, 3073)
    return f"{path.name}@{long_side}.{encoding}", encode(enlarge(gray, long_side), encoding)


def run_val(classifier, files: list[Path], encoding: str, seed: int) -> Agreement:
    total = Agreement()
    for path in files:
        total.add(compare(classifier, *reversed(val_case(path, encoding, seed))))
    return total


def run(ctx: Context) -> list[Figure]:
    from cxr_desktop.core.inference import Classifier

    section = f"Fast path agreement (load_xray min_side={MIN_SIDE} vs full decode, shipped model)"
    try:
        classifier = Classifier(ctx.model_dir, threads=1)
    except Exception as exc:  # noqa: BLE001
        return [not_measured(section, "agreement", f"no model: {exc}")]
    figures = []
    samples = Agreement()
    for name, data in sample_cases(ctx.samples_dir):
        samples.add(compare(classifier, data, name))
    figures.append(_figure(section, f"12 samples x {len(ENCODINGS) + 1}+ encodings", samples))
    val = val_files(ctx.samples_dir.parent) if ctx.samples_dir else []
    if not val:
        return figures + [not_measured(section, "cxr3 val", "no cxr3 manifest")]
    rng = random.Random(ctx.seed)
    everything = val[:: 10] if ctx.quick else val
    subset = rng.sample(val, 30 if ctx.quick else 200)
    details = {"samples": samples.__dict__}
    for encoding, files in [("jpeg-q95", everything)] + [(e, subset) for e in ENCODINGS[1:]]:
        result = run_val(classifier, files, encoding, ctx.seed)
        details[encoding] = result.__dict__
        figures.append(_figure(section, f"cxr3 val, {len(files)} images, {encoding}", result))
        ctx.log(f"agreement {encoding}: {result.agree}/{result.cases}")
    ctx.details["fast_path_agreement"] = details
    return figures


def _figure(section: str, name: str, result: Agreement) -> Figure:
    note = (f"{result.agree}/{result.cases} agree, {result.reduced} decoded reduced, max "
            f"probability difference {result.max_probability_diff:.3f}")
    if result.disagreements:
        note += "; " + "; ".join(result.disagreements[:3])
    return Figure(section, name, round(100 * result.rate, 2), "%", note)
