"""``mediakeeper watch --run``: the watcher runs the kind's batch for what it queued, and a
SIGTERM while that batch runs stops it as Ctrl+C does, leaving its queue resumable."""

from __future__ import annotations

import signal
import subprocess
import sys

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from tests.helpers import REPO_ROOT, script_env, wait_until
from tests.integration.watching import home_for, items, library


def test_run_processes_what_it_queued(tmp_path, watching):
    albums = library(tmp_path / "Albums", "First")
    home = home_for(tmp_path, verify=albums)
    watcher = watching(home, "--kind", "verify", "--run")
    assert watcher.said("verify: the batch ended (exit 0)"), watcher.text()
    assert items(home, "verify")["First/Album"]["status"] == "completed"
    library(albums, "Second")
    assert watcher.said("verify: queued Second/Album (new)"), watcher.text()
    assert wait_until(lambda: watcher.text().count("the batch ended (exit 0)") == 2, limit=120)
    assert {k: i["status"] for k, i in items(home, "verify").items()} == {
        "First/Album": "completed", "Second/Album": "completed"}  # fmt: skip
    assert watcher.stop() == 0


def test_sigterm_during_a_batch_stops_it_as_ctrl_c_does_and_the_queue_resumes(
    tmp_path, watching
):
    exe = ffmpeg.find()
    albums = tmp_path / "Albums"
    for n in range(8):
        for t in (1, 2):
            synth.tone(exe, albums / f"Artist {n}" / "Album" / f"0{t} - Tone.flac", 120.0)
    home = home_for(tmp_path, verify=albums)
    # A settle time shorter than the tones took to make: the catch-up queues all eight at
    # once, for one batch.
    watcher = watching(home, "--kind", "verify", "--run", settle="0.1")
    assert watcher.said("verify: running a batch of 8"), watcher.text()
    assert wait_until(lambda: any(i["status"] != "pending"
                                  for i in items(home, "verify").values()), limit=120)  # fmt: skip
    assert watcher.stop(signal.SIGTERM) == 0, watcher.text()
    said = watcher.text()
    assert "verify: the batch ended (exit 130)" in said, said
    assert said.rstrip().endswith("stopped (SIGTERM)")
    left = items(home, "verify")
    assert "in_progress" not in {i["status"] for i in left.values()}
    assert any(i["status"] == "pending" for i in left.values()), left
    resumed = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(home), "verify", "batch"],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert {i["status"] for i in items(home, "verify").values()} == {"completed"}
