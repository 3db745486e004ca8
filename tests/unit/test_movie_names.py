"""Folder and file names as real movie libraries hold them -> title, year, ids."""

from __future__ import annotations

import pytest

from mediakeeper.movies.names import normalise_title, parse_name, strip_tags, suggested_name

# (name, title, year, tmdb id)
SHAPES = [
    # Title (Year)
    ("The Matrix (1999)", "The Matrix", 1999, None),
    ("The Matrix [1999]", "The Matrix", 1999, None),
    ("The Matrix 1999", "The Matrix", 1999, None),
    ("The_Matrix_(1999)", "The Matrix", 1999, None),
    ("  The Matrix (1999)  ", "The Matrix", 1999, None),
    ("Matrix, The (1999)", "The Matrix", 1999, None),
    ("Departed, The (2006)", "The Departed", 2006, None),
    ("Perfect World, A (1993)", "A Perfect World", 1993, None),
    ("Dr. Strangelove (1964)", "Dr. Strangelove", 1964, None),
    ("Amélie (2001)", "Amélie", 2001, None),
    ("Léon (1994) 1080p BluRay", "Léon", 1994, None),
    ("WALL·E (2008)", "WALL·E", 2008, None),
    ("Se7en (1995)", "Se7en", 1995, None),
    ("Star Wars - Episode IV - A New Hope (1977)", "Star Wars - Episode IV - A New Hope", 1977, 0),
    ("Movie Title (1999) (1080p)", "Movie Title", 1999, None),
    ("Movie Title (1999) - Director's Cut", "Movie Title", 1999, None),
    ("千と千尋の神隠し (2001)", "千と千尋の神隠し", 2001, None),
    # titles that are, or hold, numbers that look like years
    ("Blade Runner 2049 (2017)", "Blade Runner 2049", 2017, None),
    ("2001 A Space Odyssey (1968)", "2001 A Space Odyssey", 1968, None),
    ("1917 (2019)", "1917", 2019, None),
    ("1917", "1917", None, None),
    ("2012 (2009)", "2012", 2009, None),
    ("Fahrenheit 451 (1966)", "Fahrenheit 451", 1966, None),
    # release style
    ("The.Matrix.1999.1080p.BluRay.x264-GROUP", "The Matrix", 1999, None),
    ("The.Matrix.1999.2160p.UHD.BluRay.x265.10bit.HDR.DTS-HD.MA.5.1", "The Matrix", 1999, None),
    ("Heat.1995.REMASTERED.1080p.BluRay.x264", "Heat", 1995, None),
    ("Blade.Runner.2049.2017.1080p.WEB-DL.DD5.1.H264", "Blade Runner 2049", 2017, None),
    ("2001.A.Space.Odyssey.1968.720p", "2001 A Space Odyssey", 1968, None),
    ("1917.2019.2160p.UHD", "1917", 2019, None),
    ("2012.2009.720p.BrRip.x264", "2012", 2009, None),
    ("Spider-Man.2002.1080p", "Spider-Man", 2002, None),
    ("Mission.Impossible.-.Fallout.2018.1080p", "Mission Impossible - Fallout", 2018, None),
    ("the_matrix_1999_720p", "the matrix", 1999, None),
    ("Alien.1979.Directors.Cut.1080p.BluRay.x264", "Alien", 1979, None),
    ("[YTS.MX] Alien (1979)", "Alien", 1979, None),
    ("The.Matrix.1080p.BluRay.x264", "The Matrix", None, None),
    ("The Matrix 1080p BluRay x264", "The Matrix", None, None),
    # words that only look like release noise keep their place in a title
    ("Charlotte's Web", "Charlotte's Web", None, None),
    ("Charlotte's Web (1973)", "Charlotte's Web", 1973, None),
    # id tags (Jellyfin, Emby, Plex), trusted as the TMDb id
    ("The Matrix (1999) [tmdbid-603]", "The Matrix", 1999, 603),
    ("The Matrix (1999) [tmdbid=603]", "The Matrix", 1999, 603),
    ("The Matrix (1999) [TMDBID-603]", "The Matrix", 1999, 603),
    ("The Matrix (1999) {tmdb-603}", "The Matrix", 1999, 603),
    ("The Matrix [tmdb-603] (1999)", "The Matrix", 1999, 603),
    ("Se7en {tmdb-807}", "Se7en", None, 807),
    ("Alien (1979) {edition-Director's Cut}", "Alien", 1979, None),
    ("Heat (1995) [imdbid-tt0113277]", "Heat", 1995, None),
    # a year range (a series of films, a run): the title, and its first year
    ("Movie Name (2019-2020)", "Movie Name", 2019, None),
    ("Movie Name (2019–2020)", "Movie Name", 2019, None),  # en dash
    ("Movie Name (2019 - 2020)", "Movie Name", 2019, None),
    ("Movie Name [2019-2020]", "Movie Name", 2019, None),
    ("Movie Name (2019-20)", "Movie Name", 2019, None),
    ("Movie Name 2019-2020", "Movie Name", 2019, None),
    ("Movie.Name.2019-2020.1080p.BluRay", "Movie Name", 2019, None),
    ("Blade Runner 2049 (2017-2018)", "Blade Runner 2049", 2017, None),
    # neighbours: what a user expects of brackets around a year, a resolution, an edition
    ("Movie (1080p)", "Movie", None, None),
    ("Movie [2019]", "Movie", 2019, None),
    ("Movie 2049 (2017)", "Movie 2049", 2017, None),
    ("Movie (2019) (Director's Cut)", "Movie", 2019, None),
    ("Movie (Director's Cut) (2019)", "Movie", 2019, None),
    ("Blade Runner (The Final Cut) (1982)", "Blade Runner", 1982, None),
    ("Movie (1080p) (2019)", "Movie", 2019, None),
    ("Movie [1080p BluRay] (2019)", "Movie", 2019, None),
    ("Birdman or (The Unexpected Virtue of Ignorance) (2014)",
     "Birdman or (The Unexpected Virtue of Ignorance)", 2014, None),
    ("Spider-Man.2002-GROUP", "Spider-Man", 2002, None),
]


