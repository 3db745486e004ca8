"""What a refresh and a batch say about items whose folders changed or went away: real
libraries, real batches and the real scripts in subprocesses.

Three untruths a person met: a refresh that put a changed artist back in line said "0
queued" on the line below; an audiobook folder whose MP3s were deleted, the folder still
there, was said "missing"; a pending item whose folder was deleted kept the queue short of
done while a batch said "Nothing to do" beside it.
"""

from __future__ import annotations

import json
import shutil

from mediakeeper.demo.tracks import make_track
from mediakeeper.queue.store import QueueStore
from tests.helpers import tag_by_hand
from tests.integration.test_audiobooks import make
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


def test_a_book_folder_left_with_no_audio_is_said_so_not_missing(tmp_path, music_script):
    """A book whose MP3s were deleted, its folder (and its cover) still there, is no book to
    make, yet its folder is not gone: the refresh, --list and a second refresh say "no
    audio", never "missing"; once the folder itself is deleted, it is missing."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    make(lib / "Jane Doe - Kept" / "01.mp3", "sine=d=1")
    emptied = lib / "Jane Doe - Emptied"
    make(emptied / "01.mp3", "sine=d=1")
    (emptied / "cover.jpg").write_bytes(b"a cover, left behind")
    manager = ("audiobook_queue_manager.py", "--home", home)
    run_ok(music_script, *manager, "--init", "--library", lib)

    (emptied / "01.mp3").unlink()
    out = run_ok(music_script, *manager, "--refresh")
    assert out.startswith(
        "Refreshed: 0 added, 0 marked missing, 0 back on disk, 0 changed since completed (back "
        "to pending), 1 left with no audio\n"
        "  no audio Jane Doe - Emptied  (its folder is there, with no audio: left where it "
        "is)\n"), out  # fmt: skip
    [row] = [line for line in run_ok(music_script, *manager, "--list").splitlines()
             if "Emptied" in line]  # fmt: skip
    assert row.endswith("(folder there, no audio)") and "missing" not in row, row
    summary = run_ok(music_script, *manager, "--show-summary")
    assert "(1 book folder there with no audio)" in summary and "missing" not in summary, summary
    again = run_ok(music_script, *manager, "--refresh")
    assert "0 marked missing" in again and "Emptied" not in again, again

    shutil.rmtree(emptied)
    out = run_ok(music_script, *manager, "--refresh")
    assert "1 marked missing" in out and "no audio" not in out, out
    assert "  missing Jane Doe - Emptied\n" in out, out
    [row] = [line for line in run_ok(music_script, *manager, "--list").splitlines()
             if "Emptied" in line]  # fmt: skip
    assert row.endswith("(folder missing)"), row

    make(emptied / "01.mp3", "sine=d=1")  # the book is back: no word of it left
    out = run_ok(music_script, *manager, "--refresh")
    assert "1 back on disk" in out, out
    items = json.loads(run_ok(music_script, *manager, "--list", "--json"))
    [item] = [i for i in items if i["name"] == "Jane Doe - Emptied"]
    assert not item.get("missing") and "no_audio" not in (item.get("details") or {}), item


def test_a_pending_artist_whose_folder_was_deleted_is_said_gone_not_work_left(
    tmp_path, music_library, music_script
):
    """An artist deleted before its turn: the queue kept it pending, so the dashboard never
    reached 100% and its pace never ended, while a batch said "Nothing to do" beside it. The
    batch names it gone, with what brings it back; the dashboard counts it gone, not as work
    left; --list notes its folder missing; nothing of it is deleted."""
    spec = {f"{artist}/2001 - First/0{n} - Song {n}.flac": messy(artist, "First", n)
            for artist in ("Alpha Done", "Zed Gone") for n in (1, 2)}  # fmt: skip
    library, home = music_library(tmp_path / "Music", spec), tmp_path / "home"
    batch = ("process_music_batch.py", "--home", home, "--offline")
    run_ok(music_script, *batch, "--library", library, "--batch-size", "1")
    manager = ("music_queue_manager.py", "--home", home)
    shutil.rmtree(library / "Zed Gone")
    assert "  missing Zed Gone\n" in run_ok(music_script, *manager, "--refresh")

    out = run_ok(music_script, *batch)
    assert "Nothing to do: no pending artists." in out, out
    [gone] = [line for line in out.splitlines() if "Zed Gone" in line]
    assert gone.startswith("Gone from disk, 1 artist left to do: Zed Gone (kept with its "
                           "history, counted as gone, not as work left; "), gone  # fmt: skip
    assert gone.endswith(" --refresh` puts one back in line once its folder is back)"), gone

    board = run_ok(music_script, "media_dashboard.py", "--home", home)
    [bar] = [line for line in board.splitlines() if line.strip().startswith("music ")]
    assert "100.0%" in bar and bar.endswith("1 of 2 artists, 1 gone"), bar
    assert "pace all done" in board, board
    figures = json.loads(run_ok(music_script, "media_dashboard.py", "--home", home, "--json"))
    music = figures["queues"]["music"]
    assert (music["gone"], music["percent"], music["pace"]["state"]) == (1, 100.0, "done"), music

    [row] = [line for line in run_ok(music_script, *manager, "--list").splitlines()
             if "Zed Gone" in line]  # fmt: skip
    assert row.lstrip().startswith("pending") and row.endswith("(folder missing)"), row


def test_a_failed_artist_whose_folder_was_deleted_is_said_gone_not_failed(
    tmp_path, music_library, music_script
):
    """An artist that failed, then was deleted: the dashboard counted it gone in its bar,
    yet listed it under NEEDS ATTENTION as failed, with the command that retries the errors
    (which takes no item whose folder is gone), and `decide` asked to retry it. It is
    counted gone alone: not failed, not a decision, no retry offered; the queue keeps its
    status and history, and --list says its folder is missing."""
    spec = {f"{artist}/2001 - First/0{n} - Song {n}.flac": messy(artist, "First", n)
            for artist in ("Alpha Done", "Zed Gone") for n in (1, 2)}  # fmt: skip
    library, home = music_library(tmp_path / "Music", spec), tmp_path / "home"
    run_ok(music_script, "process_music_batch.py", "--home", home, "--offline", "--library",
           library, "--batch-size", "1")  # fmt: skip
    # Zed Gone fails as a batch records a failure: through the queue's own claim and record.
    store = QueueStore(home / "status" / "music", "music")
    assert store.claim_next("a-session", keys={"Zed Gone"}) is not None
    store.record_failure("Zed Gone", "a-session", stage="scan", message="unreadable file",
                         max_attempts=3)  # fmt: skip
    manager = ("music_queue_manager.py", "--home", home)
    board = run_ok(music_script, "media_dashboard.py", "--home", home)
    assert "1 failed" in board and "Zed Gone" in board, board  # there: failed, to retry

    shutil.rmtree(library / "Zed Gone")
    assert "  missing Zed Gone\n" in run_ok(music_script, *manager, "--refresh")
    board = run_ok(music_script, "media_dashboard.py", "--home", home)
    attention = board[board.index("NEEDS ATTENTION"):]
    assert "Zed Gone" not in attention and "--reset-errors" not in attention, attention
    assert attention.splitlines()[0].endswith(" · 0 failed, 0 skipped"), attention
    [bar] = [line for line in board.splitlines() if line.strip().startswith("music ")]
    assert "100.0%" in bar and bar.endswith("1 of 2 artists, 1 gone"), bar
    run_ok(music_script, "process_music_batch.py", "--home", home, "--offline",
           "--retry-errors")  # the weekly report written again  # fmt: skip
    [weekly] = (home / "status" / "reports").glob("*_weekly_progress.md")
    assert "Zed Gone" not in weekly.read_text("utf-8")
    asked = json.loads(run_ok(music_script, "decide.py", "--home", home, "--json"))
    assert not [g for g in asked["groups"] if g["code"] == "failed"], asked

    [row] = [line for line in run_ok(music_script, *manager, "--list").splitlines()
             if "Zed Gone" in line]  # fmt: skip
    assert row.lstrip().startswith("error") and "(folder missing)" in row, row
