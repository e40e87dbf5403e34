"""Simulated clinics for the quality and site-calibration tests: val images of cxr3, processed the
way another X-ray machine might (Pillow only), read through the app's ReadingService, stored with
their true labels as the clinicians' confirmed findings, so the truth is known.

The shifts are written here on purpose (the model work has a fuller suite in training/, which
the app never imports):
  * ``edge_enhancing``: ``ImageFilter.UnsharpMask(radius=4, percent=150, threshold=2)``, the
    CR/DR vendor edge enhancement of the issue "A model that holds up at another hospital";
  * ``low_contrast``: the contrast squeezed to 60% around a raised floor (60 + 0.6 x);
  * ``equalized``: ``ImageOps.equalize``.
``CLINIC_MIX`` is the case mix of an adult clinic (mostly Normals, few children), unlike val's
research mix (34% COVID-19): a clinic differs from the training data in its patients as well as
in its machine.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from cxr_desktop.core.imaging import load_xray_bytes
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.types import Reading
from cxr_desktop.service.reading import ReadingService

Style = Callable[[np.ndarray], np.ndarray]

STYLES: dict[str, Style] = {
    "clean": lambda a: a,
    "edge_enhancing": lambda a: np.asarray(
        Image.fromarray(a).filter(ImageFilter.UnsharpMask(radius=4, percent=150, threshold=2))),
    "low_contrast": lambda a: np.clip(np.rint(60 + 0.6 * a.astype(np.float32)), 0, 255).astype(
        np.uint8),
    "equalized": lambda a: np.asarray(ImageOps.equalize(Image.fromarray(a))),
}
CLINIC_MIX = {"COVID-19": 0.12, "Normal": 0.80, "Viral_Pneumonia": 0.08}


def month_start(months_ago: int = 3) -> datetime:
    """08:00 UTC on the first day of the month ``months_ago`` before this one: recent enough
    for the drift test's window (a year), whenever the tests run."""
    now = datetime.now(timezone.utc)
    year, month = divmod(now.year * 12 + now.month - 1 - months_ago, 12)
    return datetime(year, month + 1, 1, 8, 0, tzinfo=timezone.utc)


MONTH_START = month_start()


@dataclass(frozen=True)
class ValImage:
    file: str  # relative to cxr3/
    label: str
    group: str


def val_images(data_root: Path) -> list[ValImage]:
    with open(data_root / "cxr3" / "manifest.csv", encoding="utf-8", newline="") as handle:
        return [ValImage(r["file"], r["class"], r["group"]) for r in csv.DictReader(handle)
                if r["split"] == "val"]


def _key(seed: str, image: ValImage) -> str:
    return hashlib.sha256(f"{seed}|{image.group}|{image.file}".encode()).hexdigest()


def site_sample(images: Sequence[ValImage], n: int, seed: str,
                mix: dict[str, float] | None = None) -> list[ValImage]:
    """``n`` val images in a fixed, seeded order (the order the clinic reads them), with the
    given case mix (default: val's own)."""
    ordered = sorted(images, key=lambda im: _key(seed, im))
    if mix is None:
        return ordered[:n]
    chosen: list[ValImage] = []
    for label, share in mix.items():
        chosen += [im for im in ordered if im.label == label][: round(share * n)]
    return sorted(chosen, key=lambda im: _key(seed + "/order", im))


def styled_png(data_root: Path, image: ValImage, style: str) -> bytes:
    with Image.open(data_root / "cxr3" / image.file) as img:
        pixels = np.asarray(img.convert("L"))
    out = io.BytesIO()
    Image.fromarray(STYLES[style](pixels)).save(out, format="PNG")
    return out.getvalue()


def read(service: ReadingService, data_root: Path, images: Sequence[ValImage],
         style: str, workers: int = 2) -> list[Reading]:
    """What the app would store for each image as the clinic's machine sends it (not saved),
    in order; two at a time (the model and Pillow release the GIL), as the window's batch does."""

    def one(image: ValImage) -> Reading:
        name = f"{style}-{Path(image.file).name}"
        return service.analyse(load_xray_bytes(styled_png(data_root, image, style), name)).reading

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, images))


def store_confirmed(store: HistoryStore, readings: Sequence[Reading], truths: Sequence[str],
                    start: datetime = MONTH_START, per_day: int = 25) -> list[int]:
    """Save the readings as a clinic would over the weeks from ``start``, each reviewed an hour
    later with its true label as the confirmed finding; returns their ids."""
    ids = []
    step = timedelta(hours=10) / per_day
    for i, (reading, truth) in enumerate(zip(readings, truths, strict=True)):
        day, slot = divmod(i, per_day)
        created = start + timedelta(days=day) + slot * step
        ids.append(store.add(replace(reading, created_utc=created.isoformat(),
                                     reviewed_utc=(created + timedelta(hours=1)).isoformat(),
                                     confirmed_label=truth)))
    return ids
