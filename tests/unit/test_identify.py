"""What AcoustID's answers propose (mediakeeper/music/identify.py): which tracks are looked
up, an album as one proposal, a track's own, the choices and what taking them writes, and the
local fills beside them."""

from __future__ import annotations

import pytest

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import SEVERITY, Finding
from mediakeeper.lookup.acoustid_types import Match, Recording, ReleaseGroupRef
from mediakeeper.music import identify
from mediakeeper.music.identify import Heard, propose, settle, wanted
from mediakeeper.music.model import Track
from mediakeeper.music.rule_base import finding

DSOTM = ReleaseGroupRef("rg-dsotm", "The Dark Side of the Moon", "Album", (), "Pink Floyd")
ECHOES_BEST = ReleaseGroupRef("rg-echoes", "Echoes", "Album", ("Compilation",), "Pink Floyd")


def rec(title: str, *groups: ReleaseGroupRef, artist: str = "Pink Floyd") -> Recording:
    return Recording(f"rec-{title}", title, artist, "artist-floyd", 300, groups)


def track(path: str, album: str = "", **tags: str) -> Track:
    return Track(path, album, "flac", tags)


def heard(path: str, *matches: tuple[float, Recording]) -> Heard:
    return Heard(path, tuple(Match(f"t-{path}-{s}", s, (r,)) for s, r in matches))


ALBUM = [track("A/01.flac", "A"), track("A/02.flac", "A")]
ALBUM_HEARD = [heard("A/01.flac", (0.97, rec("Speak to Me", DSOTM, ECHOES_BEST))),
               heard("A/02.flac", (0.99, rec("Breathe", DSOTM)))]  # fmt: skip

def _one(found: Heard) -> list[Finding]:
    return propose([track("x.flac")], [found])


FIRES = [
    pytest.param("album-sound-match", lambda: propose(ALBUM, ALBUM_HEARD), "A", id="album"),
    pytest.param("sound-match", lambda: _one(heard("x.flac", (0.8, rec("Money")))), "x.flac"),
    pytest.param("no-sound-match", lambda: _one(heard("x.flac")), "x.flac"),
    pytest.param("fingerprint-failed", lambda: _one(Heard("x.flac", failed="bad")), "x.flac"),
]


@pytest.mark.parametrize(("code", "find", "path"), FIRES)
def test_code_fires(code, find, path):
    [found] = [f for f in find() if f.code == code]
    assert (found.path, found.severity) == (path, SEVERITY[code])
    assert found.message and not found.fixable  # without --apply nothing is written


def test_which_tracks_are_looked_up():
    assert wanted(track("a.flac"), every=False)
    assert wanted(track("a.flac", title="Money"), every=False)
    assert wanted(track("a.flac", title="Money", artist="  "), every=False)
    assert not wanted(track("a.flac", title="Money", artist="Pink Floyd"), every=False)
    assert wanted(track("a.flac", title="Money", artist="Pink Floyd"), every=True)
    assert not wanted(track("a.flac", title="Money", artist="Pink Floyd",
                            musicbrainz_trackid="rec"), every=True)  # fmt: skip


def test_an_album_of_one_release_group_is_one_proposal_with_its_choices():
    (album,) = propose(ALBUM, ALBUM_HEARD)
    assert album.message.startswith(
        "These 2 tracks sound like 'The Dark Side of the Moon' by Pink Floyd (AcoustID score 0.97)")
    assert album.details["tracks"] == ["A/01.flac", "A/02.flac"]
    (choice,) = album.details["choices"]  # the compilation holds only one of the two
    assert choice["release_group"] == "rg-dsotm" and choice["score"] == 0.97
    written = {(c["path"], c["tag"]): c["new"] for c in choice["changes"]}
    assert written == {
        **{(p, "album"): "The Dark Side of the Moon" for p in ("A/01.flac", "A/02.flac")},
        **{(p, "albumartist"): "Pink Floyd" for p in ("A/01.flac", "A/02.flac")},
        **{(p, "artist"): "Pink Floyd" for p in ("A/01.flac", "A/02.flac")},
        **{(p, "musicbrainz_artistid"): "artist-floyd" for p in ("A/01.flac", "A/02.flac")},
        **{(p, "musicbrainz_releasegroupid"): "rg-dsotm" for p in ("A/01.flac", "A/02.flac")},
        ("A/01.flac", "title"): "Speak to Me", ("A/02.flac", "title"): "Breathe",
        ("A/01.flac", "musicbrainz_trackid"): "rec-Speak to Me",
        ("A/02.flac", "musicbrainz_trackid"): "rec-Breathe",
    }  # fmt: skip


