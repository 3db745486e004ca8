"""What does keeping watch cost on a library the size of the reference user's?

Builds library_scale's library (--artists folders, 1-3 albums each: about 3,000 folders for
930 artists) and a data home whose [music] library it is, then runs the real watcher
(``python -m mediakeeper watch --kind music``) in a subprocess and measures:

  (a) start-up: from the process starting to its catch-up line, on the first start (which
      makes the queue, every artist queued) and on a restart (nothing changed);
  (b) its memory after the catch-up (VmRSS, and VmHWM, the peak) from /proc;
  (c) idle CPU over --idle seconds (utime + stime from /proc/<pid>/stat), as a share of
      one core, and its memory again (does it grow with time?);
  (d) from the end of a copy (an artist of --copy-tracks tracks) to the artist being pending
      in the queue, and that figure less the settle time (--settle).

    python benchmarks/watch_scale.py --artists 930 --tracks 5000 --idle 60 --settle 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from library_scale import build  # noqa: E402

from mediakeeper.queue.store import QueueStore  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


class Watcher:
    def __init__(self, home: Path, settle: float, log: Path):
        self.log = log
        self.handle = log.open("w")
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mediakeeper", "watch", "--home", str(home), "--kind",
             "music", "--settle", str(settle)],
            env=env, stdout=self.handle, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_for(self, words: str, limit: float = 600) -> float:
        """Seconds from the start until ``words`` was said."""
        deadline = time.monotonic() + limit
        while words not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the watcher never said {words!r}:\n{self.log.read_text()}")
            time.sleep(0.005)
        return time.monotonic() - self.started

    def line(self, words: str) -> str:
        return next(said for said in self.log.read_text().splitlines() if words in said)

    def stop(self) -> None:
        self.proc.terminate()
        code = self.proc.wait(timeout=60)
        self.handle.close()
        if code != 0:
            raise SystemExit(f"the watcher ended with {code}")


def pending(home: Path, name: str) -> bool:
    store = QueueStore(home / "status" / "music", "music")
    return any(i["name"] == name and i["status"] == "pending" for i in store.peek()["items"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=5000)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--copy-tracks", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watch_scale_") as tmp:
        root = Path(tmp)
        library, home = root / "Music", root / "home"
        made = build(library, args.artists, args.tracks)
        folders = sum(len(dirs) for _, dirs, _ in os.walk(library))
        print(f"library: {args.artists} artists, {made} tracks, {folders} folders")
        (home / "status").mkdir(parents=True)
        (home / "mediakeeper.toml").write_text(f'[music]\nlibrary = "{library}"\n')
        time.sleep(args.settle)  # the library's files older than the settle time

        first = Watcher(home, args.settle, root / "first.log")
        took = first.wait_for("music: caught up")
        print(f"(a) first start, the queue made: {took:.2f} s: {first.line('caught up')}")
        first.stop()

        watcher = Watcher(home, args.settle, root / "again.log")
        took = watcher.wait_for("music: caught up")
        rss, peak = memory_mb(watcher.proc.pid)
        print(f"(a) restart, nothing changed: {took:.2f} s: {watcher.line('caught up')}")
        print(f"(b) memory after the catch-up: {rss:.1f} MB resident, peak {peak:.1f} MB")

        before = cpu_seconds(watcher.proc.pid)
        time.sleep(args.idle)
        used = cpu_seconds(watcher.proc.pid) - before
        rss_after, _ = memory_mb(watcher.proc.pid)
        print(f"(c) idle {args.idle:g} s: {used:.2f} s of CPU = {100 * used / args.idle:.2f}% "
              f"of a core; memory {rss_after:.1f} MB (was {rss:.1f})")  # fmt: skip

        source = next(p for p in library.iterdir() if p.is_dir() and p.name.startswith("Artist"))
        target = library / "Zz New Artist"
        tracks = sorted(source.rglob("*.*"))[: args.copy_tracks]
        for track in tracks:
            dest = target / track.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(track, dest)
        copied = time.monotonic()
        while not pending(home, "Zz New Artist"):
            time.sleep(0.01)
        lag = time.monotonic() - copied
        print(f"(d) end of copy ({len(tracks)} files) to pending: {lag:.2f} s "
              f"({lag - args.settle:.2f} s beyond the settle time of {args.settle:g} s)")
        watcher.stop()


if __name__ == "__main__":
    main()
