"""How many journal entries and flushes an in-place write takes, seen from outside: a real
process writes real files under ``strace``, and every ``fsync`` it makes is counted by the
file it names. Written in place, a file costs the bytes that change, whatever its size, so a
group of real-sized files is one journal entry and one round of flushes, where a group of
copies is bounded by size (two or three 25 MB FLACs); an entry grows only until its changes
hold ``ENTRY_BYTES``, so a change that shifts a large cover picture is not held with many
others."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import Picture

from mediakeeper.demo import tracks as synth
from mediakeeper.fs.safewrite import ENTRY_BYTES

STRACE = shutil.which("strace")
pytestmark = pytest.mark.skipif(STRACE is None, reason="strace is not installed")

TITLE = "A Title Longer Than Before"

# The write in a process of its own: argv = title, data home, change journal, files.
WRITE = """
import sys
from pathlib import Path
from mediakeeper import tags
from mediakeeper.core import writemode

title, home, journal, *files = sys.argv[1], *map(Path, sys.argv[2:])
policy = writemode.policy_for(home / "status", writemode.Writing(writemode.IN_PLACE))
writes = [tags.FileWrite(f, {"title": title}) for f in files]
failed = tags.write_many(writes, policy=policy, flush_first=[journal])
sys.exit(f"left alone: {failed}" if failed else 0)
"""


def flushes(tmp_path: Path, files: list[Path]) -> Counter:
    """``fsync`` (and ``fdatasync``) calls of a real in-place write of ``files``, by what
    they flushed: each file's name, ``entry`` (the in-place journal), ``first`` (the change
    journal) and ``folder`` (the files' folder, flushed once for each group swapped)."""
    home, journal = tmp_path / "home", tmp_path / "changes.jsonl"
    journal.write_text("{}\n", encoding="utf-8")
    trace = tmp_path / "strace.txt"
    strace = [STRACE, "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", str(trace)]
    command = [*strace, sys.executable, "-c", WRITE, TITLE, str(home), str(journal)]
    command += map(str, files)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = {str(f): f.name for f in files} | {str(journal): "first"}
    names |= {str(f.parent): "folder" for f in files}
    counted: Counter = Counter()
    # A call another thread interrupts is written "fsync(5</path> <unfinished ...>".
    for target in re.findall(r"f(?:data)?sync\(\d+<([^>]*)>", trace.read_text()):
        if target.endswith(".journal") and "/status/" in target:
            counted["entry"] += 1
        else:
            counted[names.get(target, "other")] += 1
    return counted


def real_sized(tmp_path: Path, n: int, *, full: tuple[int, ...] = ()) -> list[Path]:
    """``n`` FLACs of 40 MB (sparse: the sizes are real, the disk holds their heads); those
    numbered in ``full`` have no room left in their tags, so a longer title must swap them."""
    files = []
    for k in range(n):
        path = synth.make_track(tmp_path / "lib" / f"{k:02d}.flac", "flac", {"title": "Song"})
        if k in full:
            mutagen.File(path).save(padding=lambda info: 0)
        os.truncate(path, 40 << 20)
        files.append(path)
    return files


def retitled(path: Path) -> bool:
    return mutagen.File(path)["title"] == [TITLE]


def test_real_sized_files_are_one_entry_and_one_flush_each(tmp_path):
    """Four FLACs of 40 MB in one entry, each flushed once, the change journal once with the
    entry."""
    files = real_sized(tmp_path, 4)
    counted = flushes(tmp_path, files)
    assert counted["entry"] == 1, counted
    assert counted["first"] == 1, counted
    assert all(counted[f.name] == 1 for f in files), counted
    assert all(retitled(f) and f.stat().st_size == 40 << 20 for f in files)


def test_changes_that_shift_large_pictures_are_split_into_entries_of_bounded_size(tmp_path):
    """A title that grows shifts the cover picture behind it: each file's change holds the
    whole picture twice (old and new). Three such files are more than one entry may hold:
    two entries, the change journal flushed with the first only, every file written."""
    picture = Picture()
    picture.type, picture.mime = 3, "image/jpeg"
    picture.data = os.urandom(ENTRY_BYTES // 3)  # old and new: two thirds of an entry a file
    files = []
    for n in range(3):
        path = synth.make_track(tmp_path / "lib" / f"{n:02d}.flac", "flac", {"title": "Song"})
        audio = mutagen.File(path)
        audio.add_picture(picture)
        audio.save(padding=lambda info: 4096)  # room for the longer title, after the picture
        files.append(path)
    inodes = [f.stat().st_ino for f in files]
    counted = flushes(tmp_path, files)
    assert counted["entry"] == 2, counted
    assert counted["first"] == 1, counted
    assert [f.stat().st_ino for f in files] == inodes  # in place, not swapped
    assert all(retitled(f) and mutagen.File(f).pictures[0].data == picture.data for f in files)


def test_a_group_can_mix_files_written_in_place_and_files_swapped(tmp_path):
    """One file whose tag has no room left is swapped; the others, real-sized, still share
    one entry, and all end as asked."""
    files = real_sized(tmp_path, 3, full=(1,))
    inodes = [f.stat().st_ino for f in files]
    counted = flushes(tmp_path, files)
    assert counted["entry"] == 1, counted
    swapped = [f.stat().st_ino != i for f, i in zip(files, inodes, strict=True)]
    assert swapped == [False, True, False]
    assert all(retitled(f) for f in files)



def test_files_that_must_be_swapped_are_regrouped_by_size(tmp_path):
    """Three real-sized FLACs whose tags have no room left are each swapped; their copies
    are regrouped by size as a copy's group must be (64 MB), so each is its own group and
    the folder is flushed once for each."""
    files = real_sized(tmp_path, 3, full=(0, 1, 2))
    inodes = [f.stat().st_ino for f in files]
    counted = flushes(tmp_path, files)
    assert counted["entry"] == 0 and counted["folder"] == 3, counted
    assert all(f.stat().st_ino != i for f, i in zip(files, inodes, strict=True))
    assert all(retitled(f) and f.stat().st_size > 40 << 20 for f in files)
