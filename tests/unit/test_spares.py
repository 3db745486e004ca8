"""Replaced originals kept by tag writes and written over by later copies (mediakeeper.spares)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mediakeeper import safewrite, spares, tags
from mediakeeper.music import synth
from mediakeeper.tags import FileWrite


@pytest.fixture(autouse=True)
def no_pool_from_another_test():
    spares.remove([])
    yield
    spares.remove([])


def song(tmp_path: Path, name: str, fmt: str = "flac") -> Path:
    return synth.make_track(tmp_path / "Artist" / "Album" / f"{name}.{fmt}", fmt, {"title": name})


def written_plainly(tmp_path: Path, path: Path, values: dict[str, str]) -> bytes:
    """The bytes a write without spares gives the same file."""
    twin = tmp_path / "plain" / path.name
    twin.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, twin)
    assert tags.write_many([FileWrite(twin, values)]) == {}
    return twin.read_bytes()


def write(path: Path, folder: Path, title: str) -> None:
    assert tags.write_many([FileWrite(path, {"title": title})], spares=folder) == {}


def test_a_replaced_original_is_kept_and_the_next_copy_written_over_it(tmp_path):
    first, second = song(tmp_path, "One"), song(tmp_path, "Two")
    folder = tmp_path / spares.SPARES
    old = first.stat().st_ino
    write(first, folder, "New One")
    assert [p.stat().st_ino for p in folder.iterdir()] == [old]  # kept, not deleted
    expected = written_plainly(tmp_path, second, {"title": "New Two"})
    second_old = second.stat().st_ino
    write(second, folder, "New Two")
    assert second.stat().st_ino == old  # no new file: the spare took the copy
    assert second.read_bytes() == expected  # exactly what a plain write makes
    assert tags.read(first).tags["title"] == "New One"
    assert [p.stat().st_ino for p in folder.iterdir()] == [second_old]  # the next spare


def test_a_spare_with_fewer_blocks_grows_one_with_more_is_not_used(tmp_path):
    small, big = song(tmp_path, "Small", "flac"), song(tmp_path, "Big", "mp3")
    assert spares._blocks(small.stat().st_size) < spares._blocks(big.stat().st_size)
    folder = tmp_path / spares.SPARES
    small_inode = small.stat().st_ino
    write(small, folder, "Small 2")  # a flac original kept: fewer blocks than the mp3
    expected = written_plainly(tmp_path, big, {"title": "Big 2"})
    big_inode = big.stat().st_ino
    write(big, folder, "Big 2")
    assert big.stat().st_ino == small_inode and big.read_bytes() == expected
    # Only the mp3 original is left: more blocks than a flac needs (they would be freed).
    write(small, folder, "Small 3")
    assert small.stat().st_ino != big_inode
    assert big_inode in {p.stat().st_ino for p in folder.iterdir()}  # kept for a bigger one
    assert tags.read(small).tags["title"] == "Small 3"


def test_a_file_also_linked_elsewhere_is_never_written_into(tmp_path):
    first, second = song(tmp_path, "One"), song(tmp_path, "Two")
    elsewhere = tmp_path / "elsewhere.flac"
    os.link(first, elsewhere)
    before = elsewhere.read_bytes()
    folder = tmp_path / spares.SPARES
    write(first, folder, "New One")
    write(second, folder, "New Two")
    assert elsewhere.read_bytes() == before
    assert second.stat().st_ino != elsewhere.stat().st_ino
    assert elsewhere.stat().st_nlink == 1  # its hidden second name was dropped
    assert tags.read(second).tags["title"] == "New Two"


def test_a_reused_spare_drops_the_old_files_own_attributes(tmp_path):
    first, second = song(tmp_path, "One"), song(tmp_path, "Two")
    try:
        os.setxattr(first, "user.origin", b"the first file's")
    except OSError:
        pytest.skip("this file system keeps no user attributes")
    folder = tmp_path / spares.SPARES
    write(first, folder, "New One")
    write(second, folder, "New Two")
    assert "user.origin" not in os.listxattr(second)


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
    finally:
        shutil.rmtree(elsewhere)


def test_a_file_on_another_file_system_never_takes_a_spare(tmp_path):
    """A spare can only be renamed within its own file system: a file elsewhere gets a new
    copy beside it, though a spare of its size is free."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system at /dev/shm")
    elsewhere = Path(tempfile.mkdtemp(dir=shm))
    try:
        folder = tmp_path / spares.SPARES
        write(song(tmp_path, "One"), folder, "New One")  # a spare, here
        there = song(elsewhere, "Two")
        expected = written_plainly(tmp_path, there, {"title": "New Two"})
        write(there, folder, "New Two")
        assert there.read_bytes() == expected
        assert len(list(folder.iterdir())) == 1  # still free: not taken, not touched
    finally:
        shutil.rmtree(elsewhere)


