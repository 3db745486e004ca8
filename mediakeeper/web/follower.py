"""Following a data home's queues from their files, whoever changes them.

Every queue of the home (``status/<kind>/processing_queue.json``) is read once, then followed:
the lines a batch appends to its journal are read as they come (each holds the full new state
of the items it changed), and a rewritten file (a fold, a queue manager's change) is read
again whole. Each item's state is compared with the one seen before: a change is an event
(``claimed``, ``progress``, ``completed``, ``failed``, ``skipped``, ``decision``), a CLI batch
in another terminal's as much as one this server started. The alerts a batch raises are
followed from ``status/<kind>/alerts.jsonl``.

A queue's first read is made a few hundred items at a time, the follower's lock let go
between them: a page asked meanwhile shows what is held so far and says how far the read is
(``reading``), instead of waiting for the whole of a large queue.

Events are numbered in the order they were seen; the last ``KEPT`` are kept, so a client that
reconnects with ``Last-Event-ID`` gets every one after it. An id holds the follower's start
(``<start>-<n>``): an id of another start (the server restarted) cannot be resumed from, and
the stream then begins with the events seen since this start that are still kept.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

from mediakeeper.batch.alerts import EVENTS_FILE as ALERTS_FILE
from mediakeeper.core.decisions import item_decisions
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.queue.files import file_signature, items_laid_out
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    IN_PROGRESS,
    PENDING,
    SKIPPED,
    last_failure,
    plugins_left_out,
)
from mediakeeper.queue.left_out import PluginsLeftOut
from mediakeeper.queue.reading import decoded, read_each
from mediakeeper.queue.store import JOURNAL_FILE, QUEUE_FILE, QueueStore
from mediakeeper.reports.pace import percent
from mediakeeper.web import library

STATUSES = (PENDING, IN_PROGRESS, COMPLETED, ERROR, SKIPPED)
KEPT = 10_000  # events kept for clients that reconnect
SPEED_WINDOW = 300.0  # seconds of finished items the speed is measured over
EVENT_OF = {IN_PROGRESS: "claimed", COMPLETED: "completed", ERROR: "failed", SKIPPED: "skipped"}
# A status an item is claimed from, and those only a claimed item reaches (a skip by hand
# goes from pending to skipped unclaimed): seen one after the other, the claim was missed.
TAKEN_FROM = (PENDING, ERROR, COMPLETED)
DONE = (COMPLETED, ERROR)
FINISHED = (COMPLETED, ERROR, SKIPPED)  # what a batch leaves an item it claimed as
READ_AT_ONCE = 500  # items of a queue's first read taken between two looks of the page


@dataclass(frozen=True, slots=True)
class Seen:
    """What the follower keeps of one item: enough to tell what changed."""

    name: str
    status: str
    stage: str
    session: str
    decisions: int
    workers: tuple[str, ...] = ()  # the cluster workers holding it now (details.workers)
    plugins_left_out: tuple[str, ...] = ()  # completed without these rule plugins' findings


def seen_of(item: dict[str, Any], before: Seen | None) -> Seen:
    details = item.get("details") or {}
    claim = item.get("claimed_by") or {}
    # Whose change it was: the claim's, else the session that ended it (a whole batch may
    # run between two looks, its journal folded away).
    session = claim.get("session") or _ended_by(item) or (before.session if before else "")
    asks = item.get("status") == COMPLETED and not item.get("missing")  # see reports.tally
    decisions = item_decisions(details) if asks else 0
    held = details.get("workers") if item.get("status") == IN_PROGRESS else None
    workers = tuple(str(w) for w in held) if isinstance(held, list) else ()
    return Seen(str(item.get("name") or item["key"]), str(item.get("status")),
                str(details.get("stage") or ""), str(session or ""), decisions,
                workers, tuple(plugins_left_out(item)))  # fmt: skip


def _ended_by(item: dict[str, Any]) -> str:
    """The session that completed the item, or whose failure it last was."""
    status = item.get("status")
    if status == COMPLETED:
        return item.get("completed_by") or ""
    if status in (ERROR, SKIPPED):
        return last_failure(item).get("session") or ""
    return ""


def appended(path: Path, at: int) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of the whole lines written to ``path`` after byte ``at`` (a line still
    being written waits; a damaged one, or one not an object, is passed over), and the byte
    the next read starts at."""
    try:
        with open(path, "rb") as f:
            f.seek(at)
            chunk = f.read()
    except OSError:
        return [], at
    complete = chunk[: chunk.rfind(b"\n") + 1]
    found = []
    for raw in complete.splitlines():
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found, at + len(complete)


