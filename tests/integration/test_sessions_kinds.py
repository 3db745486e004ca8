"""``sessions.py`` over the staged kinds (issue 33): a pipeline session resumes as every kind's
does, ``resume`` says what it runs before it starts and a SIGTERM to it stops the batch it
started, and ``clean`` removes the working directories no unfinished item needs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from mediakeeper.text.slug import slugify
from tests.helpers import wait_until
from tests.integration.test_conversion_kills import _alive, _descendants
from tests.integration.test_conversions import make_album, queue_items


def _queue(home: Path, kind: str) -> list[dict]:
    path = home / "status" / kind / "processing_queue.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["items"]
    except (OSError, ValueError):
        return []


def _completed(home: Path, kind: str) -> int:
    """Completed items, the journal's lines too (the JSON file is folded at the end)."""
    journal = home / "status" / kind / "processing_queue.journal"
    done = {i["key"] for i in _queue(home, kind) if i["status"] == "completed"}
    if journal.exists():
        for line in journal.read_text(encoding="utf-8").splitlines():
            try:
                items = json.loads(line)["items"]
            except (ValueError, KeyError):
                continue
            done |= {i["key"] for i in items if i.get("status") == "completed"}
    return len(done)


def _library(root: Path, albums: int, tracks: int = 3) -> Path:
    for n in range(albums):
        make_album(root / f"Artist {n}" / "Album", f"Artist {n}", tracks=tracks, seconds=4.0)
    return root


def test_a_killed_pipeline_session_resumes(tmp_path, music_popen, music_script):
    lib, home, out = _library(tmp_path / "lib", 3), tmp_path / "home", tmp_path / "out"
    proc = music_popen("run", "opus", "--home", home, "--input", lib, "--output", out,
                       script="pipeline.py")  # fmt: skip
    assert wait_until(lambda: _completed(home, "pipeline-opus") >= 1, limit=120)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -9

    resumed = music_script("sessions.py", "resume", "--home", home, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "running: " in resumed.stdout and "pipeline" in resumed.stdout
    items = _queue(home, "pipeline-opus")
    assert [i["status"] for i in items] == ["completed"] * 3
    for n in range(3):
        assert len(list((out / f"Artist {n}" / "Album").glob("*.opus"))) == 3
    assert list((home / "working").glob("*/*")) == []


def test_sigterm_to_resume_stops_the_batch_it_started(
    tmp_path, music_popen, child_env, repo_root
):
    lib, home, out = _library(tmp_path / "lib", 4), tmp_path / "home", tmp_path / "out"
    args = ("--home", home, "--library", lib, "--output", out, "--workers", 1, "-v")
    proc = music_popen(*args, script="process_conversion_batch.py")
    for line in proc.stdout:
        if line.startswith("✓"):
            break
    proc.kill()
    proc.communicate(timeout=60)
    resume = subprocess.Popen(
        [sys.executable, "utilities/sessions.py", "resume", "--home", str(home)],
        cwd=repo_root, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        said = resume.stdout.readline() + resume.stdout.readline()
        assert "Resuming session" in said and "running: " in said, said
        for line in resume.stdout:  # the batch's own lines (-v, as the killed one ran)
            if line.startswith("✓"):
                break
        batch = next(iter(_descendants(resume.pid)))
        os.kill(resume.pid, signal.SIGTERM)  # to it alone, not its group
        out_text, err = resume.communicate(timeout=120)
    finally:
        if resume.poll() is None:
            os.killpg(resume.pid, signal.SIGKILL)
    assert resume.returncode == 130, out_text + err
    assert wait_until(lambda: not _alive(batch)), "the batch kept running"
    statuses = [i["status"] for i in queue_items(home).values()]
    assert statuses.count("completed") < 4 and "in_progress" not in statuses


def test_clean_removes_working_directories_no_unfinished_item_needs(tmp_path, music_script):
    lib, home, out = _library(tmp_path / "lib", 3, tracks=1), tmp_path / "home", tmp_path / "out"
    done = music_script("process_conversion_batch.py", "--home", home, "--library", lib,
                        "--output", out, "--batch-size", "2")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    working = home / "working" / "conversions"
    leftover = working / slugify("Artist 0/Album")  # a finished album's, killed in cleaning
    orphan = working / "no-such-album"  # a queue item that is gone
    needed = working / slugify("Artist 2/Album")  # a pending album: its resume needs it
    for folder in (leftover, orphan, needed):
        shutil.copytree(lib / "Artist 2" / "Album", folder / "_source")
        (folder / "state.json").write_text("{}")
    listed = music_script("sessions.py", "clean", "--home", home, "--older-than", "0d")
    assert listed.returncode == 0, listed.stderr
    for folder in (leftover, orphan):
        assert f"would delete {folder.relative_to(home)}" in listed.stdout, listed.stdout
    assert str(needed.relative_to(home)) not in listed.stdout.replace("kept", "")
    assert leftover.is_dir()  # without --yes nothing goes
    cleaned = music_script("sessions.py", "clean", "--home", home, "--older-than", "0d", "--yes")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not leftover.exists() and not orphan.exists()
    assert (needed / "_source" / "01 Song.flac").is_file()
