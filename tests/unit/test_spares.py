"""Replaced originals set aside by tag writes and deleted after the batch
(mediakeeper.fs.spares)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.core import writemode
from mediakeeper.demo import tracks as synth
from mediakeeper.fs import spares
from mediakeeper.fs.sweep import Swept, sweep
from mediakeeper.tags import FileWrite
from mediakeeper.text.wording import format_size
from tests.unit.test_left_behind import flushed_after_naming, tracing_the_list


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
STRACE = shutil.which("strace")


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


def in_copy_mode(home: Path) -> writemode.WritePolicy:
    """A data home's policy with every fix written by a copy swapped in (an original set
    aside each time)."""
    return writemode.policy_for(home / "status", writemode.Writing(writemode.COPY))


def test_the_first_original_set_aside_in_a_folder_names_it_once_in_the_data_homes_list(
    tmp_path,
):
    folder, policy = tmp_path / spares.SPARES, in_copy_mode(tmp_path / "home")
    for name in ("One", "Two"):
        written = tags.write_many([FileWrite(song(tmp_path, name), {"title": f"New {name}"})],
                                  spares=folder, owner=HOME, policy=policy)  # fmt: skip
        assert written == {}
    assert len(list(folder.iterdir())) == 2
    listed = writemode.left_behind_list(policy.journal)
    album = tmp_path / "Artist" / "Album"  # where each copy was made: named first, once
    assert listed.read_text().splitlines() == [f"temps {os.getpid()} {album}", str(folder)]


def test_sweep_deletes_what_ended_processes_left_in_the_listed_folders_and_forgets_gone_ones(
    tmp_path, dead_pid
):
    shared, emptied = tmp_path / "Music" / spares.SPARES, tmp_path / "Other" / spares.SPARES
    never_made, listed = tmp_path / "Gone" / spares.SPARES, tmp_path / "list"
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for folder in (shared, emptied):
            folder.mkdir(parents=True)
            (folder / f"{HOME}.{dead_pid}-1").write_bytes(b"x" * 3000)
        (shared / f"{HOME}.{running.pid}-1").write_bytes(b"a running batch's original")
        (shared / f"9876543210.{dead_pid}-1").write_bytes(b"another data home's")
        not_spares = tmp_path / "Empty"  # a folder of another name: never emptied or removed
        not_spares.mkdir()
        (not_spares / f"{HOME}.{dead_pid}-1").write_bytes(b"not a spare")
        listed.write_bytes(b"".join(os.fsencode(f) + b"\n" for f in
                                    (shared, emptied, shared, never_made, not_spares)))  # fmt: skip
        assert sweep(listed, HOME) == Swept(2, 6000)
        assert sorted(p.name for p in shared.iterdir()) == sorted(
            [f"{HOME}.{running.pid}-1", f"9876543210.{dead_pid}-1"]
        )
        assert not emptied.exists()
        assert [p.name for p in not_spares.iterdir()] == [f"{HOME}.{dead_pid}-1"]
        assert listed.read_bytes() == os.fsencode(shared) + b"\n"
        assert sweep(listed, HOME) == Swept()
    finally:
        running.kill()
        running.wait()
    assert sweep(tmp_path / "no list", HOME) == Swept()


# A process that sets an original aside, as a batch's worker does, and ends before its batch
# does (a kill): no exit handler of the toolkit's runs in it.
_SETS_ONE_ASIDE = """
import os, sys
from pathlib import Path
from mediakeeper import tags
from mediakeeper.core import writemode
from mediakeeper.fs import spares
from mediakeeper.fs.names import home_id
track, home = Path(sys.argv[1]), Path(sys.argv[2])
policy = writemode.policy_for(home / "status", writemode.Writing(writemode.COPY))
failed = tags.write_many([tags.FileWrite(track, {"title": "New"})], policy=policy,
                         spares=spares.folder_for(track.parent.parent), owner=home_id(home))
os._exit(1 if failed else 0)
"""


def sets_one_aside(track: Path, home: Path, strace: Path | None = None) -> None:
    command = [sys.executable, "-c", _SETS_ONE_ASIDE, str(track), str(home)]
    if strace is not None:
        command = [STRACE, *tracing_the_list("rename", "renameat2", "link", "linkat", "mkdir",
                                             "mkdirat"), "-o", str(strace), *command]  # fmt: skip
    child = subprocess.run(command, capture_output=True, text=True)
    assert child.returncode == 0, child.stderr


@pytest.mark.skipif(STRACE is None, reason="needs strace, to see the calls in their order")
def test_a_folder_is_named_and_flushed_before_it_is_made_and_an_original_goes_into_it(
    tmp_path,
):
    """Else a kill between the two would leave an original, or the folder itself, that no
    list names."""
    track, home, trace = song(tmp_path, "One"), tmp_path / "home", tmp_path / "trace"
    sets_one_aside(track, home, trace)
    calls = trace.read_text().splitlines()
    # The spares folder's own line: the swap names the track's folder too, first.
    folder = spares.folder_for(track.parent.parent)
    flushed = flushed_after_naming(calls, str(folder))
    made = [i for i, c in enumerate(calls) if "mkdir" in c and f'{folder}"' in c]
    aside = [i for i, c in enumerate(calls) if re.search(r"(rename|link)\w*\(.*/"
                                                          + re.escape(spares.SPARES) + "/", c)]
    assert made and aside, calls
    assert 0 <= flushed < made[0] < aside[0], calls


def test_any_command_deletes_what_a_stopped_batch_set_aside_and_says_so(
    one_track_done, music_script
):
    library, home, track = one_track_done
    sets_one_aside(track, home)
    aside = list((library / spares.SPARES).iterdir())
    assert len(aside) == 1
    size = aside[0].stat().st_size
    listed = music_script("undo_changes.py", "--home", home, "--list")
    assert (f"deleted 1 replaced original ({format_size(size)}) that a stopped batch had "
            "kept until its end") in listed.stderr  # fmt: skip
    assert not (library / spares.SPARES).exists()
    assert tags.read(track).tags["title"] == "New"
    again = music_script("undo_changes.py", "--home", home, "--list")
    assert "replaced original" not in again.stderr
