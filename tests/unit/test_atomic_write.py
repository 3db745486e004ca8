"""atomic.atomic_write_bytes: old or new, and a new file's mode as any new file's."""

from __future__ import annotations

import errno
import os

import pytest

from mediakeeper.fs.atomic import atomic_write_bytes
from tests.helpers import run_script


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


def test_a_folder_that_cannot_hold_the_file_is_named_as_the_file_asked_for(tmp_path):
    """The temp file's name is the toolkit's own: the error says the file a person gave."""
    (tmp_path / "a-file").write_bytes(b"")
    target = tmp_path / "a-file" / "report.html"
    with pytest.raises(NotADirectoryError) as raised:
        atomic_write_bytes(target, b"new\n")
    assert raised.value.filename == str(target)


def test_a_name_too_long_is_named_as_the_file_asked_for(tmp_path):
    """The temp file takes a short stand-in name and is written; the rename to the name asked
    for fails, and its error names that name, not the temp file's."""
    target = tmp_path / ("a" * 300 + ".html")
    with pytest.raises(OSError) as raised:
        atomic_write_bytes(target, b"new\n")
    assert (raised.value.errno, raised.value.filename) == (errno.ENAMETOOLONG, str(target))
    assert list(tmp_path.iterdir()) == []  # the temp file removed


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_a_folder_that_is_there_and_makes_no_file_fails_at_once(tmp_path):
    """/proc is there, and a file created in it is "not found": the write fails, exit 1,
    naming the file, where it retried for ever inside a step no signal interrupts (only
    SIGKILL ended it)."""
    (tmp_path / "status").mkdir()  # a data home, with nothing in it yet
    target = "/proc/mediakeeper-test-board.html"
    done = run_script("media_dashboard.py", "--home", tmp_path, "--html", target, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.strip() == f"Error: No such file or directory: {target}"