@pytest.mark.parametrize(("name", "title", "year", "tmdb_id"), SHAPES, ids=[s[0] for s in SHAPES])
def test_folder_names(name, title, year, tmdb_id):
    parsed = parse_name(name)
    assert (parsed.title, parsed.year, parsed.tmdb_id) == (title, year, tmdb_id or None)


def test_imdb_tags_are_read_and_dropped_from_the_title():
    parsed = parse_name("Heat (1995) {imdb-tt0113277}")
    assert (parsed.title, parsed.imdb_id) == ("Heat", "tt0113277")


def test_a_name_that_is_only_noise_keeps_a_title():
    assert parse_name("1080p").title == "1080p"
    assert parse_name("(1999)").title  # never empty


def test_strip_tags():
    assert strip_tags("The Matrix (1999) [tmdbid-603]") == "The Matrix (1999)"
    assert strip_tags("Alien {edition-Final Cut} (1979) {tmdb-348}") == "Alien (1979)"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Star Wars: Episode IV", "Star Wars - Episode IV"),
        ("Amélie", "amelie"),
        ("Fast & Furious", "Fast and Furious"),
        ("Schindler's List", "Schindlers List"),
        ("WALL·E", "WALL-E"),
        ("Straße", "strasse"),
        ("Hævnen", "Haevnen"),  # letters NFKD keeps whole, as music names fold them
        ("Øresund", "Oresund"),
        ("  The   Matrix ", "the matrix"),
    ],
)
def test_normalised_titles_agree(a, b):
    assert normalise_title(a) == normalise_title(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("The Matrix", "Matrix"), ("Solaris", "Solaris 2"), ("Alien", "Aliens")],
)
def test_normalised_titles_differ(a, b):
    assert normalise_title(a) != normalise_title(b)


@pytest.mark.parametrize(
    ("title", "year", "tmdb_id", "expected"),
    [
        ("The Matrix", 1999, None, "The Matrix (1999)"),
        ("Mission: Impossible", 1996, None, "Mission - Impossible (1996)"),
        ("Face/Off", 1997, None, "Face-Off (1997)"),
        ("What's Up, Doc?", 1972, None, "What's Up, Doc (1972)"),
        ('The "Burbs"', 1989, 11974, "The 'Burbs' (1989) [tmdbid-11974]"),
        ("Untitled", None, None, "Untitled"),
    ],
)
def test_suggested_names_are_safe_folder_names(title, year, tmdb_id, expected):
    name = suggested_name(title, year, tmdb_id)
    assert name == expected
    assert not set(name) & set(':/\\?*"<>|')
