"""When a folder has settled (``mediakeeper.watch.settle``), on real folders, with the clock
given: what a look finds, and how long the settler lets a folder wait."""

from __future__ import annotations

import sys
import time

from mediakeeper.fs import tree
from mediakeeper.watch.ignore import Ignore
from mediakeeper.watch.settle import GONE, SETTLED, Settler, look


def test_a_look_finds_a_folder_settled_only_once_every_file_stood_still(tmp_path):
    album = tmp_path / "Artist" / "Album"
    album.mkdir(parents=True)
    (album / "01.flac").write_bytes(b"x" * 10)
    now = time.time()
    assert not look(str(tmp_path / "Artist"), 30, wall=lambda: now).ready  # just written
    assert look(str(tmp_path / "Artist"), 30, wall=lambda: now + 31).state == SETTLED
    (album / "02.flac.part").write_bytes(b"")
    later = look(str(tmp_path / "Artist"), 30, wall=lambda: now + 3600)
    assert "temporary name: 02.flac.part" in later.state and not later.ready
    assert look(str(tmp_path / "Gone"), 30).state == GONE


def test_the_settler_waits_for_quiet_and_gives_up_after_the_longest_wait():
    clock = [0.0]
    settler = Settler(settle=10, longest=100, clock=lambda: clock[0])
    settler.touch("/lib/A")
    clock[0] = 5
    settler.touch("/lib/A")  # changed again: quiet from here
    clock[0] = 14
    assert settler.due() == [] and settler.next_due() == 1
    clock[0] = 15
    assert settler.due() == ["/lib/A"]
    assert settler.not_yet("/lib/A", "still written")  # waits again
    assert settler.due() == []
    clock[0] = 100
    assert not settler.not_yet("/lib/A", "still written")  # an hour of changes: given up
    assert settler.next_due() is None


def test_the_ignore_list():
    ignore = Ignore.from_setting("Incoming*, *.bak")
    for name in (".hidden", "@eaDir", "Incoming 2024", "x.bak", ".DS_Store"):
        assert ignore.noise(name), name
    for name in ("Artist", "Album (2001)", ".mediakeeperignore"):
        assert not ignore.noise(name), name


def test_a_fifo_in_a_folder_is_looked_at_never_opened(tmp_path):
    """Opening a named pipe waits for a writer: the watcher would wait forever."""
    import os

    album = tmp_path / "Artist"
    album.mkdir()
    os.mkfifo(album / "pipe")
    now = time.time()
    assert look(str(album), 1, wall=lambda: now + 5).state == SETTLED


def test_a_file_time_from_a_clock_ahead_of_ours_does_not_keep_a_folder_waiting(tmp_path):
    import os

    album = tmp_path / "Artist"
    album.mkdir()
    (album / "01.flac").write_bytes(b"x")
    ahead = time.time() + 3600  # written by a share whose clock is an hour ahead
    os.utime(album / "01.flac", (ahead, ahead))
    now = time.time()
    assert look(str(album), 30, wall=lambda: now + 31).state == SETTLED


def test_a_loose_file_beside_the_item_folders_is_nothing_to_wait_for(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    assert look(str(tmp_path / "notes.txt"), 30).state == SETTLED


def test_a_look_reads_a_folder_deeper_than_the_recursion_limit(tmp_path):
    deepest = tmp_path / "Artist"
    deepest.mkdir()
    for _ in range(sys.getrecursionlimit() + 100):
        deepest = deepest / "d"
        deepest.mkdir()
    (deepest / "01.flac").write_bytes(b"x")
    now = time.time()
    try:
        assert not look(str(tmp_path / "Artist"), 30, wall=lambda: now).ready  # just written
        assert look(str(tmp_path / "Artist"), 30, wall=lambda: now + 31).state == SETTLED
    finally:  # pytest removes old test folders with shutil.rmtree, which recurses per level
        tree.remove_tree(tmp_path / "Artist")
