"""The page of ``mediakeeper serve`` at the reference size and at 55,000 artists, side by side
in one run: its first render, a search and a filter, a group's preview, and a request while a
batch writes the queue, beside reading the queue alone (issue 70's performance).

    python benchmarks/page_scale.py [--artists 930,55000] [--group 930] [--with DIR]

For each size a data home is built in a temporary folder as ``decide_scale.py`` builds it (a
music queue of that many completed artists, with tracks and open findings in the reference
library's proportions unless ``--tracks``/``--open`` say: 17,274 tracks and 5,000 open
findings for 930 artists, spread over a dozen codes), with a tenth of the artists failed
instead. A real ``serve`` of each checkout (this one, and ``--with DIR`` side by side)
answers real HTTP requests from this process:

* queue    ``QueueStore.peek`` in this process: reading the queue alone;
* start    from the server's launch to its first page (``GET /``) answered: the cold start,
           the queues read for the first time;
* page     ``GET /`` once the server is up (a person opening the page), the median;
* changed  ``GET /`` after one item of the queue changed (written by another process);
* search   ``GET /library?kind=music&q=...`` (a name, case and accents aside), and the same
           from the items API a script pages;
* filter   ``GET /library?kind=music&status=error``, and the same from the items API;
* group    ``GET /decisions/group``: the preview of leaving the largest group as it is (said
           whole: each decision's id from the queue), the first and again; of choice 1 for
           the ``filename-mismatch`` group (the file names' track numbers written: its items'
           files are real, empty, so a dry run has files to plan), its first page (the
           page's items' documents read, the whole group's token made), again, and a later
           page; and the same choice through ``POST /api/decisions/preview`` (every write
           listed: every asking item's document read), once;
* memory   the server's resident memory once the queue is read whole and previewed;
* batch    while another process changes the queue item after item as a batch does (each
           claimed, then completed again as it was; ``--batch-seconds``, at ``--batch-pace``
           items a second at most), ``GET /`` and a search over and over: the median, the
           time nine in ten answered within, the slowest; and the items changed a second.

With ``--group N`` a home of real files is made as ``decide_group.py`` makes it (N artists,
one ``filename-mismatch`` question each, after a real offline batch) and served: the whole
group's preview with a choice (every write said) and left as it is, and one decision's
evidence. A checkout without a view shows "-". Medians of wall time.

``--homes DIR`` keeps each size's home in ``DIR`` (``home-<artists>``) and uses it again in
a later run instead of building it (the 55,000-artist home takes minutes to build); the
batch's changes leave each item as it was.
"""

from __future__ import annotations

import argparse
import os
import shutil
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
from checkouts import compiled  # noqa: E402
from decide_group import CODE, run  # noqa: E402
from decide_group import build as build_group  # noqa: E402
from decide_scale import build  # noqa: E402

from mediakeeper.decisions.listing import HeldDecisions  # noqa: E402
from mediakeeper.queue.store import QueueStore  # noqa: E402
from tests.integration.serving import free_port  # noqa: E402

REFERENCE = (930, 17_274, 5_000)  # artists, tracks, open findings: the reference library
CHOSEN = "filename-mismatch"  # the group previewed with a choice (two writes an item)
LEFT_FIRST = "group preview (left as it is), first"
CHOICE_FIRST = "group preview (a choice, its page 1), first"
WHOLE_API = "group preview (a choice), the API's whole list"
SEARCH = "/library?kind=music&q=artist+0042"
FILTER = "/library?kind=music&status=error"
PATHS = {
    "search (library view)": SEARCH,
    "search (items API)": "/api/queues/music/items?q=artist%200042",
    "filter (library view)": FILTER,
    "filter (items API)": "/api/queues/music/items?status=error",
}
# Another process changing the queue as a batch does, item after item at a batch's pace (at
# most argv[3] items a second): each claimed, then completed again with its details as they
# were (so what it asks stays the same).
WRITER = """
import sys, time
from mediakeeper.queue.store import QueueStore
store, until, done = QueueStore(sys.argv[1] + "/status/music", "music"), time.monotonic() + \
    float(sys.argv[2]), 0
keys = [i["key"] for i in store.peek()["items"] if i["status"] == "completed"]
began, pace = time.monotonic(), float(sys.argv[3])

def set_to(status):
    def change(item):
        item["status"] = status
        return True
    return change

while time.monotonic() < until:
    time.sleep(max(0.0, began + done / pace - time.monotonic()))
    key = keys[done % len(keys)]
    store.update_item(key, set_to("in_progress"))
    store.update_item(key, set_to("completed"))
    done += 1
print(done)
"""


def fail_a_tenth(home: Path) -> None:
    store = QueueStore(home / "status" / "music", "music")

    def mutate(data):
        changed = data["items"][9::10]
        for item in changed:
            item.update(status="error", failures=1, last_error="scan: unreadable file")
        return changed

    store.update(mutate, fold=True)


