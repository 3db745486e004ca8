"""Folders of replaced originals (``fs/sweep.SPARES``) that a data home's list names: tag
writes of earlier versions set originals aside there until their batch ended, and a killed
batch left them. The sweep deletes those of the data home's ended processes, then the
folder, and says so."""

from __future__ import annotations

import os
import subprocess
import sys

from mediakeeper.fs import left_behind
from mediakeeper.fs.names import home_id
from mediakeeper.fs.sweep import SPARES, Swept, sweep
from mediakeeper.text.wording import format_size

HOME = "0123456789"  # a data home's id


def test_sweep_deletes_what_ended_processes_left_in_the_listed_folders_and_forgets_gone_ones(
    tmp_path, dead_pid, zombie_pid
):
    shared, emptied = tmp_path / "Music" / SPARES, tmp_path / "Other" / SPARES
    never_made, listed = tmp_path / "Gone" / SPARES, tmp_path / "list"
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for folder in (shared, emptied):
            folder.mkdir(parents=True)
            (folder / f"{HOME}.{dead_pid}-1").write_bytes(b"x" * 3000)
        (shared / f"{HOME}.{zombie_pid}-2").write_bytes(b"y" * 1000)
        (shared / f"{dead_pid}-8").write_bytes(b"named by no data home: anyone's")
        (shared / f"{HOME}.{running.pid}-1").write_bytes(b"a running batch's original")
        (shared / f"9876543210.{dead_pid}-1").write_bytes(b"another data home's")
        (shared / "notes.txt").write_text("not a name a batch gave: not ours to delete")
        not_spares = tmp_path / "Empty"  # a folder of another name: never emptied or removed
        not_spares.mkdir()
        (not_spares / f"{HOME}.{dead_pid}-1").write_bytes(b"not a spare")
        listed.write_bytes(b"".join(os.fsencode(f) + b"\n" for f in
                                    (shared, emptied, shared, never_made, not_spares)))  # fmt: skip
        assert sweep(listed, HOME) == Swept(4, 7031)
        assert sorted(p.name for p in shared.iterdir()) == sorted(
            [f"{HOME}.{running.pid}-1", f"9876543210.{dead_pid}-1", "notes.txt"]
        )
        assert not emptied.exists()
        assert [p.name for p in not_spares.iterdir()] == [f"{HOME}.{dead_pid}-1"]
        assert listed.read_bytes() == os.fsencode(shared) + b"\n"
        assert sweep(listed, HOME) == Swept()
    finally:
        running.kill()
        running.wait()
    assert sweep(tmp_path / "no list", HOME) == Swept()


def test_any_command_deletes_what_a_stopped_batch_set_aside_and_says_so(
    one_track_done, music_script, dead_pid
):
    library, home, track = one_track_done
    folder = library / SPARES
    left_behind.name(left_behind.list_of(home / "status"), str(folder))
    folder.mkdir()
    aside = folder / f"{home_id(home)}.{dead_pid}-1"
    aside.write_bytes(track.read_bytes())
    listed = music_script("undo_changes.py", "--home", home, "--list")
    size = format_size(len(track.read_bytes()))
    assert (f"deleted 1 replaced original ({size}) that a stopped batch had kept until its "
            "end") in listed.stderr  # fmt: skip
    assert not folder.exists()
    again = music_script("undo_changes.py", "--home", home, "--list")
    assert "replaced original" not in again.stderr
