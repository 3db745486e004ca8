"""How the queue's costs grow with its size, and whether a mechanism of the queue earns its
keep: the same work side by side from two checkouts.

    python benchmarks/queue_scale.py [--sizes 930,10000,100000] [--samples 300]
    python benchmarks/queue_scale.py --with DIR [--sizes 55000] [--rounds 3]

For each size a queue is built in a temporary folder, half of it completed with the details a
music batch leaves (a library part-way through, so every claim scans past finished items).
Then, on that real file:

* claim   one ``claim_next`` (an fsync'd journal append);
* record  one ``record_success`` (an fsync'd journal append); ``mean`` includes the automatic
          fold every FOLD_AFTER_LINES journal lines, i.e. the amortised cost;
* summary what ``--show-summary`` does, cold: a fresh ``QueueStore(...).load()`` from disk
          (JSON parse + journal replay) and ``manager.summarize``;
* fold    rewriting the JSON file from the current state (the end of a run that changed
          something; with an empty journal a fold writes nothing);
* rewrite for comparison, what the journal spares: one durable atomic rewrite of the whole
          file, the cost a store that saved the full JSON after every record would pay per item.

Finally ``--show-summary`` runs once through a real subprocess at the largest size.

``--with DIR`` (default size 55,000 artists, the reference user's library at a million tracks)
runs the queue's workload from another checkout (``DIR``, which has the mechanism) and from
this one (``--without``, default this checkout), alternating, each step in a new process on
a fresh copy of the same data home: ``open`` a batch's first claim on a cold store; ``batch``
1,000 items claimed and recorded eight to a transaction with a checkpoint every 50 and a
fold; ``one`` one item changed and folded by another process (a reset, a choice); ``summary``
as above; ``decide`` ``decide.py --dismiss`` on one real artist (its outputs rewritten, its
files recorded, the index written again). Each step's median wall time and peak resident
memory, and the paired ratio of the whole workload (without / with): a mechanism stays when
that is at least 1.10.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHECKOUT = Path(os.environ.get("QUEUE_SCALE_CHECKOUT", REPO))  # whose code a step runs
sys.path.insert(0, str(CHECKOUT))

from checkouts import compiled  # noqa: E402

from mediakeeper.fs.atomic import atomic_write_text  # noqa: E402
from mediakeeper.queue import manager  # noqa: E402
from mediakeeper.queue.files import dump_queue  # noqa: E402
from mediakeeper.queue.items import new_item, new_queue  # noqa: E402
from mediakeeper.queue.store import FOLD_AFTER_LINES, QueueStore  # noqa: E402

SESSION = "20240309_session_001"
STEPS = ("open", "batch", "one", "summary", "decide")
DECIDED = "Pink Floyd"  # the real artist whose decision ``decide`` takes


def music_item(n: int, stamp: str) -> dict:
    """Artist ``n``: pending, or (even ones) completed with what a music batch records."""
    name = f"Artist {n:06d}"
    item = new_item(name, name, f"/music/{name}")
    if n % 2 == 0:
        counts = {"missing-cover": [1, 0], "missing-year": [2, 2], "whitespace": [3, 3]}
        details = {"slug": f"artist-{n:06d}", "enriched": False, "unidentified": "",
                   "finding_counts": counts, "files_written": 4, "files_rewritten": 0,
                   "fingerprint": {"files": 18, "sha256": f"{n:032x}"}}  # fmt: skip
        item.update(status="completed", attempts=1, track_count=18, issues_found=6,
                    issues_resolved=5, started_at=stamp, completed_at=stamp,
                    completed_by=SESSION, details=details)  # fmt: skip
    return item


def build(directory: Path, size: int) -> QueueStore:
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="seconds")
    store = QueueStore(directory, "music")
    store.create(new_queue("music", "/music", (music_item(n, stamp) for n in range(size)), now))
    return store


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": statistics.median(ordered),
        "p95": p95,
        "mean": statistics.fmean(ordered),
        "max": ordered[-1],
        "n": len(ordered),
    }


def measure(size: int, samples: int, root: Path) -> dict[str, dict[str, float]]:
    directory = root / f"q{size}" / "status" / "music"
    t0 = time.perf_counter()
    store = build(directory, size)
    built = time.perf_counter() - t0
    file_mb = store.path.stat().st_size / 1e6

    claims, records = [], []
    for _ in range(samples):
        start = time.perf_counter()
        item = store.claim_next(SESSION)
        claimed = time.perf_counter()
        store.record_success(item["key"], SESSION, counts={"track_count": 12, "issues_found": 1})
        recorded = time.perf_counter()
        claims.append((claimed - start) * 1000.0)
        records.append((recorded - claimed) * 1000.0)

    repeats = 20 if size <= 10_000 else 3
    summaries = [
        timed(lambda: manager.summarize(QueueStore(directory, "music").load()))
        for _ in range(repeats)
    ]
    folds = []
    for _ in range(repeats):  # a fold with something to fold: an empty journal is a no-op
        store.claim_next(SESSION)
        folds.append(timed(store.fold))
    data = QueueStore(directory, "music").load()
    spare = directory / "rewrite_comparison.json"
    rewrites = [
        timed(lambda: atomic_write_text(spare, dump_queue(data), durable=True))
        for _ in range(repeats)
    ]
    return {
        "claim": stats(claims),
        "record": stats(records),
        "summary": stats(summaries),
        "fold": stats(folds),
        "rewrite": stats(rewrites),
        "meta": {"built_s": built, "file_mb": file_mb},
    }


def subprocess_summary(size: int, root: Path) -> float:
    home = root / f"q{size}"
    script = REPO / "utilities" / "music_queue_manager.py"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(script), "--home", str(home), "--show-summary"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"--show-summary failed: {proc.stderr}")
    return elapsed


def table(sizes: list[int], samples: int) -> None:
    print(f"python {sys.version.split()[0]}, fold every {FOLD_AFTER_LINES} journal lines")
    print(f"{samples} claim+record samples per size; times in ms\n")
    header = (
        f"{'items':>8} {'file MB':>8} | {'claim med':>9} {'p95':>6} | {'record med':>10} "
        f"{'p95':>6} {'mean':>6} {'max':>7} | {'summary':>8} | {'fold':>8} | "
        f"{'rewrite':>8} | {'rewrite/record':>14}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="queue_scale_") as tmp:
        root = Path(tmp)
        for size in sizes:
            r = measure(size, samples, root)
            c, rec = r["claim"], r["record"]
            ratio = r["rewrite"]["median"] / rec["median"]
            print(
                f"{size:>8,} {r['meta']['file_mb']:>8.1f} | {c['median']:>9.3f} {c['p95']:>6.2f} | "
                f"{rec['median']:>10.3f} {rec['p95']:>6.2f} {rec['mean']:>6.2f} "
                f"{rec['max']:>7.1f} | {r['summary']['median']:>8.1f} | "
                f"{r['fold']['median']:>8.1f} | {r['rewrite']['median']:>8.1f} | "
                f"{ratio:>13.0f}x",
                flush=True,
            )
        largest = max(sizes)
        seconds = subprocess_summary(largest, root)
        print(
            f"\n--show-summary through a real subprocess at {largest:,} items "
            f"(interpreter start, imports, load, summarize, print): {seconds * 1000:.0f} ms"
        )
    print(
        "\nsummary = cold QueueStore(...).load() + manager.summarize (median); "
        "rewrite = one durable atomic rewrite of the whole JSON (what a per-record save costs)"
    )


# ---- side by side ------------------------------------------------------------------------


def build_home(home: Path, size: int) -> None:
    """A data home of one real artist whose album's tracks split 2 against 2 on the year (a
    decision left open), processed by the batch, then ``size`` artists more in its queue."""
    from mediakeeper.demo import tracks as synth

    library = home.parent / "library"
    for n, year in enumerate(("1973", "1973", "1974", "1974"), 1):
        tags = {"title": f"Song {n}", "artist": DECIDED, "albumartist": DECIDED,
                "album": "Dark Side", "tracknumber": str(n), "date": year}  # fmt: skip
        synth.make_track(library / DECIDED / "1973 - Dark Side" / f"0{n}.flac", "flac", tags)
    script = REPO / "utilities" / "process_music_batch.py"
    command = [sys.executable, str(script), "--library", str(library), "--home", str(home),
               "--offline", "-q"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: a decision left open, as wanted
        sys.exit(f"the batch failed: {done.stderr[-2000:]}")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    store = QueueStore(home / "status" / "music", "music")
    store.update(lambda _data: [music_item(n, stamp) for n in range(size)], fold=True)


def step(name: str, home: Path, size: int) -> float:
    """One step of the workload on the data home ``home`` (see the module's docstring)."""
    directory = home / "status" / "music"
    start = time.perf_counter()
    if name == "open":
        QueueStore(directory, "music").claim_next(SESSION)
    elif name == "batch":
        store = QueueStore(directory, "music")
        with store.transaction():
            claimed = store.claim_many(SESSION, 8)
        for _ in range(125):
            with store.transaction():
                for item in claimed:
                    store.record_success(item["key"], SESSION, counts={"track_count": 12},
                                         checkpoint_every=50)  # fmt: skip
                claimed = store.claim_many(SESSION, 8)
        store.fold()
    elif name == "one":
        key = f"Artist {size // 2:06d}"  # in the middle

        def mutate(data):
            for item in data["items"]:
                if item["key"] == key:
                    item["details"] = {**item["details"], "choice": 1}
                    return [item]
            return []

        QueueStore(directory, "music").update(mutate, fold=True)
    elif name == "summary":
        manager.summarize(QueueStore(directory, "music").load())
    else:
        decide = [sys.executable, str(CHECKOUT / "utilities" / "decide.py"), "--home", str(home),
                  "music", DECIDED, "--dismiss", "inconsistent-year"]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(CHECKOUT)}
        done = subprocess.run(decide, capture_output=True, text=True, env=env)
        if done.returncode != 0 or "1 decision closed" not in done.stdout:
            sys.exit(f"decide failed: {done.stdout}{done.stderr}")
    return time.perf_counter() - start


