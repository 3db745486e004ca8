"""A date a person gives is one every container's readers take, and a day of the calendar:
ID3v2.4's timestamp from the year down, a leap day only in a leap year, no year 0."""

from __future__ import annotations

import pytest

from mediakeeper.tags.table import FIELD_OF

DATE = FIELD_OF["date"].type


@pytest.mark.parametrize("text", ["1997", "1997-05", "1997-05-02", "2024-02-29",
                                  "1999-12-31T23:59:59", "2000-02-29T10"])  # fmt: skip
def test_a_date_of_the_calendar_is_taken(text):
    assert DATE.refuses(text) == ""


@pytest.mark.parametrize(("text", "said"), [
    ("1999-02-30", "a day of the calendar"),
    ("2023-02-29", "a day of the calendar"),
    ("1900-02-29T10:00", "a day of the calendar"),  # a century is a leap year by 400 only
    ("2001-04-31", "a day of the calendar"),
    ("0000", DATE.words),
    ("1999-13", DATE.words),
    ("99", DATE.words),
    ("1999/05/02", DATE.words),  # read, never written so
])  # fmt: skip
def test_a_date_that_is_no_day_is_refused_saying_what_is_taken(text, said):
    assert DATE.refuses(text) == said
