"""``mediakeeper serve`` on a big home: how fast ``/api/queues`` and ``/metrics`` answer
(p50/p99), how soon a queue change made by another process reaches an ``/api/events``
client, and the server's memory at rest.

A home with one music queue of --items items (60% completed, 30% pending, 10% failed; no
library needed: nothing is processed) is served by a real ``mediakeeper serve`` on a free
port. Each endpoint is asked --requests times in a row by a real HTTP client. Then this
process claims and records items through the queue's own API (a journal line each, as a
batch writes them) while a stream is read: the latency is from the write's return to the
event's arrival.

    python benchmarks/serve_scale.py --items 100000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from mediakeeper.queue.items import new_item, new_queue  # noqa: E402
from mediakeeper.queue.store import QueueStore  # noqa: E402
from tests.integration.serving import serve  # noqa: E402


def build_home(home: Path, count: int) -> None:
    items = []
    for n in range(count):
        item = new_item(f"Artist {n:06d}", f"Artist {n:06d}", f"/library/Artist {n:06d}")
        if n % 10 < 6:
            item.update(status="completed", attempts=1, completed_at="2026-11-25T10:00:00+00:00")
        elif n % 10 == 9:
            item.update(status="error", attempts=1, failures=1, last_error="scan: unreadable")
        items.append(item)
    data = new_queue("music", "/library", items, datetime.now(UTC))
    QueueStore(home / "status" / "music", "music").create(data)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms   max {ordered[-1] * 1000:7.2f} ms"


def timed(url: str, n: int) -> list[float]:
    session, samples = requests.Session(), []
    for _ in range(n):
        started = time.perf_counter()
        answer = session.get(url, timeout=60)
        samples.append(time.perf_counter() - started)
        answer.raise_for_status()
    return samples


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def event_latency(server, home: Path, changes: int) -> list[float]:
    """Seconds from a queue write's return (in this process) to its event at a client."""
    arrived: dict[str, float] = {}
    response = requests.get(server.url + "/api/events", stream=True, timeout=60)

    def read() -> None:
        with contextlib.suppress(requests.RequestException, AttributeError, OSError):
            for line in response.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                    arrived.setdefault(f"{data['key']}:{data['status']}", time.perf_counter())

    threading.Thread(target=read, daemon=True).start()
    time.sleep(0.5)
    store = QueueStore(home / "status" / "music", "music")
    latencies = []
    for _ in range(changes):
        item = store.claim_many("20261125_music_900", 1)[0]
        written = time.perf_counter()  # the journal line is on disk
        key = f"{item['key']}:in_progress"
        deadline = time.monotonic() + 10
        while key not in arrived and time.monotonic() < deadline:
            time.sleep(0.001)
        latencies.append(arrived.get(key, float("inf")) - written)
        store.record_success(item["key"], "20261125_music_900", counts={}, details={})
    response.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the queue")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--changes", type=int, default=30, help="queue changes timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        build_home(home, args.items)
        print(f"home of {args.items:,} items built in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        server = serve(home)
        print(f"server up (answers /ping) in {time.perf_counter() - started:.1f} s")
        try:
            requests.get(server.url + "/api/queues", timeout=120).raise_for_status()
            print(f"queue read whole after {time.perf_counter() - started:.1f} s")
            time.sleep(1)
            print(f"memory at rest: {rss_kb(server.process.pid) / 1024:.1f} MB RSS")
            for path in ("/api/queues", "/metrics"):
                timed(server.url + path, 5)  # warm
                print(f"GET {path:<12} {percentiles(timed(server.url + path, args.requests))}")
            latency = event_latency(server, home, args.changes)
            print(f"event latency    {percentiles(latency)}  ({args.changes} changes)")
            print(f"memory after:   {rss_kb(server.process.pid) / 1024:.1f} MB RSS")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
