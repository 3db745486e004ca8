"""Hostile or broken MusicBrainz answers through the real batch script: what does not fit
MusicBrainz's format never reaches a tag, and an answer that cannot be used at all never
keeps an artist's local fixes from being written (its lookups wait for --enrich).

The fake speaks MusicBrainz's XML on 127.0.0.1 and is told to answer with something else;
the files are read back raw with mutagen.
"""

from __future__ import annotations

import mutagen
import pytest

from tests.helpers import leaves_decisions
from tests.integration.test_music_enrichment import DUMMY, album, queue_of, run
from tests.servers.base import COVER_JPEG
from tests.servers.musicbrainz import EXT_NS, MMD_NS, FakeMusicBrainz

VALID_RG = "2a3a0e0c-6f2b-4d0e-9a35-0e7b1f9c2d11"


@pytest.fixture
def fake():
    with FakeMusicBrainz() as server:
        yield server


def browse_answer(*groups: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><metadata xmlns="{MMD_NS}" xmlns:ns2="{EXT_NS}">'
        f'<release-group-list count="{len(groups)}" offset="0">{"".join(groups)}'
        "</release-group-list></metadata>"
    ).encode()


def group(id: str, title: str, date: str) -> str:
    return (f'<release-group id="{id}" type="Album"><title>{title}</title>'
            f"<first-release-date>{date}</first-release-date><primary-type>Album</primary-type>"
            "</release-group>")  # fmt: skip


def raw_tags(path) -> dict:
    return {k.lower(): v for k, v in mutagen.File(path).tags.items()}


def test_release_groups_that_do_not_fit_never_reach_a_tag(fake, tmp_path):
    """A release group whose id is no MusicBrainz id is left out (its album unmatched), an
    implausible first release date is left out (no year 0000 in the tags), a title holding
    a control character is left out, and the batch says so once; the rest is written."""
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy", genre="Trip  Hop")
    album(library, "Portishead", "Portishead", "Portishead", genre="Trip  Hop")
    album(library, "Portishead", "Third", "Third", genre="Trip  Hop")
    hostile = browse_answer(
        group("not-an-id", "Dummy", "1994-08-22"),
        group(VALID_RG, "Portishead", "0000-13-45"),
        group("3b4b1f1d-7a3c-4e1f-8b46-1f8c2a0d3e22", "Third\u0085", "2008-04-28"),
    )
    fake.malformed(times=None, path="/ws/2/release-group", body=hostile)
    result = run(fake, home, library)
    assert leaves_decisions(result), result.stdout + result.stderr
    assert "Traceback" not in result.stderr

    dummy = raw_tags(library / "Portishead/1994 - Dummy/01 - Song 1.flac")
    assert "musicbrainz_releasegroupid" not in dummy
    selftitled = raw_tags(library / "Portishead/Portishead/01 - Song 1.flac")
    assert selftitled["musicbrainz_releasegroupid"] == [VALID_RG]
    assert "date" not in selftitled  # not "0000"
    third = raw_tags(library / "Portishead/Third/01 - Song 1.flac")
    assert "musicbrainz_releasegroupid" not in third
    for path in library.rglob("*.flac"):  # the local fixes are written all the same
        assert raw_tags(path)["genre"] == ["Trip Hop"]
    said = [line for line in result.stdout.splitlines() if "did not fit" in line]
    assert len(said) == 1, result.stdout
    assert "a release group left out: a release group id 'not-an-id' is not an id" in said[0]
    assert "'0000-13-45' is not a plausible date" in said[0]
    assert "U+0085" in said[0]


@pytest.mark.parametrize(
    "fault",
    [
        lambda fake: fake.fail(404, times=None, path="/ws/2/artist"),
        lambda fake: fake.malformed(times=None),  # cut short
        lambda fake: fake.malformed(times=None, body=b'{"artists": [{"id": 5}]}'),
        lambda fake: fake.malformed(times=None, body=b"<metadata><artist-list>"),
    ],
    ids=["404", "truncated", "json", "unclosed-xml"],
)
def test_an_answer_that_cannot_be_used_leaves_the_local_fixes_written(fake, tmp_path, fault):
    """A 404 or an answer that is not MusicBrainz's XML: the artist is completed with its
    local fixes, not identified, its lookups left for --enrich and the reason said once;
    the other artists are still looked up (the service is not down)."""
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy", genre="Trip  Hop")
    fault(fake)
    result = run(fake, home, library)
    assert leaves_decisions(result), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    item = queue_of(home)["Portishead"]
    assert (item["status"], item["details"]["enriched"]) == ("completed", False)
    assert "could not be used" in item["details"]["unidentified"]
    track = library / "Portishead/1994 - Dummy/01 - Song 1.flac"
    assert raw_tags(track)["genre"] == ["Trip Hop"]
    assert "musicbrainz_releasegroupid" not in raw_tags(track)
    assert result.stdout.count("its lookups wait for --enrich") == 1, result.stdout
    assert "lookups left for --enrich" in result.stdout

    # --enrich meets the same answer: the artist stays completed as it was, no attempt
    # spent (before: an error, and after three runs skipped, its counts gone), said.
    done = queue_of(home)["Portishead"]
    assert done["issues_resolved"] >= 1
    for _ in range(3):
        failing = run(fake, home, library, "--enrich")
        assert failing.returncode == 1 and "Traceback" not in failing.stderr
        assert queue_of(home)["Portishead"] == done  # its item whole: status, start, counts
        assert "it stays completed, its lookups left" in failing.stdout, failing.stdout
        assert "not looked up: 1 artist (the service's answer unusable: its line says how), " \
            "as it was; run --enrich again later" in failing.stdout  # fmt: skip
    fake.clear_faults()  # the service mended: the next --enrich does the lookups that waited
    again = run(fake, home, library, "--enrich")
    assert again.returncode == 0, again.stdout + again.stderr
    assert queue_of(home)["Portishead"]["details"]["enriched"] is True
    assert raw_tags(track)["musicbrainz_releasegroupid"]


