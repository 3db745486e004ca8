"""The batch runner's promises about a result: it is counted, logged and reported only once
the queue holds it on disk (a second Ctrl+C waits for both); and a claim it no longer holds is
not its to give back."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from mediakeeper.batch.job import ItemFailure, ItemResult
from mediakeeper.batch.offline import go_offline
from mediakeeper.batch.runner import BatchOptions, BatchRunner, Done, Hooks
from mediakeeper.batch.stage_progress import EVERY, report_fraction, report_stage
from mediakeeper.queue.session_log import start_session
from mediakeeper.queue.store import QueueStore


class Recorded(Hooks):
    def __init__(self) -> None:
        self.finished: list[str] = []

    def item_finished(self, outcome) -> None:
        self.finished.append(outcome.key)


class FillsTheDisk:
    """Processes an item, then the disk is full: the line recording it cannot be written."""

    def __init__(self, journal, fill) -> None:
        self.journal, self.fill = journal, fill

    def process(self, item) -> ItemResult:
        self.limit = self.journal.stat().st_size
        self.fill(self.limit)
        return ItemResult(counts={"track_count": 1})


class LosesItsClaim:
    """While the item is in hand, another process gives its claim back (it judged the claim
    stale); then Ctrl+C arrives, a real SIGINT."""

    def __init__(self, other: QueueStore) -> None:
        self.other = other

    def process(self, item) -> ItemResult:
        self.other.release_stale(lambda claim: True)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(10)  # the signal ends this
        raise AssertionError("the SIGINT did not interrupt the batch")


def test_an_interrupted_batch_leaves_alone_a_claim_that_is_no_longer_its_own(make_store, tmp_path):
    store = make_store(2)
    other = QueueStore(store.dir, "music")  # another process's view of the same queue
    session = start_session(tmp_path / "status", "music")
    job = LosesItsClaim(other)
    report = BatchRunner(store, job, session, BatchOptions(size=2, workers=1), Recorded()).run()
    assert report.interrupted and report.outcomes == []  # nothing reported as released
    log = session.log_path.read_text(encoding="utf-8")
    assert "RELEASED" not in log and "interrupted" in log
    items = store.load()["items"]
    assert [(i["status"], i["attempts"]) for i in items] == [("pending", 0), ("pending", 0)]


def test_the_items_in_hand_go_back_in_one_queue_line_and_are_logged(make_store, tmp_path):
    store = make_store(4)
    session = start_session(tmp_path / "status", "music")
    runner = BatchRunner(store, None, session, BatchOptions(size=4), Recorded())  # no job runs
    runner._in_flight = {item["key"]: item for item in store.claim_many(session.id, 3)}
    lines = store.journal_path.read_bytes().count(b"\n")
    runner._release_in_flight()  # what an interrupted run() does first
    assert store.journal_path.read_bytes().count(b"\n") == lines + 1
    assert [i["status"] for i in store.load()["items"]] == ["pending"] * 4
    assert session.log_path.read_text(encoding="utf-8").count("RELEASED") == 3
    assert [o.status for o in runner.report.outcomes] == ["released"] * 3


class CountsLines(QueueStore):
    """The real store, counting the items in each journal line it writes (and keeping what
    the lines said)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines: list[int] = []
        self.said: list[str] = []

    def _write_line(self, changed) -> None:
        self.lines.append(len(changed))
        self.said.append(json.dumps(changed))
        super()._write_line(changed)


class Quick:
    def process(self, item) -> ItemResult:
        time.sleep(0.05)
        return ItemResult(counts={"track_count": 1})


class Encodes:
    """Reports a stage, then how far it is four times (spaced past the throttle)."""

    def process(self, item) -> ItemResult:
        report_stage("encode")
        for fraction in (0.25, 0.5, 0.75, 1.0):
            report_fraction("encoding", fraction)
            time.sleep(EVERY * 1.2)
        return ItemResult(counts={"track_count": 1})


class HearsFractions(Hooks):
    def __init__(self) -> None:
        self.heard: list[tuple[str, str, float]] = []

    def item_fraction(self, item, doing, fraction) -> None:
        self.heard.append((item["key"], doing, fraction))


