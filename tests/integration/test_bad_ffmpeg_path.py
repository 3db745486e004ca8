"""An ``[ffmpeg] path`` that names no program is wrong for every album, not for the first
ones a batch took: a conversion, pipeline or verify batch stops at once with the setting's
one line (exit 2) and every album stays as it was in the queue (pending, no attempt counted,
no failure to reset). It failed each album it had taken ("error", an attempt spent), so that
after mending the setting a person had to reset them by hand before they would run."""

from __future__ import annotations

import json

import pytest

from mediakeeper.demo import sound
from tests.helpers import run_script, step, write_pipeline
from tests.integration.test_conversions import EXE, make_album

WRONG = "/nonexistent/ffmpeg"
SAID = (f"Error: [ffmpeg] path '{WRONG}' is not an executable file; fix the setting or leave "
        "it empty to use the ffmpeg the toolkit ships")  # fmt: skip


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    for n in range(3):
        album = make_album(root / f"Artist {n}" / "Album", f"Artist {n}", tracks=1, seconds=1.0)
        sound.tone(EXE, album / "02 Song.mp3", 1.0)  # (a FLAC that flac -t passes needs none)
    return root


def _queue(home, kind: str) -> list[dict]:
    return json.loads((home / "status" / kind / "processing_queue.json").read_text())["items"]


def test_a_conversion_batch_stops_before_it_fails_any_album(tmp_path, library):
    home = tmp_path / "home"
    ran = run_script("process_conversion_batch.py", "--home", home, "--library", library,
                     "--output", tmp_path / "out", "--batch-size", "3",
                     env={"MEDIAKEEPER_FFMPEG_PATH": WRONG})  # fmt: skip
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == SAID
    assert "Traceback" not in ran.stderr
    items = _queue(home, "conversions")
    assert len(items) == 3
    assert {i["status"] for i in items} == {"pending"}, items
    assert [i.get("attempts", 0) for i in items] == [0, 0, 0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.opus"))


def test_a_pipeline_stops_before_it_fails_any_album(tmp_path, library):
    home = tmp_path / "home"
    pipeline = write_pipeline(tmp_path / "phone.yaml", step("to-opus", "convert", codec="opus"),
                              input=library, output=tmp_path / "out")  # fmt: skip
    ran = run_script("pipeline.py", "run", pipeline, "--home", home,
                     env={"MEDIAKEEPER_FFMPEG_PATH": WRONG})  # fmt: skip
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == SAID
    assert "Traceback" not in ran.stderr
    items = _queue(home, "pipeline-phone")
    assert {i["status"] for i in items} == {"pending"}, items
    assert [i.get("attempts", 0) for i in items] == [0, 0, 0]


def test_a_verify_batch_stops_before_it_fails_any_album(tmp_path, library):
    home = tmp_path / "home"
    ran = run_script("process_verify_batch.py", "--home", home, "--library", library,
                     "--batch-size", "3", env={"MEDIAKEEPER_FFMPEG_PATH": WRONG})  # fmt: skip
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == SAID
    assert "Traceback" not in ran.stderr
    items = _queue(home, "verify")
    assert {i["status"] for i in items} == {"pending"}, items
    assert [i.get("attempts", 0) for i in items] == [0, 0, 0]
