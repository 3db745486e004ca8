"""What a killed run left in place, for a file the next command cannot reach: on a drive that
is not mounted now, the journal keeps the file's part of the entry (said at every command)
until a command reaches the file again and completes it; a file deleted from a drive that
is there is given up; a file, or an entry, this user may not open is kept until one who may
opens it.
Real journals left by a real killed process, a real loop-mounted file system, a real
process refused the file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from mediakeeper.core import writemode
from mediakeeper.fs.inplace_journal import (
    COMPLETED,
    GONE,
    KEPT,
    UNREADABLE,
    UNTOUCHED,
    decode,
    recover,
)
from tests.unit.test_inplace import REPO, fix_of, killed_run, new_bytes, track


def journal_files(home) -> list[str]:
    folder = writemode.journal_dir(home / "status")
    return sorted(n for n in os.listdir(folder) if (folder / n).stat().st_size)


@pytest.fixture
def drive(tmp_path):
    """A small ext4 image and where it mounts (root, and a kernel with loop devices)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    image, where = tmp_path / "drive.img", tmp_path / "drive"
    where.mkdir()
    subprocess.run(["truncate", "-s", "16M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)

    def mount() -> None:
        done = subprocess.run(["mount", "-o", "loop", str(image), str(where)], capture_output=True)
        if done.returncode:
            pytest.skip(f"no loop mount here: {done.stderr.decode().strip()}")

    def unmount() -> None:
        subprocess.run(["umount", str(where)], check=True)

    mount()
    try:
        yield where, mount, unmount
    finally:
        subprocess.run(["umount", str(where)], capture_output=True)


def test_a_write_cut_short_on_a_drive_now_unmounted_is_kept_until_it_is_back(tmp_path, drive):
    where, mount, unmount = drive
    path = track(where / "Music" / "Artist" / "Album")
    patch = fix_of(path)
    home = tmp_path / "home"
    killed_run(home, patch, 1)  # torn: some of the new bytes written, then the kill
    torn, done = path.read_bytes(), new_bytes(path, patch)
    assert torn != done
    unmount()

    [entry] = journal_files(home)
    entry_file = writemode.journal_dir(home / "status") / entry
    stamp = (entry_file.stat().st_ino, entry_file.stat().st_mtime_ns)
    for _ in range(2):  # every command says it, and keeps it as it is (not written again)
        found = recover(writemode.journal_dir(home / "status"))
        assert [(f.path, f.outcome) for f in found] == [(str(path), KEPT)]
        assert journal_files(home) == [entry]
        assert (entry_file.stat().st_ino, entry_file.stat().st_mtime_ns) == stamp
    assert os.listdir(where) == []  # nothing made where the drive mounts

    mount()
    assert path.read_bytes() == torn
    found = recover(writemode.journal_dir(home / "status"))
    assert [(f.path, f.outcome) for f in found] == [(str(path), COMPLETED)]
    assert path.read_bytes() == done
    assert journal_files(home) == [] and recover(writemode.journal_dir(home / "status")) == []


def test_a_file_deleted_since_from_a_drive_that_is_there_is_given_up(tmp_path):
    path = track(tmp_path / "Music" / "Artist" / "Album")
    home = tmp_path / "home"
    killed_run(home, fix_of(path), 1)
    shutil.rmtree(tmp_path / "Music" / "Artist")  # the person deleted the artist meanwhile
    found = recover(writemode.journal_dir(home / "status"))
    assert [(f.path, f.outcome) for f in found] == [(str(path), GONE)]
    assert journal_files(home) == []
    assert not (tmp_path / "Music" / "Artist").exists()


@pytest.mark.parametrize(("removed", "outcome"), [("file", GONE), ("folder", KEPT)])
def test_an_entry_that_names_no_device_gives_up_a_file_only_where_its_folder_is(
    tmp_path, removed, outcome
):
    """An entry of an earlier version records no device: a file missing from a folder that is
    there is gone; one whose folder is missing too may be on a drive that is away."""
    path = track(tmp_path / "Music" / "Artist" / "Album")
    home = tmp_path / "home"
    killed_run(home, fix_of(path)._replace(dev=0), 1)
    if removed == "folder":
        shutil.rmtree(path.parent)
    else:
        path.unlink()
    found = recover(writemode.journal_dir(home / "status"))
    assert [(f.path, f.outcome) for f in found] == [(str(path), outcome)]
    assert len(journal_files(home)) == (outcome == KEPT)


# Root opens any file: without the capabilities that let it, it is refused as another user is.
AS_ANY_USER = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
               "--bounding-set=-dac_override,-dac_read_search"]  # fmt: skip
RECOVER = """
import sys
from pathlib import Path
from mediakeeper.fs.inplace_journal import recover
for found in recover(Path(sys.argv[1])):
    print(found.outcome)
"""


def recovered_as_another_user(folder) -> list[str]:
    """What ``recover(folder)`` found, run in a process refused what its user may not open."""
    without = AS_ANY_USER if os.geteuid() == 0 else []
    if without and shutil.which("setpriv") is None:
        pytest.skip("root opens any file, and setpriv (util-linux) is not here to stop it")
    run = subprocess.run([*without, sys.executable, "-c", RECOVER, str(folder)], cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                         text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_a_file_this_user_may_not_open_is_kept_until_one_who_may_completes_it(tmp_path):
    path = track(tmp_path / "Music" / "Artist" / "Album")
    other = track(tmp_path / "Music" / "Artist" / "Album", name="02 - Song")
    patch = fix_of(path)
    home = tmp_path / "home"
    killed_run(home, patch, 1, fix_of(other))  # killed before it wrote the other file
    torn, done = path.read_bytes(), new_bytes(path, patch)
    folder = writemode.journal_dir(home / "status")
    [entry] = journal_files(home)
    mode = path.stat().st_mode
    path.chmod(0)
    said = recovered_as_another_user(folder)
    assert said == [KEPT, UNTOUCHED]  # EACCES: there, but not to this user
    # The entry keeps the file out of reach alone, and stays the user's own to read.
    assert journal_files(home) == [entry]
    assert [p.path for p in decode((folder / entry).read_bytes())] == [str(path)]
    assert (folder / entry).stat().st_mode & 0o777 == 0o600
    path.chmod(mode)
    assert path.read_bytes() == torn
    found = recover(folder)
    assert [(f.path, f.outcome) for f in found] == [(str(path), COMPLETED)]
    assert path.read_bytes() == done and journal_files(home) == []


def test_an_entry_this_user_may_not_read_is_left_for_one_who_may(tmp_path):
    """Another user's entry in a shared data home (made 0600): not read, so not taken for
    one cut short and deleted; its owner's next command completes its file."""
    path = track(tmp_path / "Music" / "Artist" / "Album")
    patch = fix_of(path)
    home = tmp_path / "home"
    killed_run(home, patch, 1)
    folder = writemode.journal_dir(home / "status")
    [entry] = journal_files(home)
    (folder / entry).chmod(0)
    torn, done = path.read_bytes(), new_bytes(path, patch)
    assert recovered_as_another_user(folder) == [UNREADABLE.format("Permission denied")]
    assert journal_files(home) == [entry] and path.read_bytes() == torn
    (folder / entry).chmod(0o600)
    assert [(f.path, f.outcome) for f in recover(folder)] == [(str(path), COMPLETED)]
    assert path.read_bytes() == done and journal_files(home) == []
