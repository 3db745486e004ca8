"""Read-ahead (mediakeeper.fs.readahead): hints for the tags of an item's files, given on a
thread while the workers are busy. A hint changes nothing, never waits on another program,
and never fails the batch. Real files, a real FIFO, a real lease."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from mediakeeper.demo import tracks as synth
from mediakeeper.fs.checks import take_lease
from mediakeeper.fs.readahead import ReadAhead, hint_ends
from mediakeeper.system.linux import cached_pages
from mediakeeper.tags import AUDIO_EXTENSIONS


def _state(root: Path) -> dict[str, tuple]:
    """Every file's bytes and times, a link's and a FIFO's own."""
    found = {}
    for where, _folders, names in os.walk(root):
        for name in names:
            path = os.path.join(where, name)
            regular = os.path.isfile(path) and not os.path.islink(path)
            data = Path(path).read_bytes() if regular else None
            st = os.lstat(path)  # after the read, which may set the access time itself
            seen = st.st_atime_ns if regular else None  # (a link's is set as it is followed)
            found[path] = (data, st.st_mtime_ns, seen, st.st_ctime_ns)
    return found


def _out_of_memory(root: Path) -> None:
    """Every regular file below ``root`` written out and dropped from the page cache, as a
    library nobody read lately is (its clean pages are what the kernel can drop)."""
    for where, _folders, names in os.walk(root):
        for name in names:
            path = os.path.join(where, name)
            if os.path.isfile(path) and not os.path.islink(path):
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                try:
                    os.fsync(fd)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)


def _library(tmp_path: Path) -> Path:
    root = tmp_path / "Artist"
    for n, fmt in enumerate(["flac", "mp3", "m4a"], 1):
        synth.make_track(root / "2001 - Album" / f"0{n} - Song.{fmt}", fmt, {"title": "Song"})
    (root / "2001 - Album" / "notes.txt").write_text("not a track")
    outside = synth.make_track(tmp_path / "elsewhere.flac", "flac", {})
    (root / "2001 - Album" / "04 - Linked.flac").symlink_to(outside)  # not followed
    os.mkfifo(root / "05 - Pipe.mp3")  # named as a track: passed over, never waited on
    (root / "Loop").symlink_to(root, target_is_directory=True)  # a folder link: not entered
    _out_of_memory(tmp_path)
    return root


def test_a_hint_reaches_each_track_once_and_changes_nothing(tmp_path):
    root = _library(tmp_path)
    before = _state(tmp_path)
    _out_of_memory(tmp_path)  # (which reading the state undid)
    assert hint_ends(root, AUDIO_EXTENSIONS) == 3  # the three tracks: no link, no FIFO, no text
    assert _state(tmp_path) == before


def test_a_file_another_program_holds_a_lease_on_is_passed_over_not_waited_for(tmp_path):
    """Opening a file under a write lease waits until the holder lets go (45 s by default):
    a hint does not. Had it waited, the lease would have been broken by then and the file
    counted."""
    root = _library(tmp_path)
    leased = root / "2001 - Album" / "01 - Song.flac"
    fd = os.open(leased, os.O_RDONLY)
    try:
        take_lease(fd, fcntl.F_WRLCK)
        assert hint_ends(root, AUDIO_EXTENSIONS) == 2
    finally:
        os.close(fd)


def _kernel_tells_what_is_cached(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        return cached_pages(fd, 0, 1) is not None
    finally:
        os.close(fd)


def test_a_folder_whose_tracks_are_in_memory_already_is_passed_over(tmp_path):
    """A library read a moment ago (a copy, an earlier pass) needs no hints: a hint a file
    would cost an open each for nothing. The first track of each folder is asked of the
    kernel; a folder out of memory is still hinted whole."""
    root = _library(tmp_path)
    if not _kernel_tells_what_is_cached(tmp_path / "elsewhere.flac"):
        pytest.skip("this kernel cannot tell what is cached (cachestat: Linux 6.5)")
    for track in (root / "2001 - Album").glob("0[123]*"):
        track.read_bytes()  # read: in memory
    before = _state(tmp_path)
    assert hint_ends(root, AUDIO_EXTENSIONS) == 0
    assert _state(tmp_path) == before
    _out_of_memory(tmp_path)
    assert hint_ends(root, AUDIO_EXTENSIONS) == 3


def test_the_thread_hints_in_order_passes_over_a_failure_and_stops():
    seen: list[str] = []

    def hint(item: str) -> None:
        seen.append(item)
        if item == "b":
            raise OSError("gone")

    ahead = ReadAhead(hint)
    for item in "abc":
        ahead.add(item)
    ahead.stop(wait=True)
    assert seen == ["a", "b", "c"]
