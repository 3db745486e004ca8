"""What the weekly report does with each queue item, where a library is large (at 55,000
artists it took 32 s of CPU: docs/performance.md, weekly report).

Counted, not timed: a real ``weekly_report.py`` in a subprocess, ``json.loads`` and
``core.decisions.open_by_code`` wrapped to count, by item, each queue item decoded and each
item's counts asked for their open decisions. The report of one week reads each queue item
once and counts it as it is read (``reports/closing.py``'s reading, as a batch's end does),
not once to check the file and again to count it; and asks each item's open decisions once,
not once for its codes and again for its number of decisions."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import run_counted

# Runs the script as ``python utilities/weekly_report.py`` does; at exit writes as JSON to
# $COUNTED: per item key, how often a queue item was decoded ("decoded") and how often
# open_by_code was asked (in all: "asked").
COUNTING = """
decoded, asked = collections.Counter(), collections.Counter()
counted = {"decoded": decoded, "asked": asked}
loads = json.loads
def counting_loads(text, *args, **kw):
    found = loads(text, *args, **kw)
    if isinstance(found, dict) and "key" in found and "status" in found:
        decoded[found["key"]] += 1
    return found
json.loads = counting_loads
import mediakeeper.core.decisions as decisions
count_calls(decisions, "open_by_code", "open_by_code", into=asked)
"""


def counted_report(tmp_path: Path, *args) -> tuple[subprocess.CompletedProcess, dict]:
    return run_counted(COUNTING, "weekly_report.py", *args, counts=tmp_path / "counted.json")


def test_the_weeks_report_decodes_each_item_once_and_asks_its_decisions_once(processed, tmp_path):
    home, _ = processed
    queue = json.loads((home / "status" / "music" / "processing_queue.json").read_text())
    keys = {item["key"] for item in queue["items"]}
    completed = sum(item["status"] == "completed" for item in queue["items"])
    assert len(keys) >= 2 and completed >= 2

    run, counted = counted_report(tmp_path, "--home", home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert Counter(counted["decoded"]) == Counter(dict.fromkeys(keys, 1))
    assert counted["asked"] == {"open_by_code": completed}


# Runs the script, writing as JSON to $COUNTED each output document (outputs/**.json) it
# opened to read, by name, with how often.
OPENING = """
def hook(event, args):
    path = str(args[0]) if event == "open" else ""
    if "/outputs/" in path and path.endswith(".json") and (args[1] or "r")[:1] == "r":
        counted[os.path.basename(path)] += 1
sys.addaudithook(hook)
"""


def documents_read(tmp_path: Path, home: Path, now: str) -> tuple[str, Counter]:
    """The week's report as of ``now`` (its Markdown) and the output documents it opened."""
    run, opened = run_counted(OPENING, "weekly_report.py", "--home", home, "--now", now,
                              counts=tmp_path / "opened.json")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    report = Path(run.stdout.splitlines()[0]).read_text(encoding="utf-8")
    return report, Counter(opened)


def test_the_upgrades_count_reads_only_the_documents_changed_since_the_batch_kept_theirs(
    tmp_path, music_script
):
    """A batch's closing reports keep, by each output document's identity, how many of its
    albums are worth a better copy; the week's report takes that for every document unchanged
    since (it read every one, each time), and reads one touched since again."""
    from mediakeeper.demo.tracks import make_track

    library = tmp_path / "Music"
    for artist, album in (("Alpha", "Low"), ("Alpha", "Lower"), ("Bravo", "Low")):
        for n in (1, 2):
            make_track(library / artist / album / f"0{n} - Song.mp3", "mp3",
                       {"title": f"Song {n}", "artist": artist, "albumartist": artist,
                        "album": album, "tracknumber": str(n), "date": "2001"},
                       template="silence_64k.mp3")  # fmt: skip
    home = tmp_path / "home"
    batch = music_script("process_music_batch.py", "--home", home, "--library", library,
                         "--offline")  # fmt: skip
    assert batch.returncode in (0, 1), batch.stdout + batch.stderr

    now = datetime.now(UTC).isoformat()
    report, opened = documents_read(tmp_path, home, now)
    assert "**Upgrades:** 3 albums worth a better copy" in report
    assert opened == Counter()

    touched = next((home / "outputs").rglob("alpha*.json"))
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    again, opened = documents_read(tmp_path, home, now)
    assert opened == Counter({touched.name: 1})
    assert again == report
