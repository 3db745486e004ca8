"""Loudness tags written to a music library's files are journaled like every tag change, and
undo_changes.py takes them back: the old values restored, the new ones removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mutagen

from mediakeeper.changes.writes import ChangeJournal
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from mediakeeper.music import loudness
from tests.helpers import leaves_decisions

ROOT = Path(__file__).resolve().parents[2]


def fields(path: Path) -> dict[str, str]:
    """Every loudness field as mutagen reads it, upper-cased name -> value."""
    audio = mutagen.File(path)
    out = {}
    for key in audio.tags.keys():  # noqa: SIM118 (Vorbis comments iterate as pairs)
        name = key.split(":")[-1].upper()
        if name.startswith(("REPLAYGAIN_", "R128_")):
            value = audio.tags[key]
            value = value[0] if isinstance(value, list) else value
            out[name] = bytes(value).decode() if isinstance(value, mutagen.mp4.MP4FreeForm) else (
                str(value.text[0]) if hasattr(value, "text") else str(value))  # fmt: skip
    return out



def undo_session(home: Path) -> None:
    """``undo_changes.py --session s1`` run as a person runs it; it must succeed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    undo = subprocess.run(
        [sys.executable, str(ROOT / "utilities" / "undo_changes.py"), "--home", str(home),
         "--session", "s1"], capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert undo.returncode == 0, undo.stdout + undo.stderr

def test_loudness_is_journaled_and_undone(tmp_path):
    exe = ffmpeg.find()
    home = tmp_path / "home"
    artist_dir = tmp_path / "lib" / "Artist"
    album = artist_dir / "Album"
    files = [synth.tone(exe, album / f"0{n}.{ext}", 1.0, frequency=200 * n)
             for n, ext in enumerate(("flac", "mp3", "opus", "m4a"), 1)]  # fmt: skip
    for path in (files[0], files[2]):  # values from an earlier tagger
        audio = mutagen.File(path)
        audio["REPLAYGAIN_TRACK_GAIN"] = ["+1.00 dB"]
        audio.save()
    before = {p.name: fields(p) for p in files}

    journal = ChangeJournal(home / "status" / "music", "s1")
    applied, found = loudness.apply(exe, artist_dir, "Artist", files, journal)
    assert found == []
    assert not applied.refused
    flac, mp3, opus, m4a = (fields(p) for p in files)
    assert set(flac) == set(mp3) == set(m4a) == {
        "REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK", "REPLAYGAIN_ALBUM_GAIN",
        "REPLAYGAIN_ALBUM_PEAK"}  # fmt: skip
    assert flac["REPLAYGAIN_TRACK_GAIN"] != "+1.00 dB"
    assert set(opus) == {"R128_TRACK_GAIN", "R128_ALBUM_GAIN"}  # the ReplayGain one is gone
    assert mp3["REPLAYGAIN_ALBUM_GAIN"] == m4a["REPLAYGAIN_ALBUM_GAIN"]
    assert "----:com.apple.iTunes:replaygain_track_gain" in mutagen.File(files[3]).tags
    assert journal.path.is_file()

    undo_session(home)
    assert {p.name: fields(p) for p in files} == before


def test_the_music_job_with_replaygain_tags_each_album_and_journals_it(tmp_path):
    """The music batch's --replaygain: the artist's albums get their loudness tags in the
    same session's journal as its tag fixes, and an undo of that session takes them back."""
    from mediakeeper.music.job import MusicJob

    exe = ffmpeg.find()
    artist = tmp_path / "Music" / "Artist"
    for album in ("2001 - One", "2002 - Two"):
        for n in (1, 2):
            synth.tone(exe, artist / album / f"0{n}.flac", 1.0, frequency=250 * n)
    home = tmp_path / "home"
    item = {"key": "Artist", "name": "Artist", "path": str(artist), "run_token": "t"}
    result = MusicJob(home, "s1", replaygain=True).process(item)
    assert result.counts["track_count"] == 4
    one = [fields(artist / "2001 - One" / f"0{n}.flac") for n in (1, 2)]
    two = fields(artist / "2002 - Two" / "01.flac")
    assert one[0]["REPLAYGAIN_ALBUM_GAIN"] == one[1]["REPLAYGAIN_ALBUM_GAIN"]  # per album
    assert two["REPLAYGAIN_TRACK_GAIN"]
    journal = (home / "status" / "music" / "changes" / "s1.jsonl").read_text()
    assert journal.count('"tag": "replaygain_track_gain"') == 4

    undo_session(home)
    assert fields(artist / "2001 - One" / "01.flac") == {}


def test_the_music_batch_script_takes_replaygain(tmp_path):
    """``process_music_batch.py --replaygain``, the real script: the album's tracks get their
    loudness tags, which the session's journal holds (so its undo takes them back)."""
    exe = ffmpeg.find()
    album = tmp_path / "Music" / "Artist" / "2001 - One"
    for n in (1, 2):
        synth.tone(exe, album / f"0{n}.flac", 1.0, frequency=300 * n)
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    run = subprocess.run(
        [sys.executable, str(ROOT / "utilities" / "process_music_batch.py"), "--home", str(home),
         "--library", str(tmp_path / "Music"), "--offline", "--replaygain"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert leaves_decisions(run), run.stdout + run.stderr  # untagged tracks: decisions
    tags = [fields(album / f"0{n}.flac") for n in (1, 2)]
    assert tags[0]["REPLAYGAIN_ALBUM_GAIN"] == tags[1]["REPLAYGAIN_ALBUM_GAIN"]
    assert all(t["REPLAYGAIN_TRACK_GAIN"].endswith(" dB") for t in tags)
    (journal,) = (home / "status" / "music" / "changes").glob("*.jsonl")
    assert journal.read_text().count('"tag": "replaygain_album_gain"') == 2
