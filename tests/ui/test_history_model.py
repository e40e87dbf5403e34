"""HistoryModel: lazy paging over the history through HistoryOps, filters, sorting, thumbnails.
Every query runs on the read lane; the tests wait for the answers like the view does."""

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
from cxr_desktop.ui.history_ops import HistoryOps

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


@pytest.fixture
def ops(qtbot, history):
    made = HistoryOps(history)
    yield made
    made.shutdown()


def loaded(qtbot, ops, page_size=20) -> HistoryModel:
    model = HistoryModel(ops, page_size=page_size)
    settle(qtbot, model)
    return model


def settle(qtbot, model) -> None:
    qtbot.waitUntil(lambda: not model.pending and not model._fetching, timeout=10_000)


def fetch(qtbot, model) -> None:
    model.fetchMore()
    settle(qtbot, model)


def test_pages_are_fetched_lazily(qtbot, ops):
    model = loaded(qtbot, ops)
    assert model.total == N
    assert model.rowCount() == 20
    assert model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore()  # one page at a time
    settle(qtbot, model)
    assert model.rowCount() == 40
    while model.canFetchMore():
        fetch(qtbot, model)
    assert model.rowCount() == N
    ids = [model.reading_at(r).id for r in range(N)]
    assert len(set(ids)) == N
    assert model.reading_at(0).patient_id == "P074"  # newest first


def test_view_scrolling_fetches_more(qtbot, ops):
    model = loaded(qtbot, ops, page_size=10)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > 10, timeout=5_000)


def test_display_roles(qtbot, ops):
    model = loaded(qtbot, ops)
    row = next(r for r in range(20) if model.reading_at(r).out_of_distribution)
    assert model.data(model.index(row, COL_FINDING)) == "Not a chest X-ray"
    assert model.data(model.index(row, COL_TOP)) == ""
    assert model.data(model.index(row, COL_FINDING), Qt.ItemDataRole.ForegroundRole) is not None
    pix = model.data(model.index(0, COL_THUMB), Qt.ItemDataRole.DecorationRole)
    assert isinstance(pix, QPixmap) and not pix.isNull() and pix.height() <= 48
    assert "2026" in model.data(model.index(0, COL_DATE))  # local time, the date spelled out
    uncertain_row = next(r for r in range(20) if model.reading_at(r).uncertain
                         and not model.reading_at(r).out_of_distribution)
    assert model.data(model.index(uncertain_row, COL_FINDING)).endswith("(uncertain)")


def test_filters(qtbot, ops):
    model = loaded(qtbot, ops)

    def total(**filters) -> int:
        model.set_filters(**filters)
        settle(qtbot, model)
        return model.total

    assert total(text="p00") == 10
    assert total(text="zoë") == 1
    assert total(text="zoe") == 1  # accents folded
    assert total(text="CALL BACK") == 1
    assert total(label=OOD_LABEL) == 7
    total(label="Normal")
    assert all(model.reading_at(r).label == "Normal" for r in range(model.rowCount()))
    assert total(date_from="2026-01-02T00:00:00+00:00", date_to="2026-01-02T23:59:59+00:00") == 24
    assert total(reviewed=True) == 0


def test_sorting(qtbot, ops):
    model = loaded(qtbot, ops)
    model.sort(COL_PID, Qt.SortOrder.AscendingOrder)
    settle(qtbot, model)
    assert model.reading_at(0).patient_id == "P000"
    assert model.sort_column() == (COL_PID, Qt.SortOrder.AscendingOrder)
    model.sort(COL_TOP, Qt.SortOrder.DescendingOrder)  # not sortable: unchanged
    assert model.sort_column() == (COL_PID, Qt.SortOrder.AscendingOrder)
    model.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    settle(qtbot, model)
    assert model.reading_at(0).patient_id == "P074"


def test_no_history_is_an_empty_table(qtbot):
    ops = HistoryOps(None)
    model = HistoryModel(ops)
    assert model.total == 0 and model.rowCount() == 0 and not model.canFetchMore()
    ops.shutdown()


def test_background_queries_apply_only_the_latest(qtbot, ops):
    model = loaded(qtbot, ops)
    assert model.total == N
    model.set_filters(text="p00")
    model.set_filters(label=OOD_LABEL)
    assert model.pending and model.total == N  # old rows stay on show meanwhile
    settle(qtbot, model)
    assert model.total == 7
    qtbot.wait(50)  # a stale answer for 'p00', if it ran, is ignored
    assert model.total == 7
    assert all(model.reading_at(r).out_of_distribution for r in range(model.rowCount()))


def test_note_tooltip_is_plain_text(qtbot, ops):
    model = loaded(qtbot, ops)
    model.set_filters(text="call back")
    settle(qtbot, model)
    row = next(r for r in range(model.rowCount()) if model.reading_at(r).note)
    from cxr_desktop.ui.history_model import COL_NOTE

    tip = model.data(model.index(row, COL_NOTE), Qt.ItemDataRole.ToolTipRole)
    assert "call back" in tip and "<b>" not in tip
