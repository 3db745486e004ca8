"""atomic.atomic_write_bytes: old or new, and a new file's mode as any new file's."""

from __future__ import annotations

import os

import pytest

from mediakeeper.fs.atomic import atomic_write_bytes


@pytest.fixture
def umask():
    """Set the process's umask for the test, and put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_written_file_gets_the_mode_the_umask_gives_new_files(tmp_path, umask, mask, mode):
    """Reports and outputs are read by others: a shared home, a media server reading a
    movie's .nfo or an album's cover."""
    umask(mask)
    path = tmp_path / "report.md"
    atomic_write_bytes(path, b"new\n")
    assert oct(path.stat().st_mode & 0o777) == oct(mode)
    path.chmod(0o600)  # replaced, not rewritten: the new file is made as any new file
    atomic_write_bytes(path, b"newer\n", durable=False)
    assert oct(path.stat().st_mode & 0o777) == oct(mode)
    assert path.read_bytes() == b"newer\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temp file left
