"""``/metrics``: the home in Prometheus' text format (prometheus-client).

- ``mediakeeper_queue_items{kind,status}`` (gauge): the queue files' items by status.
- ``mediakeeper_items_processed_total{kind,outcome}`` (counter): every item a batch finished
  (completed, error, skipped, released), from the sessions' events (``sessions.jsonl``).
- ``mediakeeper_item_seconds{kind}`` (histogram): how long each completed item took.
- ``mediakeeper_lookups_total{kind,service,source}`` (counter): the items' web lookups,
  ``source`` ``network`` (requests sent) or ``cache`` (answered from the cache).
- ``mediakeeper_read_bytes_total{kind}``, ``mediakeeper_written_bytes_total{kind}``
  (counters): what the items' jobs read and wrote (``batch/usage.py`` says how it is counted).
- ``mediakeeper_files_written_total{kind}`` (counter): files the fixes of ended batches wrote.
- ``mediakeeper_cluster_sent_bytes_total{kind}``, ``mediakeeper_cluster_received_bytes_total
  {kind}`` (counters): the bytes the items sent to a Dask cluster's workers and received
  back; ``mediakeeper_cluster_items_total{kind,worker}`` (counter): the items each worker
  ran steps of (``batch/cluster.py``); ``mediakeeper_cluster_items_held{kind,worker}``
  (gauge): the items in flight whose steps each worker holds now.

The server is another process than the batches: it counts what each batch recorded of each
item it finished (its ``item`` event), as the item is recorded, whoever ran the batch and
however it ended. The sessions' events are read on from where the last scrape stopped: a
scrape reads only what was appended since.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediakeeper.queue.session_log import EVENTS_FILE
from mediakeeper.web.follower import HomeFollower, appended

BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800)  # seconds an item takes
SOURCES = ("network", "cache")  # what answered a lookup (``lookup/tally.py``)


@dataclass
class SessionTally:
    """What one kind's ``sessions.jsonl`` says so far."""

    at: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    seconds: float = 0.0
    lookups: Counter[tuple[str, str]] = field(default_factory=Counter)  # (service, source)
    bytes: Counter[str] = field(default_factory=Counter)  # "read", "written", "sent", "received"
    files_written: int = 0
    workers: Counter[str] = field(default_factory=Counter)  # items each cluster worker ran

    def read_on(self, path: Path) -> None:
        # A torn or damaged line is passed over, as load_sessions does.
        events, self.at = appended(path, self.at)
        for event in events:
            self._count(event)

    def _count(self, event: dict) -> None:
        if event.get("event") == "item":
            self.outcomes[str(event.get("outcome"))] += 1
            seconds = event.get("seconds")
            if event.get("outcome") == "completed" and isinstance(seconds, int | float):
                self.seconds += seconds
                at = next((n for n, le in enumerate(BUCKETS) if seconds <= le), len(BUCKETS))
                self.buckets[at] += 1
            self._spent(event)
        elif event.get("event") == "end" and isinstance(event.get("files_written"), int):
            self.files_written += event["files_written"]

    def _spent(self, event: dict) -> None:
        """An item's lookups and bytes (``batch/usage.py``), where its event has them."""
        lookups = event.get("lookups")
        for service, sources in lookups.items() if isinstance(lookups, dict) else ():
            for source, n in sources.items() if isinstance(sources, dict) else ():
                if source in SOURCES and type(n) is int and n > 0:
                    self.lookups[(str(service), source)] += n
        for way in ("read", "written", "sent", "received"):
            n = event.get(f"bytes_{way}")
            if type(n) is int and n > 0:
                self.bytes[way] += n
        workers = event.get("workers")
        for worker in workers if isinstance(workers, list) else ():
            self.workers[str(worker)] += 1


