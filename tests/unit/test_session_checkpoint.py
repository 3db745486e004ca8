"""The session log's checkpoint: its fold as it stood at one byte, so a reader folds only the
lines after it. Every reading through it is held against the same log folded whole."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import zlib

from mediakeeper.queue.session_log import (
    CHECKPOINT_EVERY,
    CHECKPOINT_FILE,
    EVENTS_FILE,
    load_sessions,
    start_session,
)


def write_log(status, clock, sessions: int, *, prefix: str = "") -> None:
    """``sessions`` ended sessions of music, each a batch of ten items of every outcome (five
    completed), written as a batch writes them."""
    for n in range(sessions):
        session = start_session(status, "music", clock=clock, description=f"{prefix}{n}",
                                settings={"batch_size": 10}, args=["--offline"])  # fmt: skip
        for k in range(10):
            outcome = ("completed", "error", "completed", "released")[k % 4]
            clock.advance(seconds=3)
            session.item(f"{prefix}k{n}-{k}", f"Artist {n}/{k}", outcome, tracks=k,
                         workers=["tcp://127.0.0.1:1"], bytes_sent=k)  # fmt: skip
        clock.advance(seconds=2)
        session.end("completed" if n % 3 else "interrupted", {"lookups": n})
        clock.advance(minutes=30)


def whole(status, tmp_path):
    """The log folded from its first line: read from a copy with no checkpoint beside it."""
    copy = tmp_path / "whole" / "music"
    shutil.rmtree(copy.parent, ignore_errors=True)
    copy.mkdir(parents=True)
    shutil.copyfile(status / "music" / EVENTS_FILE, copy / EVENTS_FILE)
    return load_sessions(copy.parent, "music", items=False)


def checkpoint_of(status):
    head, body = (status / "music" / CHECKPOINT_FILE).read_bytes().split(b"\n")[:2]
    return json.loads(head), body


def test_a_log_read_from_its_checkpoint_is_the_log_folded_whole_wherever_it_was_cut(
    tmp_path, clock
):
    """The log grows in pieces cut at any byte (a line half written when a reader came, a
    power cut's torn line), each piece read through the checkpoint the reading before wrote:
    every reading is the whole log's fold, and the checkpoint follows the log."""
    source = tmp_path / "source"
    write_log(source, clock, 120)
    data = (source / "music" / EVENTS_FILE).read_bytes()
    assert len(data) > 4 * CHECKPOINT_EVERY
    status = tmp_path / "status"
    (status / "music").mkdir(parents=True)
    log = status / "music" / EVENTS_FILE
    cuts = [*sorted(random.Random(7).sample(range(1, len(data)), 12)), len(data)]
    written, offsets = 0, []
    for cut in cuts:
        with open(log, "ab") as f:
            f.write(data[written:cut])
        written = cut
        read = load_sessions(status, "music", items=False, checkpoint=True)
        assert read == whole(status, tmp_path)
        if (status / "music" / CHECKPOINT_FILE).exists():
            header, _ = checkpoint_of(status)
            assert data[header["offset"] - 1 : header["offset"]] == b"\n"  # whole lines only
            offsets.append(header["offset"])
        assert load_sessions(status, "music", items=False) == read
    assert len(set(offsets)) >= 3  # written anew as the log grew
    assert len(read) == 120 and {r.items_done for r in read} == {5}


def test_a_checkpoint_whose_checksums_hold_is_believed_and_one_damaged_is_not(tmp_path, clock):
    """What shows the reader starts at the checkpoint: one made to say 99 items done, with
    its checksums made anew, is believed; the same with the checksum it had is passed over."""
    status = tmp_path / "status"
    write_log(status, clock, 30)
    truth = load_sessions(status, "music", items=False, checkpoint=True)
    header, body = checkpoint_of(status)
    document = json.loads(body)
    document["sessions"][0]["items_done"] = 99
    forged = json.dumps(document).encode()
    log_start = (status / "music" / EVENTS_FILE).read_bytes()[: header["offset"]]

    def checkpoint(crc: int) -> None:
        head = json.dumps({**header, "crc32": crc}).encode()
        (status / "music" / CHECKPOINT_FILE).write_bytes(head + b"\n" + forged + b"\n")

    checkpoint(zlib.crc32(forged, zlib.crc32(log_start)))
    assert load_sessions(status, "music", items=False)[0].items_done == 99
    checkpoint(header["crc32"])  # the body changed under it: damaged, or edited by hand
    assert load_sessions(status, "music", items=False) == truth
    # a reader that keeps the item events folds the log whole
    assert load_sessions(status, "music")[0].items_done == 5


def test_a_log_cut_rewritten_or_replaced_since_is_folded_from_its_start(tmp_path, clock):
    status = tmp_path / "status"
    write_log(status, clock, 30)
    load_sessions(status, "music", items=False, checkpoint=True)
    header, _ = checkpoint_of(status)
    log = status / "music" / EVENTS_FILE
    kept = log.read_bytes()

    log.write_bytes(kept[: header["offset"] // 2])  # cut: shorter than the checkpoint's part
    assert load_sessions(status, "music", items=False) == whole(status, tmp_path)
    log.unlink()  # replaced: another history, longer than the checkpoint's part
    write_log(status, clock, 40, prefix="other-")
    assert log.stat().st_size > header["offset"]
    read = load_sessions(status, "music", items=False)
    assert read == whole(status, tmp_path)
    assert {r.description for r in read} == {f"other-{n}" for n in range(40)}
    log.write_bytes(kept.replace(b'"Artist 0/', b'"Artist 9/', 1))  # one byte changed
    assert load_sessions(status, "music", items=False) == whole(status, tmp_path)


def test_a_damaged_or_foreign_checkpoint_is_passed_over(tmp_path, clock):
    status = tmp_path / "status"
    write_log(status, clock, 30)
    truth = whole(status, tmp_path)
    load_sessions(status, "music", items=False, checkpoint=True)
    good = (status / "music" / CHECKPOINT_FILE).read_bytes()
    header, body = checkpoint_of(status)
    for damaged in (
        b"",
        b"\x00" * 40,
        good[: len(good) // 2],  # torn
        good[:-1],  # its last newline lost
        json.dumps({**header, "format": 2}).encode() + b"\n" + body + b"\n",  # a later format
        json.dumps({**header, "offset": "12"}).encode() + b"\n" + body + b"\n",
        json.dumps({**header, "offset": -5}).encode() + b"\n" + body + b"\n",
        b"[1, 2]\n" + body + b"\n",
    ):
        (status / "music" / CHECKPOINT_FILE).write_bytes(damaged)
        assert load_sessions(status, "music", items=False) == truth


def test_a_checkpoint_is_written_by_a_closing_reading_once_enough_follows_it(tmp_path, clock):
    """Only a reading that asks for it writes one (the closing reports'), only of the fold
    without the item events, and only once ``CHECKPOINT_EVERY`` bytes follow the last."""
    status = tmp_path / "status"
    write_log(status, clock, 2)
    path = status / "music" / CHECKPOINT_FILE
    load_sessions(status, "music", items=False, checkpoint=True)
    assert not path.exists()  # a short log: read whole, as quickly
    write_log(status, clock, 30)
    load_sessions(status, "music", items=False)
    load_sessions(status, "music", checkpoint=True)
    assert not path.exists()
    load_sessions(status, "music", items=False, checkpoint=True)
    first = checkpoint_of(status)[0]["offset"]
    assert first == (status / "music" / EVENTS_FILE).stat().st_size
    write_log(status, clock, 1)  # less than CHECKPOINT_EVERY more: left as it is
    load_sessions(status, "music", items=False, checkpoint=True)
    assert checkpoint_of(status)[0]["offset"] == first
    write_log(status, clock, 30)
    load_sessions(status, "music", items=False, checkpoint=True)
    assert checkpoint_of(status)[0]["offset"] == (status / "music" / EVENTS_FILE).stat().st_size


def test_a_session_running_at_the_checkpoint_and_killed_after_it_is_crashed(
    tmp_path, clock, child_env
):
    """A real batch process's session is in the checkpoint while it runs (its claim with it);
    SIGKILLed after, the reading through the checkpoint tells its crash."""
    status = tmp_path / "status"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mediakeeper.queue.session_log import start_session\n"
        "s = start_session(Path(sys.argv[1]), 'music')\n"
        "s.item('queen', 'Queen', 'completed', tracks=5)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(status)], env=child_env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
    try:
        assert child.stdout.readline() == b"ready\n"
        write_log(status, clock, 30)
        running = load_sessions(status, "music", items=False, checkpoint=True)
        assert [r.outcome for r in running if r.pid == child.pid] == ["running"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert checkpoint_of(status)[0]["offset"] == (status / "music" / EVENTS_FILE).stat().st_size
    (crashed,) = [r for r in load_sessions(status, "music", items=False) if r.pid == child.pid]
    assert (crashed.outcome, crashed.items_done) == ("unrecorded", 1)
    assert load_sessions(status, "music", items=False) == whole(status, tmp_path)
