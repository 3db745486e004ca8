"""The watched step (mediakeeper.pipelines.watchdog), run here in a real child process: a step
that keeps showing progress runs past its stall timeout; one that shows none is stopped, and
one busy for ever at its time limit; its error, its death and its reports come back as the
job's process would hear them in-process; what it prints stays out of this process's output."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from mediakeeper.batch.stage_progress import reporting
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.pipelines.watchdog import StepDied, StepStalled, StepTimedOut, run_watched


def describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


def test_a_step_that_keeps_writing_runs_past_its_stall_timeout(tmp_path):
    def step():
        for _ in range(30):  # three times the stall timeout, a byte each tenth of a second
            with open(tmp_path / "out.bin", "ab") as f:
                f.write(b"x")
            time.sleep(0.1)
        return {"wrote": (tmp_path / "out.bin").stat().st_size}

    assert run_watched(step, tmp_path, 1.0, describe) == {"wrote": 30}


def test_a_program_the_step_runs_working_silently_is_progress(tmp_path):
    """An ffmpeg analysing a long file writes nothing until it ends; its CPU time shows it
    works (the busy loop here runs twice the stall timeout, printing and writing nothing)."""
    busy = "import time\nend = time.monotonic() + 3\nwhile time.monotonic() < end: pass"

    def step():
        subprocess.run([sys.executable, "-c", busy], check=True, capture_output=True)
        return {"done": True}

    assert run_watched(step, tmp_path, 1.5, describe) == {"done": True}


def test_a_step_that_shows_nothing_is_stopped(tmp_path):
    with pytest.raises(StepStalled, match=r"no progress for 0\.5 s and was stopped"):
        run_watched(lambda: time.sleep(3600), tmp_path, 0.5, describe)


def test_its_error_death_and_reports_come_back(tmp_path):
    def fails():
        raise ValueError("a bad input")

    with pytest.raises(MediakeeperError, match=r"^ValueError: a bad input$"):
        run_watched(fails, tmp_path, 60, describe)
    with pytest.raises(StepDied, match=r"its process ended \(exit code 3\)"):
        run_watched(lambda: os._exit(3), tmp_path, 60, describe)
    with pytest.raises(MediakeeperError, match=r"its result is not JSON \(Object of type set"):
        run_watched(lambda: {"not json": {1}}, tmp_path, 60, describe)
    with pytest.raises(MediakeeperError, match="it returned NoneType, where a step returns a "
                       "mapping of JSON values"):  # fmt: skip
        run_watched(lambda: None, tmp_path, 60, describe)

    heard = []

    def reports():
        from mediakeeper.batch.stage_progress import report_fraction, report_stage

        report_stage("encoding")
        report_fraction("encoding", 1.0)
        return {}

    with reporting(heard.append, lambda doing, fraction: heard.append((doing, fraction))):
        assert run_watched(reports, tmp_path, 60, describe) == {}
    assert heard == ["encoding", ("encoding", 1.0)]


def test_a_step_busy_for_ever_is_stopped_at_its_time_limit(tmp_path):
    def spins():
        while True:
            pass

    with pytest.raises(StepTimedOut, match=r"^it ran for 1 s, the pipeline's step_timeout"):
        run_watched(spins, tmp_path, 60, describe, limit=1)


def test_what_a_step_prints_stays_apart_and_its_last_line_ends_its_error(tmp_path, capfd):
    def prints():
        print("a great deal\n" * 20000, end="")
        subprocess.run(["sh", "-c", "echo from its program >&2"], check=True)
        raise ValueError("gave up")

    with pytest.raises(MediakeeperError) as failed:
        run_watched(prints, tmp_path, 60, describe)
    assert str(failed.value) == ("ValueError: gave up; the last line it printed: "
                                 "'from its program'")  # fmt: skip
    assert capfd.readouterr() == ("", "")
