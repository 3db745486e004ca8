"""A WAV tagged in its RIFF LIST/INFO chunk (what ffmpeg, Windows and many rippers write) is
read as tagged: mutagen reads only a WAV's ID3 chunk, and such a file showed false
missing-title, missing-artist, ... findings. The ID3 chunk wins where both hold a field; a
fix writes the ID3 chunk only, and the INFO chunk stays as it was."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.media import ffmpeg
from mediakeeper.music.rules import find_issues
from mediakeeper.music.scan import scan_artist

INFO = {"title": "Halo", "artist": "Depeche Mode", "album": "Violator", "date": "1990",
        "genre": "Synth-pop", "track": "3/9", "comment": "ripped by hand"}  # fmt: skip


def wav_made_by_ffmpeg(path: Path, metadata: dict[str, str], *extra: str) -> Path:
    """A short WAV whose tags ffmpeg writes, as it does for WAV: a LIST/INFO chunk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tagged = [arg for key, value in metadata.items() for arg in ("-metadata", f"{key}={value}")]
    subprocess.run([ffmpeg.find(), "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "anullsrc=r=8000:cl=mono", "-t", "0.2", *tagged, *extra, "-y", str(path)],
                   check=True, capture_output=True)  # fmt: skip
    return path


def ffprobe_tags(path: Path) -> dict[str, str]:
    probe = ffmpeg.find().replace("ffmpeg", "ffprobe")
    out = subprocess.run([probe, "-v", "error", "-show_entries", "format_tags", "-of", "json",
                          str(path)], check=True, capture_output=True, text=True)  # fmt: skip
    return {k.lower(): v for k, v in json.loads(out.stdout)["format"].get("tags", {}).items()}


@pytest.fixture
def info_wav(tmp_path) -> Path:
    path = wav_made_by_ffmpeg(tmp_path / "Depeche Mode" / "1990 - Violator" / "03 - Halo.wav",
                              INFO)  # fmt: skip
    assert b"LIST" in path.read_bytes() and b"INFO" in path.read_bytes()
    assert b"id3 " not in path.read_bytes().lower()  # the INFO chunk alone
    return path


def test_a_wav_tagged_only_in_its_info_chunk_is_read_as_tagged(info_wav):
    read = tags.read(info_wav).tags
    assert read == {"title": "Halo", "artist": "Depeche Mode", "album": "Violator",
                    "date": "1990", "genre": "Synth-pop", "tracknumber": "3",
                    "tracktotal": "9"}  # fmt: skip
    assert tags.read_fields(info_wav, ["comments"]) == {"comments": "ripped by hand"}
    # What ffprobe reads of it: the same.
    probed = ffprobe_tags(info_wav)
    assert (probed["title"], probed["artist"], probed["album"]) == ("Halo", "Depeche Mode",
                                                                    "Violator")  # fmt: skip


def test_a_wav_tagged_in_its_info_chunk_has_no_false_missing_findings(info_wav):
    artist = info_wav.parents[1]
    codes = {f.code for f in find_issues(scan_artist(artist))}
    # (an album artist the INFO chunk has no field for, and a cover, are missing indeed)
    missing = {c for c in codes if c.startswith("missing-")}
    assert not missing - {"missing-cover", "missing-albumartist"}, codes


def test_the_id3_chunk_wins_where_both_say_and_a_fix_writes_id3_only(info_wav):
    before = info_wav.read_bytes()
    tags.write(info_wav, {"title": "Halo (Remix)"})
    after = info_wav.read_bytes()
    assert tags.read(info_wav).tags["title"] == "Halo (Remix)"  # the ID3 chunk's
    assert tags.read(info_wav).tags["album"] == "Violator"  # still the INFO chunk's
    assert b"INAM\x05\x00\x00\x00Halo\x00" in after  # the INFO chunk left as it was
    assert len(after) > len(before)  # (an ID3 chunk added)
    # Measured, not asserted (it is ffmpeg's choice, and may change): ffprobe 5.1 reads the
    # INFO chunk over the ID3 chunk, so it still says "Halo" (docs/reference.md says so).


def test_a_broken_info_chunk_is_read_as_far_as_it_goes(tmp_path, info_wav):
    """A chunk whose size runs past the file's end (a cut download) neither fails the read
    nor is read past its end."""
    data = info_wav.read_bytes()
    at = data.index(b"LIST")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[:at + 4] + (10**9).to_bytes(4, "little") + data[at + 8:])
    assert "title" not in tags.read(cut).tags


def test_a_fix_of_a_value_read_from_the_info_chunk_is_not_refused_as_changed(info_wav):
    """A write parsed anew checks that each tag it changes still holds what the scan read:
    read from the ID3 chunk alone, the title the INFO chunk holds looked gone, and every fix
    of such a WAV was refused as changed by another program."""
    failed = tags.write_many([tags.FileWrite(info_wav, {"title": "Halo!"},
                                             expect={"title": "Halo"})])  # fmt: skip
    assert failed == {}
    assert tags.read(info_wav).tags["title"] == "Halo!"
    failed = tags.write_many([tags.FileWrite(info_wav, {"album": "Violator (Deluxe)"},
                                             expect={"album": "Songs of Faith"})])  # fmt: skip
    assert "album changed since it was read" in str(failed[info_wav])
