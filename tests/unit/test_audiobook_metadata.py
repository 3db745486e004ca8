"""A book's year, read from its first file's date as the music rules read one (the date
type's year): "26/09/1969" is 1969, not "26/0"."""

from __future__ import annotations

import pytest

from mediakeeper.audiobooks.metadata import gather
from mediakeeper.demo import tracks as synth


@pytest.mark.parametrize(("stored", "year"), [("1969-09-26", "1969"), ("26/09/1969", "1969"),
                                              ("Sept 1969", "1969"), ("soon", "")])  # fmt: skip
def test_a_books_year_is_the_year_its_date_names(tmp_path, stored, year):
    chapter = synth.make_track(tmp_path / "Book" / "01.flac", "flac",
                               {"album": "Book", "artist": "Author", "date": stored})  # fmt: skip
    assert gather(tmp_path / "Book", "Book", [chapter]).year == year
