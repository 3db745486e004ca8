"""Enrichment decisions are pure: records in, choices and tag changes out."""

from __future__ import annotations

import pytest

from mediakeeper.findings import SEVERITY, Finding
from mediakeeper.lookup.musicbrainz import ArtistCandidate, ReleaseGroup
from mediakeeper.music.enrich import (
    AlbumFolder,
    album_folders,
    choose_artist,
    dominant,
    fill_years,
    known_artist_id,
    match_albums,
    normalise_title,
    our_names,
    plan_enrichment,
    unidentified,
)
from mediakeeper.music.fixplan import most_common
from mediakeeper.music.model import ArtistScan, TagChange, Track

BJORK = ArtistCandidate(
    "87c5dedd", "Björk", "Björk", 100, aliases=("Bjork", "Björk Guðmundsdóttir")
)


def track(path: str, folder: str, **tags) -> Track:
    return Track(path=path, album=folder, format="flac", tags=tags)


def scan(*tracks: Track, folder: str = "Björk") -> ArtistScan:
    return ArtistScan(folder, tracks)


JOHN_WILLIAMS = (
    ArtistCandidate("a", "John Williams", score=100, disambiguation="film composer"),
    ArtistCandidate("b", "John Williams", score=100, disambiguation="classical guitarist"),
)


def _named(name: str, candidates: list[ArtistCandidate]) -> list[Finding]:
    return unidentified(scan(), choose_artist(candidates, [name]), name).findings


# Every enrichment code fires: (code, what finds it, the path it names). The contract over
# every kind's codes (tests/unit/test_findings.py) reads this list.
FIRES = [
    pytest.param(
        "ambiguous-artist",
        lambda: _named("John Williams", list(JOHN_WILLIAMS)),
        "",
        id="ambiguous-artist",
    ),
    pytest.param(
        "artist-not-found", lambda: _named("Nobody Knows", []), "", id="artist-not-found"
    ),
    pytest.param(
        "unmatched-album",
        lambda: plan_enrichment(
            scan(track("Odd/01.flac", "Odd", album="Not On MusicBrainz")), BJORK, [], {}
        ).findings,
        "Odd",
        id="unmatched-album",
    ),
]


@pytest.mark.parametrize(("code", "find", "path"), FIRES)
def test_code_fires(code, find, path):
    [finding] = [f for f in find() if f.code == code]
    assert (finding.path, finding.severity) == (path, SEVERITY[code])
    assert finding.message and not finding.fixable


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("OK Computer", "OK Computer (Remastered)"), ("Ágætis byrjun", "Agaetis Byrjun"),
     ("Simon & Garfunkel", "Simon and Garfunkel"), ("The Wall", "Wall"),
     ("Homogenic", "Homogenic [Deluxe Edition] (2014 Remaster)")],
)  # fmt: skip
def test_titles_compare_without_case_accents_punctuation_or_edition_noise(ours, theirs):
    assert normalise_title(ours) == normalise_title(theirs)


def test_an_exact_name_with_a_high_score_is_accepted():
    other = ArtistCandidate("x1", "Björk Smith", score=95)
    assert choose_artist([BJORK, other], ["Björk"]).artist == BJORK


def test_an_alias_matches_too():
    assert choose_artist([BJORK], ["Bjork"]).artist == BJORK  # the folder name has no accent


def test_a_low_score_is_never_confident():
    weak = ArtistCandidate("x", "Björk", score=70)
    choice = choose_artist([weak], ["Björk"])
    assert (choice.artist, choice.plausible) == (None, ())


def test_two_plausible_candidates_are_ambiguous_and_listed():
    a, b = JOHN_WILLIAMS
    choice = choose_artist([a, b], ["John Williams"])
    assert choice.artist is None and choice.plausible == (a, b)
    [finding] = unidentified(scan(), choice, "John Williams").findings
    assert finding.code == "ambiguous-artist" and finding.severity == "warning"
    assert "film composer" in finding.message and "classical guitarist" in finding.message
    assert not finding.changes


def test_an_unknown_artist_is_reported_and_nothing_written():
    plan = unidentified(scan(), choose_artist([], ["Nobody Knows"]), "Nobody Knows")
    assert [f.code for f in plan.findings] == ["artist-not-found"] and plan.changes == []


def test_ids_in_the_tags_identify_the_artist_without_a_search():
    tagged = scan(track("a/1.flac", "a", musicbrainz_albumartistid="87c5dedd"))
    assert known_artist_id(tagged) == "87c5dedd"
    assert known_artist_id(scan(track("a/1.flac", "a"))) == ""