def child(name: str, home: Path, size: int) -> None:
    seconds = step(name, home, size)
    who = resource.RUSAGE_CHILDREN if name == "decide" else resource.RUSAGE_SELF
    print(json.dumps({"s": seconds, "rss": resource.getrusage(who).ru_maxrss / 1024}))


def side_by_side(sizes: list[int], with_: Path, without: Path, rounds: int) -> None:
    sides = {"with": with_.resolve(), "without": without.resolve()}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="queue_scale_") as tmp:
            template = Path(tmp) / "template" / "home"
            # Built by a process of its own: a process's peak memory passes to the ones it starts.
            command = [sys.executable, __file__, "--build", str(template), str(size)]
            subprocess.run(command, check=True)
            mb = (template / "status" / "music" / "processing_queue.json").stat().st_size / 1e6
            got = {(s, n): [] for s in sides for n in STEPS}  # (side, step) -> [(s, MB)]
            for round_ in range(rounds):
                for name in STEPS:
                    order = list(sides) if (round_ + STEPS.index(name)) % 2 == 0 else list(
                        reversed(sides))  # fmt: skip
                    for side in order:
                        home = Path(tmp) / side / "home"
                        shutil.rmtree(home.parent, ignore_errors=True)
                        shutil.copytree(template.parent, home.parent, symlinks=True)
                        env = {**os.environ, "QUEUE_SCALE_CHECKOUT": str(sides[side])}
                        command = [sys.executable, __file__, "--step", name, str(home), str(size)]
                        out = subprocess.run(command, env=env, check=True, capture_output=True,
                                             text=True)  # fmt: skip
                        found = json.loads(out.stdout.splitlines()[-1])
                        got[side, name].append((found["s"], found["rss"]))
            report(size, mb, sides, got, rounds)


