"""How the queue's costs grow with its size: claim, record, summary, fold, full rewrite.

    python benchmarks/queue_scale.py [--sizes 930,10000,100000] [--samples 300]

For each size a queue is built in a temporary folder, half of it already completed (a library
part-way through, so every claim scans past finished items). Then, on that real file:

* claim   one ``claim_next`` (an fsync'd journal append);
* record  one ``record_success`` (an fsync'd journal append); ``mean`` includes the automatic
          fold every FOLD_AFTER_LINES journal lines, i.e. the amortised cost;
* summary what ``--show-summary`` does, cold: a fresh ``QueueStore(...).load()`` from disk
          (JSON parse + journal replay) and ``manager.summarize``;
* fold    rewriting the JSON file from the current state (the end of a run that changed
          something; with an empty journal a fold writes nothing);
* rewrite for comparison, what we avoid: one durable atomic rewrite of the whole file, the
          cost a store that saved the full JSON after every record would pay per item.

Finally ``--show-summary`` runs once through a real subprocess at the largest size.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mediakeeper.fs.atomic import atomic_write_text  # noqa: E402
from mediakeeper.queue import manager  # noqa: E402
from mediakeeper.queue.files import dump_queue  # noqa: E402
from mediakeeper.queue.items import new_item, new_queue  # noqa: E402
from mediakeeper.queue.store import FOLD_AFTER_LINES, QueueStore  # noqa: E402

SESSION = "20240309_session_001"


def build(directory: Path, size: int) -> QueueStore:
    now = datetime.now(UTC)
    items = []
    for n in range(size):
        name = f"Artist {n:06d}"
        item = new_item(name, name, f"/music/{name}")
        if n < size // 2:
            item.update(
                status="completed",
                attempts=1,
                track_count=18,
                issues_found=3,
                issues_resolved=2,
                completed_at=now.isoformat(timespec="seconds"),
            )
        items.append(item)
    store = QueueStore(directory, "music")
    store.create(new_queue("music", "/music", items, now))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="930,10000,100000", help="comma-separated sizes")
    parser.add_argument("--samples", type=int, default=300, help="claims/records per size")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    print(f"python {sys.version.split()[0]}, fold every {FOLD_AFTER_LINES} journal lines")
    print(f"{args.samples} claim+record samples per size; times in ms\n")
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
            r = measure(size, args.samples, root)
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


if __name__ == "__main__":
    main()
