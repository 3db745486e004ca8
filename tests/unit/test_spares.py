"""Replaced originals set aside by tag writes and deleted after the batch
(mediakeeper.fs.spares)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.fs import spares
from mediakeeper.music import synth
from mediakeeper.tags import FileWrite


@pytest.fixture(autouse=True)
def no_pool_from_another_test():
    spares.remove([], HOME)
    yield
    spares.remove([], HOME)


def song(tmp_path: Path, name: str, fmt: str = "flac") -> Path:
    return synth.make_track(tmp_path / "Artist" / "Album" / f"{name}.{fmt}", fmt, {"title": name})


def written_plainly(tmp_path: Path, path: Path, values: dict[str, str]) -> bytes:
    """The bytes a write without spares gives the same file."""
    twin = tmp_path / "plain" / path.name
    twin.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, twin)
    assert tags.write_many([FileWrite(twin, values)]) == {}
    return twin.read_bytes()


HOME = "0123456789"  # a data home's id


def write(path: Path, folder: Path, title: str) -> None:
    assert tags.write_many([FileWrite(path, {"title": title})], spares=folder, owner=HOME) == {}


def test_a_replaced_original_is_set_aside_never_written_into(tmp_path):
    """The next copy goes into a new file: the set-aside original may be open in a player."""
    first, second = song(tmp_path, "One"), song(tmp_path, "Two")
    folder = tmp_path / spares.SPARES
    old_first, old_second = first.stat().st_ino, second.stat().st_ino
    first_bytes = first.read_bytes()
    write(first, folder, "New One")
    expected = written_plainly(tmp_path, second, {"title": "New Two"})
    write(second, folder, "New Two")
    assert second.read_bytes() == expected
    assert second.stat().st_ino not in (old_first, old_second)
    aside = {p.stat().st_ino: p for p in folder.iterdir()}
    assert set(aside) == {old_first, old_second}
    assert aside[old_first].read_bytes() == first_bytes  # untouched
    assert all(p.name.startswith(f"{HOME}.{os.getpid()}-") for p in aside.values())


def test_on_another_file_system_nothing_is_kept_and_the_write_is_as_before(tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system at /dev/shm")
    elsewhere = Path(tempfile.mkdtemp(dir=shm))
    try:
        first = song(tmp_path, "One")
        expected = written_plainly(tmp_path, first, {"title": "New One"})
        write(first, elsewhere / spares.SPARES, "New One")
        assert first.read_bytes() == expected
        assert list((elsewhere / spares.SPARES).iterdir()) == []
        assert sorted(p.name for p in first.parent.iterdir()) == [first.name]
    finally:
        shutil.rmtree(elsewhere)


def test_over_the_byte_budget_an_original_is_deleted_at_once(tmp_path, monkeypatch):
    big, small = song(tmp_path, "Big", "mp3"), song(tmp_path, "Small", "flac")
    monkeypatch.setattr(spares, "POOL_BYTES", big.stat().st_size)  # room for one of them
    folder = tmp_path / spares.SPARES
    big_inode = big.stat().st_ino
    write(big, folder, "Big 2")
    write(small, folder, "Small 2")
    assert [p.stat().st_ino for p in folder.iterdir()] == [big_inode]


def test_remove_deletes_the_spares_of_ended_processes_and_its_own_only(
    tmp_path, dead_pid, zombie_pid
):
    folder = tmp_path / spares.SPARES
    folder.mkdir()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for pid in (os.getpid(), dead_pid, running.pid, zombie_pid):
            (folder / f"{HOME}.{pid}-7").write_bytes(b"old audio")
        (folder / f"9876543210.{dead_pid}-7").write_bytes(b"another data home's")
        (folder / f"{dead_pid}-8").write_bytes(b"from before names carried a data home")
        (folder / "notes.txt").write_text("not a spare: not ours to delete")
        (folder / f"{dead_pid}-notes.txt").write_text("not a name keep() gives")
        spares.remove([folder], HOME)
        kept = sorted(p.name for p in folder.iterdir())
        assert kept == sorted([f"{HOME}.{running.pid}-7", f"9876543210.{dead_pid}-7",
                               "notes.txt", f"{dead_pid}-notes.txt"])  # fmt: skip
    finally:
        running.kill()
        running.wait()
    for name in ("notes.txt", f"{dead_pid}-notes.txt", f"9876543210.{dead_pid}-7"):
        (folder / name).unlink()
    spares.remove([folder, tmp_path / "never-made"], HOME)
    assert not folder.exists()  # emptied: removed too


def test_a_symlink_where_the_spares_folder_goes_is_not_used(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / spares.SPARES
    folder.symlink_to(elsewhere)
    first = song(tmp_path, "One")
    write(first, folder, "New One")
    assert list(elsewhere.iterdir()) == []  # the original was deleted as before, not kept there
    assert tags.read(first).tags["title"] == "New One"


def test_remove_can_delete_on_a_thread_of_its_own_what_it_chose_when_called(tmp_path):
    folder = tmp_path / spares.SPARES
    folder.mkdir()
    (folder / f"{HOME}.{os.getpid()}-1").write_bytes(b"old audio")
    (folder / "notes.txt").write_text("not a spare: the folder is not emptied")
    thread = spares.remove([folder], HOME, wait=False)
    (folder / f"{HOME}.{os.getpid()}-2").write_bytes(b"a spare kept after the call")
    thread.join()
    assert not thread.daemon  # the process waits for it before it exits
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [f"{HOME}.{os.getpid()}-2", "notes.txt"]