def start(checkout: Path, home: Path) -> tuple[subprocess.Popen, str, float, float]:
    """A real ``serve`` of ``checkout`` on ``home``, the seconds from its launch to its first
    page answered, and to the queues read whole (``GET /api/queues`` answered: it waits for
    the first read, which the page no longer waits for)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"}
    env.pop("MEDIAKEEPER_HOME", None)
    launched = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mediakeeper", "serve", "--home", str(home), "--port", str(port)],
        cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/", timeout=300).status_code == 200:
                first = time.perf_counter() - launched
                requests.get(url + "/api/queues", timeout=300)
                return process, url, first, time.perf_counter() - launched
        except requests.ConnectionError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit(f"serve of {checkout} did not start")


def resident(pid: int) -> str:
    """A process's resident memory (``VmRSS``), as Linux says it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "-"
    kb = next((int(line.split()[1]) for line in status.splitlines()
               if line.startswith("VmRSS:")), 0)  # fmt: skip
    return f"{kb / 1024:.0f} MB"


def timed(session: requests.Session, url: str) -> float | None:
    started = time.perf_counter()
    answer = session.get(url, timeout=300)
    spent = time.perf_counter() - started
    return spent if answer.status_code == 200 else None


def median(session: requests.Session, url: str, n: int) -> float | None:
    samples = [timed(session, url) for _ in range(n)]
    return None if None in samples else statistics.median(samples)


def change_one(checkout: Path, home: Path) -> None:
    """One item of the queue changed by another process (claimed, completed again)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    subprocess.run([sys.executable, "-c", WRITER, str(home), "0.001", "1000"], env=env,
                   check=True, capture_output=True)  # fmt: skip


def while_a_batch_runs(checkout: Path, home: Path, url: str, seconds: float,
                      pace: float) -> dict:  # fmt: skip
    """``GET /`` and a search, over and over while another process writes the queue."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(home), str(seconds), str(pace)],
                              env=env, stdout=subprocess.PIPE, text=True)  # fmt: skip
    samples: dict[str, list[float]] = {"page": [], "search": []}
    session = requests.Session()
    time.sleep(min(1.0, seconds / 4))  # the writer under way
    while writer.poll() is None:
        for label, path in (("page", "/"), ("search", SEARCH)):
            spent = timed(session, url + path)
            if spent is not None:
                samples[label].append(spent)
        time.sleep(0.1)
    changed = int(writer.stdout.read().strip() or 0)
    return {**samples, "rate": changed / seconds}


def measure(checkout: Path, home: Path, args) -> dict[str, str]:
    process, url, cold, whole = start(checkout, home)
    try:
        session = requests.Session()
        found = {"server start to its first page": cold,
                 "server start to the queues read whole": whole,
                 "the page (GET /)": median(session, url + "/", args.requests)}  # fmt: skip
        changed = []
        for _ in range(args.requests):
            change_one(checkout, home)
            changed.append(timed(session, url + "/"))
        found["the page after one item changed"] = (
            None if None in changed else statistics.median(changed))  # fmt: skip
        for label, path in PATHS.items():
            found[label] = median(session, url + path, args.requests)
        # The largest group, told here (``GET /api/decisions`` would read every asking
        # item's document first, and the server hold their decisions).
        groups = HeldDecisions.read(home).as_json(shown=0)["groups"]
        largest = max(groups, key=lambda g: g["count"])
        chosen = next(g for g in groups if g["code"] == CHOSEN)
        preview = f"/decisions/group?kind=music&code={largest['code']}"
        choice = f"/decisions/group?kind=music&code={CHOSEN}&choose=1"
        found[LEFT_FIRST] = timed(session, url + preview)
        found["group preview (left as it is), again"] = median(session, url + preview,
                                                               args.requests)  # fmt: skip
        found[CHOICE_FIRST] = timed(session, url + choice)
        found["group preview (a choice, its page 1), again"] = median(
            session, url + choice, args.requests)  # fmt: skip
        found["group preview (a choice), a later page"] = median(
            session, url + choice + "&page=3", args.requests)  # fmt: skip
        whole = {"kind": "music", "code": CHOSEN, "all": True, "choose": 1}
        started = time.perf_counter()
        answer = session.post(url + "/api/decisions/preview", json=whole, timeout=600,
                              headers={"Origin": url})  # fmt: skip
        found[WHOLE_API] = time.perf_counter() - started if answer.ok else None
        shown = {label: f"{s * 1000:.1f} ms" if s is not None else "-"
                 for label, s in found.items()}  # fmt: skip
        shown[LEFT_FIRST] += f" ({largest['count']:,})"
        shown[CHOICE_FIRST] += f" ({chosen['count']:,})"
        if answer.ok:
            shown[WHOLE_API] += f" ({len(answer.json()['writes']):,} writes)"
        shown["the server's memory, read whole (resident)"] = resident(process.pid)
        busy = while_a_batch_runs(checkout, home, url, args.batch_seconds, args.batch_pace)
        for label in ("page", "search"):
            s = sorted(busy[label])
            shown[f"{label} while a batch runs: median / 9 in 10 / slowest"] = (
                f"{statistics.median(s) * 1000:.0f} / {s[len(s) * 9 // 10] * 1000:.0f} / "
                f"{s[-1] * 1000:.0f} ms" if s else "-")  # fmt: skip
        shown["items the batch changed a second"] = f"{busy['rate']:.0f}"
        return shown
    finally:
        process.terminate()
        process.wait(30)