def test_the_plain_album_comes_before_a_compilation_holding_the_same_tracks():
    both = [heard("A/01.flac", (0.9, rec("Speak to Me", ECHOES_BEST, DSOTM))),
            heard("A/02.flac", (0.9, rec("Breathe", ECHOES_BEST, DSOTM)))]  # fmt: skip
    (album,) = propose(ALBUM, both)
    assert [c["release_group"] for c in album.details["choices"]] == ["rg-dsotm", "rg-echoes"]


def test_an_album_whose_tracks_disagree_gets_a_proposal_per_track():
    apart = [heard("A/01.flac", (0.97, rec("Speak to Me", DSOTM))),
             heard("A/02.flac", (0.9, rec("Echoes", ECHOES_BEST)))]  # fmt: skip
    found = propose(ALBUM, apart)
    assert [(f.code, f.path) for f in found] == [
        ("sound-match", "A/01.flac"), ("sound-match", "A/02.flac")]  # fmt: skip
    assert not any("album" in {c["tag"] for c in f.details["choices"][0]["changes"]}
                   for f in found)  # a track's proposal names no album  # fmt: skip


def test_several_recordings_are_choices_best_first_and_weak_ones_are_noise():
    (found,) = propose([track("x.flac")], [heard(
        "x.flac", (0.6, rec("Money (live)")), (0.93, rec("Money")), (0.3, rec("Noise")))])
    assert [c["label"] for c in found.details["choices"]] == [
        "'Money' by Pink Floyd", "'Money (live)' by Pink Floyd"]  # fmt: skip
    assert "or 'Money (live)' by Pink Floyd (0.60)" in found.message
    (weak,) = propose([track("x.flac")], [heard("x.flac", (0.3, rec("Noise")))])
    assert weak.code == "no-sound-match" and "0.30, under 0.50" in weak.message


def test_a_value_the_file_holds_is_never_replaced():
    tagged = track("x.flac", title="Money (remaster)", artist="Pink Floyd")
    (found,) = propose([tagged], [heard("x.flac", (0.95, rec("Money")))])
    tags = {c["tag"] for c in found.details["choices"][0]["changes"]}
    assert tags == {"musicbrainz_trackid", "musicbrainz_artistid"}


def test_apply_writes_only_a_best_choice_at_the_threshold():
    (sure,) = propose([track("x.flac")], [heard("x.flac", (0.95, rec("Money")))], 0.95)
    assert sure.fixable and "Written" in sure.message
    assert {c.tag for c in sure.changes} >= {"title", "artist", "musicbrainz_trackid"}
    (unsure,) = propose([track("x.flac")], [heard("x.flac", (0.94, rec("Money")))], 0.95)
    assert not unsure.fixable and "Nothing is written without your choice" in unsure.message


def _missing_title(path: str, new: str | None) -> Finding:
    changes = [TagChange(path, "title", None, new)] if new else []
    return finding("missing-title", path, "", "The title tag is missing.", changes, tag="title")


def test_a_file_name_fill_the_sound_contradicts_waits_for_the_person():
    proposal = propose([track("01 - Track 1.flac")], [heard("01 - Track 1.flac",
                       (0.9, rec("Money")))])  # fmt: skip
    (local,) = settle([_missing_title("01 - Track 1.flac", "Track 1")], proposal)
    assert not local.changes and "it sounds like 'Money' (the sound-match" in local.message


def test_a_file_name_fill_the_sound_agrees_with_stays():
    proposal = propose([track("01 - Money.flac")], [heard("01 - Money.flac",
                       (0.9, rec("Money")))])  # fmt: skip
    before = _missing_title("01 - Money.flac", "Money")
    assert settle([before], proposal) == [before]


def test_an_applied_proposal_settles_the_missing_tag_by_its_own_write():
    proposal = propose([track("x.flac")], [heard("x.flac", (0.97, rec("Money")))], 0.95)
    (local,) = settle([_missing_title("x.flac", None)], proposal)
    assert local.changes == (TagChange("x.flac", "title", None, "Money"),)
    assert set(local.changes) <= set(proposal[0].changes)  # one write settles both
    assert "AcoustID score 0.97" in local.message


def test_the_apply_score_is_documented():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "reference.md").read_text()
    assert f"{identify.APPLY_SCORE:.2f}" in docs