class HomeCollector:
    """The collector prometheus-client asks at each scrape."""

    def __init__(self, follower: HomeFollower):
        self.follower = follower
        self.tallies: dict[str, SessionTally] = {}
        self._lock = threading.Lock()  # two scrapes at once read each event once

    def collect(self):
        queue_items = GaugeMetricFamily("mediakeeper_queue_items",
                                        "Items of each queue by status.",
                                        labels=["kind", "status"])  # fmt: skip
        for kind, counts in self.follower.counts().items():
            for status, n in counts.items():
                queue_items.add_metric([kind, status], n)
        yield queue_items
        held = GaugeMetricFamily("mediakeeper_cluster_items_held",
                                 "Items in flight whose steps each cluster worker holds now.",
                                 labels=["kind", "worker"])  # fmt: skip
        for (kind, worker), n in sorted(self.follower.held().items()):
            held.add_metric([kind, worker], n)
        yield held
        with self._lock:
            for kind in self.follower.queues:
                tally = self.tallies.setdefault(kind, SessionTally())
                tally.read_on(self.follower.home / "status" / kind / EVENTS_FILE)
            yield from self._from_sessions()

    def _from_sessions(self):
        processed = CounterMetricFamily("mediakeeper_items_processed",
                                        "Items the batches finished, by outcome.",
                                        labels=["kind", "outcome"])  # fmt: skip
        seconds = HistogramMetricFamily("mediakeeper_item_seconds",
                                        "Seconds each completed item took.",
                                        labels=["kind"])  # fmt: skip
        lookups = CounterMetricFamily("mediakeeper_lookups",
                                      "Web lookups of the items, by service and what answered.",
                                      labels=["kind", "service", "source"])  # fmt: skip
        read = CounterMetricFamily("mediakeeper_read_bytes", "Bytes the items' jobs read.",
                                   labels=["kind"])  # fmt: skip
        wrote = CounterMetricFamily("mediakeeper_written_bytes", "Bytes the items' jobs wrote.",
                                    labels=["kind"])  # fmt: skip
        written = CounterMetricFamily("mediakeeper_files_written", "Files the fixes wrote.",
                                      labels=["kind"])  # fmt: skip
        sent = CounterMetricFamily("mediakeeper_cluster_sent_bytes",
                                   "Bytes the items sent to a cluster's workers.",
                                   labels=["kind"])  # fmt: skip
        received = CounterMetricFamily("mediakeeper_cluster_received_bytes",
                                       "Bytes the items received from a cluster's workers.",
                                       labels=["kind"])  # fmt: skip
        ran = CounterMetricFamily("mediakeeper_cluster_items",
                                  "Items each cluster worker ran steps of.",
                                  labels=["kind", "worker"])  # fmt: skip
        for kind, tally in sorted(self.tallies.items()):
            for outcome, n in sorted(tally.outcomes.items()):
                processed.add_metric([kind, outcome], n)
            cumulative, buckets = 0, []
            for le, n in zip((*map(str, BUCKETS), "+Inf"), tally.buckets, strict=True):
                cumulative += n
                buckets.append((le, cumulative))
            seconds.add_metric([kind], buckets, tally.seconds)
            for (service, source), n in sorted(tally.lookups.items()):
                lookups.add_metric([kind, service, source], n)
            read.add_metric([kind], tally.bytes["read"])
            wrote.add_metric([kind], tally.bytes["written"])
            written.add_metric([kind], tally.files_written)
            if tally.workers:  # (a kind never sent: no cluster series)
                sent.add_metric([kind], tally.bytes["sent"])
                received.add_metric([kind], tally.bytes["received"])
            for worker, n in sorted(tally.workers.items()):
                ran.add_metric([kind, worker], n)
        return processed, seconds, lookups, read, wrote, written, sent, received, ran


def registry_for(follower: HomeFollower) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HomeCollector(follower))
    return registry


async def metrics(request: Request) -> Response:
    web = request.app.state.web

    def scrape() -> bytes:
        web.follower.sync()
        return generate_latest(web.registry)

    return Response(await asyncio.to_thread(scrape), media_type=CONTENT_TYPE_LATEST)


ROUTES = [Route("/metrics", metrics)]
