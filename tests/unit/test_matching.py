"""Finding the one name a person meant: each step, and what it says when it cannot."""

from __future__ import annotations

import unicodedata

import pytest

from mediakeeper.core.errors import NotFound
from mediakeeper.text.matching import find_name


def find(wanted: str, names: list[str]) -> str:
    return find_name(wanted, names, missing=f"no {wanted!r}", otherwise="--list shows them")


def refused(wanted: str, names: list[str]) -> NotFound:
    with pytest.raises(NotFound) as caught:
        find(wanted, names)
    return caught.value


NFD_BJORK = unicodedata.normalize("NFD", "Björk")


@pytest.mark.parametrize(
    ("typed", "names", "found"),
    [
        ("Björk", ["Björk", "björk", "Bjork"], "Björk"),  # exactly as typed first
        ("björk", ["Björk", "björk", "Bjork"], "björk"),
        ("BJÖRK", ["Björk", "Bjork"], "Björk"),  # case aside, accents kept, before...
        ("bjork", ["Björk", "Bjork"], "Bjork"),
        (NFD_BJORK, ["Björk", "Bravo"], "Björk"),  # an accent typed decomposed is the letter
        ("bjork", ["Björk", "Bravo"], "Björk"),  # ...accents aside
        ("  sigur   ros ", ["Sigur Rós"], "Sigur Rós"),  # spacing aside
        ("kill bill", ["Kill Bill (2003)", "Kill the Messenger"], "Kill Bill (2003)"),  # a start
        ("kill bill", ["Kill Bill", "Kill Bill Vol. 2"], "Kill Bill"),  # a whole name first
    ],
)
def test_the_first_step_that_fits_finds_the_name(typed, names, found):
    assert find(typed, names) == found


def test_a_step_that_fits_several_names_lists_them_and_chooses_none():
    err = refused("kill", ["Kill the Messenger", "Kill Bill (2003)", "Heat"])
    assert err.message == "'kill' could be any of 2 names: 'Kill Bill (2003)', 'Kill the Messenger'"
    assert err.hint == "give the whole name of the one you mean"
    assert "any of 2 names" in refused("BJÖRK", ["Björk", "björk"]).message


def test_many_candidates_are_counted_past_the_first_five():
    err = refused("a", [f"A{n}" for n in range(8)])
    assert err.message.endswith("'A0', 'A1', 'A2', 'A3', 'A4' and 3 more")


def test_nothing_fits_the_closest_names_are_suggested_else_where_they_are_shown():
    err = refused("Motrhead", ["Motörhead", "ABBA"])
    assert (err.message, err.hint) == ("no 'Motrhead'", "did you mean: 'Motörhead'")
    assert refused("Zzyzx", ["Motörhead", "ABBA"]).hint == "--list shows them"
    assert refused("", ["ABBA"]).hint == "--list shows them"  # nothing typed is no start
