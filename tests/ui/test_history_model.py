"""HistoryModel: lazy paging over History, filters, sorting, thumbnails."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QTableView

from cxr_desktop.core.imaging import encode_png
from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from cxr_desktop.core.types import OOD_LABEL, Reading
from cxr_desktop.ui.history_model import (
    COL_DATE,
    COL_FINDING,
    COL_PID,
    COL_THUMB,
    COL_TOP,
    HistoryModel,
)

LABELS = ["COVID-19", "Normal", "Viral_Pneumonia"]
N = 75


@pytest.fixture(scope="module")
def filled_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("hist") / "history.sqlite3"
    thumb = encode_png(np.full((20, 16), 99, np.uint8), 96)
    start = datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)
    with History(path) as history:
        for i in range(N):
            label = LABELS[i % 3]
            ood = i % 10 == 9
            history.add(Reading(
                id=None, created_utc=(start + timedelta(hours=i)).isoformat(), source_path=None,
                file_sha256=None, file_format="PNG", width=16, height=20,
                probabilities={k: (0.8 if k == label else 0.1) for k in LABELS},
                label=OOD_LABEL if ood else label, uncertain=i % 4 == 0, out_of_distribution=ood,
                ood_score=2.0 if ood else 0.2, model_name="m", model_version="1",
                model_sha256="0" * 64, patient_id=f"P{i:03d}", patient_name="Zoë Example" if i == 5 else None,
                thumbnail_png=thumb, note="call back" if i == 7 else ""))
    return str(path)


@pytest.fixture
def history(filled_db):
    with History(filled_db) as h:
        yield h


def test_pages_are_fetched_lazily(qtbot, history):
    model = HistoryModel(history, page_size=20)
    assert model.total == N
    assert model.rowCount() == 20
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 40
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == N
    ids = [model.reading_at(r).id for r in range(N)]
    assert len(set(ids)) == N
    assert model.reading_at(0).patient_id == "P074"  # newest first


def test_view_scrolling_fetches_more(qtbot, history):
    model = HistoryModel(history, page_size=10)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > 10, timeout=5_000)


def test_display_roles(qtbot, history):
    model = HistoryModel(history, page_size=20)
    row = next(r for r in range(20) if model.reading_at(r).out_of_distribution)
    assert model.data(model.index(row, COL_FINDING)) == "Not a chest X-ray"
    assert model.data(model.index(row, COL_TOP)) == ""
    assert model.data(model.index(row, COL_FINDING), Qt.ItemDataRole.ForegroundRole) is not None
    pix = model.data(model.index(0, COL_THUMB), Qt.ItemDataRole.DecorationRole)
    assert isinstance(pix, QPixmap) and not pix.isNull() and pix.height() <= 48
    assert model.data(model.index(0, COL_DATE)).startswith("2026-01-0")
    uncertain_row = next(r for r in range(20) if model.reading_at(r).uncertain
                         and not model.reading_at(r).out_of_distribution)
    assert model.data(model.index(uncertain_row, COL_FINDING)).endswith("(uncertain)")


def test_filters(qtbot, history):
    model = HistoryModel(history, page_size=20)
    model.set_filters(text="p00")
    assert model.total == 10
    model.set_filters(text="zoë")
    assert model.total == 1
    model.set_filters(text="CALL BACK")
    assert model.total == 1
    model.set_filters(label=OOD_LABEL)
    assert model.total == 7
    model.set_filters(label="Normal")
    assert all(model.reading_at(r).label == "Normal" for r in range(model.rowCount()))
    model.set_filters(date_from="2026-01-02T00:00:00+00:00", date_to="2026-01-02T23:59:59+00:00")
    assert model.total == 24
    model.set_filters(reviewed=True)
    assert model.total == 0


def test_sorting(qtbot, history):
    model = HistoryModel(history, page_size=20)
    model.sort(COL_PID, Qt.SortOrder.AscendingOrder)
    assert model.reading_at(0).patient_id == "P000"
    assert model.sort_column() == (COL_PID, Qt.SortOrder.AscendingOrder)
    model.sort(COL_TOP, Qt.SortOrder.DescendingOrder)  # not sortable: unchanged
    assert model.sort_column() == (COL_PID, Qt.SortOrder.AscendingOrder)
    model.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    assert model.reading_at(0).patient_id == "P074"


def test_no_history_is_an_empty_table(qtbot):
    model = HistoryModel(None)
    assert model.total == 0 and model.rowCount() == 0 and not model.canFetchMore()


def test_background_queries_apply_only_the_latest(qtbot, history):
    from cxr_desktop.ui.tasks import TaskRunner

    runner = TaskRunner(max_threads=2)
    try:
        model = HistoryModel(history, page_size=20, runner=runner)
        assert model.total == N and not model.pending  # the first load is synchronous
        model.set_filters(text="p00")
        model.set_filters(label=OOD_LABEL)
        assert model.pending and model.total == N  # old rows stay on show meanwhile
        qtbot.waitUntil(lambda: not model.pending, timeout=10_000)
        assert model.total == 7
        qtbot.wait(50)  # the stale answer for 'p00' arrives later and is ignored
        assert model.total == 7
        assert all(model.reading_at(r).out_of_distribution for r in range(model.rowCount()))
    finally:
        runner.shutdown()
