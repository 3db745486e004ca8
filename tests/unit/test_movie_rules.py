"""Matching decisions and findings for a person: pure functions, no server needed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mediakeeper.core.findings import SEVERITY
from mediakeeper.lookup.tmdb_types import MovieCandidate, MovieDetails
from mediakeeper.movies import rules
from mediakeeper.movies.names import ParsedName
from mediakeeper.movies.videos import VideoScan, classify

MATRIX = MovieCandidate(603, "The Matrix", "The Matrix", "1999-03-30")
RELOADED = MovieCandidate(604, "The Matrix Reloaded", "The Matrix Reloaded", "2003-05-15")
AMELIE = MovieCandidate(194, "Amélie", "Le Fabuleux Destin d'Amélie Poulain", "2001-04-25")
SOLARIS_72 = MovieCandidate(593, "Solaris", "Солярис", "1972-03-20")
SOLARIS_02 = MovieCandidate(2103, "Solaris", "Solaris", "2002-11-27")
SOLARIS_02B = MovieCandidate(9, "Solaris", "", "2002-01-01")
UNDATED = MovieCandidate(5, "The Matrix", "The Matrix", "")


@pytest.mark.parametrize(
    ("candidates", "title", "year", "status", "movie_id"),
    [
        ([RELOADED, MATRIX], "The Matrix", 1999, rules.MATCHED, 603),
        ([MATRIX], "the matrix", 1999, rules.MATCHED, 603),
        ([AMELIE], "Le fabuleux destin d'Amelie Poulain", 2001, rules.MATCHED, 194),
        ([AMELIE], "Amelie", 2001, rules.MATCHED, 194),
        ([MATRIX], "The Matrix", 2000, rules.NO_MATCH, None),  # year +-0
        ([MATRIX], "The Matrix", 1998, rules.NO_MATCH, None),
        ([RELOADED], "The Matrix", 2003, rules.NO_MATCH, None),  # title must be equal
        ([UNDATED], "The Matrix", 1999, rules.NO_MATCH, None),
        ([], "Anything", 2000, rules.NO_MATCH, None),
        ([SOLARIS_72, SOLARIS_02], "Solaris", None, rules.AMBIGUOUS, None),  # no year
        ([MATRIX], "The Matrix", None, rules.AMBIGUOUS, None),  # one candidate, still no year
        ([RELOADED], "The Matrix", None, rules.NO_MATCH, None),
        ([SOLARIS_02, SOLARIS_02B], "Solaris", 2002, rules.AMBIGUOUS, None),
    ],
)
def test_choose_movie(candidates, title, year, status, movie_id):
    choice = rules.choose_movie(candidates, title, year)
    assert (choice.status, choice.movie_id) == (status, movie_id)


CHOOSE = "python utilities/movie_queue_manager.py --choose 'The Matrix'"


def test_ambiguous_and_no_match_findings_list_the_candidates():
    choice = rules.choose_movie([SOLARIS_72, SOLARIS_02], "Solaris", None)
    [finding] = rules.match_findings(choice, ParsedName("Solaris"), CHOOSE)
    assert finding.code == "ambiguous-match"
    assert finding.details["candidates"] == [
        {"id": 593, "title": "Solaris", "original_title": "Солярис", "year": 1972,
         "overview": "", "poster_path": ""},
        {"id": 2103, "title": "Solaris", "original_title": "Solaris", "year": 2002,
         "overview": "", "poster_path": ""},
    ]
    assert "[tmdbid-593]" in finding.message and "nothing was written" in finding.message
    choice = rules.choose_movie([RELOADED], "The Matrix", 1999)
    [finding] = rules.match_findings(choice, ParsedName("The Matrix", 1999), CHOOSE)
    assert finding.code == "no-match" and finding.details["candidates"][0]["id"] == 604
    # The advice names a real candidate's id, never a bare [tmdbid-N].
    assert f"`{CHOOSE} 604`" in finding.message and "[tmdbid-604]" in finding.message
    assert "tmdbid-N" not in finding.message
    [nothing] = rules.match_findings(rules.choose_movie([], "Zzz", 1999), ParsedName("Zzz"), CHOOSE)
    assert f"`{CHOOSE} ID`" in nothing.message
    matched = rules.choose_movie([MATRIX], "The Matrix", 1999)
    assert rules.match_findings(matched, None, CHOOSE) == []


def details(**fields):
    base = dict(id=603, title="The Matrix", original_title="The Matrix", release_date="1999-03-30")
    return MovieDetails(**{**base, **fields})


def _local(folder: str, parsed: ParsedName, files: list[str]):
    return rules.local_findings(folder, parsed, classify(files))


def _matching(candidates, parsed: ParsedName):
    choice = rules.choose_movie(candidates, parsed.title, parsed.year)
    return rules.match_findings(choice, parsed, CHOOSE)


# Every movie code fires: (code, what finds it, the path it names). The contract over every
# kind's codes (tests/contracts/test_findings.py) reads this list.
FIRES = [
    pytest.param(
        "no-video-file", lambda: _local("M (1999)", ParsedName("M", 1999), []), "",
        id="no-video-file",
    ),
    pytest.param(
        "empty-video-file",
        lambda: rules.local_findings("M (1999)", ParsedName("M", 1999),
                                     replace(classify(["m.mkv"]), empty=("m.mkv",))),
        "",
        id="empty-video-file",
    ),
    pytest.param(
        "truncated-video-file",
        lambda: rules.local_findings(
            "M (1999)", ParsedName("M", 1999),
            replace(classify(["m.mkv"]), cut=(("m.mkv", "9 bytes of its Segment missing"),))),
        "",
        id="truncated-video-file",
    ),
    pytest.param(
        "several-main-files",
        lambda: _local("M (1999)", ParsedName("M", 1999), ["a.mkv", "b.mkv"]),
        "",
        id="several-main-files",
    ),
    pytest.param(
        "missing-year-in-name",
        lambda: _local("The Matrix", ParsedName("The Matrix"), ["m.mkv"]),
        "",
        id="missing-year-in-name",
    ),
    pytest.param(
        "ambiguous-match",
        lambda: _matching([SOLARIS_72, SOLARIS_02], ParsedName("Solaris")),
        "",
        id="ambiguous-match",
    ),
    pytest.param(
        "no-match",
        lambda: _matching([RELOADED], ParsedName("The Matrix", 1999)),
        "",
        id="no-match",
    ),
    pytest.param(
        "folder-name-differs",
        lambda: [rules.folder_finding("Matrix (1999)", details())],
        "",
        id="folder-name-differs",
    ),
    pytest.param(
        "no-artwork",
        lambda: [rules.no_artwork("poster.jpg", "TMDb has no poster for this movie")],
        "poster.jpg",
        id="no-artwork",
    ),
]


@pytest.mark.parametrize(("code", "find", "path"), FIRES)
def test_code_fires(code, find, path):
    [finding] = [f for f in find() if f.code == code]
    assert (finding.path, finding.severity) == (path, SEVERITY[code])
    assert finding.message and not finding.fixable


def test_the_year_can_come_from_the_main_file_when_the_titles_agree():
    videos = classify(["The.Matrix.1999.1080p.mkv"])
    parsed = rules.lookup_name("The Matrix", videos)
    assert (parsed.title, parsed.year) == ("The Matrix", 1999)
    assert rules.lookup_name("Something Else", videos).year is None
    parts = classify(["movie.cd1.avi", "movie.cd2.avi"])
    assert rules.lookup_name("The Matrix", parts).year is None
    tagged = rules.lookup_name("Se7en", classify(["Se7en [tmdbid-807].mkv"]))
    assert tagged.tmdb_id == 807


def codes(findings):
    return [f.code for f in findings]


def test_local_findings():
    one = classify(["m.mkv"])
    matrix = ParsedName("The Matrix", 1999)
    assert codes(rules.local_findings("The Matrix (1999)", matrix, one)) == []
    assert codes(rules.local_findings("Movie (1999)", ParsedName("Movie", 1999), VideoScan())) == [
        "no-video-file"
    ]
    samples_only = classify(["sample.mkv"])
    [empty] = rules.local_findings("M (1999)", ParsedName("M", 1999), samples_only)
    assert empty.severity == "error" and "sample.mkv" in empty.message
    two = classify(["a.mkv", "b.mkv"])
    [several] = rules.local_findings("M (1999)", ParsedName("M", 1999), two)
    assert several.code == "several-main-files" and several.details["files"] == [
        ["a.mkv"],
        ["b.mkv"],
    ]
    [no_year] = rules.local_findings("The Matrix", ParsedName("The Matrix"), one)
    assert no_year.code == "missing-year-in-name" and "needs one" in no_year.message
    [from_file] = rules.local_findings("The Matrix", ParsedName("The Matrix", 1999), one)
    assert "taken from the video file" in from_file.message


def test_a_collection_of_movie_folders_is_said_to_be_one_with_what_to_do():
    """``Alien Anthology/Alien (1979)/``, ``Aliens (1986)/``: one item, told to "keep one
    movie per folder, name the parts cd1/cd2, or move extras to Extras/", none of which
    fits. Movies each in a folder of their own with a year are said a collection, and that
    each movie is a folder directly inside the library."""
    nested = classify(["Alien (1979)/Alien.mkv", "Aliens (1986)/Aliens.1986.mkv"])
    [several, _] = rules.local_findings("Alien Anthology", ParsedName("Alien Anthology"), nested)
    assert several.code == "several-main-files"
    assert several.message == (
        "2 movie folders in this folder, a collection: Alien (1979); Aliens (1986) — each "
        "movie is a folder directly inside the library: move them up beside this one")
    two = classify(["Movie (1999)/a.mkv", "Movie (1999)/b.mkv"])  # one folder: not said so
    [several] = rules.local_findings("M (1999)", ParsedName("M", 1999), two)
    assert "keep one movie per folder" in several.message
    versions = classify(["Movie (1999) 1080p/m.mkv", "Movie (1999) 720p/m.mkv"])  # one movie
    [several] = rules.local_findings("M (1999)", ParsedName("M", 1999), versions)
    assert "keep one movie per folder" in several.message


@pytest.mark.parametrize(
    ("folder", "suggested"),
    [
        ("The Matrix (1999)", None),
        ("The Matrix (1999) [tmdbid-603]", None),
        ("the matrix (1999)", None),  # the same title, as TMDb's normalised comparison sees it
        ("Matrix, The (1999)", "The Matrix (1999)"),
        ("The.Matrix.1999.1080p.BluRay.x264", "The Matrix (1999)"),
        ("The Matrix", "The Matrix (1999)"),
        ("The Matrix (2000) [tmdbid-603]", "The Matrix (1999) [tmdbid-603]"),
        ("Matrix (1999)", "The Matrix (1999)"),
    ],
)
def test_folder_name_differs(folder, suggested):
    finding = rules.folder_finding(folder, details())
    if suggested is None:
        assert finding is None
    else:
        assert finding.code == "folder-name-differs"
        assert finding.details["suggested"] == suggested
        assert suggested in finding.message


def test_an_original_title_folder_is_not_renamed():
    amelie = details(id=194, title="Amélie", original_title="Le Fabuleux Destin d'Amélie Poulain",
                     release_date="2001-04-25")  # fmt: skip
    assert rules.folder_finding("Le Fabuleux Destin d'Amélie Poulain (2001)", amelie) is None
