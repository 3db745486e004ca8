"""The worker set: real processes, a worker that dies, stopping at any instant, and what a
run reports on the way (a real ffmpeg's progress)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from mediakeeper.batch.stage_progress import report_fraction, report_stage
from mediakeeper.batch.workers import Together, Workers
from mediakeeper.media import ffmpeg


def square(n: int) -> int:
    return n * n


def die_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # out of memory, or killed by a person
    return n


def lost(item: int) -> str:
    return f"lost {item}"


def drain(workers: Workers) -> dict:
    results = {}
    while workers.in_flight:
        item, result = workers.next_result()
        results[item] = result
    return results


def test_every_item_comes_back_with_its_result():
    workers = Workers(2, run=square, lost=lost)
    for n in range(10):
        workers.submit(n)
    assert drain(workers) == {n: n * n for n in range(10)}
    workers.stop(at_once=False)


def test_results_back_together_are_taken_together_while_every_worker_has_one_queued():
    workers = Workers(2, run=square, lost=lost)
    for n in range(6):
        workers.submit(n)  # three each
    for worker in workers._workers:  # each has a result back, waiting in its pipe
        assert worker.conn.poll(60)
    results: list = []
    workers.next_results(results, most=6, linger=60)
    # Three each (3, 3): one from each (2, 2), then a third (1, 2) leaves one worker with no
    # item behind the one it works on, so the results go to be recorded now.
    assert len(results) == 3 and all(result == item * item for item, result in results)
    assert set(drain(workers)) | {item for item, _ in results} == set(range(6))
    workers.stop(at_once=False)


def test_a_result_waits_for_no_other_once_a_worker_has_nothing_queued():
    workers = Workers(2, run=square, lost=lost)
    workers.submit(1)
    workers.submit(2)  # one each: nothing queued behind either
    results: list = []
    workers.next_results(results, most=6, linger=60)  # waiting would take a minute
    assert len(results) == 1
    drain(workers)
    workers.stop(at_once=False)


def test_a_worker_that_dies_fails_its_item_and_is_replaced():
    workers = Workers(1, run=die_on_three, lost=lost)
    for n in range(1, 6):
        workers.submit(n)  # 4 and 5 wait behind 3 in the same worker's pipe
    assert drain(workers) == {1: 1, 2: 2, 3: "lost 3", 4: 4, 5: 5}
    workers.stop(at_once=False)


def test_stopping_at_once_never_hangs_whatever_the_workers_are_doing():
    for round_ in range(20):
        workers = Workers(2, run=square, lost=lost)
        for n in range(round_ % 4):  # idle, busy, or with items still queued
            workers.submit(n)
        processes = [w.process for w in workers._workers]
        workers.stop(at_once=True)
        # Ended by the SIGTERM itself: stop()'s kill after the grace would say -SIGKILL.
        assert [p.exitcode for p in processes] == [-signal.SIGTERM] * 2


def test_a_stopped_worker_exits_by_sigterm_not_a_python_exception():
    workers = Workers(1, run=time.sleep, lost=lost)
    workers.submit(30)  # busy for a long time
    process = workers._workers[0].process
    workers.stop(at_once=True)
    assert process.exitcode == -signal.SIGTERM


class Gated:
    """Runs items together (``Together.run``): waits at its first item until ``gate`` exists,
    so the items the test sends meanwhile are all waiting in the pipe; each result is the
    item's square and the items it was run with."""

    def __init__(self, gate: Path):
        self.gate = gate

    def __call__(self, items) -> list:
        taken = []
        for item in items:
            while not taken and not self.gate.exists():
                time.sleep(0.01)
            taken.append(item)
        return [(n * n, tuple(taken)) for n in taken]


def test_a_worker_runs_together_the_items_waiting_for_it_up_to_most_in_order(tmp_path):
    gate = tmp_path / "gate"
    workers = Workers(1, run=square, lost=lost, together=Together(Gated(gate), most=3))
    for n in range(7):
        workers.submit(n)
    gate.touch()  # every item is in the worker's pipe now
    results = [workers.next_result() for _ in range(7)]
    assert results == [
        (n, (n * n, together))
        for together in ((0, 1, 2), (3, 4, 5), (6,))
        for n in together
    ]
    process = workers._workers[0].process
    workers.stop(at_once=False)  # the stop is read like an item: the worker ends at once
    assert process.exitcode == 0


def test_a_stop_waiting_behind_items_run_together_ends_the_worker_after_them(tmp_path):
    gate = tmp_path / "gate"
    workers = Workers(1, run=square, lost=lost, together=Together(Gated(gate), most=5))
    for n in range(2):
        workers.submit(n)
    worker = workers._workers[0]
    worker.conn.send(None)  # as stop() sends it, here behind the two items
    gate.touch()
    assert [workers.next_result() for _ in range(2)] == [(0, (0, (0, 1))), (1, (1, (0, 1)))]
    worker.process.join(30)
    assert worker.process.exitcode == 0
    workers.stop(at_once=False)


def encode(seconds: int) -> str:
    """A real AAC encode of ``seconds`` of tone, reporting how far it is as the job does."""
    report_stage("encode")
    args = ["-f", "lavfi", "-i", f"sine=d={seconds}", "-c:a", "aac", "-f", "null", "-"]
    told = lambda at: report_fraction("encoding", at / seconds)  # noqa: E731
    return str(ffmpeg.run(ffmpeg.find(), args, progress=told).returncode)


def test_a_runs_fractions_come_up_its_workers_pipe_as_ffmpeg_goes_before_its_result():
    heard, stages = [], []
    workers = Workers(
        1,
        run=encode,
        lost=lost,
        progress=lambda item, stage: stages.append((item, stage)),
        fraction=lambda item, doing, fraction: heard.append((item, doing, fraction)),
    )
    workers.submit(240)  # four minutes of tone: a few seconds of encoding, so several reports
    assert workers.next_result() == (240, "0")
    workers.stop(at_once=False)
    assert stages == [(240, "encode")]
    assert {(item, doing) for item, doing, _ in heard} == {(240, "encoding")}
    fractions = [fraction for _, _, fraction in heard]
    assert len(fractions) >= 2 and fractions == sorted(fractions), fractions
    assert 0 < fractions[0] < 1 and fractions[-1] > 0.99  # the end is always told