def test_dominant_breaks_ties_as_the_fixes_do_whatever_the_order():
    assert dominant(["Live", " Studio ", "", None, "Studio"]) == "Studio"
    assert dominant(["b", "a"]) == dominant(["a", "b"]) == "a"
    assert dominant(["b", "a"]) == most_common(["b", "a"])
    assert dominant(["", "  "]) == ""


def test_names_are_the_folder_and_the_dominant_tags_once_each():
    s = scan(
        track("a/1.flac", "a", albumartist="Bjork"),
        track("a/2.flac", "a", albumartist="Björk "),
        track("a/3.flac", "a", albumartist="Bjork"),
        folder="björk",
    )
    assert our_names(s) == ["björk"]  # "Bjork" normalises to the same name


def test_album_folders_claim_their_tag_title_or_their_folder_name():
    s = scan(track("1997 - Homogenic/01.flac", "1997 - Homogenic", album="Homogenic"),
             track("(2001) Vespertine/01.flac", "(2001) Vespertine"))  # fmt: skip
    assert album_folders(s) == [
        AlbumFolder("(2001) Vespertine", "Vespertine", "2001"),
        AlbumFolder("1997 - Homogenic", "Homogenic", "1997"),
    ]


def test_the_year_breaks_a_tie_between_same_titled_groups():
    old, new = (
        ReleaseGroup("r1", "Heroes", "1977", "Album"),
        ReleaseGroup("r2", "Heroes", "2017-01"),
    )
    [match] = match_albums([AlbumFolder("f", "Heroes", "2017")], [old, new])
    assert match.group == new
    twin = ReleaseGroup("r3", "Heroes", "1977", "Album")
    [tie] = match_albums([AlbumFolder("f", "Heroes", "")], [old, twin])
    assert tie.group is None and len(tie.candidates) == 2
    single = ReleaseGroup("r4", "Heroes", "1977", "Single")
    [preferred] = match_albums([AlbumFolder("f", "Heroes", "")], [old, single])
    assert preferred.group == old  # an album wins over a single of the same name


def test_plan_writes_ids_to_every_track_and_fills_missing_years():
    s = scan(
        track("1997 - Homogenic/01.flac", "1997 - Homogenic", album="Homogenic", artist="Björk"),
        track("1997 - Homogenic/02.flac", "1997 - Homogenic", album="Homogenic",
              artist="Björk feat. Someone", musicbrainz_albumartistid="keep-me"),
        track("Odd/01.flac", "Odd", album="Not On MusicBrainz", artist="Björk", date="2020"),
    )  # fmt: skip
    groups = [ReleaseGroup("rg-homo", "Homogenic", "1997-09-22", "Album")]
    plan = plan_enrichment(s, BJORK, groups, planned={})
    assert sorted(plan.changes, key=lambda c: (c.path, c.tag)) == [
        TagChange("1997 - Homogenic/01.flac", "date", None, "1997"),
        TagChange("1997 - Homogenic/01.flac", "musicbrainz_albumartistid", None, "87c5dedd"),
        TagChange("1997 - Homogenic/01.flac", "musicbrainz_artistid", None, "87c5dedd"),
        TagChange("1997 - Homogenic/01.flac", "musicbrainz_releasegroupid", None, "rg-homo"),
        TagChange("1997 - Homogenic/02.flac", "date", None, "1997"),
        # a featured artist is not this artist; an id already there is never overwritten
        TagChange("1997 - Homogenic/02.flac", "musicbrainz_releasegroupid", None, "rg-homo"),
    ]
    [unmatched] = plan.findings
    assert (unmatched.code, unmatched.path) == ("unmatched-album", "Odd")
    assert plan.summary() == {"musicbrainz_artist_id": "87c5dedd", "musicbrainz_artist": "Björk",
                              "albums_matched": 1, "albums_total": 2}  # fmt: skip
    album = plan.links()["albums"][0]
    assert album["release_group"]["cover"].endswith("/release-group/rg-homo/front")


def test_a_year_the_offline_fixes_fill_is_left_to_them():
    s = scan(track("H/01.flac", "H", album="Homogenic", artist="Björk"))
    planned = {("H/01.flac", "date"): "1997"}
    plan = plan_enrichment(s, BJORK, [ReleaseGroup("rg", "Homogenic", "1998")], planned)
    assert all(c.tag != "date" for c in plan.changes)


def test_fill_years_fixes_only_unfixed_missing_year_findings():
    missing = Finding("missing-year", "warning", "H/01.flac", "No year.", album="H")
    change = TagChange("H/01.flac", "date", None, "1997")
    [filled] = fill_years([missing], [change])
    assert filled.changes == (change,) and "1997" in filled.message