@pytest.mark.parametrize("workers", [1, 2])
def test_fractions_reach_the_hooks_and_never_the_queue_journal(make_store, tmp_path, workers):
    make_store(1)
    store = CountsLines(tmp_path / "status" / "music", "music")
    session = start_session(tmp_path / "status", "music")
    hooks = HearsFractions()
    options = BatchOptions(size=1, workers=workers)
    BatchRunner(store, Encodes(), session, options, hooks).run()
    key = store.load()["items"][0]["key"]
    assert hooks.heard == [(key, "encoding", f) for f in (0.25, 0.5, 0.75, 1.0)]
    assert len(store.lines) == 3  # the claim, the stage, the result: no line per fraction
    assert not [line for line in store.said if "encoding" in line]
    assert [line for line in store.said if '"encode"' in line]  # the stage is journaled


def test_results_that_come_back_together_share_one_queue_line(make_store, tmp_path):
    make_store(12)
    store = CountsLines(tmp_path / "status" / "music", "music")
    session = start_session(tmp_path / "status", "music")
    hooks = Recorded()
    options = BatchOptions(size=12, workers=2, in_hand=4)
    report = BatchRunner(store, Quick(), session, options, hooks).run()
    assert sorted(hooks.finished) == sorted(i["key"] for i in store.load()["items"])
    assert report.count("completed") == 12
    assert [i["status"] for i in store.load()["items"]] == ["completed"] * 12
    # One line per result and claim would be 12 or more; four in hand per worker let the
    # results that come back meanwhile go in together.
    assert len(store.lines) <= 8, store.lines
    log = session.log_path.read_text(encoding="utf-8")
    assert log.count("COMPLETED ") == 12


def test_results_back_but_not_yet_recorded_when_the_batch_ends_are_recorded(make_store, tmp_path):
    store = make_store(4)
    session = start_session(tmp_path / "status", "music")
    runner = BatchRunner(store, None, session, BatchOptions(size=4), Recorded())  # no job runs
    claimed = store.claim_many(session.id, 3)
    runner._in_flight = {item["key"]: item for item in claimed}
    done = Done(ItemResult(counts={"track_count": 2}), 0.1)
    runner._arrived = [(claimed[0], done), (claimed[2], done)]  # back, waiting for company
    runner._record_arrived()  # what an interrupted run() does first, before releasing
    runner._release_in_flight()
    statuses = [i["status"] for i in store.load()["items"]]
    assert statuses == ["completed", "pending", "completed", "pending"]
    log = session.log_path.read_text(encoding="utf-8")
    assert log.count("COMPLETED ") == 2 and log.count("RELEASED ") == 1


def test_a_result_the_queue_could_not_record_is_neither_logged_nor_reported(
    make_store, tmp_path, full_disk
):
    store = make_store(2)
    session = start_session(tmp_path / "status", "music")
    hooks = Recorded()
    job = FillsTheDisk(store.journal_path, full_disk)
    runner = BatchRunner(store, job, session, BatchOptions(size=2, workers=1), hooks)
    with pytest.raises(OSError) as caught:
        runner.run()
    full_disk(1 << 40)
    assert caught.value.errno == errno.EFBIG
    assert store.journal_path.stat().st_size == job.limit  # refused there: not a byte in
    log = session.log_path.read_text(encoding="utf-8")
    assert len(log.encode()) < store.journal_path.stat().st_size  # the log could still grow
    assert "COMPLETED" not in log
    assert hooks.finished == [] and runner.report.outcomes == []
    store.fold()
    assert [i["status"] for i in store.load()["items"]] == ["in_progress", "pending"]


