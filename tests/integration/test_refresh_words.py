"""What a refresh and a batch say about items whose folders changed or went away: real
libraries, real batches and the real scripts in subprocesses.

Three untruths a person met: a refresh that put a changed artist back in line said "0
queued" on the line below; an audiobook folder whose MP3s were deleted, the folder still
there, was said "missing"; a pending item whose folder was deleted kept the queue short of
done while a batch said "Nothing to do" beside it.
"""

from __future__ import annotations

from mediakeeper.demo.tracks import make_track
from tests.helpers import tag_by_hand
from tests.integration.test_refresh_changes import messy


def run_ok(music_script, *args):
    done = music_script(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_refresh_counts_as_queued_the_changed_artists_it_put_back_in_line(
    tmp_path, music_library, music_script
):
    """A completed artist retagged by another program goes back to pending, and a new
    artist folder is added: both are in line for the next batch, and the count says so
    (it said "1 queued", the new one alone, under a line saying the changed one went back)."""
    spec = {f"{artist}/2001 - First/0{n} - Song {n}.flac": messy(artist, "First", n)
            for artist in ("Kept", "Retagged") for n in (1, 2)}  # fmt: skip
    library, home = music_library(tmp_path / "Music", spec), tmp_path / "home"
    run_ok(music_script, "process_music_batch.py", "--home", home, "--library", library,
           "--offline")  # fmt: skip
    manager = ("music_queue_manager.py", "--home", home)

    tag_by_hand(library / "Retagged/2001 - First/01 - Song 1.flac", "genre", "Rock")
    out = run_ok(music_script, *manager, "--refresh")
    assert "1 changed since completed (back to pending)" in out, out
    assert "\n2 artists found, 1 queued (0 new, 1 changed since completed), 0 skipped\n" in out

    make_track(library / "New/2001 - First/01 - Song 1.flac", "flac", {"title": "Song 1"})
    tag_by_hand(library / "Kept/2001 - First/01 - Song 1.flac", "genre", "Jazz")
    out = run_ok(music_script, *manager, "--refresh")
    assert "\n3 artists found, 2 queued (1 new, 1 changed since completed), 0 skipped\n" in out

    # Nothing new or changed: the line is as it always was.
    out = run_ok(music_script, *manager, "--refresh")
    assert "\n3 artists found, 0 queued, 0 skipped\n" in out, out

