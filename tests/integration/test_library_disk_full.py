"""A library on a full disk, through the real batch and undo scripts. On btrfs even a change
written in place needs new room (copy on write), so a full one refuses the write's first
byte: the file keeps every byte, no in-place entry is left for the next command to finish,
and the change journal says the fix was not written, so no list, count or undo holds it.
Once there is room, the same fix is made and undone to the byte."""

from __future__ import annotations

import contextlib
import os
import subprocess
from datetime import UTC, datetime

from mediakeeper.reports.weeks import Week
from tests.integration.test_undo import FIXED_TITLE, spec, titles
from tests.unit import test_clone

btrfs = test_clone.btrfs  # a btrfs image, mounted (skipped where it cannot be)


def fill(folder) -> None:
    """The file system of ``folder`` filled to its last byte."""
    with open(folder / "filler", "wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:  # unbuffered: nothing is left for the close to write
            f.write(os.urandom(1 << 20))
    subprocess.run(["sync"], check=True)


def test_a_fix_a_full_btrfs_refuses_is_said_unwritten_and_made_once_there_is_room(
    btrfs, tmp_path, music_library, music_script, library_tags
):
    lib = music_library(btrfs / "Music", spec("Alpha", "mp3"))
    before = {p: p.read_bytes() for p in lib.rglob("*.mp3")}
    home = tmp_path / "home"
    try:
        fill(btrfs)
        full = music_script("process_music_batch.py", "--home", home, "--library", lib)
    finally:
        (btrfs / "filler").unlink(missing_ok=True)
    assert full.returncode == 1, full.stdout + full.stderr
    assert "could not be written" in full.stdout and "No space left on device" in full.stdout
    assert {p: p.read_bytes() for p in lib.rglob("*.mp3")} == before
    assert [p.name for p in (home / "status/writes").iterdir()] == ["left-behind"]
    [journal] = (home / "status/music/changes").glob("*.jsonl")
    assert '"unwritten": ' in journal.read_text("utf-8")
    listed = music_script("undo_changes.py", "--home", home, "--list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert listed.stdout == "No tag changes have been made yet.\n"  # no note of a write to finish
    week = home / "status" / "reports" / f"{Week.of(datetime.now(UTC)).monday}_weekly_progress.md"
    assert "| Tag changes made | 0 |" in week.read_text("utf-8")

    again = music_script("process_music_batch.py", "--home", home, "--artist", "Alpha")
    assert again.returncode == 0, again.stdout + again.stderr
    assert titles(library_tags, lib)["Alpha/2000 - Album/01 - Song 1.mp3"] == FIXED_TITLE
    listed = music_script("undo_changes.py", "--home", home, "--list")
    assert listed.stdout.endswith("  1 change to 1 artist\n") and listed.stdout.count("\n") == 1
    undone = music_script("undo_changes.py", "--home", home, "--artist", "Alpha")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert {p: p.read_bytes() for p in lib.rglob("*.mp3")} == before