def report(size, mb, sides, got, rounds) -> None:
    print(f"{size:,} artists ({mb:.1f} MB queue), {rounds} rounds; median s / peak MB")
    for side, checkout in sides.items():
        print(f"  {side:8} {checkout}")
    print(f"  {'step':8} {'with':>16} {'without':>16} {'without/with':>13}")
    for name in STEPS:
        cells = []
        for side in sides:
            runs = got[side, name]
            cells.append(
                f"{statistics.median(s for s, _ in runs):7.3f} s {max(m for _, m in runs):4.0f} MB"
            )
        ratio = statistics.median(
            b[0] / a[0] for a, b in zip(got["with", name], got["without", name], strict=True)
        )
        print(f"  {name:8} {cells[0]:>16} {cells[1]:>16} {ratio:13.2f}")
    totals = {
        side: [sum(got[side, n][r][0] for n in STEPS) for r in range(rounds)] for side in sides
    }
    paired = [b / a for a, b in zip(totals["with"], totals["without"], strict=True)]
    print(f"  {'workload':8} {statistics.median(totals['with']):7.3f} s{'':7} "
          f"{statistics.median(totals['without']):7.3f} s{'':7} {statistics.median(paired):13.2f}"
          f"  (paired: {', '.join(f'{r:.2f}' for r in paired)})", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="comma-separated sizes")
    parser.add_argument("--samples", type=int, default=300, help="claims/records per size")
    parser.add_argument("--with", dest="with_", type=Path, help="a checkout with the mechanism")
    parser.add_argument("--without", type=Path, default=REPO, help="default: this checkout")
    parser.add_argument("--rounds", type=int, default=3, help="with --with: runs of each step")
    parser.add_argument("--step", nargs=3, metavar=("STEP", "HOME", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, metavar=("HOME", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    compiled(args.with_, args.without)  # both sides as `make compile` leaves them
    if args.step:
        return child(args.step[0], Path(args.step[1]), int(args.step[2]))
    if args.build:
        return build_home(Path(args.build[0]), int(args.build[1]))
    default = "55000" if args.with_ else "930,10000,100000"
    sizes = [int(s.replace("_", "")) for s in (args.sizes or default).split(",") if s.strip()]
    if args.with_:
        return side_by_side(sizes, args.with_, args.without, args.rounds)
    return table(sizes, args.samples)


if __name__ == "__main__":
    main()
