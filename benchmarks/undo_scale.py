"""``undo_changes.py`` where the change journals hold many weeks of a large library's changes:
its list, the undo of one artist, and of one artist within a session, side by side from two
checkouts.

    python benchmarks/undo_scale.py [--artists 55000] [--weeks 20] [--changes 30000]
                                    [--with DIR] [--homes DIR]

A data home is built as ``decide_scale.py`` builds it (a music queue of ``--artists``
completed artists, a million tracks), and ``--weeks`` weekly sessions before this week, each
a journal of ``--changes`` title fixes spread over the artists, last written as its last
change was, its counts and sums kept as that week's closing reports keep them
(``changes/weeks.json``: what the batches of those weeks left). The artists' files are not
there, so an undo reads and weighs every change it would take back, then leaves each alone
("No such file or directory"): nothing is written, and the home serves again. Each command
runs in a new process from this checkout and from ``--with DIR`` (the code before, say),
alternating (``--only STEP``: that step alone):

* list     ``--list``: every journal's sessions summed (from the sums kept, where the
           checkout takes them);
* artist   ``--artist NAME``: every change of the artist undone (any journal may hold one);
* session  ``--session ID --artist NAME``, the newest session: the artist's changes in it
           (the artist one the newest session changed, as every week before).

Each its CPU seconds (the process's own: on a shared machine the wall time waits for other
work) and peak resident memory, the median of ``--runs``. ``--homes DIR`` keeps the home
(``DIR/home-<artists>-<weeks>x<changes>``) and uses it again (building takes a minute).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from checkouts import compiled  # noqa: E402
from decide_scale import build as build_queue  # noqa: E402

from mediakeeper.changes.journal import CHANGES_DIR, checked_line  # noqa: E402
from mediakeeper.changes.kept import KEPT_FILE  # noqa: E402
from mediakeeper.reports.closing import changes_in  # noqa: E402
from mediakeeper.reports.tally import Moment  # noqa: E402
from mediakeeper.reports.weeks import Week  # noqa: E402


def build(home: Path, artists: int, weeks: int, changes: int) -> None:
    """The queue, and ``weeks`` weekly journals of ``changes`` changes each (see above)."""
    build_queue(home, artists, 1_000_000, artists * 5)
    folder = home / "status" / "music" / CHANGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    for week in range(weeks):
        made = now - timedelta(weeks=weeks - week)
        session = f"{made:%Y%m%d}_music_001"
        path = folder / f"{session}.jsonl"
        with path.open("w", encoding="utf-8") as journal:
            for n in range(changes):
                artist = f"Artist {(n * 7 + week * 13) % artists:04d}"
                at = (made + timedelta(milliseconds=n)).isoformat()
                journal.write(checked_line({
                    "session": session, "artist": artist,
                    "path": f"/music/{artist}/Album/{n // artists % 18:02d}.flac",
                    "tag": "title", "old": f"song {n}", "new": f"Song {n}", "at": at,
                    "size": 20000}))  # fmt: skip
        last = (made + timedelta(milliseconds=changes)).timestamp()
        os.utime(path, (last, last))
    kept_as_each_week_closed(home)


def kept_as_each_week_closed(home: Path) -> None:
    """What the closing reports of each journal's week kept: its counts and sums, read as
    of its last change (a home built before they were kept gets them here)."""
    kind_dir = home / "status" / "music"
    for path in sorted((kind_dir / CHANGES_DIR).glob("*.jsonl")):
        made = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        changes_in(kind_dir, Moment(Week.of(made), made, True))


def measured(checkout: Path, home: Path, *args: str) -> tuple[float, float]:
    """(CPU seconds, peak resident MB) of one ``undo_changes.py`` run from ``checkout``."""
    script = checkout / "utilities" / "undo_changes.py"
    env = {**os.environ, "PYTHONPATH": str(checkout), "XDG_CONFIG_HOME": str(home / "config")}
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, str(script), "--home", str(home), *args],
                            stdout=quiet, stderr=quiet, env=env)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artists", type=int, default=55_000)
    parser.add_argument("--weeks", type=int, default=20)
    parser.add_argument("--changes", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--with", dest="other", type=Path)
    parser.add_argument("--homes", type=Path)
    parser.add_argument("--only", choices=["list", "artist", "session"], action="append",
                        help="these steps alone (repeatable); default every one")  # fmt: skip
    args = parser.parse_args()
    checkouts = [REPO, *([args.other.resolve()] if args.other else [])]
    compiled(*checkouts)
    with tempfile.TemporaryDirectory() as folder:
        where = args.homes or Path(folder)
        home = where / f"home-{args.artists}-{args.weeks}x{args.changes}"
        if not (home / "status" / "music" / CHANGES_DIR).is_dir():
            build(home, args.artists, args.weeks, args.changes)
        elif not (home / "status" / "music" / CHANGES_DIR / KEPT_FILE).is_file():
            kept_as_each_week_closed(home)
        newest = max(p.stem for p in (home / "status" / "music" / CHANGES_DIR).glob("*.jsonl")
                     if not p.stem.startswith("undo_"))  # fmt: skip
        # Changed in every week (the first change of the newest): its session holds it.
        artist = f"Artist {(args.weeks - 1) * 13 % args.artists:04d}"
        print(f"{args.artists:,} artists, {args.weeks} weeks of {args.changes:,} changes")
        steps = {"list": ["--list"], "artist": ["--artist", artist],
                 "session": ["--session", newest, "--artist", artist]}  # fmt: skip
        for name, step in steps.items():
            if args.only and name not in args.only:
                continue
            said = []
            for checkout in checkouts:
                runs = [measured(checkout, home, *step) for _ in range(args.runs)]
                cpu = statistics.median(r[0] for r in runs)
                peak = statistics.median(r[1] for r in runs)
                said.append(f"{checkout.name}: {cpu:6.2f} s CPU, {peak:6.0f} MB")
            print(f"{name:8} " + " | ".join(said))


if __name__ == "__main__":
    main()
