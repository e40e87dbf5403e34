from __future__ import annotations

import csv
import json
import logging
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cxr_desktop import __version__, cli
from cxr_desktop.commands.logs import LOG_FILENAME
from cxr_desktop.core.errors import CxrError
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from cxr_desktop.core.storage.sqlite.schema import SCHEMA_VERSION
from cxr_desktop.core.types import OOD_LABEL
from tests.conftest import REPO_ROOT
from tests.helpers import LABELS

PREDICTION_KEYS = {
    "file", "label", "probabilities", "uncertain", "out_of_distribution", "ood_score", "ood_reason",
    "model", "ms",
}  # fmt: skip


def write_gray_png(path: Path, width: int = 300, height: int = 360, low: int = 70, high: int = 190) -> Path:
    """A smooth grey gradient: the tiny model calls it in distribution."""
    ramp = np.linspace(low, high, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    Image.fromarray(ramp.astype(np.uint8), mode="L").save(path, format="PNG")
    return path


def write_white_png(path: Path) -> Path:
    """All white: the tiny model calls it out of distribution."""
    Image.fromarray(np.full((300, 300), 255, np.uint8), mode="L").save(path)
    return path


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    good = write_gray_png(folder / "good.png")
    jpeg = folder / "good2.jpg"
    Image.open(good).save(jpeg, quality=90)
    white = write_white_png(folder / "white.png")
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    text = folder / "notes.txt"
    text.write_text("Patient came in with a cough.\n" * 10)
    data = jpeg.read_bytes()
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(data[: len(data) // 3])
    return {
        "good": good, "jpeg": jpeg, "white": white, "empty": empty, "text": text,
        "truncated": truncated,
    }  # fmt: skip


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def check_prediction(obj: dict, file: Path | str) -> None:
    assert set(obj) >= PREDICTION_KEYS
    assert obj["file"] == str(file)
    probs = obj["probabilities"]
    assert list(probs) == LABELS
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert all(0.0 <= p <= 1.0 for p in probs.values())
    assert isinstance(obj["uncertain"], bool) and isinstance(obj["out_of_distribution"], bool)
    if obj["out_of_distribution"]:
        assert obj["label"] is None
    else:
        assert obj["label"] == max(probs, key=probs.get)
    assert obj["model"] == "tiny-test-model 0.0.1"
    assert isinstance(obj["ms"], float) and obj["ms"] >= 0
    assert isinstance(obj["ood_score"], float)


# ---------------------------------------------------------------------------------------------
# predict
# ---------------------------------------------------------------------------------------------


def test_predict_json_good_bad_and_ood(capsys, tiny_model_dir: Path, images: dict[str, Path]) -> None:
    order = ["good", "empty", "white", "text", "truncated", "jpeg"]
    code, out, err = run_main(
        capsys, "predict", *(images[k] for k in order), "--json", "--model-dir", tiny_model_dir
    )
    assert code == 2  # some files failed ...
    lines = json_lines(out)
    assert [line["file"] for line in lines] == [str(images[k]) for k in order]  # ... all reported
    by_name = dict(zip(order, lines, strict=True))
    check_prediction(by_name["good"], images["good"])
    check_prediction(by_name["jpeg"], images["jpeg"])
    assert by_name["good"]["out_of_distribution"] is False and by_name["good"]["label"] in LABELS
    check_prediction(by_name["white"], images["white"])
    assert by_name["white"]["out_of_distribution"] is True and by_name["white"]["label"] is None
    for bad in ("empty", "text"):
        assert set(by_name[bad]) == {"file", "error"}
        assert isinstance(by_name[bad]["error"], str) and by_name[bad]["error"]
    assert "empty" in by_name["empty"]["error"].lower()
    assert "Traceback" not in err and "Traceback" not in out


def test_predict_broken_files_never_print_a_traceback(
    capsys, tiny_model_dir: Path, images: dict[str, Path]
) -> None:
    for key in ("empty", "text", "truncated"):
        for mode in ([], ["--json"]):
            code, out, err = run_main(
                capsys, "predict", images[key], *mode, "--model-dir", tiny_model_dir
            )
            assert "Traceback" not in out + err
            assert len(out.splitlines()) == 1
            if key != "truncated":  # a decoder may recover part of a truncated JPEG
                assert code == 2


def test_predict_text_output(capsys, tiny_model_dir: Path, images: dict[str, Path]) -> None:
    code, out, err = run_main(
        capsys, "predict", images["good"], images["white"], images["text"],
        "--model-dir", tiny_model_dir,
    )  # fmt: skip
    assert code == 2
    good, white, text = out.splitlines()
    assert good.startswith(f"{images['good']}: ")
    assert good.split(": ", 1)[1].split(" ")[0] in {"COVID-19", "Normal", "Viral"}
    assert "%" in good
    assert "(uncertain)" in good  # the tiny model is never sure
    assert white == f"{images['white']}: Not a chest X-ray."
    assert text.startswith(f"{images['text']}: error: ")
    assert "Traceback" not in err


def test_predict_says_why_a_dicom_header_rules_the_image_out(
    capsys, tiny_model_dir: Path, tmp_path: Path
) -> None:
    from tests.core import dicom_factory as dcm

    ramp = np.linspace(70, 190, 300, dtype=np.float32)[None, :].repeat(360, axis=0).astype(np.uint8)
    mr = dcm.write(tmp_path / "knee.dcm", dcm.make_dataset(ramp, Modality="MR"))
    code, out, _ = run_main(capsys, "predict", mr, "--model-dir", tiny_model_dir)
    assert out.strip() == f"{mr}: Not a chest X-ray. The file says it is an MRI scan (DICOM modality MR)."
    code, out, _ = run_main(capsys, "predict", mr, "--json", "--model-dir", tiny_model_dir)
    (obj,) = [json.loads(line) for line in out.splitlines()]
    assert obj["out_of_distribution"] is True and obj["label"] is None
    assert obj["ood_reason"] == "The file says it is an MRI scan (DICOM modality MR)."


def test_predict_all_good_exits_zero(capsys, tiny_model_dir: Path, images: dict[str, Path]) -> None:
    code, out, err = run_main(
        capsys, "predict", images["good"], images["jpeg"], "--json", "--threads", "1",
        "--model-dir", tiny_model_dir,
    )  # fmt: skip
    assert code == 0, err
    lines = json_lines(out)
    assert len(lines) == 2 and all("error" not in line for line in lines)


def test_predict_folder_reads_its_images_sorted(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    write_gray_png(folder / "b.png")
    write_gray_png(folder / "a.PNG")
    write_gray_png(folder / "1.2.840.113619.2.55")  # a DICOM-style name: found by its content
    write_gray_png(folder / "sub" / "deeper.png")  # subfolders too: the window's rule
    (folder / "manifest.csv").write_text("file,class\n")
    (folder / ".hidden.png").write_bytes(b"")
    code, out, err = run_main(capsys, "predict", folder, "--json", "--model-dir", tiny_model_dir)
    assert code == 0, err
    names = [Path(line["file"]).name for line in json_lines(out)]
    assert names == ["1.2.840.113619.2.55", "a.PNG", "b.png", "deeper.png"]


def test_predict_missing_model_is_one_line(capsys, tmp_path: Path, images: dict[str, Path]) -> None:
    code, out, err = run_main(
        capsys, "predict", images["good"], "--json", "--model-dir", tmp_path / "nowhere"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_predict_missing_file_is_reported(capsys, tiny_model_dir: Path, tmp_path: Path) -> None:
    code, out, err = run_main(
        capsys, "predict", tmp_path / "gone.png", "--json", "--model-dir", tiny_model_dir
    )
    assert code == 2
    (line,) = json_lines(out)
    assert set(line) == {"file", "error"} and "could not be found" in line["error"]


def test_predict_save_records_readings(
    capsys, tiny_model_dir: Path, images: dict[str, Path], app_home: Path
) -> None:
    code, out, err = run_main(
        capsys, "predict", images["good"], images["white"], images["text"], "--json", "--save",
        "--model-dir", tiny_model_dir,
    )  # fmt: skip
    assert code == 2
    good, white, _bad = json_lines(out)
    with History() as history:
        assert history.count() == 2
        saved = history.get(good["id"])
        assert saved is not None
        assert saved.source_path == str(images["good"])
        assert saved.probabilities == pytest.approx(good["probabilities"])
        assert saved.preview_png and saved.heatmap_png and saved.thumbnail_png
        assert saved.model_name == "tiny-test-model" and saved.file_format == "PNG"
        ood = history.get(white["id"])
        assert ood.label == OOD_LABEL and ood.out_of_distribution
    assert (app_home / "history.sqlite3").is_file()


def test_predict_save_text_mode_mentions_the_id(
    capsys, tiny_model_dir: Path, images: dict[str, Path], app_home: Path
) -> None:
    code, out, _ = run_main(capsys, "predict", images["good"], "--save", "--model-dir", tiny_model_dir)
    assert code == 0
    assert out.strip().endswith("[saved as #1]")


def test_unexpected_error_in_one_file_is_one_line_and_logged(
    capsys, monkeypatch, tiny_model_dir: Path, images: dict[str, Path], app_home: Path
) -> None:
    from cxr_desktop.core import inference

    real_predict = inference.Classifier.predict

    def flaky(self, image, with_heatmap=True):
        if image.source_path == str(images["good"]):
            raise RuntimeError("boom inside the model")
        return real_predict(self, image, with_heatmap=with_heatmap)

    monkeypatch.setattr(inference.Classifier, "predict", flaky)
    code, out, err = run_main(
        capsys, "predict", images["good"], images["jpeg"], "--json", "--model-dir", tiny_model_dir
    )
    assert code == 2
    first, second = json_lines(out)
    assert set(first) == {"file", "error"} and "unexpected" in first["error"].lower()
    check_prediction(second, images["jpeg"])
    assert "Traceback" not in err
    log_text = (app_home / "logs" / LOG_FILENAME).read_text(encoding="utf-8")
    assert "Traceback" in log_text and "boom inside the model" in log_text


def test_keyboard_interrupt_exits_130(capsys, monkeypatch, tiny_model_dir, images) -> None:
    from cxr_desktop.core import inference

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(inference.Classifier, "predict", interrupt)  # decoding is in a worker
    code, _, err = run_main(capsys, "predict", images["good"], "--model-dir", tiny_model_dir)
    assert code == 130
    assert "Traceback" not in err


def test_unexpected_error_outside_files_is_one_line(capsys, monkeypatch, app_home: Path) -> None:
    def explode(args):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli.history_command, "run", explode)
    code, out, err = run_main(capsys, "history", "list")
    assert code == 1
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cxr_error_is_one_line_exit_2(capsys, monkeypatch, app_home: Path) -> None:
    def fail(args):
        raise CxrError("Something a nurse can read.", detail="technical stuff")

    monkeypatch.setattr(cli.history_command, "run", fail)
    code, out, err = run_main(capsys, "history", "list")
    assert (code, out, err) == (2, "", "error: Something a nurse can read.\n")


def test_logging_handlers_are_removed_after_main(capsys, tiny_model_dir, images) -> None:
    before = list(logging.getLogger().handlers)
    level = logging.getLogger().level
    run_main(capsys, "predict", images["text"], "--model-dir", tiny_model_dir)
    assert logging.getLogger().handlers == before
    assert logging.getLogger().level == level


# ---------------------------------------------------------------------------------------------
# history
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def saved_history(capsys, tiny_model_dir: Path, images: dict[str, Path], app_home: Path) -> Path:
    code, _, err = run_main(
        capsys, "predict", images["good"], images["white"], images["jpeg"], "--save",
        "--model-dir", tiny_model_dir,
    )  # fmt: skip
    assert code == 0, err
    with History() as history:
        first = history.search(ReadingQuery(descending=False, limit=1))[0]
        history.update_review(first.id, note="=formula? Seen by Dr. Who")
    return app_home


def test_history_list_json(capsys, saved_history: Path) -> None:
    code, out, err = run_main(capsys, "history", "list", "--json")
    assert code == 0, err
    rows = json_lines(out)
    assert [r["id"] for r in rows] == [3, 2, 1]
    assert rows[1]["label"] == OOD_LABEL and rows[1]["out_of_distribution"] is True
    assert rows[2]["note"] == "=formula? Seen by Dr. Who" and rows[2]["reviewed_utc"]
    assert "preview_png" not in rows[0] and "thumbnail_png" not in rows[0]


def test_history_list_filters_and_limit(capsys, saved_history: Path) -> None:
    code, out, _ = run_main(capsys, "history", "list", "--json", "--limit", "2")
    assert code == 0 and [r["id"] for r in json_lines(out)] == [3, 2]
    code, out, _ = run_main(capsys, "history", "list", "--json", "--search", "DR. WHO")
    assert code == 0 and [r["id"] for r in json_lines(out)] == [1]
    code, out, _ = run_main(capsys, "history", "list", "--json", "--label", OOD_LABEL)
    assert code == 0 and [r["id"] for r in json_lines(out)] == [2]


def test_history_list_text(capsys, saved_history: Path) -> None:
    code, out, _ = run_main(capsys, "history", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("#3  ") and "good2.jpg" in lines[0]
    assert OOD_LABEL in lines[1]


def test_history_list_empty(capsys, app_home: Path) -> None:
    code, out, _ = run_main(capsys, "history", "list")
    assert (code, out) == (0, "No readings.\n")


def test_history_export_csv(capsys, saved_history: Path, tmp_path: Path) -> None:
    target = tmp_path / "export" / "all.csv"
    target.parent.mkdir()
    code, out, err = run_main(capsys, "history", "export", "--csv", target)
    assert code == 0, err
    assert out.strip() == f"Exported 3 readings to {target}"
    with open(target, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["note"] == "'=formula? Seen by Dr. Who"
    assert {f"p_{label}" for label in LABELS} <= set(rows[0])


def test_history_export_to_impossible_place(capsys, saved_history: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run_main(capsys, "history", "export", "--csv", blocker / "x.csv")
    assert code == 2
    assert err.startswith("error: The reading history could not be exported")


def test_history_from_a_newer_app_is_refused(capsys, app_home: Path) -> None:
    import sqlite3

    app_home.mkdir(parents=True)
    db = app_home / "history.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = db.read_bytes()
    code, out, err = run_main(capsys, "history", "list")
    assert code == 2 and "newer version" in err and "Traceback" not in err
    assert db.read_bytes() == before


# ---------------------------------------------------------------------------------------------
# arguments, GUI
# ---------------------------------------------------------------------------------------------


def test_version(capsys) -> None:
    code, out, _ = run_main(capsys, "--version")
    assert code == 0 and __version__ in out


def test_usage_errors_exit_2(capsys) -> None:
    assert run_main(capsys, "predict")[0] == 2
    assert run_main(capsys, "predict", "x.png", "--threads", "0")[0] == 2
    assert run_main(capsys, "history")[0] == 2
    assert run_main(capsys, "history", "export")[0] == 2  # --csv is required


def test_help_exits_0(capsys) -> None:
    code, out, _ = run_main(capsys, "--help")
    assert code == 0 and "predict" in out and "history" in out


@pytest.fixture
def fake_gui(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []
    module = types.ModuleType("cxr_desktop.ui.app")

    def run_gui(files: list[str]) -> int:
        calls.append(list(files))
        return 0

    module.run_gui = run_gui  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cxr_desktop.ui.app", module)
    return calls


def test_no_arguments_start_the_gui(fake_gui: list[list[str]]) -> None:
    assert cli.main([]) == 0
    assert cli.main(["scan.dcm", "other.png"]) == 0
    assert cli.main(["-v", "third.png"]) == 0
    assert cli.main_gui(["x.png"]) == 0
    assert cli.main_gui(["predict"]) == 0  # the windowed launcher only opens files
    assert fake_gui == [[], ["scan.dcm", "other.png"], ["third.png"], ["x.png"], ["predict"]]


def test_gui_unavailable_is_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "cxr_desktop.ui.app", None)  # import fails
    code, out, err = run_main(capsys)
    assert code == 1
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# as a real process
# ---------------------------------------------------------------------------------------------


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["CXR_DESKTOP_HOME"] = str(tmp_path / "proc-home")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    return env


def test_subprocess_predict_json(tiny_model_dir: Path, images: dict[str, Path], tmp_path: Path) -> None:
    files = [images["good"], images["empty"], images["white"], images["truncated"]]
    proc = subprocess.run(
        [sys.executable, "-m", "cxr_desktop", "predict", *map(str, files), "--json",
         "--model-dir", str(tiny_model_dir)],
        capture_output=True, text=True, env=subprocess_env(tmp_path), cwd=REPO_ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = json_lines(proc.stdout)
    assert [line["file"] for line in lines] == [str(f) for f in files]
    check_prediction(lines[0], files[0])
    assert set(lines[1]) == {"file", "error"}
    check_prediction(lines[2], files[2])


def test_cli_does_not_import_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import cxr_desktop.cli as cli\n"
        "cli.main(['history', 'list'])\n"
        "cli.main(['--version'])\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'torch')))\n"
        "print('QT:', bad)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        env=subprocess_env(tmp_path), cwd=REPO_ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "QT: []" in proc.stdout


# ---------------------------------------------------------------------------------------------
# real sample images
# ---------------------------------------------------------------------------------------------


def sample_files(samples_dir: Path) -> list[Path]:
    files = sorted(p for p in samples_dir.glob("*/*") if p.is_file())
    assert files, f"no sample images in {samples_dir}"
    return files


def test_predict_every_sample_with_tiny_model(capsys, samples_dir: Path, tiny_model_dir: Path) -> None:
    files = sample_files(samples_dir)
    code, out, err = run_main(capsys, "predict", *files, "--json", "--model-dir", tiny_model_dir)
    assert code == 0, err
    lines = json_lines(out)
    assert len(lines) == len(files)
    for line, path in zip(lines, files, strict=True):
        assert "error" not in line
        check_prediction(line, path)


def test_predict_every_sample_with_shipped_model(
    capsys, samples_dir: Path, shipped_model_dir: Path
) -> None:
    from cxr_desktop.core.model_card import load_model_card

    card = load_model_card(shipped_model_dir)
    files = sample_files(samples_dir)
    code, out, err = run_main(capsys, "predict", *files, "--json", "--model-dir", shipped_model_dir)
    assert code == 0, err
    lines = json_lines(out)
    assert len(lines) == len(files)
    correct = 0
    for line, path in zip(lines, files, strict=True):
        assert set(line) >= PREDICTION_KEYS and "error" not in line
        assert list(line["probabilities"]) == list(card.labels)
        assert sum(line["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
        assert line["model"] == f"{card.name} {card.version}"
        assert line["out_of_distribution"] is False, f"{path.name} called not a chest X-ray"
        correct += line["label"] == path.parent.name
    assert correct >= len(files) * 2 // 3, f"only {correct}/{len(files)} samples right"
