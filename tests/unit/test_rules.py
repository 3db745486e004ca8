"""Issue rules and fix planning, on Track records built by hand (rules are pure)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import SEVERITY, Finding, codes_of
from mediakeeper.music.fixplan import (
    NameNumber,
    Plan,
    disc_suffix,
    name_number,
    planned_changes,
)
from mediakeeper.music.model import ArtistScan, Track, UnreadableFile
from mediakeeper.music.rule_base import WRITE_CODES, Context
from mediakeeper.music.rules import find_issues
from mediakeeper.text.spaces import RUNS_OF_SPACE, one_space, tidy_spaces

ALBUM = "1969 - Abbey Road"
TITLES = ("Come Together", "Something", "Maxwell's Silver Hammer")
P1, P2, P3 = (f"{ALBUM}/{n:02d} - {title}.mp3" for n, title in enumerate(TITLES, 1))
LOOSE = "Hey Jude.mp3"


def track(n: int, title: str, album: str = ALBUM, **changes) -> Track:
    """A cleanly tagged 320 kbps ID3v2.4 track "NN - Title.mp3"; tags=None removes a tag."""
    tags = {
        "title": title,
        "artist": "The Beatles",
        "albumartist": "The Beatles",
        "album": album.split(" - ", 1)[-1],
        "tracknumber": str(n),
        "date": "1969",
    }
    tags.update(changes.pop("tags", {}))
    fields = {
        "path": changes.pop("path", f"{album}/{n:02d} - {title}.mp3"),
        "album": album,
        "format": "mp3",
        "tags": {k: v for k, v in tags.items() if v is not None},
        "bitrate": 320_000,
        "tag_version": "ID3v2.4",
        "has_picture": True,
    }
    return Track(**(fields | changes))


def abbey(*edits: dict, **scan_fields) -> ArtistScan:
    """The clean three-track album, with per-track keyword edits (track 1's first)."""
    edits += ({},) * (len(TITLES) - len(edits))
    tracks = tuple(track(n, t, **e) for n, (t, e) in enumerate(zip(TITLES, edits, strict=True), 1))
    return ArtistScan("The Beatles", tracks, **scan_fields)


def loose(**changes) -> Track:
    """A loose track: no album folder, so no album, album artist or track number needed."""
    tags = {"album": None, "albumartist": None, "tracknumber": None} | changes.pop("tags", {})
    return track(0, "Hey Jude", album="", **({"path": LOOSE} | changes), tags=tags)


def with_tracks(scan: ArtistScan, *tracks: Track) -> ArtistScan:
    return replace(scan, tracks=scan.tracks + tracks)


def of(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


# --- every code fires ----------------------------------------------------------------------

# (code, scan, path, expected changes); severity always comes from SEVERITY, checked below.
FIRES = [
    pytest.param(
        "link-outside-library",
        replace(
            abbey({"tags": {"title": "Come  Together"}}), outside={P1: "/elsewhere/01.mp3"}
        ),
        P1,
        [],
        id="link-outside-library",
    ),
    pytest.param(
        "skipped-folder",
        abbey(skipped=(("Live", "a link to a folder that loops, not followed"),)),
        "Live",
        [],
        id="skipped-folder",
    ),
    pytest.param(
        "unreadable-file",
        abbey(unreadable=(UnreadableFile(f"{ALBUM}/04 - Oh! Darling.mp3", ALBUM, "empty"),)),
        f"{ALBUM}/04 - Oh! Darling.mp3",
        [],
        id="unreadable-file",
    ),
    pytest.param(
        "unsupported-format",
        abbey(unsupported=(UnreadableFile(f"{ALBUM}/video.mkv", ALBUM, "a video file (.mkv)"),)),
        f"{ALBUM}/video.mkv",
        [],
        id="unsupported-format",
    ),
    pytest.param(
        "missing-title",
        abbey({}, {"tags": {"title": None}}),
        P2,
        [TagChange(P2, "title", None, "Something")],
        id="missing-title-from-file-name",
    ),
    pytest.param(
        "missing-title",
        abbey({}, {"tags": {"title": "   "}}),
        P2,
        [TagChange(P2, "title", "   ", "Something")],
        id="blank-title-from-file-name",
    ),
    pytest.param(
        "missing-title",
        abbey({}, {"tags": {"title": None}, "path": f"{ALBUM}/Something.mp3"}),
        f"{ALBUM}/Something.mp3",
        [],
        id="missing-title-no-evidence",
    ),
    pytest.param("missing-artist", abbey({"tags": {"artist": ""}}), P1, [], id="missing-artist"),
    pytest.param(
        "missing-album",
        abbey({"tags": {"album": None}}),
        P1,
        [TagChange(P1, "album", None, "Abbey Road")],
        id="missing-album-majority",
    ),
    pytest.param(
        "missing-albumartist",
        abbey({}, {}, {"tags": {"albumartist": None}}),
        P3,
        [TagChange(P3, "albumartist", None, "The Beatles")],
        id="missing-albumartist-majority",
    ),
    pytest.param(
        "missing-tracknumber",
        abbey({}, {"tags": {"tracknumber": None}}),
        P2,
        [TagChange(P2, "tracknumber", None, "2")],
        id="missing-tracknumber-from-file-name",
    ),
    pytest.param(
        "missing-tracknumber",
        abbey({}, {"tags": {"tracknumber": "B"}}),
        P2,
        [],  # reported, never overwritten: only an absent or empty number is filled
        id="tracknumber-not-a-number",
    ),
    pytest.param(
        "missing-year",
        abbey({"tags": {"date": None}}, {"tags": {"date": "1969-09-26"}}),
        P1,
        [TagChange(P1, "date", None, "1969")],  # 1969 and 1969-09-26 tie: the smaller wins
        id="missing-year-majority",
    ),
    pytest.param(
        "missing-year",
        abbey(*[{"tags": {"date": None}}] * 3),
        P1,
        [TagChange(P1, "date", None, "1969")],
        id="missing-year-from-folder",
    ),
    pytest.param(
        "missing-year",
        ArtistScan("X", (loose(tags={"date": None}),)),
        LOOSE,
        [],
        id="missing-year-loose",
    ),
    pytest.param(
        "inconsistent-albumartist",
        abbey({}, {}, {"tags": {"albumartist": "Paul McCartney"}}),
        ALBUM,
        [TagChange(P3, "albumartist", "Paul McCartney", "The Beatles")],
        id="inconsistent-albumartist",
    ),
    pytest.param(
        "inconsistent-album",
        abbey({"tags": {"album": "Abbey Rd."}}),
        ALBUM,
        [TagChange(P1, "album", "Abbey Rd.", "Abbey Road")],
        id="inconsistent-album",
    ),
    pytest.param(
        "inconsistent-year",
        abbey({}, {"tags": {"date": "1970-01-01"}}),
        ALBUM,
        [TagChange(P2, "date", "1970-01-01", "1969")],
        id="inconsistent-year",
    ),
    pytest.param(
        "duplicate-tracknumber",
        abbey({}, {}, {"tags": {"tracknumber": "02"}}),
        ALBUM,
        [TagChange(P3, "tracknumber", "02", "3")],
        id="duplicate-renumbered-from-file-names",
    ),
    pytest.param(
        "duplicate-tracknumber",
        abbey({}, {}, {"tags": {"tracknumber": "2"}, "path": f"{ALBUM}/Maxwell.mp3"}),
        ALBUM,
        [],
        id="duplicate-file-names-not-1-to-n",
    ),
    pytest.param(
        "track-gap",
        abbey({}, {}, {"tags": {"tracknumber": "4"}, "path": f"{ALBUM}/04 - Maxwell.mp3"}),
        ALBUM,
        [],
        id="track-gap",
    ),
    pytest.param(
        "filename-mismatch",
        abbey({}, {"tags": {"tracknumber": "3"}}, {"tags": {"tracknumber": "2"}}),
        P2,
        [],
        id="filename-mismatch",
    ),
    pytest.param(
        "whitespace",
        abbey({"tags": {"title": " Come  Together "}}),
        P1,
        [TagChange(P1, "title", " Come  Together ", "Come Together")],
        id="whitespace",
    ),
    pytest.param(
        "mojibake",
        abbey({"tags": {"title": "CafÃ© Society"}}),
        P1,
        [TagChange(P1, "title", "CafÃ© Society", "Café Society")],
        id="mojibake-round-trips",
    ),
    pytest.param(
        "mojibake",
        abbey({"tags": {"title": "CafÃƒÂ© Society"}}),  # encoded twice: not one safe step
        P1,
        [],
        id="mojibake-uncertain",
    ),
    pytest.param(
        "mixed-formats",
        abbey({"format": "flac", "lossless": True, "path": f"{ALBUM}/01 - Come Together.flac"}),
        ALBUM,
        [],
        id="mixed-formats",
    ),
    pytest.param(
        "missing-cover",
        abbey(*[{"has_picture": False}] * 3),
        ALBUM,
        [],
        id="missing-cover",
    ),
    pytest.param(
        "artist-name-variant",
        abbey({}, {"tags": {"artist": "the Beatles"}}),
        "",
        [TagChange(P2, "artist", "the Beatles", "The Beatles")],
        id="artist-name-variant-majority",
    ),
    pytest.param(
        "artist-name-variant",
        ArtistScan(
            "Beatles",
            (loose(), loose(path="Let It Be.mp3", tags={"artist": "Beatles"})),
        ),
        "",
        [],  # one "The Beatles", one "Beatles": exactly half is no majority
        id="artist-name-variant-no-majority",
    ),
    pytest.param("low-bitrate", abbey({"bitrate": 96_000}), P1, [], id="low-bitrate"),
    pytest.param("legacy-tag", abbey({"tag_version": "ID3v1"}), P1, [], id="legacy-id3v1"),
    pytest.param("legacy-tag", abbey({"tag_version": "ID3v2.2"}), P1, [], id="legacy-id3v22"),
]


@pytest.mark.parametrize(("code", "scan", "path", "changes"), FIRES)
def test_code_fires(code: str, scan: ArtistScan, path: str, changes: list[TagChange]) -> None:
    [finding] = [f for f in of(find_issues(scan), code) if f.path == path]
    assert finding.severity == SEVERITY[code]
    assert list(finding.changes) == changes
    assert finding.fixable is bool(changes)
    assert finding.message


def test_the_firing_cases_are_music_codes() -> None:
    # That every code has a case that fires: tests/contracts/test_findings.py, over every kind. The
    # write's own codes fire while writing, never in a rule: tests/unit/test_fixes.py.
    assert {p.values[0] for p in FIRES} <= set(codes_of("music")) - WRITE_CODES


# --- and stays quiet on near misses ----------------------------------------------------------

QUIET = [
    ("link-outside-library", replace(abbey(), outside={P1: "/elsewhere/01.mp3"})),  # no fix
    ("unreadable-file", abbey()),
    ("unsupported-format", abbey()),
    ("skipped-folder", abbey()),
    ("missing-album", ArtistScan("X", (loose(),))),
    ("missing-albumartist", ArtistScan("X", (loose(),))),
    ("missing-tracknumber", ArtistScan("X", (loose(),))),
    ("missing-year", abbey({"tags": {"date": "1969-09-26"}})),
    ("missing-title", abbey({"tags": {"title": "0"}})),
    ("missing-artist", abbey()),
    ("inconsistent-year", abbey({"tags": {"date": "1969-09-26"}})),  # same year
    ("inconsistent-album", abbey({"tags": {"album": " Abbey  Road"}})),  # whitespace's job
    ("inconsistent-albumartist", abbey({"tags": {"albumartist": "The Beatles "}})),
    (
        "duplicate-tracknumber",
        abbey({"disc_folder": 1}, {"disc_folder": 2, "tags": {"tracknumber": "1"}}),
    ),
    (
        "duplicate-tracknumber",
        abbey({"tags": {"discnumber": "1"}}, {"tags": {"discnumber": "2", "tracknumber": "1"}}),
    ),
    (
        "track-gap",
        abbey(
            {},
            {"disc_folder": 2, "tags": {"tracknumber": "1"}},
            {"disc_folder": 2, "tags": {"tracknumber": "2"}},
        ),
    ),
    ("track-gap", abbey({}, {"tags": {"tracknumber": None}}, {"tags": {"tracknumber": "4"}})),
    (
        "filename-mismatch",
        abbey({"tags": {"tracknumber": "01"}}, {"tags": {"tracknumber": "2/12"}}),
    ),
    ("filename-mismatch", abbey({"path": f"{ALBUM}/Come Together.mp3"})),
    ("filename-mismatch", abbey({"path": f"{ALBUM}/CD1/1-01 Come Together.mp3", "disc_folder": 1})),
    (
        "filename-mismatch",
        ArtistScan("X", (loose(path="1999 - Party.mp3", tags={"tracknumber": "3"}),)),
    ),
    # The number starts the artist's name or the title, not a track number.
    (
        "filename-mismatch",
        ArtistScan(
            "3 Doors Down",
            (loose(path="3 Doors Down - Kryptonite.mp3", tags={"tracknumber": "1"}),),
        ),
    ),
    (
        "filename-mismatch",
        ArtistScan(
            "X", (loose(path="7 rings.mp3", tags={"title": "7 Rings", "tracknumber": "3"}),)
        ),
    ),
    # Disc 2 numbered on from disc 1.
    ("track-gap", abbey({}, {"tags": {"discnumber": "2"}}, {"tags": {"discnumber": "2"}})),
    ("whitespace", abbey({"tags": {"title": "Come\tTogether", "genre": "Rock & Roll"}})),
    ("whitespace", abbey({"tags": {"genre": "   "}})),  # blank: nothing to trim, nothing lost
    ("mojibake", abbey({"tags": {"artist": "Motörhead", "title": "Don’t “Stop”"}})),
    ("mojibake", abbey({"tags": {"title": "Rock &amp; Roll ﬁne"}})),  # not encoding damage
    ("mixed-formats", ArtistScan("X", (loose(), loose(path="b.flac", format="flac")))),
    ("missing-cover", abbey(*[{"has_picture": False}] * 3, cover_albums=frozenset({ALBUM}))),
    ("missing-cover", abbey(*[{"has_picture": False}] * 2)),  # one track has a picture
    ("missing-cover", ArtistScan("X", (loose(has_picture=False),))),
    ("artist-name-variant", abbey({"tags": {"artist": "The Beatles & Friends"}})),
    (
        "low-bitrate",
        abbey({"bitrate": 128_000}, {"bitrate": 0}, {"lossless": True, "bitrate": 900}),
    ),
    ("legacy-tag", abbey({"tag_version": "ID3v2.3"}, {"tag_version": "vorbis"})),
]


@pytest.mark.parametrize(
    ("code", "scan"), QUIET, ids=[f"{c}-{i}" for i, (c, _) in enumerate(QUIET)]
)
def test_code_stays_quiet(code: str, scan: ArtistScan) -> None:
    assert of(find_issues(scan), code) == []


def test_every_code_has_a_quiet_case() -> None:
    assert {code for code, _ in QUIET} == {p.values[0] for p in FIRES}


def test_clean_album_has_no_findings() -> None:
    assert find_issues(abbey()) == []
    lossless = {"format": "flac", "lossless": True, "bitrate": 0, "tag_version": "vorbis"}
    flac = abbey(*[lossless] * 3)
    flac = replace(flac, tracks=tuple(replace(t, path=t.path[:-3] + "flac") for t in flac.tracks))
    assert find_issues(flac) == []


def test_unicode_names_are_clean_and_their_variants_found() -> None:
    album = "1999 - Ágætis byrjun"
    tags = {"artist": "Sigur Rós", "albumartist": "Sigur Rós", "album": "Ágætis byrjun"}
    titles = ("Svefn-g-englar", "Starálfur", "Ný batterí")
    scan = ArtistScan(
        "Sigur Rós",
        tuple(track(n, t, album=album, tags=tags) for n, t in enumerate(titles, 1)),
        cover_albums=frozenset({album}),
    )
    assert find_issues(scan) == []
    # The same name in decomposed form (NFD) is a second spelling; the majority one wins.
    nfd = "Sigur Ro\u0301s"
    first = scan.tracks[0]
    scan = replace(
        scan, tracks=(replace(first, tags={**first.tags, "artist": nfd}), *scan.tracks[1:])
    )
    [variant] = find_issues(scan)
    assert variant.code == "artist-name-variant"
    assert variant.changes == (TagChange(first.path, "artist", nfd, "Sigur Rós"),)


# --- thresholds ------------------------------------------------------------------------------


def four(*albums: str | None) -> ArtistScan:
    """Four tracks in the album folder "1969 - A", tagged with these album names."""
    names = ("One", "Two", "Three", "Four")
    return ArtistScan(
        "X",
        tuple(
            track(n, t, album="1969 - A", tags={"album": a})
            for n, (t, a) in enumerate(zip(names, albums, strict=True), 1)
        ),
    )


@pytest.mark.parametrize(
    ("albums", "fixed"),
    [
        (("A", "A", "B", "B"), False),  # exactly half is not a majority
        (("A", "A", "B", None), False),  # the majority counts all tracks, not just tagged ones
        (("A", "A", "A", "B"), True),
        (("A", "A", "A", None), True),
    ],
)
def test_majority_must_exceed_half_of_all_tracks(albums: tuple, fixed: bool) -> None:
    findings = find_issues(four(*albums))
    album_fixes = [c for c in planned_changes(findings) if c.tag == "album"]
    assert bool(album_fixes) is fixed
    assert all(c.new == "A" for c in album_fixes)
    if "B" in albums:
        [finding] = of(findings, "inconsistent-album")
        assert ("no value is held by more than half" in finding.message) is not fixed


@pytest.mark.parametrize("folder", ["(1969) Abbey Road", "[1969] Abbey Road", "1969 - Abbey Road"])
def test_year_from_folder_forms(folder: str) -> None:
    scan = ArtistScan(
        "X",
        tuple(
            track(n, t, album=folder, tags={"date": None, "album": "Abbey Road"})
            for n, t in enumerate(TITLES, 1)
        ),
    )
    changes = planned_changes(find_issues(scan))
    assert [c.new for c in changes] == ["1969"] * 3


def test_year_from_folder_only_when_no_track_contradicts_it() -> None:
    scan = abbey({"tags": {"date": "1970"}}, {"tags": {"date": None}}, {"tags": {"date": None}})
    assert planned_changes(find_issues(scan)) == []


def test_file_name_forms() -> None:
    assert name_number("a/03 - Come Together.mp3") == NameNumber(3, None, "Come Together")
    assert name_number("03. Come Together.ogg") == NameNumber(3)
    assert name_number("3 Come Together.ogg") == NameNumber(3)
    assert name_number("03-Come Together.ogg") == NameNumber(3)
    assert name_number("1-03 Come Together.flac") == NameNumber(3, disc=1)
    assert name_number("1-03 - Come Together.flac") == NameNumber(3, 1, "Come Together")
    assert name_number("07.mp3") == NameNumber(7)
    assert name_number("1999 - Party.mp3") is None
    assert name_number("2Pac - Changes.mp3") is None


# --- fix conflicts ----------------------------------------------------------------------------


def test_whitespace_and_mojibake_on_one_value_propose_the_same_change() -> None:
    findings = find_issues(abbey({"tags": {"title": " CafÃ©  Society"}}))
    expected = (TagChange(P1, "title", " CafÃ©  Society", "Café Society"),)
    assert [(f.code, f.changes) for f in findings] == [
        ("mojibake", expected),
        ("whitespace", expected),
    ]
    assert planned_changes(findings) == list(expected)


def test_consistency_fix_supersedes_whitespace_fix() -> None:
    findings = find_issues(abbey({"tags": {"album": " Abbey Rd."}}))
    [inconsistent] = of(findings, "inconsistent-album")
    [ws] = of(findings, "whitespace")
    assert inconsistent.changes == (TagChange(P1, "album", " Abbey Rd.", "Abbey Road"),)
    assert ws.changes == ()
    assert ws.details["superseded_by"] == ("inconsistent-album",)
    assert planned_changes(findings) == list(inconsistent.changes)


def test_artist_wide_spelling_wins_over_album_majority() -> None:
    # Album majority says "Beatles", but across the artist "The Beatles" is the majority:
    # the album must end consistent, so the later artist-wide fix decides every track.
    album = "1970 - Let It Be"
    other = tuple(
        track(n, t, album=album, tags={"albumartist": "Beatles"})
        for n, t in enumerate(("Two of Us", "Dig a Pony", "Across"), 1)
    )
    other = (*other[:2], replace(other[2], tags={**other[2].tags, "albumartist": "The Beatles"}))
    scan = with_tracks(abbey(), *other)
    findings = find_issues(scan)
    changes = planned_changes(findings)
    assert {(c.path, c.new) for c in changes} == {
        (other[0].path, "The Beatles"),
        (other[1].path, "The Beatles"),
    }
    [inconsistent] = of(findings, "inconsistent-albumartist")
    assert inconsistent.changes == ()
    assert inconsistent.details["superseded_by"] == ("artist-name-variant",)


def test_filling_a_track_number_never_creates_a_duplicate() -> None:
    scan = abbey({}, {"tags": {"tracknumber": None}}, {"tags": {"tracknumber": "2"}})
    [missing] = of(find_issues(scan), "missing-tracknumber")
    assert missing.changes == ()


def test_planned_changes_leaves_a_disputed_tag_alone() -> None:
    a = Finding("x", "info", P1, "", changes=(TagChange(P1, "title", "t", "A"),))
    b = Finding(
        "y",
        "info",
        P1,
        "",
        changes=(
            TagChange(P1, "title", "t", "B"),
            TagChange(P1, "album", "a", "b"),
            TagChange(P1, "date", "1", "1"),
        ),
    )
    assert planned_changes([a, b, a]) == [TagChange(P1, "album", "a", "b")]


# --- order and determinism --------------------------------------------------------------------

MESSY = with_tracks(
    abbey(
        {"tags": {"album": " Abbey Rd.", "date": None}, "bitrate": 96_000},
        {"tags": {"title": None, "artist": "Beatles"}, "tag_version": "ID3v2.2"},
        {"tags": {"tracknumber": "2", "title": "CafÃ©"}, "format": "flac"},
        unreadable=(UnreadableFile("bad.mp3", "", "truncated"),),
    ),
    loose(tags={"date": None, "title": "x  y"}),
)


def test_findings_are_ordered_by_album_path_code() -> None:
    findings = find_issues(MESSY)
    keys = [(f.album, f.path, f.code) for f in findings]
    assert keys == sorted(keys)
    assert len(findings) > 10


def test_findings_do_not_depend_on_input_order() -> None:
    expected = find_issues(MESSY)
    shuffled = list(MESSY.tracks)
    random.Random(7).shuffle(shuffled)
    assert find_issues(replace(MESSY, tracks=tuple(shuffled))) == expected


# --- properties over generated scans --------------------------------------------------------

_NAMED_TAG = {
    "duplicate-tracknumber": {"tracknumber"},
    "artist-name-variant": {"artist", "albumartist"},
}
_VALUES = {
    "title": st.sampled_from(["Song", " Song", "Song  Two", "CafÃ©", "", "  "]),
    "artist": st.sampled_from(["The Beatles", "Beatles", "the beatles ", "Wings", "BeyoncÃ©"]),
    "albumartist": st.sampled_from(["The Beatles", "Beatles", "Wings", ""]),
    "album": st.sampled_from(["Abbey Road", "Abbey Rd.", "Abbey  Road", ""]),
    "tracknumber": st.sampled_from(["1", "2", "02", "3", "4", "x", ""]),
    "date": st.sampled_from(["1969", "1969-09-26", "1970", "", "?"]),
}


@st.composite
def scans(draw: st.DrawFn) -> ArtistScan:
    tracks = []
    for i in range(draw(st.integers(1, 6))):
        album = draw(st.sampled_from(["1969 - Abbey Road", "Let It Be", ""]))
        tags = {tag: v for tag, values in _VALUES.items() if (v := draw(st.none() | values))}
        name = draw(st.sampled_from(["{n:02d} - Song", "{n} Song", "Song {i}", "1-{n:02d} - X"]))
        n = draw(st.integers(1, 4))
        path = f"{album}/{name.format(n=n, i=i)}.{i}.mp3".lstrip("/")
        tracks.append(Track(path, album, "mp3", tags, disc_folder=draw(st.sampled_from([None, 2]))))
    return ArtistScan("The Beatles", tuple(tracks))


def _named_tags(finding: Finding) -> set[str]:
    if finding.code in _NAMED_TAG:
        return _NAMED_TAG[finding.code]
    if "tag" in finding.details:
        return {finding.details["tag"]}
    return set()  # every other code proposes no change


def _apply(scan: ArtistScan, changes: list[TagChange]) -> ArtistScan:
    tracks = []
    for t in scan.tracks:
        tags = dict(t.tags)
        for c in changes:
            if c.path == t.path:
                assert tags.get(c.tag) == c.old
                tags[c.tag] = c.new
        tracks.append(replace(t, tags={k: v for k, v in tags.items() if v is not None}))
    return replace(scan, tracks=tuple(tracks))


# An album artist filled from the artist only once the track number is filled (from the file
# name) tipped the artist-wide spelling vote a run later, rewriting the spaces fix of an artist.
_FILL_WAITS_ON_A_NUMBER = ArtistScan(
    "The Beatles",
    (
        Track("1969 - Abbey Road/01 - Song.0.mp3", "1969 - Abbey Road", "mp3",
              {"albumartist": "The Beatles"}),
        Track("1969 - Abbey Road/01 - Song.1.mp3", "1969 - Abbey Road", "mp3",
              {"artist": "the beatles ", "albumartist": "Beatles"}),
        Track("Let It Be/01 - Song.2.mp3", "Let It Be", "mp3", {"artist": "The Beatles"}),
    ),
)  # fmt: skip


# Two spellings of one artist made the album look like a compilation, whose years are kept,
# until the artist-wide spelling fix merged them: a run later the year vote rewrote a year
# the spaces fix had set.
_SPELLINGS_LOOK_LIKE_A_COMPILATION = ArtistScan(
    "The Beatles",
    (
        Track("A/01 - a.mp3", "A", "mp3", {"artist": "The Beatles", "date": "1969"}),
        Track("A/02 - b.mp3", "A", "mp3", {"artist": "Beatles", "date": "1969"}),
        Track("A/03 - c.mp3", "A", "mp3", {"artist": "Wings", "date": " 1970"}),
        Track("B/01 - a.mp3", "B", "mp3", {"artist": "The Beatles", "date": "1970"}),
        Track("B/02 - b.mp3", "B", "mp3", {"artist": "The Beatles", "date": "1970"}),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scans())
@example(_FILL_WAITS_ON_A_NUMBER)
@example(_SPELLINGS_LOOK_LIKE_A_COMPILATION)
def test_fixes_change_only_named_tags_never_conflict_and_settle(scan: ArtistScan) -> None:
    findings = find_issues(scan)
    raw = {t.path: t.tags for t in scan.tracks}
    seen: dict[tuple[str, str], str | None] = {}
    for f in findings:
        assert f.severity == SEVERITY[f.code]
        for c in f.changes:
            assert c.tag in _named_tags(f)
            assert c.old == raw[c.path].get(c.tag) and c.new != c.old
            assert seen.setdefault((c.path, c.tag), c.new) == c.new  # one value per tag
    changes = planned_changes(findings)
    assert len(changes) == len(seen)
    # A fix may make another possible (a spelling fix can create an album majority), but no
    # later run rewrites a tag an earlier one set, and the plan settles within a few runs.
    touched = {(c.path, c.tag) for c in changes}
    for _ in range(3):
        scan = _apply(scan, changes)
        changes = planned_changes(find_issues(scan))
        assert not touched & {(c.path, c.tag) for c in changes}
        touched |= {(c.path, c.tag) for c in changes}
    assert changes == []


@pytest.mark.parametrize(
    ("bitrate", "fires"),
    [
        (2_064, False),
        (7_999, False),
        (8_000, True),
        (64_000, True),
        (127_999, True),
        (128_000, False),
    ],
)
def test_low_bitrate_ignores_rates_too_low_to_be_real(bitrate: int, fires: bool) -> None:
    # Near-silent VBR audio reports a few hundred bits per second; that is not an encoding.
    findings = of(find_issues(abbey({"bitrate": bitrate, "format": "m4a"})), "low-bitrate")
    assert bool(findings) is fires
    if fires:
        assert f"{bitrate / 1000:.0f} kbps" in findings[0].message


def test_renumbered_duplicates_raise_no_filename_mismatch() -> None:
    # Tracks 2 and 3 are both tagged 2; the clean file-name sequence 1..3 renumbers track 3,
    # so its file name and its (fixed) number agree and no mismatch is reported for it.
    findings = find_issues(abbey({}, {}, {"tags": {"tracknumber": "2"}}))
    [duplicate] = of(findings, "duplicate-tracknumber")
    assert duplicate.changes == (TagChange(P3, "tracknumber", "2", "3"),)
    assert of(findings, "filename-mismatch") == []


def test_a_tags_comparison_key_follows_the_plan_from_stage_to_stage():
    """The rules compare keys ("03/12" and "3" are both track 3), kept per (file, tag); a
    stage's adopted fixes must show in the keys the next stage reads."""
    t = Track("A/01.flac", "A", "flac", {"tracknumber": "03", "date": "1999-05-01"})
    plan = Plan()
    assert (plan.key(t, "tracknumber"), plan.key(t, "date")) == ("3", "1999")
    assert plan.key(t, "title") is None
    fixes = [TagChange(t.path, "tracknumber", "03", "5"), TagChange(t.path, "title", None, " X ")]
    plan.adopt([Finding("x", "warning", t.path, "m", changes=tuple(fixes))])
    assert (plan.key(t, "tracknumber"), plan.key(t, "title")) == ("5", "X")
    assert plan.key(t, "date") == "1999"


@pytest.mark.parametrize(
    ("stored", "disc_folder", "planned", "before", "after"),
    [
        ("1", None, "2", 1, 2),
        (None, 2, "3/4", 2, 3),  # a planned number overrides the folder's
        ("2", 3, None, 2, 3),  # planned away: the folder's number again
        ("0", None, "A", 1, 1),  # no number, or disc 0: the first disc
    ],
)
def test_a_tracks_disc_follows_the_plan_from_stage_to_stage(
    stored, disc_folder, planned, before, after
):
    """The rules read a track's disc through the plan's keys: a stage's adopted disc number
    shows in the disc the next stage reads, and a disc read before it is not kept."""
    t = Track("A/CD/01.flac", "A", "flac", {"discnumber": stored} if stored else {},
              disc_folder=disc_folder)  # fmt: skip
    ctx = Context.of(ArtistScan("X", (t,)))
    assert ctx.disc(t) == before
    fix = TagChange(t.path, "discnumber", stored, planned)
    ctx.plan.adopt([Finding("x", "warning", t.path, "m", changes=(fix,))])
    assert ctx.disc(t) == after


@pytest.mark.parametrize(
    ("tag", "stored", "key"),
    [
        ("tracknumber", "3", "3"),
        ("tracknumber", " 03", "3"),
        ("tracknumber", "3 of 12", "3"),  # no number with a total, but track 3 all the same
        ("tracknumber", "A1", None),  # a vinyl side: no number to compare
        ("date", "1969-09-26", "1969"),
        ("date", "26/09/1969", "1969"),  # no date as ISO 8601 writes it, but the year 1969
        ("date", "Sept 1969", "1969"),
        ("date", "19690926", None),
        ("original_date", "1969-09-26", "1969"),  # every date compares by its year
        ("title", "  Something ", "Something"),
        ("composer", " ", None),
    ],
)
def test_a_tag_is_compared_by_what_its_type_reads_in_it(tag, stored, key):
    """The plan's keys are the tag table's types' (``tags.values``): a value that does not
    parse as its type is still compared by the number or year it names."""
    assert Plan().key(Track("A/01.flac", "A", "flac", {tag: stored}), tag) == key


def test_values_that_name_their_number_and_year_otherwise_raise_no_finding() -> None:
    """"3 of 12" and "26/09/1969" are not written as a number and a date are, but they name
    track 3 and the year 1969: no finding calls them missing, and nothing overwrites them."""
    scan = abbey(
        {"tags": {"tracknumber": "1 of 3", "date": "26/09/1969"}},
        {"tags": {"tracknumber": "2 of 3", "date": "Sept 1969"}},
    )
    assert find_issues(scan) == []


@pytest.mark.parametrize(
    ("value", "tidy"),
    [
        ("Abbey Road", "Abbey Road"),
        ("  Abbey   Road ", "Abbey Road"),
        ("Abbey\tRoad", "Abbey\tRoad"),  # one character of white space is left as it is
        ("Abbey\t Road", "Abbey Road"),
        ("Abbey\u3000\u3000Road", "Abbey\u3000Road"),  # the kind of space is kept
        ("Кино\xa0\xa0Группа", "Кино\xa0Группа"),
        ("Abbey \u3000Road", "Abbey Road"),
        ("", ""),
    ],
)
def test_tidy_spaces_trims_and_collapses_runs_of_white_space(value, tidy):
    assert tidy_spaces(value) == tidy


@settings(deadline=None)  # a stalled machine must not fail a property that holds
@given(st.text())
def test_tidy_spaces_fast_path_never_differs_from_the_rule(value):
    """Most tags are tidy already and skip the regex: that shortcut must never change a result."""
    assert tidy_spaces(value) == RUNS_OF_SPACE.sub(one_space, value.strip())


# --- a majority is not always right: values that legitimately differ -------------------------


def album_of(folder: str, *tags: dict, discs: tuple[int, ...] = ()) -> ArtistScan:
    """One album folder, a track per tag dict; ``discs`` puts track i in folder CD<discs[i]>."""
    tracks = []
    for i, extra in enumerate(tags):
        n, title = i + 1, f"Song {i + 1}"
        fields: dict = {"tags": extra}
        if discs:
            fields |= {
                "disc_folder": discs[i],
                "path": f"{folder}/CD{discs[i]}/{n:02d} - {title}.flac",
            }
        tracks.append(track(n, title, album=folder, **fields))
    return ArtistScan("X", tuple(tracks))


def unfixed(scan: ArtistScan, code: str) -> Finding:
    """The one finding of this code, reported with a reason and no fix."""
    [finding] = of(find_issues(scan), code)
    assert finding.changes == ()
    assert "nothing is changed" in finding.message.lower() or "Not filled" in finding.message
    return finding


def test_a_favourites_folder_keeps_its_albums_and_years() -> None:
    # 3 tracks of one album, one each of two others: several different values are a pattern.
    albums = ["A Night at the Opera"] * 3 + ["News of the World", "The Game"]
    years = ["1975"] * 3 + ["1977", "1980"]
    scan = album_of(
        "My Queen Favourites",
        *({"album": a, "date": y} for a, y in zip(albums, years, strict=True)),
    )
    assert "2 different values" in unfixed(scan, "inconsistent-album").message
    assert "2 different values" in unfixed(scan, "inconsistent-year").message
    assert planned_changes(find_issues(scan)) == []


def test_a_missing_year_is_not_filled_when_the_others_differ_in_several_ways() -> None:
    years = ["1975"] * 4 + ["1977", "1980", None]
    scan = album_of("1975 - Opera", *({"album": "Opera", "date": y} for y in years))
    assert "2 different values" in unfixed(scan, "missing-year").message


@pytest.mark.parametrize(
    ("albumartist", "artists"),
    [
        ("Various Artists", ["Toto"] * 5),
        ("various artists", ["Toto"] * 5),
        ("VA", ["Toto"] * 5),
        ("Various", ["Toto"] * 5),
        (None, ["Toto", "Eurythmics", "The Police", "Culture Club", "Europe"]),
    ],
)
def test_a_compilation_keeps_each_tracks_original_year(
    albumartist: str | None, artists: list[str]
) -> None:
    years = ["1983"] * 4 + ["1986"]
    tags = (
        {"albumartist": albumartist, "artist": a, "date": y, "album": "Now 80s"}
        for a, y in zip(artists, years, strict=True)
    )
    scan = album_of("2005 - Now 80s", *tags)
    assert "compilation" in unfixed(scan, "inconsistent-year").message
    missing = album_of(
        "2005 - Now 80s",
        *[
            {"albumartist": albumartist, "artist": a, "date": y, "album": "Now 80s"}
            for a, y in zip(artists, [*years[:4], None], strict=True)
        ],
    )
    assert "compilation" in unfixed(missing, "missing-year").message


def test_spellings_of_one_artist_are_no_compilation() -> None:
    # Two spellings of one artist are one artist: the artist-wide spelling fix merges them, and
    # the year decision must not change when it does (a run later, over a fixed tag).
    artists, years = ["The Beatles", "Beatles", "Wings"], ["1969", "1969", "1970"]
    scan = album_of(ALBUM, *({"artist": a, "date": y} for a, y in zip(artists, years, strict=True)))
    [finding] = of(find_issues(scan), "inconsistent-year")
    assert [(c.old, c.new) for c in finding.changes] == [("1970", "1969")]


def test_one_wrong_year_in_nine_tracks_is_still_fixed() -> None:
    # A featured guest on one track does not make the album a compilation.
    tags = [{"date": "1969", "album": "Abbey Road"} for _ in range(9)]
    tags[4] = {"date": "1996", "album": "Abbey Road"}
    tags[6] = {"date": "1969", "album": "Abbey Road", "artist": "The Beatles feat. Billy Preston"}
    scan = album_of(ALBUM, *tags)
    [finding] = of(find_issues(scan), "inconsistent-year")
    assert [(c.old, c.new) for c in finding.changes] == [("1996", "1969")]


@pytest.mark.parametrize(
    "form",
    ["The Wall (Disc {d})", "The Wall [Disc {d}]", "The Wall CD{d}", "The Wall (Disc {d} of 2)"],
)
def test_a_disc_suffix_matching_the_disc_is_no_inconsistency(form: str) -> None:
    discs = (1, 1, 1, 1, 1, 2, 2, 2)
    scan = album_of("1979 - The Wall", *({"album": form.format(d=d)} for d in discs), discs=discs)
    assert of(find_issues(scan), "inconsistent-album") == []
    assert planned_changes(find_issues(scan)) == []


@pytest.mark.parametrize(
    ("album", "suffix"),
    [
        ("The Wall (Disc 2)", ("The Wall", 2)),
        ("The Wall [Disc 2]", ("The Wall", 2)),
        ("The Wall CD2", ("The Wall", 2)),
        ("The Wall - Disc 2 of 2", ("The Wall", 2)),
        ("The Wall (CD 2/2)", ("The Wall", 2)),
        ("The Wall, disk_02", ("The Wall", 2)),
        ("The Wall (Disc 2of2)", ("The Wall", 2)),
        # Up to three digits, as a disc folder's name (scan.disc_number): big box sets.
        ("Bach Edition CD101", ("Bach Edition", 101)),
        ("Bach Edition (Disc 101 of 155)", ("Bach Edition", 101)),
        ("Disc 2", None),  # the whole name: no album before the suffix
        ("The Wall CD1999", None),
        ("The Wall Discography", None),
        ("The Wall (Disc 2) Live", None),
    ],
)
def test_an_album_names_disc_suffix(album: str, suffix: tuple[str, int] | None) -> None:
    assert disc_suffix(album) == suffix


def test_a_disc_suffix_that_does_not_match_the_disc_is_reported_not_fixed() -> None:
    # No disc numbers known: the names still differ only by their disc suffix.
    scan = album_of("1979 - The Wall", *({"album": f"The Wall (Disc {d})"} for d in (1, 1, 1, 2)))
    assert "only by a disc number" in unfixed(scan, "inconsistent-album").message


def test_a_bonus_disc_keeps_its_own_album_and_year() -> None:
    discs = (1, 1, 1, 2, 2)
    tags = [{"album": "A Night at the Opera", "date": "1975"}] * 3 + [
        {"album": "A Night at the Opera (Bonus EP)", "date": "2011"}
    ] * 2
    scan = album_of("1975 - A Night at the Opera", *tags, discs=discs)
    assert "exactly disc 2's" in unfixed(scan, "inconsistent-album").message
    assert "exactly disc 2's" in unfixed(scan, "inconsistent-year").message
    # A bonus-disc track without a year is not given the main disc's.
    tags[4] = {"album": "A Night at the Opera (Bonus EP)", "date": None}
    scan = album_of("1975 - A Night at the Opera", *tags, discs=discs)
    assert "exactly disc 2's" in unfixed(scan, "missing-year").message


def test_one_wrong_year_on_a_two_disc_album_is_still_fixed() -> None:
    discs = (1, 1, 1, 2, 2, 2)
    dates = ["1979", "1997", "1979", "1979", "1979", "1979"]
    scan = album_of("1979 - The Wall", *({"date": y} for y in dates), discs=discs)
    [finding] = of(find_issues(scan), "inconsistent-year")
    assert [(c.old, c.new) for c in finding.changes] == [("1997", "1979")]


def test_a_misc_folders_missing_album_is_not_filled() -> None:
    scan = album_of("Misc", *[{"album": "Like a Prayer"}] * 3, {"album": None})
    assert "'Misc' is not that album's" in unfixed(scan, "missing-album").message


def test_a_missing_album_is_not_filled_when_the_others_disagree() -> None:
    albums = ["Like a Prayer"] * 3 + ["Erotica", None]
    scan = album_of("1989 - Like a Prayer", *({"album": a} for a in albums))
    assert "do not agree on one album" in unfixed(scan, "missing-album").message
    # ...though the one other value is still fixed as a typo would be.
    [finding] = of(find_issues(scan), "inconsistent-album")
    assert [(c.old, c.new) for c in finding.changes] == [("Erotica", "Like a Prayer")]


def test_a_singles_folder_is_not_renumbered_from_its_file_names() -> None:
    # Each track is track 1 of its own single; the file names 01..05 are the user's order.
    singles = ("Vogue", "Frozen", "Music", "Hung Up", "Ray of Light")
    scan = ArtistScan(
        "Madonna",
        tuple(
            track(n, s, album="Singles", tags={"album": s, "tracknumber": "1"})
            for n, s in enumerate(singles, 1)
        ),
    )
    findings = find_issues(scan)
    [duplicate] = of(findings, "duplicate-tracknumber")
    assert duplicate.changes == ()
    assert "5 different albums" in duplicate.message
    assert not [c for c in planned_changes(findings) if c.tag == "tracknumber"]


def test_a_vinyl_side_and_position_is_never_overwritten() -> None:
    sides = ("A1", "A2", "B1", "B2")
    scan = ArtistScan(
        "X",
        tuple(
            track(n, f"V{n}", album="1975 - LP", tags={"album": "LP", "tracknumber": side})
            for n, side in enumerate(sides, 1)
        ),
    )
    findings = of(find_issues(scan), "missing-tracknumber")
    assert [f.changes for f in findings] == [()] * 4
    assert all("'A1'" in f.message and "left as it is" in f.message for f in findings)
    # An empty tag is still filled from the file name.
    scan = abbey({}, {"tags": {"tracknumber": " "}})
    [missing] = of(find_issues(scan), "missing-tracknumber")
    assert missing.changes == (TagChange(P2, "tracknumber", " ", "2"),)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("03 - The Beatles - Maxwell's Silver Hammer.mp3", "starts with the artist"),
        ("03 - the beatles - Maxwell's Silver Hammer.mp3", "starts with the artist"),
        ("03 - Maxwell_s Silver Hammer.mp3", "holds '_'"),
        ("03 - What's Going On_.mp3", "holds '_'"),
    ],
)
def test_a_title_is_not_taken_from_a_file_name_that_may_hold_more(name: str, reason: str) -> None:
    scan = abbey({}, {}, {"tags": {"title": None}, "path": f"{ALBUM}/{name}"})
    [missing] = of(find_issues(scan), "missing-title")
    assert missing.changes == ()
    assert reason in missing.message


def test_a_title_that_only_contains_the_artist_is_still_taken() -> None:
    name = "03 - Hello Beatles - Goodbye.mp3"
    scan = abbey({}, {}, {"tags": {"title": None}, "path": f"{ALBUM}/{name}"})
    [missing] = of(find_issues(scan), "missing-title")
    assert [c.new for c in missing.changes] == ["Hello Beatles - Goodbye"]


def test_a_track_gap_names_its_missing_numbers_as_spans():
    """A hidden track numbered 99 after tracks 1-3: one span, not 95 numbers."""
    scan = abbey({}, {}, {"tags": {"tracknumber": "99"}, "path": f"{ALBUM}/99 - Maxwell.mp3"})
    (gap,) = [f for f in find_issues(scan) if f.code == "track-gap"]
    assert gap.message == "Disc 1 has no track 3-98: a lost file, or a partial album?"
    assert gap.details["absent"] == tuple(range(3, 99))


@pytest.mark.parametrize(
    ("artist", "name", "title"),
    [
        ("3 Doors Down", "3 Doors Down - Kryptonite.mp3", "Kryptonite"),
        ("50 Cent", "50 Cent - In da Club.mp3", "In da Club"),
        ("Ariana Grande", "7 rings.mp3", "7 rings"),
        ("Nena", "99 Luftballons (Remix).mp3", "99 Luftballons"),
    ],
)
def test_a_number_that_starts_a_name_is_no_track_number(artist, name, title) -> None:
    tags = {"artist": artist, "title": title, "tracknumber": "4"}
    scan = ArtistScan(artist, (loose(path=name, tags=tags),))
    assert of(find_issues(scan), "filename-mismatch") == []


@pytest.mark.parametrize(
    ("artist", "name"),
    [
        ("1", "12 - Song.mp3"),  # the artist "1" is not the start of "12"
        ("Ariana Grande", "03 - 7 rings.mp3"),  # a track number before the title
        ("3 Doors Down", "05 - Kryptonite.mp3"),
    ],
)
def test_a_track_number_beside_a_numbered_name_still_counts(artist, name) -> None:
    tags = {"artist": artist, "title": "7 rings", "tracknumber": "4"}
    scan = ArtistScan(artist, (loose(path=name, tags=tags),))
    [mismatch] = of(find_issues(scan), "filename-mismatch")
    assert mismatch.details["tag_number"] == 4


def test_a_disc_numbered_on_from_the_one_before_has_no_gap_before_it() -> None:
    """Disc 1 holds 1-2, disc 2 goes on at 3-4: no gap; at 4-5 it lacks only track 3."""

    def two_discs(*numbers):
        # Each track a file of its own, as a scan finds them: the rules know a track by its
        # path (the plan's values and keys are by path), and disc 2's track 2 is not disc 1's.
        return ArtistScan(
            "The Beatles",
            tuple(
                track(n, f"Song {n}", tags={"discnumber": str(disc)},
                      path=f"{ALBUM}/CD{disc}/{n:02d} - Song {n}.mp3")
                for i, n in enumerate(numbers)
                for disc in [1 + (i > 1)]
            ),
        )  # fmt: skip

    assert of(find_issues(two_discs(1, 2, 3, 4)), "track-gap") == []
    [gap] = of(find_issues(two_discs(1, 2, 4, 5)), "track-gap")
    assert gap.details == {"disc": 2, "absent": (3,)}
    # Numbered from 1 on each disc, a disc's own gap still shows.
    [gap] = of(find_issues(two_discs(1, 2, 2, 3)), "track-gap")
    assert gap.details == {"disc": 2, "absent": (1,)}


def test_duplicates_whose_file_names_name_their_discs_ask_for_disc_numbers() -> None:
    """iTunes names "1-01 x", "2-01 y": a clash of numbers there is a missing disc tag."""
    names = ("1-01 Come Together", "1-02 Something", "2-01 Maxwell", "2-02 Oh Darling")
    scan = ArtistScan(
        "The Beatles",
        tuple(track(int(name[3]), name[5:], path=f"{ALBUM}/{name}.m4a") for name in names),
    )
    [duplicate] = of(find_issues(scan), "duplicate-tracknumber")
    assert duplicate.changes == ()
    assert "file names put them on discs 1, 2" in duplicate.message
    assert "set each track's disc number" in duplicate.message


def test_an_album_with_no_album_artist_takes_the_artist_all_its_tracks_name() -> None:
    scan = abbey(*[{"tags": {"albumartist": None}}] * 3)
    missing = of(find_issues(scan), "missing-albumartist")
    assert [c for f in missing for c in f.changes] == [
        TagChange(p, "albumartist", None, "The Beatles") for p in (P1, P2, P3)
    ]
    assert "(the artist of all 3 tracks)" in missing[0].message
    # One track already holding it agrees: the others take it too.
    scan = abbey({}, {"tags": {"albumartist": None}}, {"tags": {"albumartist": None}})
    missing = of(find_issues(scan), "missing-albumartist")
    assert [c.new for f in missing for c in f.changes] == ["The Beatles", "The Beatles"]


@pytest.mark.parametrize(
    "edits",
    [
        # A guest on one track: whose album it is, is not certain.
        ({"tags": {"artist": "The Beatles feat. Billy Preston"}}, {}, {}),
        # The same guest on every track: still not the album's artist.
        tuple({"tags": {"artist": "The Beatles feat. Billy Preston"}} for _ in range(3)),
        # An album artist that names someone else.
        ({"tags": {"albumartist": "Various Artists"}}, {}, {}),
        # Tracks 1, 2 and 7: a few tracks of a compilation, not an album of their own.
        ({}, {}, {"tags": {"tracknumber": "7"}, "path": f"{ALBUM}/07 - Maxwell.mp3"}),
    ],
)
def test_an_album_artist_is_not_taken_from_artists_that_do_not_all_agree(edits) -> None:
    edits = tuple(e | {"tags": {"albumartist": None} | e.get("tags", {})} for e in edits)
    missing = of(find_issues(abbey(*edits)), "missing-albumartist")
    assert len(missing) >= 2
    assert all(f.changes == () for f in missing)


def test_a_single_takes_its_one_tracks_artist_as_album_artist() -> None:
    single = "2019 - Single"
    scan = ArtistScan("X", (track(1, "One", album=single, tags={"albumartist": None}),))
    [missing] = of(find_issues(scan), "missing-albumartist")
    assert [c.new for c in missing.changes] == ["The Beatles"]
    assert "(the track's artist)" in missing.message


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("07 - Kryptonite.mp3", "07 - Kryptonite"),  # a title that kept the file's number
        ("07 - Kryptonite.mp3", "07 Kryptonite"),
        ("07 - Kryptonite.mp3", "7. Kryptonite"),
        ("12 - Song.mp3", "12"),  # a bare number
    ],
)
def test_a_title_that_holds_the_track_number_does_not_hide_a_mismatch(name, title) -> None:
    scan = ArtistScan("X", (loose(path=name, tags={"title": title, "tracknumber": "3"}),))
    [mismatch] = of(find_issues(scan), "filename-mismatch")
    assert mismatch.details["tag_number"] == 3


