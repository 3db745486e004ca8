"""The stage of an album being converted is on its queue item while it converts (issue 26):
the job reports it, the runner records it (in the main process, from a worker's pipe too),
the queue manager shows it, and a kill -9 leaves the last one visible for the next run to
resume from."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from mediakeeper.queue.store import JOURNAL_FILE, QueueStore
from tests.integration.test_conversion_kills import _descendants, kill_9

EXE = ffmpeg.find()
KEY = "Artist/Album"


def _journal_stages(queue_dir: Path) -> list[str]:
    """The stages the queue journal recorded for the album, each change once, in order."""
    stages: list[str] = []
    for line in (queue_dir / JOURNAL_FILE).read_text(encoding="utf-8").splitlines():
        for item in json.loads(line)["items"]:
            stage = (item.get("details") or {}).get("stage")
            if item["key"] == KEY and stage and (not stages or stages[-1] != stage):
                stages.append(stage)
    return stages


@pytest.mark.parametrize("workers", [1, 2])
def test_the_stage_is_on_the_queue_item_while_the_album_converts_and_after_a_kill_9(
    tmp_path, music_script, music_popen, workers
):
    library = tmp_path / "lib"
    for n in range(1, 5):  # long enough that the batch is seen converting them
        synth.tone(EXE, library / "Artist" / "Album" / f"0{n}.flac", 30.0, frequency=200 * n)
    home, out = tmp_path / "home", tmp_path / "out"
    args = ["--home", home, "--output", out, "--library", library, "--workers", str(workers)]
    queue_dir = home / "status" / "conversions"
    proc = music_popen(*args, script="process_conversion_batch.py")
    store = QueueStore(queue_dir, "conversions")
    stage, stages, seen = None, [], {}
    while proc.poll() is None:
        if queue_dir.joinpath("processing_queue.json").exists():
            item = next(i for i in store.peek()["items"] if i["key"] == KEY)
            stage = (item.get("details") or {}).get("stage")
            stages += [stage] if stage and stage not in stages else []
        seen.update(_descendants(proc.pid))
        if stage == "converting" and any("ffmpeg" in n for n in seen.values()):
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        assert "converting" in stages, f"the queue item never showed the album converting: {stages}"
        pytest.skip("the album was converted before the batch could be seen converting it")
    seen.update(_descendants(proc.pid))
    kill_9(proc, seen, tmp_path)

    # The last stage stays visible on the item its dead batch held ...
    assert _journal_stages(queue_dir) == ["preparing", "converting"]
    item = next(i for i in store.peek()["items"] if i["key"] == KEY)
    assert (item["status"], item["details"]["stage"]) == ("in_progress", "converting")
    listed = music_script("conversion_queue_manager.py", "--home", home, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "stage: converting" in listed.stdout
    summary = music_script("conversion_queue_manager.py", "--home", home, "--show-summary")
    assert "(in progress: 1 converting)" in summary.stdout
    state = json.loads(next((home / "working" / "conversions").glob("*/state.json")).read_text())
    assert state["stage"] == "converting"

    # ... and the next run resumes the album there, ending it completed.
    final = music_script("process_conversion_batch.py", *args)
    assert final.returncode == 0, final.stdout + final.stderr
    item = next(i for i in store.peek()["items"] if i["key"] == KEY)
    assert (item["status"], item["details"]["stage"]) == ("completed", "completed")
    assert item["error_history"] == []
    assert len(list(out.rglob("*.opus"))) == 4
    listed = music_script("conversion_queue_manager.py", "--home", home, "--list")
    assert "stage:" not in listed.stdout and "stopped at" not in listed.stdout


def test_an_album_converted_before_is_at_no_stage_while_a_batch_holds_it_again(
    tmp_path, music_library
):
    """An album reset after its conversion keeps its last run's stage, "completed", and a
    batch claims it with that stage until its job reports one: the summary and the dashboard
    counted it as "in progress: 1 completed" (the list said nothing). Only a stage reached
    in this run says where an album in progress is."""
    from tests.helpers import run_script

    spec = {f"{artist}/Album/0{n} - Song.flac": {"tags": {"title": "Song", "artist": artist}}
            for artist in ("Artist", "Other") for n in (1, 2)}  # fmt: skip
    library, home = music_library(tmp_path / "lib", spec), tmp_path / "home"
    first = run_script("process_conversion_batch.py", "--home", home, "--library", library,
                       "--output", tmp_path / "out")  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    again = run_script("conversion_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    # A batch's start: both albums claimed at once, the first one's job at its first stage.
    store = QueueStore(home / "status" / "conversions", "conversions")
    claimed = store.claim_many("20261129_conversions_009", 2)
    assert [i["details"]["stage"] for i in claimed] == ["completed", "completed"]
    store.note_stage(claimed[0]["key"], "20261129_conversions_009", "converting")

    summary = run_script("conversion_queue_manager.py", "--home", home, "--show-summary")
    assert "(in progress: 1 converting)" in summary.stdout, summary.stdout
    board = run_script("media_dashboard.py", "--home", home)
    assert "in progress: 1 converting\n" in board.stdout, board.stdout
    figures = run_script("media_dashboard.py", "--home", home, "--json")
    assert json.loads(figures.stdout)["queues"]["conversions"]["stages"] == {"converting": 1}
    listed = run_script("conversion_queue_manager.py", "--home", home, "--list")
    assert listed.stdout.count("stage: ") == 1 and "stage: converting" in listed.stdout
    # The page's library view said "completed" of the album claimed again (its last run's).
    from tests.integration.serving import serve

    server = serve(home)
    try:
        items = server.get("/api/queues/conversions/items").json()["items"]
    finally:
        server.stop()
    assert {i["key"]: (i["status"], i["stage"]) for i in items} == {
        claimed[0]["key"]: ("in_progress", "converting"),
        claimed[1]["key"]: ("in_progress", ""),
    }, items
