"""``--json`` where a script needs it: a queue's validation, the pipelines listed and one
validated, a batch's result, a duplicates scan, a verify scrub and the weekly report. Each
prints one JSON document on standard output (read here with ``json.loads``, strict), the
lines a person reads on standard error, and exits as it does without ``--json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, run_script, script_env
from tests.helpers.melody import encode, melody_wav
from tests.integration.watching import home_for, library


def module(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mediakeeper", *map(str, args)],
                          cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def document(done: subprocess.CompletedProcess, code: int = 0):
    """The run's standard output as one JSON document, its exit code asserted."""
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    """A music library of two artists, and the ``--json`` of the batch run over it."""
    root = tmp_path_factory.mktemp("json")
    lib, home = library(root / "Music", "Alpha", "Beta"), root / "home"
    done = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline",
                      "--json")  # fmt: skip
    return lib, home, done


def test_a_batch_answers_with_its_session_as_sessions_show_gives_it(batched):
    _, home, done = batched
    answer = document(done)
    shown = document(module("sessions", "show", answer["id"], "--json", "--home", home))
    assert answer == shown
    assert answer["kind"] == "music" and answer["done"] == 2
    assert sorted(item["name"] for item in answer["items"]) == ["Alpha", "Beta"]
    assert "session log:" in done.stderr  # the person's lines, apart from the document
    again = run_script("process_music_batch.py", "--home", home, "--offline", "--json")
    nothing = document(again)  # nothing left to take: its session, of none
    assert nothing["done"] == 0 and nothing["items"] == [] and nothing["id"] != answer["id"]
    refused = module("music", "batch", "--home", home, "--dry-run", "--json")
    assert refused.returncode == 2 and not refused.stdout, refused.stdout + refused.stderr


def test_a_queue_validated(batched, tmp_path):
    _, home, _ = batched
    for args in (("queue", "validate"), ("queue", "--validate-queue")):
        answer = document(module("music", *args, "--json", "--home", home))
        assert answer == {"queue": str(home / "status" / "music" / "processing_queue.json"),
                          "valid": True, "problems": []}  # fmt: skip
    broken = home_for(tmp_path)
    queue = broken / "status" / "music" / "processing_queue.json"
    queue.parent.mkdir(parents=True)
    queue.write_text('{"version": 1, "items": [{"key": "x", "status": "lost"}]}')
    answer = document(module("music", "queue", "validate", "--json", "--home", broken), 1)
    assert answer["valid"] is False and answer["problems"], answer


def test_the_weekly_report_names_what_it_wrote(batched):
    _, home, _ = batched
    answer = document(module("report", "--json", "--home", home))
    [written] = answer["reports"]
    assert written["markdown"].endswith("_weekly_progress.md")
    assert written["html"].endswith("_weekly_progress.html")
    assert Path(written["markdown"]).is_file() and Path(written["html"]).is_file()


def test_pipelines_listed_and_validated(batched, tmp_path):
    _, home, _ = batched
    mine = tmp_path / "mine.yaml"
    mine.write_text((REPO_ROOT / "pipelines" / "phone.yaml").read_text().replace("phone", "mine"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps:\n  - no-such-step: {}\n")
    listed = document(module("pipeline", "list", mine, bad, "--json", "--home", home))
    pipelines = {p["name"]: p for p in listed["pipelines"]}
    assert pipelines["opus"]["source"] == "built-in" and pipelines["opus"]["problem"] is None
    assert pipelines["mine"]["source"] == str(mine) and pipelines["mine"]["problem"] is None
    assert pipelines["bad"]["problem"], pipelines["bad"]
    assert {"name", "origin", "summary"} <= set(listed["processors"][0])
    assert isinstance(listed["rules"], list)
    valid = document(module("pipeline", "validate", "opus", "--json", "--home", home))
    assert valid["valid"] is True and valid["problems"] == [], valid
    assert valid["source"] == "built-in" and valid["steps"] == [
        {"name": "convert", "processor": "convert", "origin": "built-in"}]
    invalid = document(module("pipeline", "validate", bad, "--json", "--home", home), 2)
    assert invalid["valid"] is False and invalid["problems"], invalid


def test_a_duplicates_scan_answers_with_its_groups(tmp_path):
    lib, home = tmp_path / "Music", tmp_path / "home"
    song = melody_wav(tmp_path / "song.wav", 1, 12)
    encode(song, lib / "A" / "Album" / "01 - Song.flac")
    encode(song, lib / "B" / "Album" / "01 - Song.flac")
    answer = document(module("dupes", "scan", "--library", lib, "--json", "--home", home))
    listed = document(module("dupes", "--json", "--home", home))
    assert answer["groups"] == listed["groups"] and len(answer["groups"]) == 1, answer
    assert answer["session"]


def test_a_scrub_answers_with_each_album_and_its_coverage(tmp_path):
    home = home_for(tmp_path, verify=library(tmp_path / "Albums", "A", "B"))
    answer = document(module("--home", home, "verify", "scrub", "--percent", "100", "--json"))
    assert sorted(a["album"] for a in answer["albums"]) == ["A/Album", "B/Album"]
    assert all(a["problem"] is None for a in answer["albums"]), answer
    assert answer["coverage"] == {"verified": 2, "total": 2, "days": 30}, answer