def test_over_the_byte_budget_the_largest_spare_goes(tmp_path, monkeypatch):
    big, small = song(tmp_path, "Big", "mp3"), song(tmp_path, "Small", "flac")
    monkeypatch.setattr(spares, "POOL_BYTES", big.stat().st_size)  # room for one of them
    folder = tmp_path / spares.SPARES
    write(big, folder, "Big 2")
    small_inode = small.stat().st_ino
    write(small, folder, "Small 2")  # the mp3's spare has too many blocks: a new copy
    assert [p.stat().st_ino for p in folder.iterdir()] == [small_inode]


def test_a_full_pool_keeps_no_more(tmp_path, monkeypatch):
    monkeypatch.setattr(spares, "POOL_FILES", 1)
    folder = tmp_path / spares.SPARES
    paths = [song(tmp_path, name, "mp3") for name in ("One", "Two")]
    assert tags.write_many([FileWrite(p, {"title": "New"}) for p in paths], spares=folder) == {}
    assert len(list(folder.iterdir())) == 1


def test_remove_deletes_the_spares_of_ended_processes_and_its_own_only(
    tmp_path, dead_pid, zombie_pid
):
    folder = tmp_path / spares.SPARES
    folder.mkdir()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for pid in (os.getpid(), dead_pid, running.pid, zombie_pid):
            (folder / f"{pid}-7").write_bytes(b"old audio")
        (folder / "notes.txt").write_text("not a spare: not ours to delete")
        (folder / f"{dead_pid}-notes.txt").write_text("not a name keep() gives")
        spares.remove([folder])
        kept = sorted(p.name for p in folder.iterdir())
        assert kept == sorted([f"{running.pid}-7", "notes.txt", f"{dead_pid}-notes.txt"])
    finally:
        running.kill()
        running.wait()
    (folder / "notes.txt").unlink()
    (folder / f"{dead_pid}-notes.txt").unlink()
    spares.remove([folder, tmp_path / "never-made"])
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


@pytest.mark.parametrize("large", [False, True], ids=["in-memory", "copied-first"])
def test_a_copy_written_over_a_longer_spare_ends_where_the_copy_does(tmp_path, monkeypatch, large):
    first, second = song(tmp_path, "One"), song(tmp_path, "Two")
    with first.open("ab") as f:
        f.write(b"\0" * 100)  # a longer original, in as many blocks
    assert spares._blocks(first.stat().st_size) == spares._blocks(second.stat().st_size)
    if large:
        monkeypatch.setattr(safewrite, "IN_MEMORY_BYTES", 0)  # every file counts as large
    folder = tmp_path / spares.SPARES
    old = first.stat().st_ino
    write(first, folder, "New One")
    expected = written_plainly(tmp_path, second, {"title": "New Two"})
    write(second, folder, "New Two")
    assert second.stat().st_ino == old
    assert second.read_bytes() == expected  # not a byte of the old file after it


def test_remove_can_delete_on_a_thread_of_its_own_what_it_chose_when_called(tmp_path):
    folder = tmp_path / spares.SPARES
    folder.mkdir()
    (folder / f"{os.getpid()}-1").write_bytes(b"old audio")
    (folder / "notes.txt").write_text("not a spare: the folder is not emptied")
    thread = spares.remove([folder], wait=False)
    (folder / f"{os.getpid()}-2").write_bytes(b"a spare kept after the call")
    thread.join()
    assert not thread.daemon  # the process waits for it before it exits
    assert sorted(p.name for p in folder.iterdir()) == [f"{os.getpid()}-2", "notes.txt"]


def test_the_spares_folders_of_a_queue_are_one_per_library_folder(tmp_path):
    music, more = tmp_path / "Music", tmp_path / "More Music"
    artists = [music / "A", str(music / "B") + "/", str(more / "C"), music / "D"]
    assert spares.folders_for(artists) == {music / spares.SPARES, more / spares.SPARES}
    assert spares.folders_for(artists[:1]) == {spares.folder_for(music / "A")}
