"""What does sending the encodes to a Dask cluster cost, beside the local pool?

Makes 48 tracks of 30 s FLAC (6 albums of 8, as ``conversion_scale.py``), then runs the same
``mediakeeper conversions batch --profile opus`` three times, side by side in one run:

- locally: the local pool (two albums at once, the cores shared among them);
- through a ``dask scheduler`` on loopback with one ``mediakeeper worker`` of 2 threads;
- through another scheduler with two workers of 1 thread each (the same two cores: on this
  2-core machine the figure is the cost of splitting the work, not a scale-out; what
  ``mediakeeper worker`` starts by default here: one process of 1 thread per core).

The three take turns, ``--rounds`` times (medians: this machine is shared, its speed drifts
from one minute to the next). Every output must be byte-identical. It prints each run's wall
time and CPU time (the batch and its ffmpeg, plus the scheduler's and workers' processes
with theirs), their ratios to the local run's, the audio seconds encoded per wall second,
and the bytes sent to the workers and received back per track (from each item's event in
``sessions.jsonl``). Aim: one remote worker at most 1.1x the local pool.

    python benchmarks/cluster_scale.py [--tracks 48] [--seconds 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from conversion_scale import build  # noqa: E402

from mediakeeper.media import ffmpeg  # noqa: E402
from tests.helpers.processes import scheduler_address  # noqa: E402


def batch(root: Path, name: str, *more: str) -> tuple[float, float]:
    """The batch's wall seconds and the CPU seconds it and its children (ffmpeg) spent."""
    argv = [sys.executable, "-m", "mediakeeper", "conversions", "batch", "--home",
            str(root / f"home-{name}"), "--library", str(root / "lib"), "--output",
            str(root / f"out-{name}"), "--profile", "opus", "--batch-size", "1000", "-q",
            *more]  # fmt: skip
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"the {name} batch failed:\n{done.stdout}{done.stderr}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_of(procs: list[subprocess.Popen]) -> float:
    """CPU seconds of the cluster's processes so far: each, its descendants, and what they
    reaped (a worker's ffmpeg)."""
    import psutil

    total = 0.0
    for proc in procs:
        top = psutil.Process(proc.pid)
        for each in [top, *top.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = each.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
    return total


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


def scheduler(folder: Path, started: list[subprocess.Popen]) -> str:
    file = folder / "scheduler.json"
    started.append(start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                          "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                          str(file)]))  # fmt: skip
    return scheduler_address(file)


RUNS = {"local": "local pool", "one": "1 worker x 2 threads", "two": "2 workers x 1 thread"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3, help="local, one, two; again (medians)")
    args = parser.parse_args()
    exe = ffmpeg.find()
    audio = args.tracks * args.seconds
    started: list[subprocess.Popen] = []
    walls: dict[str, list[float]] = {name: [] for name in RUNS}
    cpus: dict[str, list[float]] = {name: [] for name in RUNS}
    with tempfile.TemporaryDirectory(prefix="cluster-scale-") as folder:
        root = Path(folder)
        build(root / "lib", exe, args.tracks, args.seconds)
        flac = sum(p.stat().st_size for p in (root / "lib").rglob("*.flac"))
        try:
            # Two schedulers, each with its workers, idle but for their own run.
            worker = [sys.executable, "-m", "mediakeeper", "worker"]
            one = scheduler(_made(root / "one"), started)
            started.append(start([*worker, one, "--nworkers", "1", "--nthreads", "2"]))
            clusters = {"one": list(started)}
            two = scheduler(_made(root / "two"), started)
            started += [start([*worker, two, "--nworkers", "1"]) for _ in range(2)]
            clusters["two"] = started[len(clusters["one"]):]
            workers_on(one, 1)
            workers_on(two, 2)
            for round_ in range(args.rounds):
                for name, address in (("local", None), ("one", one), ("two", two)):
                    before = cpu_of(clusters.get(name, []))
                    more = ("--scheduler", address) if address else ()
                    wall, cpu = batch(root, f"{name}-{round_}", *more)
                    walls[name].append(wall)
                    cpus[name].append(cpu + cpu_of(clusters.get(name, [])) - before)
        finally:
            for proc in started:
                os.killpg(proc.pid, signal.SIGKILL)
        local = digests(root / "out-local-0")
        for name in RUNS:
            for round_ in range(args.rounds):
                if digests(root / f"out-{name}-{round_}") != local:
                    sys.exit(f"the {name} run's outputs differ from the local run's")
        print(f"{args.tracks} tracks of {args.seconds:g} s FLAC ({flac / 1e6:.1f} MB), "
              f"ffmpeg {ffmpeg.build(exe)}, {os.cpu_count()} cores, {args.rounds} rounds "
              "(medians); outputs byte-identical")
        print(f"{'run':<22}{'wall s':>8}{'ratio':>7}{'CPU s':>8}{'ratio':>7}{'audio s/s':>11}"
              f"{'sent/track':>12}{'received/track':>16}")  # fmt: skip
        for name, label in RUNS.items():
            wall, cpu = median(walls[name]), median(cpus[name])
            sent, received, _ = moved(root, f"{name}-0")
            print(f"{label:<22}{wall:>8.1f}{wall / median(walls['local']):>7.2f}{cpu:>8.1f}"
                  f"{cpu / median(cpus['local']):>7.2f}{audio / wall:>11.1f}"
                  f"{sent / args.tracks / 1e3:>9.0f} kB{received / args.tracks / 1e3:>13.0f} kB")
        print("each run's wall seconds:", {n: [round(w, 1) for w in ws] for n, ws in walls.items()})


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


if __name__ == "__main__":
    main()
