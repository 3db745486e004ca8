"""One decision's answer stopped (kill -9) between its item's output document and its queue
counts: the document says decided while the counts still ask it, so ``decide`` lists a
decision that ``decide KIND NAME`` says is not there. Answering it again writes the counts
again from the document (a dry run writes nothing), said with who decided it and its undo.
The stop is made exactly: the queue's files as they were before the answer put back after
it, which is what a kill between the two writes leaves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_script
from tests.integration.test_decide_group_stops import library_spec

CODE = "filename-mismatch"


@pytest.fixture
def behind(tmp_path, music_library):
    """A data home whose artist 'Artist 00' was dismissed by an answer killed before it
    wrote the queue's counts."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    music_library(lib, {k: v for k, v in library_spec().items() if "Artist 00" in k})
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    status = home / "status" / "music"
    kept = tmp_path / "queue-before"
    kept.mkdir()
    for path in status.glob("processing_queue.*"):
        shutil.copy2(path, kept / path.name)
    done = decide(home, "music", "Artist 00", "--dismiss", CODE)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in kept.iterdir():
        shutil.copy2(path, status / path.name)
    assert listed(home) == 1  # the lag itself: listed, though its document says dismissed
    return home


def decide(home: Path, *args):
    return run_script("decide.py", "--home", home, *args)


def listed(home: Path) -> int:
    shown = decide(home, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["total"]


ID = "d1.WyJtdXNpYyIsIkFydGlzdCAwMCIsIiIsImZpbGVuYW1lLW1pc21hdGNoIl0"  # its decision's


NAMED = ("music", "Artist 00")


@pytest.mark.parametrize("answer", [(*NAMED, "--dismiss", CODE),
                                    (*NAMED, "--code", CODE, "--choose", "1"),
                                    ("--id", ID, "--dismiss")])  # fmt: skip
def test_an_answer_stopped_half_way_is_answered_again_by_writing_its_counts(behind, answer):
    """The answer again said 'Artist 00 has no open ... decision' (exit 2) while `decide`
    went on listing it, for good."""
    home = behind
    shown = decide(home, "music", "Artist 00")  # it said "0 decisions open", no more
    assert f"{CODE}: still listed by `decide`, though decided (dismissed" in shown.stdout
    dry = decide(home, *answer, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"its {CODE} decision was taken already (dismissed" in dry.stdout
    assert "nothing written" in dry.stdout
    assert listed(home) == 1  # the dry run wrote nothing

    again = decide(home, *answer)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "its counts are written again" in again.stdout
    assert listed(home) == 0
    session = again.stdout.rsplit("--session ", 1)[1].split()[0]
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert listed(home) == 1
    assert decide(home, "music", "Artist 00", "--dismiss", CODE).returncode == 0
    assert listed(home) == 0