def test_a_numbered_title_is_found_in_a_decomposed_file_name() -> None:
    """macOS writes "ñ" in file names as "n" and a combining tilde."""
    import unicodedata

    name = unicodedata.normalize("NFD", "7 Años.mp3")
    scan = ArtistScan("X", (loose(path=name, tags={"title": "7 Años", "tracknumber": "3"}),))
    assert of(find_issues(scan), "filename-mismatch") == []


def test_a_disc_numbered_on_counts_from_where_the_renumbered_disc_before_ends() -> None:
    """Disc 1's names run 1-3 but two tracks say 2: renumbered, disc 1 ends at 3, and a
    disc 2 holding 4-5 lacks nothing; one holding 5-6 lacks 4, and says why it is counted
    from there."""

    def two_discs(*numbers):
        return ArtistScan(
            "The Beatles",
            tuple(
                track(i + 1, f"Song {i + 1}", tags={"tracknumber": str(n), "discnumber": "1"})
                for i, n in enumerate((1, 2, 2))
            )
            + tuple(
                track(n, f"Song {n}", tags={"discnumber": "2"}, path=f"{ALBUM}/2-0{n} Song.mp3")
                for n in numbers
            ),
        )

    assert of(find_issues(two_discs(4, 5)), "track-gap") == []
    [gap] = of(find_issues(two_discs(5, 6)), "track-gap")
    assert gap.details == {"disc": 2, "absent": (4,)}
    assert gap.message.startswith("Disc 2 (numbered on from the disc before, from 4) has no")


