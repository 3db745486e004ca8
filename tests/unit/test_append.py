"""atomic.append_lines, the append shared by the change journal and sessions.jsonl; and
atomic.flush_files, which flushes that journal with the tag copies."""

from __future__ import annotations

import errno
import os

import pytest

from mediakeeper.fs.atomic import append_lines, flush_files


def test_an_append_cut_short_says_so_and_the_next_one_starts_a_line_of_its_own(tmp_path, full_disk):
    path = tmp_path / "journal.jsonl"
    append_lines(path, b'{"n": 1}\n', durable=True)
    full_disk(path.stat().st_size + 5)  # room for five more bytes, as on a disk filling up
    try:
        with pytest.raises(OSError) as caught:
            append_lines(path, b'{"n": 2}\n', durable=True)
    finally:
        full_disk(1 << 40)
    assert caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == b'{"n": 1}\n{"n":'  # the torn tail the error warned of

    append_lines(path, b'{"n": 3}\n', durable=False)
    assert path.read_bytes().split(b"\n") == [b'{"n": 1}', b'{"n":', b'{"n": 3}', b""]


def test_flush_files_opens_what_it_is_named_and_closes_it_whatever_happens(tmp_path):
    journal, copy = tmp_path / "journal.jsonl", tmp_path / "copy"
    journal.write_bytes(b"line\n")
    fd = os.open(copy, os.O_RDWR | os.O_CREAT)
    try:
        open_before = len(os.listdir("/proc/self/fd"))
        flush_files([fd], [journal])
        assert len(os.listdir("/proc/self/fd")) == open_before
        with pytest.raises(FileNotFoundError):  # one of them is gone: it says so
            flush_files([fd], [journal, tmp_path / "missing"])
        assert len(os.listdir("/proc/self/fd")) == open_before  # the journal's was closed
    finally:
        os.close(fd)
