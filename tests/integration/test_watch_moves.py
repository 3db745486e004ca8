"""A folder moved or renamed within a library keeps its item's history, whatever its status:
told by its files' device and inode (a rename), else by their content fingerprint (a move
from another file system), with real inotify and a real watcher."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO_ROOT, run_script, script_env, tag_by_hand
from tests.integration.watching import home_for, items, library


def processed(home) -> None:
    done = run_script("process_music_batch.py", "--home", home, "--offline")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {i["status"] for i in items(home).values()} == {"completed"}


def test_a_skipped_and_a_waiting_item_moved_keep_their_status_and_history(tmp_path, watching):
    music = library(tmp_path / "Music", "Skipped Band", "Waiting Band")
    home = home_for(tmp_path, music=music)
    watcher = watching(home)
    assert watcher.said("music: queued Skipped Band (new)"), watcher.text()
    assert watcher.said("music: queued Waiting Band (new)"), watcher.text()
    skip = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(home), "music", "queue",
         "--skip-artist", "Skipped Band"],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert skip.returncode == 0, skip.stdout + skip.stderr
    (music / "Skipped Band").rename(music / "skipped band")  # a case-only rename
    assert watcher.said("music: Skipped Band moved to skipped band: its history kept"), (
        watcher.text()
    )
    assert items(home)["skipped band"]["status"] == "skipped"  # never taken up by a batch
    assert items(home)["Skipped Band"]["details"]["moved_to"] == "skipped band"
    (music / "Waiting Band").rename(music / "The Waiting Band")
    assert watcher.said("music: Waiting Band moved to The Waiting Band"), watcher.text()
    assert "queued skipped band" not in watcher.text()
    assert "queued The Waiting Band" not in watcher.text()
    assert watcher.stop() == 0


def test_a_folder_moved_and_retagged_at_once_keeps_its_history_and_is_queued_again(
    tmp_path, watching
):
    music = library(tmp_path / "Music", "Old Name")
    home = home_for(tmp_path, music=music)
    processed(home)
    before = items(home)["Old Name"]
    watcher = watching(home, settle="3")
    assert watcher.said("music: caught up"), watcher.text()
    tag_by_hand(music / "Old Name" / "Album" / "01 - One.flac", "title", "Retagged")
    (music / "Old Name").rename(music / "New Name")  # its files' inodes are the same
    assert watcher.said("music: Old Name moved to New Name: its history kept"), watcher.text()
    assert watcher.said("music: queued New Name again (0 added, 0 removed, 1 modified)"), (
        watcher.text()
    )
    moved = items(home)["New Name"]
    assert moved["status"] == "pending" and moved["attempts"] == before["attempts"] == 1
    assert moved["details"]["moved_from"] == "Old Name"
    assert watcher.stop() == 0


def test_a_moved_item_is_counted_once_by_the_queue_the_dashboard_and_the_week(tmp_path, watching):
    """The old name stays, missing, to say where its history went: counted there alone. It
    was counted twice (3 artists completed of a library of 2, its findings twice), and a
    waiting item moved held the queue short of 100% for good, no batch taking it."""
    music = library(tmp_path / "Music", "Artist A", "Artist B")
    home = home_for(tmp_path, music=music)
    processed(home)
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()
    (music / "Artist A").rename(music / "Artist Z")
    assert watcher.said("music: Artist A moved to Artist Z: its history kept"), watcher.text()
    library(music, "Artist C")
    assert watcher.said("music: queued Artist C (new)"), watcher.text()
    (music / "Artist C").rename(music / "Artist C2")
    assert watcher.said("music: Artist C moved to Artist C2"), watcher.text()
    assert watcher.stop() == 0
    processed_again = run_script("process_music_batch.py", "--home", home, "--offline")
    assert processed_again.returncode == 0, processed_again.stdout + processed_again.stderr
    board = json.loads(run_script("media_dashboard.py", "--home", home, "--json").stdout)
    music_queue = board["queues"]["music"]
    assert (music_queue["total"], music_queue["completed"], music_queue["percent"]) == (3, 3, 100.0)
    assert board["week"]["completed"] == {"music": 3}  # B, Z (A's history) and C2
    summary = run_script("music_queue_manager.py", "--home", home, "--show-summary", "--json")
    assert json.loads(summary.stdout)["total"] == 3, summary.stdout
    listed = run_script("music_queue_manager.py", "--home", home, "--list").stdout
    assert "(moved to Artist Z)" in listed and "(moved to Artist C2)" in listed, listed


def test_a_folder_brought_over_from_another_file_system_is_told_by_its_content(tmp_path, watching):
    music = library(tmp_path / "Music", "Band")
    home = home_for(tmp_path, music=music)
    processed(home)
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()
    # What `mv` does across file systems: a copy keeping sizes and times, new inodes, then
    # the original removed.
    shutil.copytree(music / "Band", music / "Band (Remastered)", copy_function=shutil.copy2)
    shutil.rmtree(music / "Band")
    assert watcher.said("music: Band moved to Band (Remastered): its history kept"), watcher.text()
    assert items(home)["Band (Remastered)"]["status"] == "completed"
    assert "queued Band (Remastered)" not in watcher.text()
    assert watcher.stop() == 0


def _on_inode(path: Path, data: bytes, inode: int) -> bool:
    """``path`` written with ``data`` as a new file on ``inode``, one a deleted file of its
    folder let go (ext4 gives a new file there the first free inode of its group: those freed
    before it are filled first, then let go); whether the file system gave it."""
    fillers = []
    try:
        for count in range(5000):
            path.write_bytes(data)
            if path.stat().st_ino == inode:
                return True
            filler = path.with_name(f"filler {count}")
            path.rename(filler)
            fillers.append(filler)
        return False
    finally:
        for filler in fillers:
            filler.unlink()


def test_an_album_deleted_and_another_copied_in_on_its_inodes_is_new(tmp_path, watching):
    """Nothing of a deleted file is in a new one the file system gives its inode: the inode's
    generation tells them apart, where the device and inode alone made the new artist the
    deleted one moved (taking its history, its findings and its completed status)."""
    music = library(tmp_path / "Music", "Band")
    home = home_for(tmp_path, music=music)
    processed(home)
    watcher = watching(home)
    assert watcher.said("music: caught up"), watcher.text()  # Band's files' identity kept
    assert watcher.stop() == 0
    # Band deleted and Other Band copied in while no watcher runs, its file (the same name
    # within its artist folder, other music) on the inode Band's file let go
    old = music / "Band" / "Album" / "01 - One.flac"
    inode = old.stat().st_ino
    other = library(tmp_path / "Elsewhere", "Other Band") / "Other Band"
    data = (other / "Album" / "01 - One.flac").read_bytes()
    assert old.stat().st_nlink == 1, old.stat()
    old.unlink()
    assert _on_inode(old, data, inode), "the file system gave the deleted file's inode to none"
    old.rename(other / "Album" / "01 - One.flac")  # a rename keeps the inode it was given
    shutil.rmtree(music / "Band")
    other.rename(music / "Other Band")
    watcher = watching(home)
    assert watcher.said("music: queued Other Band (new)"), watcher.text()
    assert "moved to" not in watcher.text()
    assert items(home)["Band"]["missing"] and "moved_to" not in items(home)["Band"]["details"]
    assert items(home)["Other Band"]["attempts"] == 0  # none of Band's history
    assert watcher.stop() == 0