@pytest.mark.parametrize(
    ("names", "albums", "advice"),
    [
        # Two albums in one folder: that is the first thing to say.
        (("1-01 A", "2-01 B"), ("Alpha", "Beta"), "belong to 2 different albums"),
        # Two files named 1-01: the names do not tell them apart.
        (("1-01 A", "1-01 A2", "2-01 B"), ("Abbey Road",) * 3, "do not run cleanly"),
    ],
)
def test_disc_advice_only_when_the_file_names_tell_the_clashing_tracks_apart(
    names, albums, advice
) -> None:
    scan = ArtistScan(
        "The Beatles",
        tuple(
            track(1, name[5:], tags={"album": album}, path=f"{ALBUM}/{name}.m4a")
            for name, album in zip(names, albums, strict=True)
        ),
    )
    [duplicate] = of(find_issues(scan), "duplicate-tracknumber")
    assert advice in duplicate.message
    assert "disc number" not in duplicate.message


def test_a_link_to_a_file_outside_the_library_is_found_but_not_fixed() -> None:
    """Its findings stand; their changes to it are dropped, and the finding says why (the
    rest of an album finding's changes stay)."""
    scan = abbey({"tags": {"title": "Come  Together", "album": "Abbey  Road"}})
    scan = replace(scan, outside={P1: "/elsewhere/01.mp3"})
    found = of(find_issues(scan), "whitespace")
    assert found and all(not f.fixable for f in found)
    for f in found:
        assert f"Not fixed: {P1} is a link to a file outside the library (/elsewhere/01.mp3)" in (
            f.message
        )
        assert f.details["not_fixed"].startswith(P1)
    assert of(find_issues(replace(scan, outside={})), "whitespace")[0].fixable


