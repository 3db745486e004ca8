"""``mediakeeper.run_batch``: a batch run from a script, without the command line, as the
web app and the watcher run one. Real files, a real subprocess (to see which modules a
script's batch loads), the same queue and reports as ``process_music_batch.py``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mutagen import File

import mediakeeper
from mediakeeper.core.errors import UsageError
from mediakeeper.queue.store import QueueStore
from tests.helpers import REPO_ROOT, script_env

SCRIPT = """
import json, sys
import mediakeeper
result = mediakeeper.run_batch(sys.argv[1], "music", batch_size=2, offline=True,
                               library=sys.argv[2], workers=1)
print(json.dumps({"completed": result.completed, "failed": result.failed,
                  "skipped": result.skipped, "decisions": result.decisions,
                  "session": result.session, "exit_code": result.exit_code,
                  "weekly": str(result.weekly_report),
                  "click": "click" in sys.modules}))
"""


@pytest.fixture
def three_artists(tmp_path, music_library):
    library = tmp_path / "Music"
    music_library(library, {
        f"{artist}/Album/01 - One.flac": {"tags": {"title": "One", "artist": artist,
                                                   "album": "Album", "tracknumber": "1"}}
        for artist in ("Artist A", "Artist B", "Artist C")
    })  # fmt: skip
    return library, tmp_path / "home"


def test_a_script_runs_a_batch_without_loading_the_command_line(three_artists):
    library, home = three_artists
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(home), str(library)],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["click"] is False
    assert (result["completed"], result["failed"], result["skipped"]) == (2, 0, 0)
    items = QueueStore(home / "status" / "music", "music").peek()["items"]
    assert sorted(i["status"] for i in items) == ["completed", "completed", "pending"]
    # the same session record and weekly report the command line writes
    sessions = (home / "status" / "music" / "sessions.jsonl").read_text()
    assert result["session"] in sessions
    # How it ran, recorded as its command line's flags: a resume of it ran online, without
    # its --offline (its record held none).
    started = next(json.loads(line) for line in sessions.splitlines()
                   if result["session"] in line and '"start"' in line)  # fmt: skip
    assert started["args"] == ["--offline", "--workers", "1"], started
    shown = subprocess.run([sys.executable, "utilities/sessions.py", "--home", str(home),
                            "show", result["session"], "--json"],
                           cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert json.loads(shown.stdout)["options"] == ["--offline", "--workers", "1"], shown.stdout
    assert result["weekly"].endswith("_weekly_progress.md")
    assert (home / "issues" / "music" / "index.md").is_file()


def test_a_second_call_takes_the_rest_and_the_result_counts_it(three_artists):
    library, home = three_artists
    first = mediakeeper.run_batch(home, "music", batch_size=2, offline=True, library=library,
                                  workers=1)  # fmt: skip
    second = mediakeeper.run_batch(home, "music", batch_size=2, offline=True, workers=1)
    assert (first.completed, second.completed) == (2, 1)
    assert first.session != second.session
    # Artist C's tags are incomplete: decisions wait, and they alone make it 1
    assert (second.exit_code, second.failed, second.skipped) == (1, 0, 0)
    assert second.decisions > 0
    # the tracks were read and nothing was lost
    for artist in ("Artist A", "Artist B", "Artist C"):
        track = library / artist / "Album" / "01 - One.flac"
        assert File(track)["title"] == ["One"]


def test_options_that_do_not_fit_are_refused_before_anything_is_written(three_artists):
    library, home = three_artists
    with pytest.raises(UsageError, match="unknown option 'artwork'"):
        mediakeeper.run_batch(home, "music", library=library, offline=True, artwork=True)
    with pytest.raises(UsageError, match="--enrich looks artists up: it cannot run offline"):
        mediakeeper.run_batch(home, "music", library=library, offline=True, enrich=True)
    with pytest.raises(UsageError, match="--fetch-covers needs the network"):
        mediakeeper.run_batch(home, "music", library=library, offline=True, fetch_covers=True)
    with pytest.raises(UsageError, match="makes no web lookups"):
        mediakeeper.run_batch(home, "verify", library=library, offline=True)
    with pytest.raises(UsageError, match="again= takes the items of keys= again: give keys"):
        mediakeeper.run_batch(home, "music", library=library, offline=True, again=True)
    assert not (home / "status" / "music").exists()
