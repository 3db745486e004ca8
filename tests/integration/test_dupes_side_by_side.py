"""Every copy of a duplicate group side by side (issue 70 point 2): ``decide dupes GROUP``
(``--json``: ``details.copies``) says each copy's sample rate, bit depth, duration, tags
filled and damage as the scan found them, from the reads the scan already makes; a group
saved by an older scan, without them, still shows (``null``). Real recordings encoded by
ffmpeg, the real command in subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import mutagen
import pytest

from mediakeeper.dupes.saved import groups_path
from tests.helpers.audio import tag_by_hand
from tests.helpers.dupes import mediakeeper, scanned
from tests.helpers.melody import encode, melody_wav
from tests.integration.serving import serve

SECONDS = 12
FULL = {"artist": "Artist", "albumartist": "Artist", "album": "Album", "date": "2001"}


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """One album of two tracks twice: a 24-bit FLAC with every core tag, and an MP3 rip
    that carries only its titles and album name."""
    root = tmp_path_factory.mktemp("side")
    lib = root / "Music"
    for n in (1, 2):
        source = melody_wav(root / f"{n}.wav", 30 + n, SECONDS)
        flac = encode(source, lib / "Artist" / "Album" / f"0{n} - Song {n}.flac",
                      "-sample_fmt", "s32")  # fmt: skip
        mp3 = encode(source, lib / "Rips" / "Album" / f"0{n} - Song {n}.mp3", "-b:a", "128k")
        for tag, value in {**FULL, "title": f"Song {n}", "tracknumber": str(n)}.items():
            tag_by_hand(flac, tag, value)
        tag_by_hand(mp3, "title", f"Song {n}")
        tag_by_hand(mp3, "album", "Album")
        source.unlink()
    return lib


def shown(home: Path, group_id: str, *args: str):
    done = mediakeeper(home, "decide", "dupes", group_id, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def test_each_copy_says_its_rate_depth_duration_tags_and_damage(library, tmp_path):
    home = tmp_path / "home"
    checked = mediakeeper(home, "verify", "batch", "--library", library)
    assert checked.returncode == 0, checked.stderr
    (group,) = scanned(home, library)
    copies = {Path(c["path"]).parent.name: c for c in shown(home, group["id"], "--json")
              ["details"]["copies"]}  # fmt: skip
    flac, mp3 = copies["Artist"], copies["Rips"]
    listed = {c["path"]: c for c in group["copies"]}  # `dupes --json` says them alike
    assert all(listed[c["path"]] == {k: c[k] for k in listed[c["path"]]} for c in (flac, mp3))
    assert (flac["format"], flac["sample_rate"], flac["bit_depth"]) == ("flac", 44100, 24)
    assert (mp3["format"], mp3["sample_rate"], mp3["bit_depth"]) == ("mp3", 44100, None)
    for copy in (flac, mp3):  # the tracks' lengths together, as their headers say them
        lengths = sum(mutagen.File(f).info.length for f in Path(copy["path"]).iterdir())
        assert copy["duration"] == pytest.approx(lengths, abs=0.002)
        assert copy["duration"] == pytest.approx(2 * SECONDS, abs=1)
    assert (flac["tags_filled"], mp3["tags_filled"]) == (6, 2)  # of the six core fields
    assert (flac["damage"], mp3["damage"]) == ("", "")  # verify checked them: none
    assert mp3["lossy_origin"] is None  # a lossy file is no lossless one of lossy origin
    assert flac["best"] and flac["ranks"] == "" and mp3["ranks"].startswith("better sound: ")
    assert 120_000 <= mp3["bitrate"] <= 136_000
    text = shown(home, group["id"])
    assert "sample rate  bit depth  bit rate  duration" in text
    row = next(line for line in text.splitlines() if f"{library / 'Rips' / 'Album'} " in line)
    assert "MP3" in row and "44.1 kHz" in row and "128 kbps" in row
    assert f"0:{round(mp3['duration']):02d}" in row
    assert "2 of 6" in row and "none" in row
    best = next(line for line in text.splitlines() if line.strip().startswith("best "))
    assert "24-bit" in best and "6 of 6" in best
    assert "ranks below: better sound: FLAC" in text
    served = serve(home)  # the page's engine says the same, by the decision's id
    try:
        decision = shown(home, group["id"], "--json")["id"]
        answer = served.get(f"/api/decisions/{decision}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["details"]["copies"] == shown(home, group["id"], "--json")[
            "details"]["copies"]  # fmt: skip
        assert {c["tags_filled"] for c in answer.json()["details"]["copies"]} == {6, 2}
    finally:
        served.stop()


def test_a_group_saved_before_the_copies_said_more_still_shows(library, tmp_path):
    home = tmp_path / "home"
    (group,) = scanned(home, library)  # no verify run: damage unknown
    said = shown(home, group["id"], "--json")["details"]["copies"]
    assert {c["damage"] for c in said} == {None}
    assert "not verified" in shown(home, group["id"])
    path = groups_path(home)
    saved = json.loads(path.read_text("utf-8"))
    old = ("sample_rate", "bit_depth", "duration", "tags_filled", "damage", "lossy_origin",
           "ranks")  # fmt: skip
    for g in saved["groups"]:
        g["copies"] = [{k: v for k, v in c.items() if k not in old} for c in g["copies"]]
    path.write_text(json.dumps(saved), "utf-8")
    for c in shown(home, group["id"], "--json")["details"]["copies"]:
        assert all(c[k] is None for k in old) and c["grade"] and c["format"]
    text = shown(home, group["id"])
    assert "sample rate" in text and str(library / "Rips" / "Album") in text


def test_a_scan_after_an_older_one_fills_them_without_reading_a_file_again(library, tmp_path):
    """Groups and fingerprints kept by a scan before the copies said more: the next scan
    groups again from the fingerprints as they are (no file fingerprinted again), and says
    all but the tags filled, which an older fingerprint did not count."""
    home = tmp_path / "home"
    scanned(home, library)
    caches = sorted((home / "status" / "dupes" / "fingerprints").glob("*.json"))
    for cache in caches:
        document = json.loads(cache.read_text("utf-8"))
        for entry in document["files"].values():
            del entry["tags_filled"]
        cache.write_text(json.dumps(document), "utf-8")
    path = groups_path(home)
    saved = json.loads(path.read_text("utf-8"))
    for g in saved["groups"]:
        g["copies"] = [{k: v for k, v in c.items() if k in ("path", "grade", "format", "bitrate",
                                                             "size", "files", "below")}
                       for c in g["copies"]]  # fmt: skip
    path.write_text(json.dumps({**saved, "stamp": "made by an older grade"}), "utf-8")
    before = {cache: cache.read_bytes() for cache in caches}
    (group,) = scanned(home, library)
    assert {cache: cache.read_bytes() for cache in caches} == before  # nothing read again
    for c in shown(home, group["id"], "--json")["details"]["copies"]:
        assert c["sample_rate"] == 44100 and c["duration"] and c["tags_filled"] is None


def test_a_damaged_copy_says_which_track_and_ranks_below_a_whole_one(tmp_path):
    """Verify finds a FLAC track's audio not what its MD5 says: its album copy names the
    track and its damage, and ranks below the whole MP3 rip, saying why."""
    lib = tmp_path / "Music"
    for n in (1, 2):
        source = melody_wav(tmp_path / f"{n}.wav", 30 + n, SECONDS)
        flac = encode(source, lib / "Artist" / "Album" / f"0{n} - Song {n}.flac")
        encode(source, lib / "Rips" / "Album" / f"0{n} - Song {n}.mp3", "-b:a", "128k")
    data = bytearray(flac.read_bytes())
    at = int(len(data) * 0.9)  # near the end: past what the fingerprint hears
    data[at : at + 64] = bytes(64)
    flac.write_bytes(bytes(data))
    home = tmp_path / "home"
    mediakeeper(home, "verify", "batch", "--library", lib)  # exits 1: it found damage
    (group,) = scanned(home, lib)
    copies = {Path(c["path"]).parent.name: c for c in shown(home, group["id"], "--json")
              ["details"]["copies"]}  # fmt: skip
    damaged, whole = copies["Artist"], copies["Rips"]
    assert damaged["damage"] == "02 - Song 2.flac: audio-md5-mismatch"
    assert whole["damage"] == "" and whole["best"] and not damaged["best"]
    assert damaged["ranks"].startswith("whole: MP3 128 kbps")
    row = next(line for line in shown(home, group["id"]).splitlines()
               if f"{lib / 'Artist' / 'Album'} " in line)  # fmt: skip
    assert "02 - Song 2.flac: audio-md5-mismatch" in row and "(damaged)" in row