@dataclass
class QueueFollow:
    """One kind's queue as last read: each item's state, the counts, where its journal was."""

    kind: str
    dir: Path
    items: dict[str, Seen] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    # Its completed items that lack a rule plugin's findings (``queue.left_out``), as counts.
    plugins_left_out: PluginsLeftOut = field(default_factory=PluginsLeftOut)
    signature: tuple | None = None
    generation: Any = None
    journal_at: int = 0
    alerts_at: int = 0
    alerts_read: bool = False
    finished: deque[float] = field(default_factory=deque)  # when, the last SPEED_WINDOW
    problem: str = ""  # the queue could not be read (said by /healthz)
    working: dict[str, Seen] = field(default_factory=dict)  # those in progress, as claimed
    # The items each session finished, as the queue says now: (session, status) -> how many
    # completed, failed or skipped. The queue is written at every item, before the session's
    # events (which a running batch's may lag): a running batch's "done" is counted from it.
    ended: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Each item as the library lists it, and a number raised by every change of them: the
    # listing's orders are sorted again only when it moved (``library.Listing``).
    entries: dict[str, library.Entry] = field(default_factory=dict)
    version: int = 0
    # The hash of each item's line as last applied, and back: a queue rewritten by a fold
    # (every line again, few changed) is read again without decoding the lines it had.
    lines: dict[str, int] = field(default_factory=dict)
    known: dict[int, str] = field(default_factory=dict)
    listing: library.Listing = field(default_factory=library.Listing)
    # Told every item as it is now, and every item removed (``decisions.listing``): what the
    # page lists of the decisions follows the queue as the library does.
    listener: Any = None
    # During the queue's first read: the items read so far, and how many its file holds.
    reading: tuple[int, int] | None = None

    def sync(self, emit, pause=None) -> None:
        """Read what changed since the last call; ``emit(kind, event, data)`` each change.
        ``pause()``: called every ``READ_AT_ONCE`` items of the queue's first read."""
        store = QueueStore(self.dir, self.kind)
        if self.signature is not None:
            # The journal first: a fold that rewrote the file since empties it next, and
            # the lines still there tell the steps the rewritten file no longer shows.
            self._read_journal(store, emit)
        try:
            signature = file_signature(store.path)
        except OSError as err:
            self.problem = f"{store.path}: {err.strerror or err}"
            return
        if signature != self.signature:
            self._read_whole(store, signature, emit, pause)
        self._read_journal(store, emit)
        self._read_alerts(emit)

    def _read_whole(self, store: QueueStore, signature: tuple, emit, pause=None) -> None:
        try:
            size = (self.dir / JOURNAL_FILE).stat().st_size
        except OSError:
            size = 0
        first = self.signature is None
        keys: set[str] = set()
        if first:
            try:
                self.reading = (0, items_laid_out(store.path) or 0)
            except OSError:
                self.reading = (0, 0)

        def take(lines) -> None:
            # Each item compared as it is read (none of them held): a read done again
            # because the file was replaced meanwhile only finds the newer states. An item
            # whose line is the one read last time is the same item (a fold rewrites every
            # line of a queue, a batch changes a few): passed over.
            keys.clear()
            for n, line in enumerate(lines, 1):
                item = decoded(line)
                key = item["key"]
                keys.add(key)
                said = hash(line[0])
                if self.lines.get(key) != said:
                    self._apply(item, emit=None if first else emit)
                    self._forget(key)
                    self.lines[key], self.known[said] = said, key
                if first and n % READ_AT_ONCE == 0:
                    self.reading = (n, max(n, self.reading[1]))
                    if pause is not None:
                        pause()

        try:
            fields, _ = read_each(store, take, known=self._known)
        except (MediakeeperError, OSError) as err:
            self.problem = str(err)
            return
        finally:
            self.reading = None
        self.problem = ""
        self.signature, self.generation = signature, fields.get("generation")
        # Lines appended after ``size`` are read again as the journal's: the same states
        # again are no change, so nothing is told twice or missed.
        self.journal_at = size
        for gone in set(self.items) - keys:  # a queue manager removed it
            was = self.items.pop(gone)
            self.counts[was.status] -= 1
            self.plugins_left_out.count_plugins(was.plugins_left_out, -1)
            self.ended[was.session, was.status] -= was.status in FINISHED
            self.working.pop(gone, None)
            self._forget(gone)
            self.listing.changed(self.entries.pop(gone, None), None)
            self.version += 1
            if self.listener is not None:
                self.listener.gone(self.kind, gone)

    def _known(self, line: bytes) -> str | None:
        """The key of an item whose line is ``line``, byte for byte, as last applied: the
        queue's reader hands it over undecoded (``read_each``)."""
        said = hash(line)
        key = self.known.get(said)
        return key if key is not None and self.lines.get(key) == said else None

    def _forget(self, key: str) -> None:
        if (said := self.lines.pop(key, None)) is not None:
            self.known.pop(said, None)

    def _read_journal(self, store: QueueStore, emit) -> None:
        # A damaged line: the store refuses it, the follower passes it over.
        entries, self.journal_at = appended(store.journal_path, self.journal_at)
        for entry in entries:
            if entry.get("gen") == self.generation:
                for item in entry.get("items") or ():
                    if isinstance(item, dict) and "key" in item:
                        self._apply(item, emit)
                        self._forget(item["key"])  # its line is another now

    def _read_alerts(self, emit) -> None:
        payloads, self.alerts_at = appended(self.dir / ALERTS_FILE, self.alerts_at)
        first, self.alerts_read = not self.alerts_read, True
        if first:
            return  # alerts raised before the server started are history, not news
        for payload in payloads:
            emit(self.kind, "alert", {"kind": self.kind, "item": "", "key": "",
                                      "status": "alert", "session": "", "stage": "",
                                      **self.progress(), **payload})  # fmt: skip

    def _apply(self, item: dict[str, Any], emit) -> None:
        key = item["key"]
        if self.listener is not None:
            self.listener.seen(self.kind, item)
        entry = library.entry_of(item)
        if (was := self.entries.get(key)) != entry:
            self.entries[key] = entry
            self.listing.changed(was, entry)
            self.version += 1
        before = self.items.get(key)
        now = seen_of(item, before)
        if now == before:
            return
        self.items[key] = now
        if now.status == IN_PROGRESS:
            self.working[key] = now
        else:
            self.working.pop(key, None)
        if before is not None:
            self.counts[before.status] -= 1
            self.ended[before.session, before.status] -= before.status in FINISHED
            self.plugins_left_out.count_plugins(before.plugins_left_out, -1)
        self.counts[now.status] += 1
        self.plugins_left_out.count_plugins(now.plugins_left_out)
        self.ended[now.session, now.status] += now.status in FINISHED
        if emit is None:
            return
        # A batch that took the item and left it as it was (failed again, completed again)
        # between two looks: the same status, another session's.
        again = before is not None and now.status in DONE and now.session != before.session
        if before is None or before.status != now.status or again:
            if self._finished(before, now):  # the claim happened all the same: told first
                emit(self.kind, "claimed", {"kind": self.kind, "item": now.name, "key": key,
                                            "status": IN_PROGRESS, "session": now.session,
                                            "stage": now.stage, **self.progress()})  # fmt: skip
            event = EVENT_OF.get(now.status, "progress")  # back to pending: progress
        elif now.stage != before.stage or now.workers != before.workers:
            event = "progress"
        elif now.decisions != before.decisions:
            event = "decision"
        else:
            return  # a change no one watches (a counter, a fingerprint)
        data = {"kind": self.kind, "item": now.name, "key": key, "status": now.status,
                "session": now.session, "stage": now.stage, **self.progress()}  # fmt: skip
        if now.workers:
            data["workers"] = list(now.workers)
        if event == "decision":
            data["decisions"] = now.decisions
        if event == "failed":
            data["error"] = entry.error  # in a person's words, as the library lists it
        emit(self.kind, event, data)

    def _finished(self, before: Seen | None, now: Seen) -> bool:
        """Note a batch's finish of an item (the speed is a batch's pace: a person's skip,
        or an undo, finishes nothing); True when its claim was missed: claimed and done
        between two looks (a fast batch folds its journal before the next), by another
        session than the one that last ended it (an undo putting a retried item back as
        it failed is no claim)."""
        if before is None:
            return False
        missed = (before.status in TAKEN_FROM and now.status in DONE
                  and now.session != before.session)  # fmt: skip
        if missed or (before.status == IN_PROGRESS and now.status in FINISHED):
            at = time.monotonic()
            self.finished.append(at)
            while self.finished[0] < at - SPEED_WINDOW:
                self.finished.popleft()
        return missed

    def progress(self) -> dict[str, float]:
        """How far the queue is and how fast items finish: ``percent``, its items completed
        or skipped (decided), as the reports count it and round it (``reports.pace``: a
        failed item is not done); ``speed``, the items a batch finished (completed, failed
        or skipped) over the last ``SPEED_WINDOW`` seconds seen, a minute, to one decimal
        (0 once none finished in that time). Over the whole window, not between the first
        and the last finish: two items finished a moment apart are no pace of thousands."""
        total = sum(self.counts.values())
        since = time.monotonic() - SPEED_WINDOW
        recent = sum(1 for t in self.finished if t >= since)
        speed = recent / (SPEED_WINDOW / 60)
        decided = self.counts[COMPLETED] + self.counts[SKIPPED]
        return {"percent": percent(decided, total), "speed": round(speed, 1)}

    def summary(self) -> dict[str, int]:
        return {status: max(0, self.counts[status]) for status in STATUSES}


