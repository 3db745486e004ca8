"""A decision group as the terminal lists it: its line, and under its code what it means."""

from __future__ import annotations

from mediakeeper.decisions.groups import Group


def group(kind: str, means: str) -> Group:
    return Group(kind, "missing-title", "warning", 3, ("A Book",), ("set title", "dismiss"), means)


def test_what_a_code_means_stands_under_the_code_whatever_the_kind():
    for kind in ("music", "audiobooks", "conversions"):  # the last two wider than the column
        line, means = group(kind, "a track or a book has no title").lines()
        assert means.lstrip() == "a track or a book has no title"
        assert len(means) - len(means.lstrip()) == line.index("missing-title"), (line, means)


def test_a_code_without_words_is_its_line_alone():
    assert group("music", "").lines() == [group("music", "").line()]
