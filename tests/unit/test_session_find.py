"""One session read from the log by its id (``find_session``): only the lines holding the id
are decoded, and what comes back is that session as the log folded whole says it, its items
too."""

from __future__ import annotations

import json
import os

import pytest

from mediakeeper.batch.session_history import find_session
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.queue.session_log import EVENTS_FILE, UNRECORDED, load_sessions, start_session
from tests.unit.test_session_checkpoint import write_log


def test_each_session_found_by_id_is_the_whole_folds_with_its_items(tmp_path, clock, dead_pid):
    status = tmp_path / "status"
    write_log(status, clock, 12)
    log = status / "music" / EVENTS_FILE
    lines = log.read_bytes().splitlines(keepends=True)
    first = json.loads(lines[0])["session"]
    # Another id that holds the first one (as "..._100" is in "..._1000"), logged before it
    # with an item of its own; a line damaged by hand naming the first.
    longer = [json.loads(x) for x in lines if json.loads(x)["session"] == first][:2]
    for event in longer:
        event["session"] = first + "0"
    damaged = f'{{"session": "{first}", "event": "item", "at": '.encode()
    log.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in longer)
                    + damaged + b"\n" + b"".join(lines))  # fmt: skip
    # A crashed session (its process gone, never ended), its last line torn by the crash.
    crashed = start_session(status, "music", clock=clock)
    crashed.item("k", "Crashed Artist", "completed")
    with open(log, "r+b") as f:
        f.seek(0, os.SEEK_END)
        f.truncate(f.tell() - 1)  # the newline lost: a torn last line
    records = log.read_bytes().splitlines(keepends=True)
    assert any(crashed.id.encode() in x and not x.endswith(b"\n") for x in records)
    _claim_dead(log, crashed.id, dead_pid)

    whole = {r.id: r for r in load_sessions(status, "music")}
    assert len(whole) == 14 and first + "0" in whole
    assert whole[crashed.id].outcome == UNRECORDED and len(whole[crashed.id].items) == 1
    for sid, record in whole.items():
        assert find_session(status, sid) == record, sid
    assert len(find_session(status, first).items) == 10  # not the longer id's, nor the damaged
    with pytest.raises(MediakeeperError):
        find_session(status, first[:-1])  # a part of an id is no session
    # Another kind's session, in its own log (read first: the kind its id names).
    other = start_session(status, "verify", clock=clock)
    other.item("a", "An Album", "completed")
    found = find_session(status, other.id)
    assert (found.kind, [i["key"] for i in found.items]) == ("verify", ["a"])


def _claim_dead(log, sid, pid) -> None:
    """The session's start line claimed by a process that is gone (a crash, not a run)."""
    data = log.read_bytes()
    start = next(x for x in data.splitlines(keepends=True) if sid.encode() in x)
    event = json.loads(start)
    event["pid"] = pid
    log.write_bytes(data.replace(start, json.dumps(event).encode() + b"\n", 1))