def test_a_fix_to_a_file_whose_tags_cannot_be_written_is_reported_not_planned() -> None:
    """AC-3 and AAC (ADTS) are read but cannot hold tags: every rule still looks at them, and
    a fix for one is reported as not writable, never planned; the same album's other files
    are fixed as ever."""
    ac3 = f"{ALBUM}/02 - Something.ac3"
    scan = abbey(
        {"tags": {"album": "Abbey  Road"}},
        {"path": ac3, "format": "ac3", "tags": {"title": None, "album": "Abbey  Road"}},
    )
    findings = find_issues(scan)
    [title] = [f for f in of(findings, "missing-title") if f.path == ac3]
    assert not title.fixable
    assert title.not_written == f"{ac3} is AC-3, a format whose tags cannot be written"
    assert title.not_written in title.message
    spaces = {f.path: f for f in of(findings, "whitespace")}
    assert not spaces[ac3].fixable and spaces[ac3].not_written
    assert spaces[P1].fixable and spaces[P1].not_written is None
    assert all(c.path != ac3 for f in findings for c in f.changes)
    mp3 = replace(scan, tracks=(scan.tracks[0], replace(scan.tracks[1], format="mp3")))
    assert [f.fixable for f in of(find_issues(mp3), "missing-title")] == [True]