class HomeFollower:
    """Every queue of a data home, followed; the events seen, numbered and kept."""

    def __init__(self, home: Path, listener: Any = None):
        self.home = Path(home)
        self.listener = listener  # each queue's (``QueueFollow.listener``)
        self.queues: dict[str, QueueFollow] = {}
        self.events: deque[tuple[int, str, dict[str, Any]]] = deque(maxlen=KEPT)
        self.start = format(int(time.time() * 1000), "x")
        self.number = 0
        self._syncing = threading.Lock()  # one sync at a time (the poller, a request)
        self._lock = threading.Lock()  # what is followed, changed or read
        self.ready = False  # every queue read once: a sync since reads only what changed
        self.poll_problem = ""  # what stopped the last background sync, if anything
        self.changed = threading.Condition()

    def sync(self, *, wait: bool = True) -> None:
        """Read every queue's changes (and find queues made since). ``wait`` False: return
        at once while another thread makes the first read (a page shows what is held so
        far, ``reading``)."""
        if not self._syncing.acquire(blocking=wait or self.ready):
            return
        try:
            with self._lock:
                status = self.home / "status"
                try:
                    found = sorted(p.parent.name for p in status.glob(f"*/{QUEUE_FILE}"))
                except OSError:
                    found = []
                for kind in found:
                    if kind not in self.queues:
                        self.queues[kind] = QueueFollow(kind, status / kind,
                                                        listener=self.listener)  # fmt: skip
                for follow in self.queues.values():
                    follow.sync(self.emit, self._let_in)
            if not self.ready:
                gc.freeze()  # what the first read holds lives as long as the server
                self.ready = True
        finally:
            self._syncing.release()

    def _let_in(self) -> None:
        """Between two parts of a queue's first read: whoever waits to read what is held
        gets in (the lock let go a moment), and what was read so far is set apart from the
        garbage collector's passes (it lives as long as the server: never swept), which
        otherwise went over every item held again and again as the read went on."""
        self._lock.release()
        try:
            if not self.ready:
                gc.freeze()
            time.sleep(0.001)
        finally:
            self._lock.acquire()

    def reading(self) -> tuple[int, int] | None:
        """While the queues are read for the first time: the items read so far, and how
        many their files hold (0 of 0 before the read began); None once they were."""
        if self.ready:
            return None
        with self._lock:
            parts = [f.reading for f in self.queues.values() if f.reading is not None]
            done = sum(len(f.items) for f in self.queues.values() if f.reading is None)
        return done + sum(n for n, _ in parts), done + sum(m for _, m in parts)

    def states(self, working: int = 10) -> dict[str, dict[str, Any]]:
        """Each queue by kind as it is held now: its ``counts`` by status, its ``progress``,
        the first ``working`` items in progress (key, ``Seen``) and its ``problem``."""
        with self._lock:
            return {kind: {"counts": f.summary(), "progress": f.progress(), "problem": f.problem,
                           "working": list(islice(f.working.items(), working)),
                           "plugins_left_out": replace(f.plugins_left_out,
                                                       by_plugin=+f.plugins_left_out.by_plugin)}
                    for kind, f in sorted(self.queues.items())}  # fmt: skip

    def emit(self, kind: str, event: str, data: dict[str, Any]) -> None:
        """Keep one event and wake whoever waits for events."""
        with self.changed:
            self.number += 1
            self.events.append((self.number, event, data))
            self.changed.notify_all()

    def event_id(self, number: int) -> str:
        return f"{self.start}-{number}"

    def after(self, last_event_id: str | None) -> int:
        """The number to send events after, for a client's ``Last-Event-ID`` (0: every event
        kept, for an id of another start or none given: only new ones)."""
        if last_event_id is None:
            return self.number
        start, _, number = last_event_id.strip().partition("-")
        if start == self.start and number.isdigit():
            return min(int(number), self.number)
        return 0

    def since(self, number: int) -> Iterator[tuple[int, str, dict[str, Any]]]:
        with self.changed:
            kept = list(self.events)
        return (e for e in kept if e[0] > number)

    def in_flight(self) -> dict[str, list[dict[str, Any]]]:
        """The items each running session holds, by session: each one's name, key, stage
        and the cluster workers holding it (``/api/batches``)."""
        held: dict[str, list[dict[str, Any]]] = {}
        with self._lock:
            for follow in self.queues.values():
                for key, now in follow.working.items():
                    if now.session:
                        held.setdefault(now.session, []).append(
                            {"item": now.name, "key": key, "stage": now.stage,
                             "workers": list(now.workers)})  # fmt: skip
        return held

    def finished_by(self) -> dict[str, tuple[int, int]]:
        """What each session finished, as the queues say now: (items completed, items failed
        or skipped), by session."""
        found: dict[str, tuple[int, int]] = {}
        with self._lock:
            for follow in self.queues.values():
                for (session, status), n in follow.ended.items():
                    if n > 0 and session:
                        done, failed = found.get(session, (0, 0))
                        found[session] = ((done + n, failed) if status == COMPLETED
                                          else (done, failed + n))  # fmt: skip
        return found

    def held(self) -> Counter[tuple[str, str]]:
        """The items in flight each cluster worker holds now, by (kind, worker)."""
        with self._lock:
            return Counter((kind, worker) for kind, follow in self.queues.items()
                           for now in follow.working.values()
                           for worker in now.workers)  # fmt: skip

    def counts(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {kind: follow.summary() for kind, follow in sorted(self.queues.items())}

    def listed(self, kind: str, query: library.Query) -> tuple[int, list[library.Entry]]:
        """The items of ``kind`` that ``query`` asks for (KeyError: no such queue), read
        from what was followed: no queue file is read for it."""
        with self._lock:
            follow = self.queues[kind]
            ordered = follow.listing.ordered(follow.entries, follow.version, query.sort)
            return library.select(ordered, query)

    def named(self, kind: str, names: set[str]) -> dict[str, library.Entry]:
        """The completed items of ``kind`` called one of ``names``, by name (found by key
        where an item's key is its name, as it mostly is: the others looked for)."""
        with self._lock:
            follow = self.queues.get(kind)
            if follow is None:
                return {}
            found = {n: e for n in names if (e := follow.entries.get(n)) is not None
                     and e.name == n and e.status == COMPLETED}  # fmt: skip
            if left := names - found.keys():
                found |= {e.name: e for e in follow.entries.values()
                          if e.name in left and e.status == COMPLETED}  # fmt: skip
            return found

    def codes(self, kind: str) -> list[str]:
        with self._lock:
            follow = self.queues[kind]
            return follow.listing.codes(follow.entries, follow.version)

    def problems(self) -> dict[str, str]:
        found = {kind: f.problem for kind, f in self.queues.items() if f.problem}
        if self.poll_problem:
            found["(following)"] = self.poll_problem
        return found
