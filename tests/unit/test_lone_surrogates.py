"""A lone surrogate never reaches the change journal (issue 69, point 14): Python holds an
argument's or a name's undecodable bytes as lone surrogates, which no tag can hold. The web
layer refuses them in a body (``web.bodies``); the library refuses them too, for every
other caller: the value a person sets, and the journal every change is written to."""

from __future__ import annotations

import os

import pytest

from mediakeeper.changes.change import TagChange
from mediakeeper.changes.writes import ChangeJournal
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.decisions.words import bad_value
from mediakeeper.text.visible import is_unicode

UNDECODABLE = os.fsdecode(b"Caf\xe9")  # as a Latin-1 terminal's argument arrives


def test_undecodable_text_is_told_apart():
    assert not is_unicode(UNDECODABLE) and not is_unicode("\ud800")
    assert is_unicode("Café 𐀀 \u202e") and is_unicode("")


@pytest.mark.parametrize("tag", ["title", "date", "tracknumber"])
def test_a_value_to_set_holding_undecodable_bytes_is_refused(tag):
    assert "UTF-8" in bad_value(tag, UNDECODABLE)
    assert bad_value("title", "Café") == ""


def test_the_journal_refuses_such_a_value_and_writes_nothing(tmp_path):
    journal = ChangeJournal(tmp_path / "status" / "music", "20260101_decide")
    path = tmp_path / "lib" / "01.flac"
    good = TagChange(str(path), "album", "Old", "New")
    bad = TagChange(str(path), "title", "Old", UNDECODABLE)
    with pytest.raises(MediakeeperError, match="not UTF-8 text"):
        journal.record([("Artist", path, good), ("Artist", path, bad)])
    assert not journal.path.exists()
    # A path's own undecodable bytes are a real file's name: journaled as ever.
    named = tmp_path / UNDECODABLE / "01.flac"
    journal.record([("Artist", named, TagChange(str(named), "title", None, "Café"))])
    assert journal.path.exists()


@pytest.mark.parametrize("value", ["1973", "1973-06", "1973-06-01", "1973-06-01T20",
                                   "1973-06-01T20:15", "1973-06-01T20:15:59", ""])  # fmt: skip
def test_a_date_to_set_has_the_shape_every_reader_takes(value):
    assert bad_value("date", value) == "" and bad_value("original_date", value) == ""


@pytest.mark.parametrize("value", ["73", "1973-6", "1973-13", "1973-06-32", "1973/06/01",
                                   "June 1973", "1973-06-01 20:15", "x" * 4000])  # fmt: skip
def test_a_date_of_another_shape_is_refused_and_not_echoed_whole(value):
    said = bad_value("date", value)
    assert said.startswith("date takes a date as YYYY") and len(said) < 400


def test_a_value_past_its_bound_is_refused_a_long_text_has_a_longer_one():
    assert "at most 4,096 characters, not 4,097" in bad_value("title", "x" * 4097)
    assert bad_value("title", "x" * 4096) == ""
    assert bad_value("lyrics", "la " * 5000) == ""
    assert "at most 32,768 characters" in bad_value("lyrics", "x" * 40_000)
