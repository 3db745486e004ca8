"""The weekly report and the queue's list at a large library, side by side from two
checkouts.

    python benchmarks/weekly_scale.py [--artists 55000] [--runs 3] [--with DIR] [--homes DIR]

A data home is built as ``undo_scale.py`` builds it (``decide_scale.py``'s queue of
``--artists`` completed artists, a million tracks, each artist's output document, 5/12 of
them with a low bit rate, so worth a better copy; 20 weeks of change journals), with what the
closing reports of a batch keep (each journal's counts, each upgrading document's albums:
``changes/weeks.json``, ``upgrades.json``). Then each command runs in a new process from this
checkout and from ``--with DIR`` (the code before, say), alternating:

* weekly   ``weekly_report.py --now`` (this week's report: every artist completed in it);
* list     ``music_queue_manager.py --list`` (to a file, 120 columns).

Each its CPU seconds (the process's own: on a shared machine the wall time waits for other
work) and peak resident memory, the median of ``--runs``; and whether each checkout's output
(the report's Markdown, HTML and printed paths; the list's text) is byte for byte the same.
``--homes DIR`` keeps the home (``DIR/home-<artists>-20x30000``, the one ``undo_scale.py
--homes DIR`` makes) and uses it again (building takes a minute or two).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from checkouts import compiled  # noqa: E402
from undo_scale import build, kept_as_each_week_closed  # noqa: E402

from mediakeeper.changes.journal import CHANGES_DIR  # noqa: E402
from mediakeeper.changes.kept import KEPT_FILE  # noqa: E402
from mediakeeper.reports.closing import read_closing  # noqa: E402
from mediakeeper.reports.upgrades import KEPT, write_upgrades  # noqa: E402

NOW = "2026-11-30T05:00Z"  # the report's moment: the same for every run (its files compared)


def kept_as_the_last_batch_closed(home: Path) -> None:
    """What the closing reports of the last batch kept of the upgrades list: each upgrading
    document's albums (they read every one to write the list)."""
    _records, counts = read_closing(home, datetime.now(UTC))
    write_upgrades(home, counts.queues)


def measured(checkout: Path, home: Path, script: str, *args: str) -> tuple[float, float, str]:
    """(CPU seconds, peak resident MB, digest of what it wrote) of one run from ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "XDG_CONFIG_HOME": str(home / "config"),
           "COLUMNS": "120"}  # fmt: skip
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, str(checkout / "utilities" / script),
                                 "--home", str(home), *args],
                                stdout=out, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        said = hashlib.sha256(out.read())
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{script} from {checkout} failed")
    if script == "weekly_report.py":  # the report's files too
        for suffix in ("md", "html"):
            said.update((home / "status" / "reports" /
                         f"2026-11-30_weekly_progress.{suffix}").read_bytes())  # fmt: skip
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, said.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artists", type=int, default=55_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--with", dest="other", type=Path)
    parser.add_argument("--homes", type=Path)
    args = parser.parse_args()
    checkouts = [REPO, *([args.other.resolve()] if args.other else [])]
    compiled(*checkouts)
    with tempfile.TemporaryDirectory() as folder:
        home = (args.homes or Path(folder)) / f"home-{args.artists}-20x30000"
        if not (home / "status" / "music" / CHANGES_DIR).is_dir():
            build(home, args.artists, 20, 30_000)
        elif not (home / "status" / "music" / CHANGES_DIR / KEPT_FILE).is_file():
            kept_as_each_week_closed(home)
        if not (home / "status" / "music" / KEPT).is_file():
            kept_as_the_last_batch_closed(home)
        print(f"{args.artists:,} artists")
        steps = {"weekly": ("weekly_report.py", "--now", NOW),
                 "list": ("music_queue_manager.py", "--list")}  # fmt: skip
        for name, step in steps.items():
            said, outputs = [], set()
            runs = {c: [] for c in checkouts}
            for _ in range(args.runs):
                for checkout in checkouts:  # alternating: the host's load falls on each
                    runs[checkout].append(measured(checkout, home, *step))
            for checkout in checkouts:
                cpu = statistics.median(r[0] for r in runs[checkout])
                peak = statistics.median(r[1] for r in runs[checkout])
                outputs |= {r[2] for r in runs[checkout]}
                said.append(f"{checkout.name}: {cpu:6.2f} s CPU, {peak:6.0f} MB")
            same = "the same output" if len(outputs) == 1 else "OUTPUTS DIFFER"
            print(f"{name:7} " + " | ".join(said) + f"; {same}")


if __name__ == "__main__":
    main()
