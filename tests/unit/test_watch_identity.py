"""An item's identity asks each file's inode generation where the file system keeps one, and
asks a file system that keeps none only once (a share's open is a round trip): counted by
the opens a real process makes (its audit hook), on tmpfs (no generation) and the disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.system import linux
from tests.helpers import REPO_ROOT, script_env

SHM = Path("/dev/shm")

# Two identities of each folder, in a process of its own (the devices found without a
# generation are remembered for the process's life): the opens of the folder's files each time.
_COUNT_OPENS = """
import json, os, sys
from mediakeeper.watch.moves import identity_of
opened = []
sys.addaudithook(lambda event, args: opened.append(os.fsdecode(args[0]))
                 if event == "open" and isinstance(args[0], (str, bytes)) else None)
counts = {}
for folder in sys.argv[1:]:
    counts[folder] = []
    for _ in range(2):
        before = len(opened)
        identity = identity_of(folder, tree=False)
        counts[folder].append([sum(p.startswith(folder + os.sep) for p in opened[before:]),
                               identity["inodes"]])
print(json.dumps(counts))
"""


def _album(folder: Path, tracks: int = 5) -> str:
    folder.mkdir(parents=True)
    for n in range(1, tracks + 1):
        (folder / f"{n:02d}.flac").write_bytes(b"fLaC" + bytes(n))
    return str(folder)


def _keeps_no_generation(folder: Path) -> bool:
    probe = folder / "probe"
    probe.write_bytes(b"")
    fd = os.open(probe, os.O_RDONLY)
    try:
        return linux.inode_generation(fd) is None
    finally:
        os.close(fd)
        probe.unlink()


@pytest.fixture
def on_tmpfs(tmp_path):
    if not SHM.is_dir() or not os.access(SHM, os.W_OK):
        pytest.skip("no writable /dev/shm here")
    folder = Path(os.path.join(SHM, f"mediakeeper-{tmp_path.name}"))
    folder.mkdir()
    try:
        if not _keeps_no_generation(folder):
            pytest.skip("/dev/shm keeps inode generations here")
        yield folder
    finally:
        subprocess.run(["rm", "-rf", str(folder)], check=True)


def test_a_file_system_without_generations_is_asked_once_and_a_disk_for_each_file(
    tmp_path, on_tmpfs
):
    if _keeps_no_generation(tmp_path):
        pytest.skip("the temporary folder's file system keeps no inode generation")
    shared, disk = _album(on_tmpfs / "album"), _album(tmp_path / "album")
    out = subprocess.run([sys.executable, "-c", _COUNT_OPENS, shared, disk], cwd=REPO_ROOT,
                         env=script_env(), capture_output=True, text=True, check=True)  # fmt: skip
    counts = json.loads(out.stdout)
    (first_opens, first), (again_opens, again) = counts[shared]
    assert (first_opens, again_opens) == (1, 0)  # its first file told it keeps none
    assert first == again
    (first_opens, first), (again_opens, again) = counts[disk]
    assert (first_opens, again_opens) == (5, 5)  # each file's generation, each time
    assert first == again
