"""X-ray media in, without a window: a DICOMDIR built with FileSet, a folder without one, and
``cxr-desktop import`` (one JSON line per image read or skipped, nothing read twice)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cxr_desktop import cli
from cxr_desktop.core.header_check import header_conflict
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.media_import import group_series, scan_media
from tests.core.media_factory import make_cd
from tests.ui.conftest import write_gray


def test_a_dicomdir_lists_the_series_and_ticks_only_the_frontal_chest(tmp_path: Path) -> None:
    cd = make_cd(tmp_path / "cd")
    plan = scan_media(cd)
    assert plan.from_dicomdir and len(plan.items) == 4
    groups = group_series(plan.items)
    assert [g.series for g in groups] == ["Series 1: Chest PA", "Series 2: Chest lateral",
                                         "Series 3: Thorax CT", "Series 4: Left hand"]
    assert {g.patient for g in groups} == {"CD-0007 Banda, Grace"}
    reasons = [g.reason for g in groups]
    assert reasons[0] is None
    for group, reason in zip(groups[1:], reasons[1:], strict=True):  # the header check's words
        assert reason == header_conflict(group.items[0].image.metadata) and reason
    assert "lateral" in reasons[1] and "CT" in reasons[2] and "hand" in reasons[3]
    facts = plan.to_import[0].image.metadata
    assert (facts.patient_age, facts.institution, facts.view_position) == ("041Y", "Mobile X-ray unit 3", "PA")


def test_a_folder_without_dicomdir_is_scanned_by_content(tmp_path: Path) -> None:
    cd = make_cd(tmp_path / "cd")
    loose = tmp_path / "export"
    shutil.copytree(cd, loose)
    (loose / "DICOMDIR").unlink()
    write_gray(loose / "extra.png", 128)
    (loose / "readme.txt").write_text("not an image")
    plan = scan_media(loose)
    assert not plan.from_dicomdir and len(plan.items) == 5
    assert len(plan.to_import) == 2  # the frontal DICOM (no extension) and the PNG


@pytest.mark.filterwarnings("ignore:The referenced SOP Instance")
def test_a_dicomdir_naming_a_missing_file_reports_it(tmp_path: Path) -> None:
    cd = make_cd(tmp_path / "cd")
    next(p for p in sorted(cd.rglob("IM*"))).unlink()
    plan = scan_media(cd)
    assert [i.reason for i in plan.items].count("This file could not be read.") == 1


def test_cli_import_reads_once_and_says_why_it_skips(capsys, app_home: Path, tiny_model_dir: Path,
                                                     tmp_path: Path) -> None:
    cd = make_cd(tmp_path / "cd")
    args = ["import", str(cd), "--save", "--json", "--model-dir", str(tiny_model_dir)]
    assert cli.main(args) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4
    read = [line for line in lines if "id" in line]
    assert len(read) == 1 and read[0]["patient_id"] == "CD-0007"
    assert sorted(line["skipped"][:20] for line in lines if "skipped" in line) == [
        "The file says it is ", "The file says the bo", "The file says this i"]
    assert cli.main(args) == 0  # the same CD again: nothing is read twice
    again = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("existing_id") for line in again] == [read[0]["id"], None, None, None]
    with SqliteHistory(app_home / "history.sqlite3") as history:
        assert history.count() == 1
        stored = history.get(read[0]["id"])
    assert stored.dicom.patient_age == "041Y" and stored.dicom.sop_instance_uid
