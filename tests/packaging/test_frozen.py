"""The frozen app (PyInstaller one-file / one-folder build, or the installed package) works with
no Python, no display for the command line, and no network. Skipped when there is no build.

Build first:  packaging/build.sh  (add ``--allow-no-model`` before the model is trained)
Run:          pytest -m packaging tests/packaging -q
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from cxr_desktop import __version__
from tests.packaging.conftest import REPO_ROOT, Frozen

pytestmark = pytest.mark.packaging

LABELS = {"COVID-19", "Normal", "Viral_Pneumonia"}
INET = re.compile(r"\b(socket|connect|bind|sendto)\(.*\bAF_INET6?\b")


def _sample_folders(samples_dir: Path) -> list[Path]:
    folders = sorted(p for p in samples_dir.iterdir() if p.is_dir())
    assert folders, f"no sample folders in {samples_dir}"
    return folders


def _one_sample(samples_dir: Path) -> Path:
    return sorted((samples_dir / "Normal").iterdir())[0]


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _model_dir(frozen: Frozen) -> Path:
    return Path(frozen.env.get("CXR_DESKTOP_MODEL_DIR") or REPO_ROOT / "assets" / "model")


def _check_predictions(lines: list[dict], count: int) -> None:
    assert len(lines) == count, lines
    for obj in lines:
        assert "error" not in obj, obj
        assert obj["label"] in LABELS or obj["out_of_distribution"], obj
        assert math.isclose(sum(obj["probabilities"].values()), 1.0, abs_tol=1e-4), obj


def _check_smoke(report: dict, *, with_image: bool) -> None:
    assert report["_returncode"] == 0 and report["smoke_test"] == "ok", report
    assert report["font"], "no usable font: every glyph would be a box"
    assert report["icon_ok"], "the SVG window icon did not load (svg plugins missing?)"
    assert report["window_shown_unix"] > 0
    if with_image:
        assert report["label"] in LABELS, report


# ------------------------------------------------------------------------------ command line


def test_version(frozen: Frozen) -> None:
    proc = frozen.run("--version")
    assert proc.returncode == 0, proc.stderr
    assert __version__ in proc.stdout


def test_predict_json_matches_source(frozen: Frozen, samples_dir: Path) -> None:
    """``predict --json`` on the 12 samples, with no display: same numbers as from source
    (through the same path: the fast decode for the model)."""
    from cxr_desktop.composition import make_service
    from cxr_desktop.core.inference import Classifier

    proc = frozen.run("predict", "--json", *map(str, _sample_folders(samples_dir)))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = _json_lines(proc.stdout)
    _check_predictions(lines, 12)
    service = make_service(Classifier(_model_dir(frozen)), None)
    for obj in lines:
        expected = service.predict(service.load(obj["file"])).prediction
        for label, p in expected.probability_by_label.items():
            assert obj["probabilities"][label] == pytest.approx(p, abs=1e-4), obj["file"]


def test_predict_dicom(frozen: Frozen, tmp_path: Path) -> None:
    """Uncompressed, JPEG and JPEG 2000 DICOM: the pylibjpeg decoders are in the bundle."""
    from pydicom.uid import JPEG2000Lossless

    from tests.core.dicom_factory import jpeg_baseline, make_dataset, write

    yy, xx = np.mgrid[0:384, 0:320]
    gray8 = ((np.sin(xx / 23.0) + np.cos(yy / 31.0)) * 60 + 128).astype(np.uint8)
    files = [
        write(tmp_path / "raw16.dcm", make_dataset(gray8.astype(np.uint16) * 16, bits_stored=12)),
        write(tmp_path / "jpeg.dcm", jpeg_baseline(gray8)),
    ]
    j2k = make_dataset(gray8)
    j2k.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
    files.append(write(tmp_path / "j2k.dcm", j2k))
    proc = frozen.run("predict", "--json", *map(str, files))
    lines = _json_lines(proc.stdout)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    _check_predictions(lines, 3)


def test_predict_error_is_one_line(frozen: Frozen, tmp_path: Path) -> None:
    proc = frozen.run("predict", str(tmp_path / "missing.png"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "error" in proc.stdout + proc.stderr


def test_predict_loads_no_qt_and_opens_no_inet_socket(
    frozen: Frozen, samples_dir: Path, strace: str, tmp_path: Path
) -> None:
    """The command line never loads Qt (works on servers without display libraries) and never
    creates an internet socket (traced at the system-call level, child processes included)."""
    trace = tmp_path / "predict.strace"
    proc = frozen.run(
        "predict", "--json", str(_one_sample(samples_dir)),
        prefix=(strace, "-f", "-qq", "-e", "trace=socket,connect,openat", "-o", str(trace)),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = trace.read_text()
    # (The one-file build WRITES every library when it unpacks itself; loading one is a read.)
    loaded_qt = [line for line in text.splitlines() if "libQt6" in line and "O_WRONLY" not in line]
    assert not loaded_qt, f"the command line loaded Qt: {loaded_qt[:3]}"
    assert not INET.findall(text), [line for line in text.splitlines() if INET.search(line)]


# --------------------------------------------------------------------------------------- GUI


def test_gui_smoke_offscreen(frozen: Frozen, samples_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    shot = tmp_path / "window.png"
    report = frozen.smoke(_one_sample(samples_dir), screenshot=shot)
    _check_smoke(report, with_image=True)
    assert report["platform"] == "offscreen"
    with Image.open(shot) as image:
        # the window fits the offscreen screen (800 wide), its simulated frame included
        assert image.width >= 780 and image.height >= 500
        low, high = image.convert("L").getextrema()
        assert high - low > 100, "the screenshot is blank"


def test_gui_smoke_without_file(frozen: Frozen) -> None:
    _check_smoke(frozen.smoke(), with_image=False)


def test_gui_smoke_x11(frozen: Frozen, samples_dir: Path, xvfb_run: str) -> None:
    """A real X11 display (Xvfb): the xcb platform plugin and its system libraries work."""
    report = frozen.smoke(
        _one_sample(samples_dir), env={"QT_QPA_PLATFORM": "xcb"},
        prefix=(xvfb_run, "-a", "-s", "-screen 0 1280x1024x24 -nolisten tcp"),
    )  # fmt: skip
    _check_smoke(report, with_image=True)
    assert report["platform"] == "xcb"


# ------------------------------------------------------------------------------- no network


def test_predict_in_a_network_namespace(
    frozen: Frozen, samples_dir: Path, unshare_net: tuple[str, ...]
) -> None:
    proc = frozen.run("predict", "--json", *map(str, _sample_folders(samples_dir)),
                      prefix=unshare_net)
    assert proc.returncode == 0, proc.stderr
    _check_predictions(_json_lines(proc.stdout), 12)


def test_gui_smoke_in_a_network_namespace(
    frozen: Frozen, samples_dir: Path, unshare_net: tuple[str, ...]
) -> None:
    report = frozen.smoke(_one_sample(samples_dir), prefix=unshare_net)
    _check_smoke(report, with_image=True)


def test_gui_opens_no_inet_socket(
    frozen: Frozen, samples_dir: Path, strace: str, tmp_path: Path
) -> None:
    trace = tmp_path / "gui.strace"
    report = frozen.smoke(
        _one_sample(samples_dir),
        prefix=(strace, "-f", "-qq", "-e", "trace=socket,connect", "-o", str(trace)),
    )  # fmt: skip
    _check_smoke(report, with_image=True)
    text = trace.read_text()
    assert not INET.findall(text), [line for line in text.splitlines() if INET.search(line)]


def test_gui_on_a_wayland_session_uses_xwayland(frozen: Frozen, xvfb_run: str) -> None:
    """The Wayland plugin is left out of the bundle (size): on a Wayland desktop (not GNOME,
    which Qt sends to X11 anyway) Qt must fall back to xcb, i.e. XWayland, not abort."""
    report = frozen.smoke(
        env={"QT_QPA_PLATFORM": "", "XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "KDE",
             "WAYLAND_DISPLAY": "wayland-cxr-test-none"},
        prefix=(xvfb_run, "-a", "-s", "-screen 0 1280x1024x24 -nolisten tcp"),
    )  # fmt: skip
    _check_smoke(report, with_image=False)
    assert report["platform"] == "xcb"