def group_figures(where: Path, artists: int, requests_: int) -> None:
    library, home = where / "group-library", where / "group-home"
    build_group(library, artists)
    run(REPO, "process_music_batch.py", "--home", home, "--library", library, "--offline",
        "--batch-size", "1000000", "-q")  # fmt: skip
    process, url, cold, _ = start(REPO, home)
    try:
        session = requests.Session()
        listed = session.get(url + "/api/decisions", timeout=300).json()
        group = next(g for g in listed["groups"] if g["code"] == CODE)
        one = group["decisions"][0]["id"]
        preview = f"/decisions/group?kind=music&code={CODE}"
        paths = {
            f"group preview, choice 1 ({group['count']} decisions, every write)":
                preview + "&choose=1",
            "group preview, left as it is": preview,
            "one decision's evidence": f"/decisions/{one}",
            "the page (GET /)": "/",
        }  # fmt: skip
        print(f"\n{artists:,} artists of real files, {listed['total']:,} decisions")
        print(f"{'server start to its first page':<52} {cold * 1000:>9.1f} ms")
        for label, path in paths.items():
            print(f"{label:<52} {median(session, url + path, requests_) * 1000:>9.1f} ms")
    finally:
        process.terminate()
        process.wait(30)


def sizes_of(args) -> list[tuple[int, int, int]]:
    artists = [int(a) for a in args.artists.split(",")]
    tracks = [int(t) for t in args.tracks.split(",")] if args.tracks else None
    opened = [int(o) for o in args.open.split(",")] if args.open else None
    artists_, tracks_, open_ = REFERENCE
    return [(a, tracks[n] if tracks else round(a * tracks_ / artists_),
             opened[n] if opened else round(a * open_ / artists_))
            for n, a in enumerate(artists)]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", default="930,55000", help="sizes, comma-separated")
    parser.add_argument("--tracks", help="tracks at each size (default: the reference's share)")
    parser.add_argument("--open", help="open findings at each size (default: likewise)")
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--batch-seconds", type=float, default=10.0)
    parser.add_argument("--batch-pace", type=float, default=150.0,
                        help="items the batch changes a second, at most (the reference "
                             "library's offline pass: about 150)")  # fmt: skip
    parser.add_argument("--with", dest="with_", type=Path, help="another checkout, side by side")
    parser.add_argument("--homes", type=Path, metavar="DIR",
                        help="keep each size's home here, and use it again when there")
    parser.add_argument("--group", type=int, default=0, metavar="N",
                        help="also a home of N artists of real files, one question each")
    args = parser.parse_args()
    compiled(REPO, args.with_)  # both sides as `make compile` leaves them
    checkouts = {"this": REPO, **({"with": args.with_.resolve()} if args.with_ else {})}
    columns: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="page-scale-") as where:
        for artists, tracks, opened in sizes_of(args):
            home = (args.homes or Path(where)) / f"home-{artists}-{tracks}-{opened}"
            built = home.parent / f"{home.name}.built"  # beside it: no file of the home
            if not built.exists():
                shutil.rmtree(home, ignore_errors=True)  # a build cut short
                home.mkdir(parents=True)
                build(home, artists, tracks, opened, files=True)
                fail_a_tenth(home)
                built.touch()
            store = QueueStore(home / "status" / "music", "music")
            reads = []
            for _ in range(3):
                started = time.perf_counter()
                store.peek()
                reads.append(time.perf_counter() - started)
            print(f"{artists:,} artists, {tracks:,} tracks, {opened:,} open findings", flush=True)
            for name, checkout in checkouts.items():
                shown = {"the queue read alone (peek)": f"{statistics.median(reads) * 1000:.1f} ms"}
                columns[f"{artists:,} {name}"] = {**shown, **measure(checkout, home, args)}
            if not args.homes:
                shutil.rmtree(home)
        labels = list(next(iter(columns.values())))
        print(f"\n{'':<52} " + " ".join(f"{c:>18}" for c in columns))
        for label in labels:
            print(f"{label:<52} " + " ".join(f"{col.get(label, '-'):>18}"
                                               for col in columns.values()))  # fmt: skip
        if args.group:
            group_figures(Path(where), args.group, args.requests)


if __name__ == "__main__":
    main()
