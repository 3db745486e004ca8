"""The page of ``mediakeeper serve`` at the reference size and beyond: its first render, a
page of the library, a search and a filter, beside reading the queue alone (issue 70's
performance, issue 69 point 15).

    python benchmarks/page_scale.py [--artists 930] [--tracks 17274] [--open 5000]
    python benchmarks/page_scale.py --artists 100000 --open 0 --with ../main

A data home is built in a temporary folder as ``decide_scale.py`` builds it (a music queue of
``--artists`` completed artists holding ``--tracks`` tracks, ``--open`` open findings spread
over a dozen codes), with a tenth of the artists failed instead. A real ``serve`` of each
checkout (this one, and ``--with DIR`` side by side) answers real HTTP requests:

* first    the first ``GET /`` after the server answers ``/ping`` (the queues read, the
           decisions grouped), then its median over ``--requests``;
* library  ``GET /library`` (the view, 50 rows), ``/library?q=...`` (a search by name, case
           and accents aside), ``/library?status=error`` (a filter);
* items    ``GET /api/queues/music/items`` as a script pages it, with ``q`` and ``status``;
* queue    ``QueueStore.peek`` in this process: reading the queue alone.

With ``--group N`` a second home is made of real files as ``decide_group.py`` makes it (N
artists, one ``filename-mismatch`` question each, after a real offline batch) and served:

* group    ``GET /decisions/group?kind=music&code=filename-mismatch``: the preview of leaving
           the whole group of N as it is, each decision previewed by the engine;
* one      ``GET /decisions/{id}``: one decision with its evidence;

A checkout without a view (``/library``, before it was made) shows "-". Medians of wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import requests  # noqa: E402
from decide_group import CODE, run  # noqa: E402
from decide_group import build as build_group  # noqa: E402
from decide_scale import build  # noqa: E402

from mediakeeper.queue.store import QueueStore  # noqa: E402
from tests.integration.serving import free_port  # noqa: E402

PATHS = {
    "library view, a page": "/library",
    "library view, search": "/library?kind=music&q=artist+0042",
    "library view, filter": "/library?kind=music&status=error",
    "items API, a page": "/api/queues/music/items?limit=50",
    "items API, search": "/api/queues/music/items?q=artist%200042",
    "items API, filter": "/api/queues/music/items?status=error",
    "the page (GET /) again": "/",
}


def fail_a_tenth(home: Path) -> None:
    store = QueueStore(home / "status" / "music", "music")

    def mutate(data):
        changed = data["items"][9::10]
        for item in changed:
            item.update(status="error", failures=1, last_error="scan: unreadable file")
        return changed

    store.update(mutate, fold=True)


def start(checkout: Path, home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"}
    env.pop("MEDIAKEEPER_HOME", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "mediakeeper", "serve", "--home", str(home), "--port", str(port)],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/ping", timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"serve of {checkout} did not start")


def timed(session: requests.Session, url: str) -> float | None:
    started = time.perf_counter()
    answer = session.get(url, timeout=300)
    spent = time.perf_counter() - started
    return spent if answer.status_code == 200 else None


def measure(checkout: Path, home: Path, requests_: int) -> dict[str, float | None]:
    process, url = start(checkout, home)
    try:
        session = requests.Session()
        found: dict[str, float | None] = {"first render (GET /)": timed(session, url + "/")}
        for label, path in PATHS.items():
            samples = [timed(session, url + path) for _ in range(requests_)]
            found[label] = None if None in samples else statistics.median(samples)
        return found
    finally:
        process.terminate()
        process.wait(30)


def group_figures(where: Path, artists: int, requests_: int) -> None:
    library, home = where / "group-library", where / "group-home"
    build_group(library, artists)
    run(REPO, "process_music_batch.py", "--home", home, "--library", library, "--offline",
        "--batch-size", "1000000", "-q")  # fmt: skip
    process, url = start(REPO, home)
    try:
        session = requests.Session()
        first = timed(session, url + "/")
        listed = session.get(url + "/api/decisions", timeout=300).json()
        group = next(g for g in listed["groups"] if g["code"] == CODE)
        one = group["decisions"][0]["id"]
        preview = f"/decisions/group?kind=music&code={CODE}"
        paths = {
            f"group preview ({group['count']} decisions)": preview,
            "one decision's evidence": f"/decisions/{one}",
            "the page (GET /) again": "/",
        }
        print(f"{artists:,} artists of real files, {listed['total']:,} decisions")
        print(f"{'first render (GET /)':<34} {first * 1000:>9.1f} ms")
        for label, path in paths.items():
            samples = [timed(session, url + path) for _ in range(requests_)]
            print(f"{label:<34} {statistics.median(samples) * 1000:>9.1f} ms")
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=17_274)
    parser.add_argument("--open", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=9)
    parser.add_argument("--with", dest="with_", type=Path, help="another checkout, side by side")
    parser.add_argument(
        "--group",
        type=int,
        default=0,
        metavar="N",
        help="also a home of N artists of real files, one question each",
    )
    args = parser.parse_args()
    checkouts = {"this": REPO, **({"with": args.with_.resolve()} if args.with_ else {})}
    with tempfile.TemporaryDirectory(prefix="page-scale-") as where:
        home = Path(where)
        build(home, args.artists, args.tracks, args.open)
        fail_a_tenth(home)
        store = QueueStore(home / "status" / "music", "music")
        reads = []
        for _ in range(3):
            started = time.perf_counter()
            store.peek()
            reads.append(time.perf_counter() - started)
        results = {name: measure(path, home, args.requests) for name, path in checkouts.items()}
        print(f"{args.artists:,} artists, {args.tracks:,} tracks, {args.open:,} open findings")
        print(f"{'the queue read alone (peek)':<28} {statistics.median(reads) * 1000:>9.1f} ms")
        print(f"{'':<28} " + " ".join(f"{name:>12}" for name in checkouts))
        for label in results["this"]:
            cells = [results[name][label] for name in checkouts]
            shown = [f"{c * 1000:>9.1f} ms" if c is not None else f"{'-':>12}" for c in cells]
            print(f"{label:<28} " + " ".join(shown))
        if args.group:
            group_figures(home, args.group, args.requests)


if __name__ == "__main__":
    main()
