"""A track that is a link whose file is gone (deleted from the download folder it pointed
into, moved, on a drive not mounted): every kind that reads an album's files says the track
is lost, never leaves it out as if the album had no such track. Real files, real links, the
real scripts in subprocesses."""

from __future__ import annotations

import os

from tests.helpers.audio import build_library
from tests.helpers.processes import run_script

TAGS = {"artist": "Artist", "album": "Album", "date": "2000"}


def album_with_a_lost_track(tmp_path):
    lib, home = tmp_path / "lib", tmp_path / "home"
    build_library(lib, {f"Artist/Album/0{n} - Song.flac":
                        {"tags": {**TAGS, "title": f"Song {n}", "tracknumber": str(n)}}
                        for n in (1, 3)})  # fmt: skip
    gone = tmp_path / "downloads" / "02 - Song.flac"
    os.symlink(gone, lib / "Artist" / "Album" / "02 - Song.flac")
    home.mkdir()
    return lib, home


def test_a_conversion_of_an_album_with_a_lost_track_fails_naming_it(tmp_path):
    """The album was converted without its track 2 and said completed ('1 album completed,
    0 failed'): the portable copy lacked a track without a word."""
    lib, home = album_with_a_lost_track(tmp_path)
    out = tmp_path / "out"
    run_script("conversion_queue_manager.py", "--home", home, "--init", "--library", lib)
    done = run_script("process_conversion_batch.py", "--home", home, "--output", out)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "0 albums completed, 1 failed" in done.stdout, done.stdout
    assert "'02 - Song.flac' is a link to" in done.stdout and "which is gone" in done.stdout
    assert not list(out.rglob("*.opus")), list(out.rglob("*"))


def test_verify_says_an_album_with_a_lost_track_is_not_whole(tmp_path):
    """Verify said 'Every file is whole' of the album: the lost track was never looked at."""
    lib, home = album_with_a_lost_track(tmp_path)
    run_script("verify_queue_manager.py", "--home", home, "--init", "--library", lib)
    done = run_script("process_verify_batch.py", "--home", home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "'02 - Song.flac' is a link to" in done.stdout and "which is gone" in done.stdout
    assert "Every file is whole" not in "".join(
        p.read_text() for p in (home / "issues" / "verify").glob("artist-album-*.md"))


def test_a_book_with_a_lost_chapter_is_not_made(tmp_path):
    """The book was made of the chapters still there (its backup left the lost one out), or
    failed naming a file of its backup that never was: it fails naming the link."""
    lib, home = album_with_a_lost_track(tmp_path)
    out = tmp_path / "books"
    run_script("audiobook_queue_manager.py", "--home", home, "--init", "--library", lib)
    done = run_script("process_audiobook_batch.py", "--home", home, "--output", out)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "'02 - Song.flac' is a link to" in done.stdout and "which is gone" in done.stdout
    assert not list(out.rglob("*.m4b"))
