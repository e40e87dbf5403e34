"""``cxr-desktop accounts`` and the command line with staff accounts on (issue 15)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cxr_desktop import cli


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_accounts_turn_on_roles_for_the_command_line(app_home: Path, capsys, monkeypatch,
                                                     tmp_path: Path, tiny_model_dir: Path,
                                                     samples_dir: Path) -> None:
    code, _out, err = run(capsys, "history", "list")
    assert code == 0 and err == ""  # accounts off: as before
    monkeypatch.setenv("CXR_DESKTOP_NEW_PIN", "9999")
    code, _out, err = run(capsys, "accounts", "add", "ama", "--role", "health_worker")
    assert code == 2 and "first account must be a supervisor" in err
    assert run(capsys, "accounts", "add", "kofi", "--role", "supervisor")[0] == 0
    monkeypatch.setenv("CXR_DESKTOP_NEW_PIN", "1111")
    code, _out, err = run(capsys, "accounts", "add", "ama", "--role", "health_worker")
    assert code == 2 and "CXR_DESKTOP_USER" in err  # no terminal to ask on: says how
    monkeypatch.setenv("CXR_DESKTOP_USER", "kofi")
    monkeypatch.setenv("CXR_DESKTOP_PIN", "9999")
    assert run(capsys, "accounts", "add", "ama", "--role", "health_worker")[0] == 0
    code, out, _err = run(capsys, "accounts", "list")
    assert out.split() == ["ama", "health_worker", "kofi", "supervisor"]

    monkeypatch.setenv("CXR_DESKTOP_USER", "ama")
    monkeypatch.setenv("CXR_DESKTOP_PIN", "1111")
    image = sorted((samples_dir / "Normal").iterdir())[0]
    assert run(capsys, "predict", str(image), "--save", "--model-dir", str(tiny_model_dir))[0] == 0
    assert run(capsys, "history", "list")[1].startswith("#1 ")
    code, _out, err = run(capsys, "history", "export", "--csv", str(tmp_path / "all.csv"))
    assert code == 2 and "Only a supervisor can export" in err
    code, _out, err = run(capsys, "accounts", "audit")
    assert code == 2 and "Only a supervisor can see the audit trail" in err
    monkeypatch.setenv("CXR_DESKTOP_PIN", "0000")
    code, _out, err = run(capsys, "history", "list")
    assert code == 2 and "not right" in err

    monkeypatch.setenv("CXR_DESKTOP_USER", "kofi")
    monkeypatch.setenv("CXR_DESKTOP_PIN", "9999")
    target = tmp_path / "audit.csv"
    code, out, _err = run(capsys, "accounts", "audit", "--csv", str(target))
    assert code == 0 and "Exported" in out
    with open(target, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["actor"], r["action"]) for r in rows if r["actor"] == "ama"] == [
        ("ama", "sign_in"), ("ama", "save"), ("ama", "sign_in"), ("ama", "sign_in"),
        ("ama", "denied"), ("ama", "sign_in"), ("ama", "denied"), ("ama", "sign_in_failed")]
    assert (target.stat().st_mode & 0o777) == 0o600
    code, out, _err = run(capsys, "accounts", "audit", "--user", "ama", "--action", "save")
    assert code == 0 and len(out.splitlines()) == 1 and "#1" in out


@pytest.mark.parametrize("argv", [["accounts"], ["accounts", "add", "x"]])
def test_accounts_usage_errors(app_home: Path, capsys, argv: list[str]) -> None:
    assert cli.main(argv) == 2
