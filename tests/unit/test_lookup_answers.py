"""The checks every service answer goes through at its client (lookup/answers.py)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import pytest

from mediakeeper.lookup import answers
from mediakeeper.lookup.answers import Unfit


@pytest.mark.parametrize(
    "value, why",
    [
        (5, "is a number, not text"),
        (["Dummy"], "is a list, not text"),
        ("x" * (answers.NAME_LIMIT + 1), "characters long"),
        ("Nul\x00l", "U+0000"),
        ("Next\x85line", "U+0085"),  # a C1 control: XML 1.0 lets it through
        ("evil\u202etxt.exe", "U+202E"),  # reads backwards from here on
        ("\ud800", "U+D800"),  # a lone surrogate: no UTF-8 can hold it
        ("two\nlines", "U+000A"),
    ],
)
def test_a_name_that_is_no_plain_text_does_not_fit(value, why):
    with pytest.raises(Unfit, match=re.escape(why)):
        answers.text(value, "a title")


def test_text_that_fits_is_kept_stripped_and_prose_keeps_its_lines():
    assert answers.text("  Björk\u200d ", "a name") == "Björk\u200d"  # a joiner is no control
    assert answers.text(None, "a name") == ""
    assert answers.text("One.\nTwo.", "a plot", prose=True) == "One.\nTwo."
    assert answers.text(" feat. ", "a join phrase", strip=False) == " feat. "


@pytest.mark.parametrize(
    "value, kept",
    [("1994", "1994"), ("1994-08", "1994-08"), ("1994-08-22", "1994-08-22"), ("", ""),
     (None, "")],
)  # fmt: skip
def test_plausible_dates_are_kept(value, kept):
    assert answers.release_date(value, "a date") == kept


@pytest.mark.parametrize(
    "value", ["0000", "1799-12-31", f"{date.today().year + 11}", "1994-13", "1994-08-32",
              "94-08-22", "1994/08/22", 1994],
)  # fmt: skip
def test_implausible_dates_do_not_fit(value):
    with pytest.raises(Unfit):
        answers.release_date(value, "a date")


def test_ids_and_numbers():
    upper = "2A3A0E0C-6F2B-4D0E-9A35-0E7B1F9C2D11"
    assert answers.mbid(upper, "an id") == upper.lower()
    for bad in (None, 5, "", "not-an-id", upper + "0"):
        with pytest.raises(Unfit):
            answers.mbid(bad, "an id")
    assert answers.whole(603, "an id", low=1) == 603
    assert answers.whole("87", "a score", digits=True) == 87
    for bad in (True, "603", 0, 2**40, 1.5):
        with pytest.raises(Unfit):
            answers.whole(bad, "an id", low=1)
    for bad in (float("nan"), float("inf"), -0.1, 1.1, False, "0.9"):
        with pytest.raises(Unfit):
            answers.number(bad, "a score", low=0, high=1)


class Result(answers.Answer):
    what = "result"
    id: Annotated[int, answers.check(answers.whole, "a movie id", low=1)] = None
    tagline: Annotated[str, answers.check(answers.text, "a tagline"), answers.lenient("")] = None
    genres: answers.texts("genre") = None


Results = Annotated[tuple[Result, ...], answers.each(Result, "result")]


def test_an_answer_leaves_out_what_does_not_fit_and_says_it_in_one_line():
    notes: list[str] = []
    raw = [{"id": 949, "tagline": 5, "genres": "Crime"}, {"id": True}, "Heat", {"id": 0},
           {"id": -1}, {"tagline": "no id"}]  # fmt: skip
    made = answers.read(Results, raw, "TMDb", "the search for 'Heat'", notes)
    assert [(r.id, r.tagline, r.genres) for r in made] == [(949, "", ())]
    (note,) = notes
    assert note.startswith("TMDb's answer to the search for 'Heat' did not fit its format: ")
    assert "a tagline is a number, not text (left out)" in note
    assert "the genres are text, not a list (left out)" in note
    assert note.count("a result left out") == 1 and note.endswith("; and 4 more")
    assert "a result that is text, not an object" not in note  # counted, not named


def test_a_record_without_its_required_value_does_not_fit_as_a_whole():
    with pytest.raises(Unfit, match="a movie id null is not a whole number"):
        answers.read(Result, {"tagline": "Heat"}, "TMDb", "the details of movie 949", [])
    notes: list[str] = []
    assert answers.read(Result, {"id": 949}, "TMDb", "x", notes).id == 949 and notes == []
