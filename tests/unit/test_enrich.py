"""Enrichment decisions are pure: records in, choices and tag changes out."""

from __future__ import annotations

import pytest

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import SEVERITY, Finding
from mediakeeper.lookup.musicbrainz import ArtistCandidate, ReleaseGroup
from mediakeeper.music.enrich import (
    MAX_COMPARED,
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
    plausible_artists,
    unidentified,
)
from mediakeeper.music.fixplan import most_common
from mediakeeper.music.model import ArtistScan, Track

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
JAWS = ReleaseGroup("rg-jaws", "Jaws", "1975", "Album")
SEVILLE = ReleaseGroup("rg-sev", "The Seville Concert", "1993", "Album")
# As the live search answered "Nirvana": scores relative to the top hit, whatever the name.
NIRVANA_US = ArtistCandidate("us", "Nirvana", "Nirvana", 100, disambiguation="US grunge band")
NIRVANA_UK = ArtistCandidate("uk", "Nirvana", "Nirvana", 86, disambiguation="60s UK band")
NIRVANA_2002 = ArtistCandidate("se", "Nirvana 2002", score=80, disambiguation="Swedish band")
US_GROUPS = [ReleaseGroup("rg-b", "Bleach", "1989"), ReleaseGroup("rg-n", "Nevermind", "1991")]
UK_GROUPS = [ReleaseGroup("rg-s", "The Story of Simon Simopath", "1968"),
             ReleaseGroup("rg-a", "All of Us", "1968")]  # fmt: skip


def albums(*titles: str) -> list[AlbumFolder]:
    return [AlbumFolder(title, title, "") for title in titles]


def _unidentified(titles, browsed, plausible=None) -> list[Finding]:
    return unidentified(choose_artist(albums(*titles), browsed, plausible), "Nirvana").findings


# Every enrichment code fires: (code, what finds it, the path it names). The contract over
# every kind's codes (tests/contracts/test_findings.py) reads this list.
FIRES = [
    pytest.param(
        "ambiguous-artist",
        lambda: _unidentified(["Star Wars"], [(c, [JAWS]) for c in JOHN_WILLIAMS]),
        "",
        id="ambiguous-artist",
    ),
    pytest.param("artist-not-found", lambda: _unidentified([], []), "", id="artist-not-found"),
    pytest.param(
        "doubtful-artist",
        lambda: _unidentified(["Nevermind"], [(NIRVANA_UK, UK_GROUPS)]),
        "",
        id="doubtful-artist",
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


def test_every_candidate_named_as_we_are_is_plausible_whatever_its_score():
    other = ArtistCandidate("x1", "Björk Smith", score=95)
    weak = ArtistCandidate("x2", "Björk", score=40)
    assert plausible_artists([BJORK, other, weak], ["Björk"]) == (BJORK, weak)
    assert plausible_artists([BJORK], ["Bjork"]) == (BJORK,)  # an alias; no accent on the folder
    found = plausible_artists([NIRVANA_US, NIRVANA_UK, NIRVANA_2002], ["Nirvana"])
    assert found == (NIRVANA_US, NIRVANA_UK)  # 86 is plausible; "Nirvana 2002" is not our name


def test_the_albums_decide_between_same_named_artists():
    browsed = [(NIRVANA_US, US_GROUPS), (NIRVANA_UK, UK_GROUPS)]
    uk = choose_artist(albums("All of Us", "The Story of Simon Simopath", "Bootleg"), browsed)
    assert (uk.artist, uk.groups) == (NIRVANA_UK, tuple(UK_GROUPS))  # the 86, not the top hit
    assert choose_artist(albums("Nevermind"), browsed).artist == NIRVANA_US


@pytest.mark.parametrize(
    "titles",
    [["Something Else"], ["Nevermind", "All of Us"], []],
    ids=["neither-has-them", "as-many-each", "no-albums"],
)
def test_same_named_artists_the_albums_cannot_tell_apart_are_ambiguous(titles):
    browsed = [(NIRVANA_US, US_GROUPS), (NIRVANA_UK, UK_GROUPS)]
    choice = choose_artist(albums(*titles), browsed)
    assert choice.artist is None and choice.groups == ()
    [finding] = unidentified(choice, "Nirvana").findings
    assert (finding.code, finding.severity) == ("ambiguous-artist", "warning")
    matched = len(titles) // 2
    assert finding.details["candidates"] == [
        {"id": "us", "name": "Nirvana", "disambiguation": "US grunge band",
         "albums_matched": matched},
        {"id": "uk", "name": "Nirvana", "disambiguation": "60s UK band",
         "albums_matched": matched},
    ]  # fmt: skip
    assert finding.details["albums_total"] == len(titles)
    assert "US grunge band" in finding.message and "60s UK band" in finding.message
    assert f"matches {matched} of {len(titles)}" in finding.message
    assert not finding.changes


def test_candidates_past_the_compared_ones_are_counted_and_never_chosen_by_default():
    browsed = [(NIRVANA_US, US_GROUPS), (NIRVANA_UK, UK_GROUPS)]
    # The lone compared candidate is no sure thing when more were never compared.
    choice = choose_artist(albums("Something Else"), browsed[:1], plausible=MAX_COMPARED + 3)
    [finding] = unidentified(choice, "Nirvana").findings
    assert finding.code == "ambiguous-artist"
    assert f"{MAX_COMPARED + 2} more not compared" in finding.message
    # But a clear winner among the compared ones is chosen.
    assert choose_artist(albums("Bleach"), browsed, plausible=8).artist == NIRVANA_US


def test_a_lone_candidate_with_none_of_the_albums_is_doubtful_not_identified():
    choice = choose_artist(albums("Nevermind", "In Utero"), [(NIRVANA_UK, UK_GROUPS)], 1)
    assert choice.artist is None
    [finding] = unidentified(choice, "Nirvana").findings
    assert (finding.code, finding.severity) == ("doubtful-artist", "info")
    assert "60s UK band" in finding.message and "none of the 2 albums" in finding.message
    assert finding.details["candidates"][0]["albums_matched"] == 0
    # One album is enough, and a folder with no albums has nothing to doubt by.
    assert choose_artist(albums("All of Us"), [(NIRVANA_UK, UK_GROUPS)]).artist == NIRVANA_UK
    assert choose_artist([], [(NIRVANA_UK, UK_GROUPS)]).artist == NIRVANA_UK
    # An album the year cannot place among two same-titled release groups is still theirs.
    twins = [ReleaseGroup("r1", "Heroes", "1977"), ReleaseGroup("r2", "Heroes", "1977")]
    assert choose_artist(albums("Heroes"), [(NIRVANA_UK, twins)]).artist == NIRVANA_UK


def test_an_unknown_artist_is_reported_and_nothing_written():
    plan = unidentified(choose_artist(albums("Quiet"), []), "Nobody Knows")
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
