"""The one privacy rule for logs, for the command line and the window: no file name, path or
patient field in any log line or crash report, whatever happens (saves, failures, reviews,
exports, batches, crashes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cxr_desktop import cli

SECRETS = ("Mensah", "Kofi", "PID-SECRET-42", "Serwaa", "Ama_Serwaa", "Osei", "Abena")


def _files(tmp_path: Path) -> dict[str, Path]:
    from tests.core.dicom_factory import make_dataset, write

    folder = tmp_path / "Osei Abena scans"
    folder.mkdir()
    pixels = np.clip(np.random.default_rng(3).normal(2600, 200, (260, 220)), 0, 4095).astype(np.uint16)
    dicom = write(folder / "Mensah_Kofi_0042.dcm",
                  make_dataset(pixels, "MONOCHROME2", 12, PatientID="PID-SECRET-42",
                               PatientName="Mensah^Kofi"))
    broken = folder / "Ama_Serwaa_broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # a PNG header, then nothing
    return {"dicom": dicom, "broken": broken, "folder": folder}


def _all_logs(home: Path) -> str:
    logs = home / "logs"
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in sorted(logs.glob("*")) if p.is_file()) if logs.is_dir() else ""


def _assert_clean(text: str) -> None:
    assert text, "nothing was logged: the test would prove nothing"
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} reached a log line"


def test_the_command_line_logs_no_names(tmp_path, app_home, tiny_model_dir, capsys):
    files = _files(tmp_path)
    tiny = str(tiny_model_dir)
    assert cli.main(["predict", "--save", str(files["dicom"]), str(files["broken"]),
                     "--model-dir", tiny, "-v"]) == 2
    assert cli.main(["predict", str(files["folder"]), "--json", "--model-dir", tiny]) == 2
    assert cli.main(["history", "list", "--search", "mensah"]) == 0
    assert cli.main(["history", "export", "--csv", str(tmp_path / "Mensah export.csv")]) == 0
    assert cli.main(["history", "export", "--csv", str(files["dicom"] / "nope.csv")]) == 2
    assert cli.main(["history", "export", "--csv", str(tmp_path / "Serwaa_gone" / "x.csv")]) == 2
    out, err = capsys.readouterr()
    assert "Mensah" in out  # the user sees the names; only the logs must not
    _assert_clean(_all_logs(app_home))
