"""The command line prints names, notes and file names as plain, visible characters: no terminal
control sequence or bidi override from a file or a person reaches the terminal, and --json still
gives the exact text back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxr_desktop import cli
from cxr_desktop.core.plain_text import printable
from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from tests.core.storage.helpers import make_reading

#: Erase the line and write a fake finding; reversed text; a fake second line; set the window title.
NAME = "\x1b[2K\rNORMAL \u202eLAMRON\u202c\nreading #99 Normal\x1b]0;title\x07"
NOTE = "<img src='x'> \x9b31m red \u2066isolated\u2069 \u200f"


@pytest.fixture
def hostile_history(app_home: Path) -> Path:
    with History() as history:
        history.add(make_reading(patient_id="\x1b[31mPID", patient_name=NAME,
                                 source_path=f"/x/\x1b[8mhidden\x1b[0m{NAME}.png"))
    return app_home


def test_history_list_prints_no_control_characters(hostile_history: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["history", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 1, lines  # the name's line feed did not start a fake line
    assert not any(c in out for c in "\x1b\r\x07\u202e\u202c\x9b")
    assert "\\u001b[2K\\u000dNORMAL \\u202eLAMRON\\u202c\\u000areading #99" in out


def test_history_list_json_gives_the_exact_text_back(hostile_history: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["history", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\r\x07\u202e\u202c\x9b")
    row = json.loads(out)
    assert row["patient_name"] == NAME and row["patient_id"] == "\x1b[31mPID"


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\r", "\n", "\x7f", "\x85", "\x9b", "\u061c",
                                  "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202e",
                                  "\u2066", "\u2069"])
def test_printable_escapes(char: str) -> None:
    out = printable(f"a{char}b")
    assert out == f"a\\u{ord(char):04x}b" and json.loads(f'"{out}"') == f"a{char}b"


def test_printable_keeps_ordinary_text() -> None:
    text = "Renée Ødegård, 王小明, تست\tnote <b>x</b> 100% \\ done"
    assert printable(text) == text