# A real batch in a real process, Ctrl+C twice while it records a result and claims the next
# item: the queue line and its log line are one step, and the exit waits for both.
SECOND_CTRL_C_WHILE_RECORDING = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from mediakeeper.batch.runner import BatchOptions, BatchRunner, Hooks
    from mediakeeper.batch.job import ItemResult
    from mediakeeper.queue.store import QueueStore
    from mediakeeper.queue.items import new_item, new_queue
    from mediakeeper.queue.session_log import start_session

    class CtrlCTwice(QueueStore):
        recording = False
        def record_success(self, *args, **kwargs):
            self.recording = True
            os.kill(os.getpid(), signal.SIGINT)  # the first: stop after this step
            return super().record_success(*args, **kwargs)
        def claim_many(self, *args, **kwargs):
            if self.recording:
                os.kill(os.getpid(), signal.SIGINT)  # the second: exit, as the step ends
            return super().claim_many(*args, **kwargs)

    class Quick:
        def process(self, item):
            return ItemResult(counts={"track_count": 1})

    status = Path(sys.argv[1])
    items = [new_item(f"artist-{n}", f"Artist {n}", f"/m/{n}") for n in range(3)]
    store = CtrlCTwice(status / "music", "music")
    store.create(new_queue("music", "/m", items, datetime.now(UTC)))
    session = start_session(status, "music")
    BatchRunner(store, Quick(), session, BatchOptions(size=3, workers=1), Hooks()).run()
    print("never printed: the second Ctrl+C exits")
    """
)


def test_a_second_ctrl_c_while_recording_exits_once_the_result_and_its_log_line_are_in(
    tmp_path,
):
    status = tmp_path / "status"
    result = subprocess.run(
        [sys.executable, "-c", SECOND_CTRL_C_WHILE_RECORDING, str(status)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 130, result.stderr
    assert result.stdout == ""
    items = QueueStore(status / "music", "music").load()["items"]
    assert [i["status"] for i in items] == ["completed", "in_progress", "pending"]
    (log,) = (status / "music").rglob("*.log")
    assert "COMPLETED  Artist 0" in log.read_text(encoding="utf-8")


class Unreachable:
    """Every item fails on the network (its service cannot be reached)."""

    def process(self, item) -> ItemResult:
        raise ItemFailure("lookup", "musicbrainz: cannot get it: Connection refused", network=True)


def test_a_network_stop_counts_the_items_it_did_not_try_and_the_status_they_keep(
    make_store, tmp_path
):
    """It said "so the rest stay pending" whatever was left: now how many, and as what (a
    batch that also retries errors takes from either)."""
    store = make_store(5)
    session = start_session(tmp_path / "status", "music")
    options = BatchOptions(size=5, workers=1, statuses=("pending", "error"))
    report = BatchRunner(store, Unreachable(), session, options, Hooks()).run()
    assert report.stopped_early == (
        "3 artists in a row failed on the network; the service looks unreachable: 2 artists "
        "not tried, left as they were (pending or error)"
    )
    assert [i["status"] for i in store.load()["items"]] == ["error"] * 3 + ["pending"] * 2


def test_a_network_stop_with_nothing_left_to_try_is_no_stop(make_store, tmp_path):
    """Every item of the batch was tried: "the rest stay pending" spoke of none. Its session
    log said STOPPING EARLY all the same, where the summary said no stop: now neither does."""
    store = make_store(3)
    session = start_session(tmp_path / "status", "music")
    report = BatchRunner(store, Unreachable(), session, BatchOptions(size=3, workers=1),
                         Hooks()).run()  # fmt: skip
    assert report.stopped_early is None and report.count("error") == 3
    log = session.log_path.read_text(encoding="utf-8")
    assert "STOPPING EARLY" not in log and " stopped " not in log.splitlines()[-1]


@pytest.mark.parametrize(
    "flagged, said",
    [(["MusicBrainz"], "MusicBrainz unreachable"),
     (["Cover Art Archive", "MusicBrainz"], "3 artists in a row failed on the network; the "
      "service looks unreachable")],
    ids=["one", "two"],
)  # fmt: skip
def test_a_network_stop_names_the_service_only_when_one_alone_was_found_unreachable(
    make_store, tmp_path, flagged, said
):
    """Three network failures in a row named the first service the run had flagged, though
    with the covers' archive and MusicBrainz both flagged it cannot tell which failed."""
    store = make_store(5)
    session = start_session(tmp_path / "status", "music")
    for service in flagged:
        go_offline(store.dir, session.id, service, "Connection refused")
    report = BatchRunner(store, Unreachable(), session, BatchOptions(size=5, workers=1),
                         Hooks()).run()  # fmt: skip
    assert report.stopped_early == f"{said}: 2 artists not tried, left pending"
