"""The one function that makes tag and file-name text safe to show (issue 63)."""

from __future__ import annotations

import os
import subprocess

import pytest
from markupsafe import Markup

from mediakeeper.text.render import environment, shown_safely
from mediakeeper.text.visible import one_line, quoted, shell_word, visible


def test_each_hidden_control_is_shown_as_its_escape_and_the_rest_kept():
    assert visible("Evil\u202egpj.exe") == "Evil\\u202egpj.exe"
    assert visible("\u2066a\u2069\u200e\u200f\u061c") == "\\u2066a\\u2069\\u200e\\u200f\\u061c"
    assert visible("a\x1b[31mb\rc\x00\x85") == "a\\x1b[31mb\\x0dc\\x00\\x85"
    assert visible("zero\u200bwidth\ufeff\U000e0041") == "zero\\u200bwidth\\ufeff\\U000e0041"
    kept = "Sigur Rós\tتست\u200c\u200d👩\u200d💻 AC\u29f8DC\nnext"
    assert visible(kept) is kept


def test_every_value_a_template_shows_is_shown_safely_html_kept_html():
    assert shown_safely(Markup("<b>\u202e</b>")) == Markup("<b>\\u202e</b>")
    assert isinstance(shown_safely(Markup("<b>x</b>")), Markup)
    assert shown_safely(3) == 3 and shown_safely(None) is None
    template = environment().from_string("{{ name }}|{{ name | md }}")
    assert template.render(name="a\u202e*b") == "a\\u202e*b|a\\u202e\\*b"


def test_a_duplicate_group_s_lines_show_a_path_s_controls_as_escapes():
    """``mediakeeper dupes`` and ``decide --group duplicate-...`` print copies' paths: an
    escape sequence or a right-to-left override in a folder's name is shown, never obeyed."""
    from mediakeeper.cli.dupes import group_lines

    evil = "/Music/Red\x1b[31m Band/\u202egpj.flac"
    group = {
        "best": evil,
        "waste": 1000,
        "copies": [
            {"path": evil, "grade": "FLAC", "size": 1000},
            {"path": "/Music/Other/a.mp3", "grade": "MP3 128 kbps", "size": 500},
        ],
    }
    lines = group_lines(group, "album g1:")
    assert "\\x1b[31m" in lines[1] and "\\u202e" in lines[1]
    assert not any("\x1b" in line or "\u202e" in line for line in lines)


def test_a_name_is_shown_on_one_line_every_control_as_its_escape():
    """A table's row or a progress line names an item on one line: tab and line feed too are
    escapes there, spelled as every other control is (never "?", never repr's ``\\n``)."""
    assert one_line("New\nLine\t(1999)\r\x1b[2J\u202e") == (
        "New\\x0aLine\\x09(1999)\\x0d\\x1b[2J\\u202e"
    )
    kept = "Sigur Rós AC\u29f8DC \\x0a"  # a backslash written in a name stays as it is
    assert one_line(kept) is kept
    assert quoted("New\nLine") == "'New\\x0aLine'" and quoted("Guns N' Roses") == '"Guns N\' Roses"'


@pytest.mark.parametrize(
    "name",
    ["New\nLine (1999)", "Tab\tit's \\x0a", "Car\rReturn", "Esc\x1b[31mRed", "Evil\u202egpj",
     "C1\x85 and an undecodable \udcff byte", "Plain Name", "Björk", "AC/DC"],
)  # fmt: skip
def test_a_name_quoted_for_a_pasted_command_line_gives_the_real_name_back_in_bash(name):
    word = shell_word(name)
    assert "\n" not in word and "\r" not in word and visible(word) == word
    for locale in ("C", "C.UTF-8"):  # $'\u202e' would need a UTF-8 locale: bytes do not
        env = {"LC_ALL": locale, "PATH": os.environ["PATH"]}
        said = subprocess.run(
            ["bash", "-c", f"printf %s {word}"], capture_output=True, env=env, check=True
        )
        assert said.stdout == os.fsencode(name), (word, said.stdout)
    assert shell_word("Plain Name") == "'Plain Name'"  # no control: as shlex.quote says it
