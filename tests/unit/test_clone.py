"""Clone and swap (write_mode "swap"): on a file system that shares blocks (btrfs here, on a
loop-mounted image) the changed copy is a clone, so a fix needs no room for a second copy of
the file; where the clone is refused (ext4, tmpfs) the copy is made by the kernel instead."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.core import writemode
from mediakeeper.demo import tracks as synth
from mediakeeper.fs import filecopy
from mediakeeper.tags import FileWrite


@pytest.fixture(scope="module")
def btrfs(tmp_path_factory):
    """A 300 MB btrfs mounted from an image file (root, btrfs-progs: ``make btrfs``)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a btrfs image needs root")
    if shutil.which("mkfs.btrfs") is None:
        pytest.skip("mkfs.btrfs is missing: run make btrfs")
    where = tmp_path_factory.mktemp("btrfs")
    image, mount = where / "image", where / "mnt"
    mount.mkdir()
    with open(image, "wb") as f:
        f.truncate(300 << 20)
    made = subprocess.run(["mkfs.btrfs", "-q", "-f", str(image)], capture_output=True, text=True)
    mounted = made.returncode == 0 and subprocess.run(
        ["mount", "-o", "loop", str(image), str(mount)], capture_output=True, text=True
    )
    if not mounted or mounted.returncode != 0:
        why = (made.stderr or (mounted and mounted.stderr) or "").strip().splitlines()
        pytest.skip(f"cannot mount a btrfs image here: {why[-1] if why else 'unknown'}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def big_track(folder: Path, megabytes: int) -> Path:
    """A real FLAC grown to ``megabytes`` with audio-like bytes (random: nothing to share)."""
    path = synth.make_track(folder / "01 - Song.flac", "flac", {"title": "Song", "date": "1999"})
    with open(path, "ab") as f:
        for _ in range(megabytes):
            f.write(os.urandom(1 << 20))
    return path


def free_mb(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize >> 20


def test_on_btrfs_a_swap_clones_a_file_larger_than_the_free_space(btrfs):
    folder = btrfs / "swap"
    path = big_track(folder, 150)
    os.sync()
    assert free_mb(btrfs) < 150  # no room for a second copy
    inode = path.stat().st_ino
    assert not tags.write_many([FileWrite(path, {"date": "2001"})],
                               policy=writemode.WritePolicy(writemode.SWAP))  # fmt: skip
    assert path.stat().st_ino != inode  # swapped, old or new at every instant
    assert tags.read(path).tags["date"] == "2001"
    shutil.rmtree(folder)


def test_on_btrfs_a_clone_shares_the_blocks_and_holds_the_same_bytes(btrfs):
    folder = btrfs / "clone"
    path = big_track(folder, 100)
    os.sync()
    before = free_mb(btrfs)
    src = os.open(path, os.O_RDONLY)
    dst = os.open(folder / "clone", os.O_RDWR | os.O_CREAT)
    try:
        assert filecopy.clone(src, dst)
    finally:
        os.close(src)
        os.close(dst)
    os.sync()
    assert before - free_mb(btrfs) < 10  # 100 MB more of file, hardly a block more used
    assert (folder / "clone").read_bytes() == path.read_bytes()
    shutil.rmtree(folder)


def test_where_the_clone_is_refused_the_swap_copies(tmp_path):
    """The data home's file system (ext4 or overlay here) refuses FICLONE: the swap falls
    back to the kernel's copy, and the result is the same file."""
    path = synth.make_track(tmp_path / "a.flac", "flac", {"title": "Song", "date": "1999"})
    src = os.open(path, os.O_RDONLY)
    dst = os.open(tmp_path / "b", os.O_RDWR | os.O_CREAT)
    try:
        cloned = filecopy.clone(src, dst)
    finally:
        os.close(src)
        os.close(dst)
    if cloned:
        pytest.skip("this file system clones: the fallback is not reached here")
    twin = tmp_path / "twin.flac"
    shutil.copy(path, twin)
    assert not tags.write_many([FileWrite(path, {"date": "2001"})],
                               policy=writemode.WritePolicy(writemode.SWAP))  # fmt: skip
    assert not tags.write_many([FileWrite(twin, {"date": "2001"})])
    assert path.read_bytes() == twin.read_bytes()
