"""atomic.append_lines, the append shared by the change journal and sessions.jsonl."""

from __future__ import annotations

import errno

import pytest

from mediakeeper.atomic import append_lines


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
