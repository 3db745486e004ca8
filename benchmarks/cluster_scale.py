"""What does sending the encodes to a Dask cluster cost, beside the local pool?

Makes 48 tracks of 30 s FLAC (6 albums of 8, as ``conversion_scale.py``), then runs the same
``mediakeeper conversions batch --profile opus`` three times, side by side in one run:

- locally: the local pool (two albums at once, the cores shared among them);
- through a ``dask scheduler`` on loopback with one ``mediakeeper worker`` of 2 threads;
- through the same scheduler with two workers of 1 thread each (the same two cores: on this
  2-core machine the figure is the cost of splitting the work, not a scale-out; what
  ``mediakeeper worker`` starts by default here: one process of 1 thread per core).

Every output of the three runs must be byte-identical. It prints each run's time, its ratio
to the local run, the audio seconds encoded per wall second, and the bytes sent to the
workers and received back per track (from each item's event in ``sessions.jsonl``). Aim: one
remote worker at most 1.1x the local pool.

    python benchmarks/cluster_scale.py [--tracks 48] [--seconds 30]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from conversion_scale import build  # noqa: E402

from mediakeeper.media import ffmpeg  # noqa: E402


def batch(root: Path, name: str, *more: str) -> float:
    argv = [sys.executable, "-m", "mediakeeper", "conversions", "batch", "--home",
            str(root / f"home-{name}"), "--library", str(root / "lib"), "--output",
            str(root / f"out-{name}"), "--profile", "opus", "--batch-size", "1000", "-q",
            *more]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the {name} batch failed:\n{done.stdout}{done.stderr}")
    return seconds


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


def moved(root: Path, name: str) -> tuple[int, int, set[str]]:
    lines = (root / f"home-{name}" / "status" / "conversions" / "sessions.jsonl").read_text()
    items = [e for e in map(json.loads, lines.splitlines()) if e.get("event") == "item"]
    return (sum(e.get("bytes_sent", 0) for e in items),
            sum(e.get("bytes_received", 0) for e in items),
            {w for e in items for w in e.get("workers", [])})  # fmt: skip


def start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip


def workers_on(address: str, count: int, limit: float = 120) -> None:
    from distributed import Client

    with Client(address, timeout=30, set_as_default=False) as client:
        deadline = time.monotonic() + limit
        while len(client.nthreads()) != count:
            if time.monotonic() > deadline:
                sys.exit(f"{address} never had {count} workers")
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    exe = ffmpeg.find()
    audio = args.tracks * args.seconds
    started: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="cluster-scale-") as folder:
        root = Path(folder)
        build(root / "lib", exe, args.tracks, args.seconds)
        flac = sum(p.stat().st_size for p in (root / "lib").rglob("*.flac"))
        try:
            times = {"local pool": batch(root, "local")}
            file = root / "scheduler.json"
            started.append(start([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(file)]))  # fmt: skip
            while not file.exists():
                time.sleep(0.1)
            address = json.loads(file.read_text())["address"]
            worker = [sys.executable, "-m", "mediakeeper", "worker", address]
            started.append(start([*worker, "--nworkers", "1", "--nthreads", "2"]))
            workers_on(address, 1)
            times["1 worker x 2 threads"] = batch(root, "one", "--scheduler", address)
            os.killpg(started.pop().pid, signal.SIGTERM)
            workers_on(address, 0)
            started += [start([*worker, "--nworkers", "1"]) for _ in range(2)]
            workers_on(address, 2)
            times["2 workers x 1 thread"] = batch(root, "two", "--scheduler", address)
        finally:
            for proc in started:
                os.killpg(proc.pid, signal.SIGKILL)
        local = digests(root / "out-local")
        for name in ("one", "two"):
            if digests(root / f"out-{name}") != local:
                sys.exit(f"the {name} run's outputs differ from the local run's")
        print(f"{args.tracks} tracks of {args.seconds:g} s FLAC ({flac / 1e6:.1f} MB), "
              f"ffmpeg {ffmpeg.build(exe)}, {os.cpu_count()} cores; outputs byte-identical")
        print(f"{'run':<24}{'seconds':>9}{'ratio':>8}{'audio s/s':>11}"
              f"{'sent/track':>13}{'received/track':>16}")  # fmt: skip
        for (label, seconds), name in zip(times.items(), ("local", "one", "two"), strict=True):
            sent, received, _ = moved(root, name)
            print(f"{label:<24}{seconds:>9.1f}{seconds / times['local pool']:>8.2f}"
                  f"{audio / seconds:>11.1f}{sent / args.tracks / 1e3:>10.0f} kB"
                  f"{received / args.tracks / 1e3:>13.0f} kB")  # fmt: skip


if __name__ == "__main__":
    main()