@pytest.mark.parametrize(
    "image",
    [
        COVER_JPEG[: len(COVER_JPEG) // 2],  # cut short
        # A JPEG header claiming 60000 x 60000 pixels.
        COVER_JPEG.replace(b"\xff\xc0\x00\x11\x08\x00\x08\x00\x08",
                           b"\xff\xc0\x00\x11\x08\xea\x60\xea\x60"),
    ],
    ids=["truncated", "huge"],
)
def test_a_cover_that_is_no_whole_sane_picture_is_never_written(fake, tmp_path, image):
    assert image != COVER_JPEG
    fake.add_artist("Portishead", release_groups=DUMMY).release_groups[0].cover = image
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    result = run(fake, home, library, "--fetch-covers")
    assert result.returncode == 0, result.stdout + result.stderr
    folder = library / "Portishead/1994 - Dummy"
    assert not [p.name for p in folder.iterdir() if p.name.startswith("cover")]
    said = [line for line in result.stdout.splitlines() if "cover of 1994 - Dummy" in line]
    assert len(said) == 1 and "was not written" in said[0], result.stdout


def test_an_artist_without_a_valid_id_is_left_out_of_the_search(fake, tmp_path):
    """A search answer whose first Portishead has no MusicBrainz id: it is left out (it used
    to be browsed as 'not-an-id', refused, and the artist made an error); the real one is
    chosen and written."""
    real = fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    search = (
        f'<?xml version="1.0" encoding="UTF-8"?><metadata xmlns="{MMD_NS}" xmlns:ns2="{EXT_NS}">'
        '<artist-list count="2" offset="0">'
        '<artist id="not-an-id" type="Group" ns2:score="100"><name>Portishead</name></artist>'
        f'<artist id="{real.id}" type="Group" ns2:score="lots"><name>Portishead</name>'
        f"<sort-name>{'P' * 2000}</sort-name></artist></artist-list></metadata>"
    ).encode()
    fake.malformed(times=None, path="/ws/2/artist", body=search)
    result = run(fake, home, library)
    assert result.returncode == 0, result.stdout + result.stderr
    track = raw_tags(library / "Portishead/1994 - Dummy/01 - Song 1.flac")
    assert track["musicbrainz_albumartistid"] == [real.id]
    (said,) = [line for line in result.stdout.splitlines() if "did not fit" in line]
    assert "an artist left out: an artist id 'not-an-id' is not an id" in said
    assert "a score 'lots' is not a whole number" in said and "2,000 characters" in said


@pytest.mark.parametrize("full", [False, True], ids=["pages-of-one", "offset-ignored"])
def test_a_browse_that_claims_more_than_it_gives_ends_with_what_came(fake, tmp_path, full):
    """A browse answer whose count says more release groups than its pages ever bring (a
    count of 999,999 with pages of one; the same page again whatever the offset): the
    paging ends at a short page or one that brings nothing new, rather than ask again
    without end (999,999 requests: eleven days at MusicBrainz's one a second)."""
    fake.add_artist("Portishead", release_groups=DUMMY)
    library, home = tmp_path / "Music", tmp_path / "home"
    album(library, "Portishead", "1994 - Dummy", "Dummy")
    groups = [group(VALID_RG, "Dummy", "1994-08-22")]
    if full:  # a full page of 100, the same again whatever the offset
        groups += [group(f"{n:08d}-6f2b-4d0e-9a35-0e7b1f9c2d11", f"Other {n}", "2001-01-01")
                   for n in range(99)]  # fmt: skip
    body = browse_answer(*groups).replace(
        f'count="{len(groups)}"'.encode(), b'count="999999"'
    )
    fake.malformed(times=None, path="/ws/2/release-group", body=body)
    result = run(fake, home, library)
    assert "Traceback" not in result.stderr
    assert len(fake.requests_to("/ws/2/release-group")) <= 2, len(fake.requests)
    track = library / "Portishead/1994 - Dummy/01 - Song 1.flac"
    assert raw_tags(track)["musicbrainz_releasegroupid"] == [VALID_RG]
