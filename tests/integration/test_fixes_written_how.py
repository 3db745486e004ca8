"""The batch's closing summary, its session log and an undo say how tag changes reached the
files: in place (only the changed bytes written) or rewritten whole (a copy swapped in), as
each file's inode shows it was."""

from __future__ import annotations

import re
from pathlib import Path

import mutagen

from tests.integration.test_music_batch import artist_spec


def library(music_library, root: Path) -> tuple[Path, Path, Path]:
    """One FLAC album with two fixes: the first track's title loses a trailing space (its tag
    shrinks: in place); the last gains an album artist in a file with no padding left (its
    tag outgrows the room: rewritten whole). Returns the library and those two tracks."""
    lib = music_library(root, artist_spec("Alpha", 3, "flac"))
    album = lib / "Alpha" / "2000 - Album"
    first, last = album / "01 - Song 1.flac", album / "03 - Song 3.flac"
    mutagen.File(last).save(padding=lambda info: 0)
    return lib, first, last


def summary_of(stdout: str) -> str:
    return "\n".join(line for line in stdout.splitlines() if line.startswith("tags written"))


def test_the_summary_says_which_fixes_were_written_in_place_and_which_whole(
    tmp_path, music_library, music_script
):
    lib, first, last = library(music_library, tmp_path / "Music")
    home = tmp_path / "home"
    inodes = first.stat().st_ino, last.stat().st_ino
    originals = first.read_bytes(), last.read_bytes()
    run = music_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert run.returncode == 0, run.stdout + run.stderr
    assert first.stat().st_ino == inodes[0]  # in place
    assert last.stat().st_ino != inodes[1]  # swapped
    assert summary_of(run.stdout) == "tags written to 2 files: 1 in place, 1 rewritten whole"
    (log,) = (home / "status/music/session_logs").glob("*.log")
    assert re.search(r"END completed .*files written 2, files rewritten 1$", log.read_text())
    # The artist again: its fixes are in, nothing is written, and nothing said of writes.
    again = music_script("process_music_batch.py", "--home", home, "--artist", "Alpha", "--offline")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resolved 0" in again.stdout and summary_of(again.stdout) == ""
    # Undone: the first in place; the last takes back the room its fix gave it (its old size,
    # journaled), so it is rewritten whole. Both are their old bytes again.
    inodes = first.stat().st_ino, last.stat().st_ino
    undone = music_script("undo_changes.py", "--home", home, "--session", log.stem)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "values written to 2 files: 1 in place, 1 rewritten whole" in undone.stdout.splitlines()
    assert first.stat().st_ino == inodes[0] and last.stat().st_ino != inodes[1]
    assert (first.read_bytes(), last.read_bytes()) == originals


def test_in_copy_mode_every_fixed_file_is_said_rewritten_whole(
    tmp_path, music_library, music_script
):
    lib, first, _ = library(music_library, tmp_path / "Music")
    home = tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text('[music]\nwrite_mode = "copy"\n', encoding="utf-8")
    inode = first.stat().st_ino
    run = music_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert run.returncode == 0, run.stdout + run.stderr
    assert first.stat().st_ino != inode
    assert summary_of(run.stdout) == "tags written to 2 files, all rewritten whole"


def test_replaygain_says_how_its_loudness_tags_reached_the_files(tmp_path, music_script):
    """--replaygain's line counts the files its loudness tags were written to, as the fixes'
    line does: a track with room for them in place, one without rewritten whole."""
    from mediakeeper.demo import sound as synth
    from mediakeeper.media import ffmpeg

    album = tmp_path / "Music" / "Tones" / "2001 - Tones"
    tracks = []
    for n in (1, 2):
        path = synth.tone(ffmpeg.find(), album / f"0{n} - Tone {n}.flac", 1.0, frequency=250 * n)
        audio = mutagen.File(path)
        audio.update({"title": f"Tone {n}", "artist": "Tones", "albumartist": "Tones",
                      "album": "Tones", "date": "2001", "tracknumber": str(n)})  # fmt: skip
        audio.save(padding=(lambda info: 0) if n == 2 else None)  # no room left in the second
        tracks.append(path)
    inodes = [t.stat().st_ino for t in tracks]
    home = tmp_path / "home"
    run = music_script("process_music_batch.py", "--home", home, "--library",
                       tmp_path / "Music", "--offline", "--replaygain")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert [t.stat().st_ino == i for t, i in zip(tracks, inodes, strict=True)] == [True, False]
    assert summary_of(run.stdout) == ""  # no fix needed: only the loudness tags were written
    assert ("replaygain: 8 loudness tags written to 2 files: 1 in place, 1 rewritten whole, "
            "and journaled (each issue report offers the undo)") in run.stdout.splitlines()
