"""Open-to-result time for full-resolution files, and batch throughput.

Open-to-result: ``load_xray`` + ``Classifier.predict`` with the heatmap (what the GUI does before
it shows a result), end to end in one process, median of several runs, for the largest real
sample JPEG and the same radiograph as a 16-bit PNG (12-bit values), an uncompressed 12-bit
DICOM with a window, and that DICOM compressed with lossless JPEG 2000 (as many DR systems send
it). The files are made once under bench/out/files (never committed).

Batch: images/s for load + predict + heatmap + ``reading_from_prediction`` + ``History.add``,
one file after the other as the GUI's batch does, over the 12 full-resolution samples and over
100 validation images of cxr3 (224 px).
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.common import Context, Figure, largest_sample, not_measured, sample_files


def make_files(samples_dir: Path | None, folder: Path) -> dict[str, Path]:
    """label -> file: the real JPEG and its PNG-16 / DICOM / DICOM-J2K versions."""
    src = largest_sample(samples_dir)
    if src is None:
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as im:
        gray = np.asarray(im.convert("L"), dtype=np.uint8)
    h, w = gray.shape
    twelve = (gray.astype(np.uint16) << 4) | (gray >> 4)  # 0..4095
    files = {f"JPEG {w}x{h} ({src.stat().st_size // 1024} KB)": src}
    png = folder / f"{src.stem}-16bit.png"
    if not png.is_file():
        Image.fromarray(twelve).save(png)
    files[f"PNG 16-bit {w}x{h}"] = png
    dcm = folder / f"{src.stem}-12bit.dcm"
    j2k = folder / f"{src.stem}-12bit-j2k.dcm"
    if not dcm.is_file() or not j2k.is_file():
        _write_dicoms(twelve, dcm, j2k)
    files[f"DICOM 12-bit {w}x{h}, window"] = dcm
    if j2k.is_file():
        files[f"DICOM JPEG 2000 lossless {w}x{h}"] = j2k
    return files


def _write_dicoms(twelve: np.ndarray, plain: Path, j2k: Path) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.pixels import get_encoder
    from pydicom.uid import JPEG2000Lossless

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.Modality = "DX"
    ds.PatientID = "BENCH-1"
    ds.BodyPartExamined = "CHEST"
    ds.set_pixel_data(twelve, "MONOCHROME2", 12)
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.RescaleSlope, ds.RescaleIntercept = 1, 0
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(plain, enforce_file_format=True)
    if get_encoder(JPEG2000Lossless).is_available:
        ds.compress(JPEG2000Lossless)
        ds.save_as(j2k, enforce_file_format=True)


def _classifier(ctx: Context):
    from cxr_desktop.core.errors import ModelError
    from cxr_desktop.core.inference import Classifier

    try:
        return Classifier(ctx.model_dir), None
    except ModelError as exc:
        return None, f"no trained model in {ctx.model_dir} ({exc.message})"


def run(ctx: Context) -> list[Figure]:
    from cxr_desktop.core.imaging import load_xray

    section = "Open to result (load + predict + heatmap, full resolution)"
    clf, why = _classifier(ctx)
    files = make_files(ctx.samples_dir, ctx.workdir / "files")
    if clf is None or not files:
        why = why or f"no sample images in {ctx.samples_dir}"
        return [not_measured(section, "open to result", why, "ms"),
                not_measured("Batch throughput", "batch", why, "images/s")]
    runs = 3 if ctx.quick else 7
    figures = []
    details = {"threads": clf.threads, "model": f"{clf.card.name} {clf.card.version}"}
    for label, path in files.items():
        load, total = [], []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            image = load_xray(path)
            t1 = time.perf_counter()
            clf.predict(image, with_heatmap=True)
            t2 = time.perf_counter()
            if i:  # the first run warms the caches
                load.append(t1 - t0)
                total.append(t2 - t0)
        details[label] = {"load_ms": round(statistics.median(load) * 1e3, 1),
                          "total_ms": round(statistics.median(total) * 1e3, 1),
                          "file_mb": round(path.stat().st_size / 1e6, 2)}
        figures.append(Figure(section, label, round(statistics.median(total) * 1e3, 1), "ms",
                              f"load {statistics.median(load) * 1e3:.0f} ms, "
                              f"{path.stat().st_size / 1e6:.1f} MB file, {clf.threads} threads"))
    ctx.details["open_to_result"] = details
    figures += _batch(ctx, clf)
    return figures


def _batch(ctx: Context, clf) -> list[Figure]:
    from cxr_desktop.core.imaging import load_xray
    from cxr_desktop.core.storage import reading_from_prediction
    from cxr_desktop.core.storage.sqlite import SqliteHistory as History

    section = "Batch throughput (load + predict + save, one after the other)"
    sets = {"12 full-resolution samples": sample_files(ctx.samples_dir)}
    manifest = ctx.samples_dir.parent / "cxr3" / "manifest.csv" if ctx.samples_dir else None
    if manifest is not None and manifest.is_file():
        with open(manifest, newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("split") == "val"]
        rows = rows[:: max(1, len(rows) // 100)][:100]
        sets[f"{len(rows)} cxr3 validation PNGs (224 px)"] = [manifest.parent / r["file"] for r in rows]
    figures = []
    with tempfile.TemporaryDirectory(prefix="cxr-batch-") as tmp, History(Path(tmp) / "h.db") as history:
        for label, files in sets.items():
            if not files:
                continue
            t0 = time.perf_counter()
            for path in files:
                image = load_xray(path)
                prediction = clf.predict(image, with_heatmap=True)
                history.add(reading_from_prediction(image, prediction))
            seconds = time.perf_counter() - t0
            figures.append(Figure(section, label, round(len(files) / seconds, 1), "images/s",
                                  f"{seconds / len(files) * 1e3:.0f} ms per image"))
            ctx.details.setdefault("batch", {})[label] = {"seconds": round(seconds, 2),
                                                          "images": len(files)}
    return figures
