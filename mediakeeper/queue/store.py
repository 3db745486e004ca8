"""The durable JSON work queue, shared by every media kind.

Layout, beside ``processing_queue.json``:

* ``processing_queue.journal`` — one JSON line per committed change, each holding the full new
  state of the items it touched. Recording one item is an fsync'd append, not a rewrite of
  the whole file (docs/performance.md); ``transaction()`` makes several
  changes one line (a batch records the results that came back and claims as many items).
  Lines carry the queue's ``generation``; only lines of the current generation are replayed,
  so a fold or a restore that crashes half-way never replays stale lines.
* ``processing_queue.json.lock`` — the inter-process lock; every read-modify-write holds it.

The JSON file is rewritten atomically ("folded") at the end of a run, by
every queue-manager change, and when the journal grows long. A person opening it after a run
sees the complete current state.

``QueueStore`` is the one class callers use: the files, the lock, reading the state (with or
without the lock), the journal and folding; an item's life cycle (claimed in queue order,
how it went recorded, claims given back); checkpoints (one every ``checkpoint_every``
completions), and replacing the whole queue (``--init``, a checkpoint restored, how a person
gets back a queue that cannot be read; whatever is replaced is kept beside it, never lost).
Checking what is read is in ``mediakeeper.queue.files``, and the pure rules for items
(which transitions are legal, what an item looks like once given back) in
``mediakeeper.queue.items``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediakeeper.core import kinds
from mediakeeper.core.errors import QueueCorrupt, QueueError, QueueMissing
from mediakeeper.core.home import QUEUE_FILE
from mediakeeper.fs.atomic import (
    atomic_write_bytes,
    encode_text,
    keep_replaced,
    naming,
    replaced_stamp,
    write_all,
)
from mediakeeper.fs.names import free_by_serial
from mediakeeper.queue.files import (
    by_hand_hint,
    file_signature,
    generation_of,
    journal_entry,
    library_on_disk,
    parse_queue,
    queue_chunks,
    restore_hint,
)
from mediakeeper.queue.itemlist import ItemList, scan
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    IN_PROGRESS,
    PENDING,
    SKIPPED,
    check_transition,
    claim_is_stale,
    given_back,
    is_eligible,
    iso,
    make_claim,
)
from mediakeeper.queue.loading import held, load_queue
from mediakeeper.queue.session_log import ItemLine, finished_in, recover_items
from mediakeeper.text.commands import queue_manager
from mediakeeper.text.jsonfmt import dumps_one
from mediakeeper.text.visible import quoted, shell_word
from mediakeeper.text.wording import queue_name

if TYPE_CHECKING:
    from filelock import FileLock

JOURNAL_FILE = "processing_queue.journal"
CHECKPOINT_DIR = "checkpoints"
FOLD_AFTER_LINES = 500  # keep replay cheap for a long run
LOCK_TIMEOUT = 60.0
PEEK_TRIES = 20  # reads without the lock, each after a rewrite of the file seen during the last

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _no() -> None:
    """No check (see ``QueueStore.create``)."""


class QueueStore:
    """One queue file. All methods are safe to call from several processes at once."""

    def __init__(self, directory: Path, kind: str, clock: Clock = utc_now):
        self.dir = Path(directory)
        self.kind = kind
        self.path = self.dir / QUEUE_FILE
        self.journal_path = self.dir / JOURNAL_FILE
        self.checkpoint_dir = self.dir / CHECKPOINT_DIR
        self.clock = clock
        self._data: dict[str, Any] | None = None
        self._index: dict[str, int] = {}  # key -> position in the items
        self._signature: tuple | None = None
        self._journal_offset = 0
        self._journal_lines = 0
        self._completed: int | None = None  # see _completed_count
        self._last_checkpoint: int | None = None  # the count this store last checkpointed
        self._depth = 0  # nested locked() calls: the state cannot change under our own lock
        self._batched: dict[str, dict[str, Any]] | None = None  # see transaction()
        self._claim_from: dict[tuple[str, ...], int] = {}  # see claim_many

    @cached_property
    def _lock(self) -> FileLock:
        """The inter-process lock, made at its first use: a dry run, a report and every other
        reader ``peek`` without it, and need not import filelock (with its logging and
        decimal) at their start."""
        from filelock import FileLock

        return FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT)

    # ---- reading -----------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def locked(self, *, whole: bool = False) -> Iterator[dict[str, Any]]:
        """Hold the lock with the current state loaded; yields the live data (don't keep it).
        ``whole``: read to be handed out whole (see ``_sync``)."""
        if self._depth:  # already held by this store: nobody else can have changed the files
            yield self._data
            return
        if not self.path.exists():
            # Refused before any lock file or folder is made: a command refused for want of
            # a queue leaves the home as it found it (a stray .lock made a fresh home look
            # used). ``create`` and a restore take the lock themselves.
            raise QueueMissing(f"no {queue_name(self.kind)} at {self.path}")
        with self._holding():
            self._depth += 1
            try:
                yield self._sync(whole=whole)
            except BaseException:
                # The cached state may hold changes that never reached the journal (a
                # failed write, a refused update): read the files again next time.
                self._forget()
                raise
            finally:
                self._depth -= 1
            self._settle()

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """The lock held, for every command alike (a change, ``--init``, a restore): one that
        is not had within the wait (a batch holds it) is said as the queue locked and what to
        do, never as filelock's own words."""
        from filelock import Timeout  # (imported with the lock, at its first use)

        try:
            self._lock.acquire()
        except Timeout:
            raise QueueError(
                f"{self.path} is locked by another process",
                "wait for the running batch to finish, or stop it",
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def load(self) -> dict[str, Any]:
        """The current state, handed over: the store forgets it and re-reads on next use."""
        with self.locked(whole=True) as data:
            self._forget()
            return _handed_out(data)

    def peek(self) -> dict[str, Any]:
        """The current state without taking the lock or writing anything, not even a lock
        file or a folder: what read-only views, reports and dry runs use (a home the user
        cannot write, a mistyped one, a running batch: none gets in the way).

        Consistent without the lock because every writer either renames a whole new JSON file
        into place or appends whole journal lines of that file's generation (a torn last line
        is never replayed), and a fold or restore renames the new file before emptying the
        journal. Read while the JSON file stayed the same, the state is that file plus a
        prefix of its lines: a state that was committed. When the file was replaced during
        the read (the signature before and after differ), or a line read while a fold emptied
        the journal looks damaged, it is read again."""
        for attempt in range(PEEK_TRIES):
            try:
                before = file_signature(self.path)
            except FileNotFoundError:
                raise QueueMissing(f"no {queue_name(self.kind)} at {self.path}") from None
            try:
                data = self._sync(whole=True)
            except QueueCorrupt:
                self._forget()
                if attempt + 1 == PEEK_TRIES or not self._changed_since(before):
                    raise  # the damage is on disk, not a write seen half-way
                continue
            self._forget()
            if not self._changed_since(before):
                return _handed_out(data)
        raise QueueError(f"{self.path} kept changing while it was read", "try again in a moment")

    def read_through(self, key: str | None = None) -> Iterable[dict[str, Any]]:
        """Every item, for reading only, without the lock, as ``peek`` reads them (``key``:
        as ``itemlist.scan``'s). From the state this store holds when its files are still as
        it left them (the store that just made the queue, or changed it, holds it), which
        ``peek`` would hand out whole and forget, to be read from the file again at the next
        lock; else from ``peek``."""
        if self._data is not None and self._as_left():
            return scan(self._data["items"], key=key)
        return scan(self.peek()["items"], key=key)

    def _as_left(self) -> bool:
        """Whether the queue's files are as this store last wrote or read them."""
        try:
            journal = os.path.getsize(self.journal_path)
        except FileNotFoundError:
            journal = 0
        return journal == self._journal_offset and not self._changed_since(self._signature)

    def _changed_since(self, signature: tuple) -> bool:
        try:
            return file_signature(self.path) != signature
        except FileNotFoundError:
            return True

    def _forget(self) -> None:
        self._data, self._signature, self._index, self._batched = None, None, {}, None
        self._derived_reset()

    def _derived_reset(self) -> None:
        """The items changed in ways this store did not follow: drop what it derived from
        them (the completed count, where claims go on from)."""
        self._completed = None
        self._claim_from = {}

    def item(self, key: str) -> dict[str, Any]:
        with self.locked() as data:
            return dict(data["items"][self._index[key]])

    def _sync(self, *, whole: bool = False) -> dict[str, Any]:
        """Bring the cached state up to date: reload the JSON if it changed, replay new lines.
        The file is read into a spill a line at a time (``loading.py``), or, ``whole``, for a
        state handed out at once and forgotten (``load``, ``peek``), parsed whole: its items
        are decoded once, with nothing written."""
        try:
            signature = file_signature(self.path)
        except FileNotFoundError:
            raise QueueMissing(f"no {queue_name(self.kind)} at {self.path}") from None
        if signature != self._signature:
            if whole:  # as before the spill: every item live, never spilled, a dict's index
                self._data = parse_queue(self.path.read_bytes(), self.path, self.recovery_hint)
                self._index = {item["key"]: n for n, item in enumerate(self._data["items"])}
                self._data["items"] = ItemList(self._data["items"])
            else:
                self._data, self._index = load_queue(self.path, self.recovery_hint, self.dir)
            try:
                self._refuse_another_kind(self._data, self.path)  # one put here by hand
            except QueueCorrupt:
                self._forget()  # none of this kind's items
                raise
            self._signature = signature
            self._journal_offset = 0
            self._journal_lines = 0
            self._derived_reset()
        self._replay_journal()
        assert self._data is not None
        return self._data

    def _refuse_another_kind(self, data: Mapping[str, Any], path: Path, hint: str = "") -> None:
        """Another kind's queue where this kind's is read or restored from: refused, naming
        what it is (one without a kind, an older release's, is this kind's)."""
        if (found := data.get("kind")) not in (None, self.kind):
            raise QueueCorrupt(f"{path} is a {found!r} queue, not the {queue_name(self.kind)}",
                               hint or "nothing was changed; move it where its kind keeps its "
                               f"queue, status/{found}/, or aside")  # fmt: skip

    def _replay_journal(self) -> None:
        try:
            with open(self.journal_path, "rb") as f:
                f.seek(self._journal_offset)
                chunk = f.read()
        except FileNotFoundError:
            return
        generation = self._data.get("generation", 1)
        consumed = 0
        for raw in chunk.splitlines(keepends=True):
            if not raw.endswith(b"\n"):
                break  # a torn tail from a writer that was killed mid-append: never returned
            at = self._journal_offset + consumed
            entry = journal_entry(raw, self.journal_path, at, self.recovery_hint)
            consumed += len(raw)
            if entry["gen"] == generation:
                self._apply(entry)
                self._journal_lines += 1
                self._completed = None  # another process changed items
                self._claim_from = {}
        self._journal_offset += consumed

    def manager_command(self) -> str:
        """The queue manager's command for this queue, wherever it is typed: the data home
        is the folder holding ``status/<kind>/``."""
        return queue_manager(self.kind, os.path.abspath(self.dir.parent.parent))

    def _apply(self, entry: Mapping[str, Any]) -> None:
        items = self._data["items"]
        for item in entry.get("items", ()):
            position = self._index.get(item["key"])
            if position is None:
                self._index[item["key"]] = len(items)
                items.append(item)
            else:
                items[position] = item
        if "at" in entry:
            self._data["updated_at"] = entry["at"]

    # ---- writing -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        """Hold the lock and write every change made inside as one journal line, with one
        fsync: a batch records results and claims the next items together. A crash before the
        end loses them all, and a half-written line is never replayed. One that raises wrote
        no line (short of a failed fsync, which cannot tell), so the caller may act on it."""
        with self.locked() as data:
            if self._batched is not None:  # nested: the outer transaction writes
                yield data
                return
            self._batched = {}
            try:
                yield data
                self._flush()
            finally:
                self._batched = None

    def _commit(self, changed: list[dict[str, Any]]) -> None:
        """Journal the changed items (call with the lock held): now, or at the end of the
        transaction in progress."""
        if self._batched is None:
            self._write_line(changed)
        else:
            for item in changed:
                self._batched[item["key"]] = item

    def _flush(self) -> None:
        """Write what the transaction in progress changed so far."""
        if self._batched:
            changed = list(self._batched.values())
            self._batched.clear()
            self._write_line(changed)

    def _write_line(self, changed: list[dict[str, Any]]) -> None:
        """Append the changed items as one journal line."""
        stamp = iso(self.clock())
        head = dumps_one({"gen": self._data.get("generation", 1), "at": stamp})[:-1]
        items = ", ".join(dumps_one(item) for item in changed)
        line = encode_text(f'{head}, "items": [{items}]}}\n')
        with naming(self.journal_path):
            fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                # Cut off a torn tail left by a killed writer before appending after it.
                if os.fstat(fd).st_size != self._journal_offset:
                    os.ftruncate(fd, self._journal_offset)
                os.lseek(fd, self._journal_offset, os.SEEK_SET)
                write_all(fd, line)
                os.fdatasync(fd)
            finally:
                os.close(fd)
        self._journal_offset += len(line)
        self._journal_lines += 1
        self._data["updated_at"] = stamp
        if self._journal_lines >= FOLD_AFTER_LINES:
            # The line is on disk: a write that raises must mean it is not (the batch counts
            # on that). A fold the disk refuses is housekeeping, tried again after the next line.
            with suppress(OSError):
                self._fold()

    def _settle(self) -> None:
        """The items decoded for the locked section just ended go back to their JSON."""
        if self._data is not None and isinstance(self._data["items"], ItemList):
            # A spill that cannot be read back to be rewritten (a failing disk) stays as it
            # is: whatever this section wrote to the journal stands, and its caller must not
            # be told otherwise.
            with suppress(OSError):
                self._data["items"].settle()

    def _file_chunks(self, data: dict[str, Any]) -> Iterator[bytes]:
        """The queue file's bytes for ``data``, a block at a time, its items' lines copied
        from the spill as they are (only the items changed since were encoded again)."""
        items = data["items"]
        if isinstance(items, ItemList):
            data = {**data, "items": items.encoded()}
        return queue_chunks(data)

    def _fold(self) -> None:
        """Rewrite the JSON file atomically from the current state, then empty the journal.
        Refused at either step, the state on disk is still whole: the journal's lines are of
        the old generation once the JSON file is written, and are skipped."""
        self._write_json(self._data)
        if self._journal_offset or self.journal_path.exists():
            with naming(self.journal_path), open(self.journal_path, "wb") as f:
                self._journal_offset = self._journal_lines = 0  # emptied, whatever fsync says
                os.fsync(f.fileno())
        else:
            self._journal_lines = 0

    def _write_json(self, data: dict[str, Any]) -> None:
        # The fold moves journal content into the file: the next generation makes sure a crash
        # between the rename and the journal truncation can never replay those lines again.
        generation = data.get("generation", 1)
        data["generation"] = generation + 1
        try:
            atomic_write_bytes(self.path, self._file_chunks(data))
        except BaseException:  # the file was not replaced: lines still go to its generation
            data["generation"] = generation
            raise
        self._signature = file_signature(self.path)

    def fold(self) -> None:
        """Move the journal into the JSON file; with an empty journal the file is current
        already and is left alone (a batch that did nothing rewrites nothing)."""
        with self.locked():
            try:
                pending = os.path.getsize(self.journal_path)
            except FileNotFoundError:
                pending = 0
            if pending:
                self._fold()

    def update(self, mutate: Callable[[dict[str, Any]], list[dict[str, Any]]], *, fold=False):
        """Run ``mutate(data)`` under the lock; it changes items in place and returns them.
        A returned item with a new key is added to the queue. An item read with
        ``itemlist.scan`` (which keeps none of them decoded) is a copy: returned, it takes
        its item's place."""
        with self.locked() as data:
            changed = mutate(data)
            self._derived_reset()  # mutate may change any item, returned or not
            if changed:
                self._apply({"items": changed})  # the live state is what the journal line says
                self._commit(changed)
            if fold and changed:  # a command that changed nothing leaves the file alone
                self._fold()
            return changed

    def update_item(self, key: str, change: Callable[[dict[str, Any]], bool], *, fold=False):
        """Run ``change(item)`` on the item ``key`` under the lock, found by its key (no other
        item is read); it changes the item in place and returns True, or leaves it alone and
        returns False. A changed item is journaled (``fold``: and the file rewritten). False
        for a key the queue does not hold."""
        with self.locked() as data:
            position = self._index.get(key)
            if position is None or not change(data["items"][position]):
                return False
            self._derived_reset()  # its status may have changed
            self._commit([data["items"][position]])
            if fold:
                self._fold()
            return True

    # The life cycle of an item: claimed in queue order, how it went recorded, given back.

    def _set_status(self, item: dict[str, Any], status: str) -> None:
        check_transition(item["status"], status)
        if self._completed is not None:
            self._completed += (status == COMPLETED) - (item["status"] == COMPLETED)
        item["status"] = status
        for statuses, first in self._claim_from.items():
            if status in statuses:  # it may be claimed again: claims must look from it on
                self._claim_from[statuses] = min(first, self._index.get(item["key"], 0))

    def _completed_count(self, data: dict[str, Any]) -> int:
        """Completed items, for the checkpoint rule: counted once, then kept by _set_status
        while only this process changes the queue (a count per record would be O(n))."""
        if self._completed is None:
            self._completed = sum(1 for i in scan(data["items"]) if i["status"] == COMPLETED)
        return self._completed

    def claim_next(
        self,
        session: str,
        *,
        statuses: tuple[str, ...] = (PENDING,),
        keys: set[str] | None = None,
    ) -> dict[str, Any] | None:
        """Claim the first item in queue order whose status is one of ``statuses``."""
        claimed = self.claim_many(session, 1, statuses=statuses, keys=keys)
        return claimed[0] if claimed else None

    def claim_many(
        self,
        session: str,
        count: int,
        *,
        statuses: tuple[str, ...] = (PENDING,),
        keys: Collection[str] | None = None,
        skip: Container[str] = frozenset(),
    ) -> list[dict[str, Any]]:
        """Claim up to ``count`` items in queue order, in one transaction (one journal line);
        ``keys``: only theirs, in their own order where they have one (a list, a dict: a
        scrub's, never verified first), else (a set) in the queue's. ``skip``: keys not to
        take (a batch never takes an item twice)."""
        claimed: list[dict[str, Any]] = []
        with self.locked() as data:
            items, now = data["items"], self.clock()
            # Claims start where the last one with these statuses left off: no item before it
            # could be taken, and _set_status moves it back for one that can again: a claim
            # does not walk the whole queue.
            first = self._claim_from.get(statuses, 0) if keys is None else 0
            frontier = first  # every item before it: not eligible, or claimed just now
            # Looked at one at a time (scan keeps none decoded); only those claimed are taken
            # live, to be changed in place.
            if keys is None or isinstance(keys, AbstractSet):
                looked_at = enumerate(scan(items, first), first)
            else:
                at = [self._index[key] for key in keys if key in self._index]
                looked_at = ((position, next(iter(scan(items, position)))) for position in at)
            for position, seen in looked_at:
                if len(claimed) == count:
                    break
                if not is_eligible(seen, statuses, keys) or seen["key"] in skip:
                    if frontier == position and seen["key"] not in skip:
                        frontier += 1
                    continue
                item = items[position]
                was = item["status"]
                self._set_status(item, IN_PROGRESS)
                item["claimed_by"] = make_claim(session, now, was, item.get("started_at"))
                item["started_at"] = iso(now)
                if "workers" in (item.get("details") or {}):  # a stopped batch's: none holds it now
                    item["details"] = {k: v for k, v in item["details"].items() if k != "workers"}
                # Kept across an interrupted attempt, so the job can resume its own work file.
                item["run_token"] = item.get("run_token") or f"{session}:{item['key']}"
                claimed.append(item)
                if frontier == position:
                    frontier += 1
            if keys is None:
                self._claim_from[statuses] = frontier
            if claimed:
                self._commit(claimed)
        return [dict(item) for item in claimed]

    def _give_back(self, item: dict[str, Any]) -> None:
        back = given_back(item)
        self._set_status(item, back.pop("status"))
        item.update(back)

    def _owned(self, data: dict[str, Any], key: str, session: str) -> dict[str, Any]:
        item = data["items"][self._index[key]]
        claim = item.get("claimed_by") or {}
        if item["status"] != IN_PROGRESS or claim.get("session") != session:
            raise QueueError(f"{quoted(item['name'])} is no longer claimed by session {session}")
        return item

    def record_success(
        self,
        key: str,
        session: str,
        *,
        counts: Mapping[str, int] | None = None,
        details: Mapping[str, Any] | None = None,
        checkpoint_every: int = 0,
    ) -> Path | None:
        """Mark the item completed. Returns the checkpoint written, if this one was due."""
        with self.locked() as data:
            item = self._owned(data, key, session)
            self._set_status(item, COMPLETED)
            item.update(counts or {})
            item["details"] = {**item.get("details", {}), **(details or {})}
            item["attempts"] += 1
            item["failures"] = 0
            item["completed_at"] = iso(self.clock())
            item["completed_by"] = session  # who did it, seen by a follower that missed the claim
            item["claimed_by"] = None
            item["last_error"] = None
            item["run_token"] = None
            self._commit([item])
            done = self._completed_count(data)
            # Not again at the same count: --enrich takes completed items and completes them
            # once more, which returns the count to the multiple it was already at.
            if checkpoint_every and done % checkpoint_every == 0 and done != self._last_checkpoint:
                return self._checkpoint(done)
        return None

    def note_stage(self, key: str, session: str, stage: str | None = None, *,
                   workers: list[str] | None = None) -> None:  # fmt: skip
        """How far the job got with an item this session holds (``details.stage``, see
        ``mediakeeper.batch.stage_progress``); kept when the item is given back, so a person sees
        where it stopped. ``workers``: the cluster workers holding its steps now
        (``details.workers``)."""
        said = {"stage": stage, "workers": workers}
        changes = {name: value for name, value in said.items() if value is not None}
        with self.locked() as data:
            item = self._owned(data, key, session)
            details = item.get("details") or {}
            if any(details.get(name) != value for name, value in changes.items()):
                item["details"] = {**details, **changes}
                self._commit([item])

    def record_failure(
        self, key: str, session: str, *, stage: str, message: str, max_attempts: int = 3
    ) -> str:
        """Mark the item ``error``, or ``skipped`` once it has failed ``max_attempts`` times
        since it last succeeded or was reset (a queue from before ``failures``: since then).
        An item a refresh found gone while it was held (``dupes set-aside`` moved its folder
        aside) is no broken item: it goes back as it was claimed, marked missing, no attempt
        counted; the status it went back to is returned."""
        with self.locked() as data:
            item = self._owned(data, key, session)
            if item.get("missing"):
                self._give_back(item)
                self._commit([item])
                return item["status"]
            item["attempts"] += 1
            item["failures"] = item.get("failures", 0) + 1
            now = iso(self.clock())
            item["error_history"].append(
                {"at": now, "stage": stage, "message": message, "session": session}
            )
            item["last_error"] = message
            item["claimed_by"] = None
            item["run_token"] = None
            status = SKIPPED if max_attempts and item["failures"] >= max_attempts else ERROR
            self._set_status(item, status)
            self._commit([item])
            return status

    def release(self, key: str, session: str, *, untouched: bool = False) -> None:
        """Give an unfinished claim back (interrupted): the status it was claimed from, no
        attempt counted. ``untouched``: its attempt changed nothing (an --enrich lookup that
        failed first), so no work of it is left to resume either: its run token goes too,
        and the item is as it was before the claim."""
        with self.locked() as data:
            item = self._owned(data, key, session)
            self._give_back(item)
            if untouched:
                item["run_token"] = None
            self._commit([item])

    def release_stale(self, is_stale: Callable[[Any], bool] = claim_is_stale) -> list[str]:
        """Give back every in_progress item whose process is gone. The sessions that held
        those claims crashed: the items the queue says they finished and their records lost
        (a power cut takes a record's unflushed last lines) are written back to their records
        (``session_log.recover_items``), before the claims that tell of the crash are gone."""
        crashed: dict[str, list[ItemLine]] = {}

        def mutate(data):
            changed = []
            # One at a time, only the lines naming a claim decoded (every batch's start, however
            # many items are done or wait); update() puts those changed back.
            for item in scan(data["items"], key=IN_PROGRESS):
                if item["status"] == IN_PROGRESS and is_stale(claim := item.get("claimed_by")):
                    crashed.setdefault((claim or {}).get("session"), [])
                    self._give_back(item)
                    changed.append(item)
            crashed.pop(None, None)
            if crashed:  # after a crash alone: what its sessions finished, read again
                for item in scan(data["items"]):
                    if done := finished_in(item, crashed):
                        crashed[done[0]].append(done[1])
                recover_items(self.dir, crashed)
            return changed

        return [item["name"] for item in self.update(mutate)]

    # Checkpoints, and replacing the whole queue (whatever is replaced is kept beside it).

    def checkpoint(self) -> Path:
        with self.locked() as data:
            return self._checkpoint(self._completed_count(data))

    def _checkpoint(self, done: int) -> Path:
        # Written from the live state: folding the queue first would write it all twice. What
        # a transaction changed so far is journaled first: a checkpoint never runs ahead.
        self._flush()
        noun = kinds.noun(self.kind)
        stem = f"checkpoint_{self.clock().date().isoformat()}_{noun}_{done:03d}"
        # A second of the same day and count (a skip, or a reset and a re-run, between) is
        # another state: it never replaces the first, which may be the one to go back to.
        # (Under the queue's lock: no other checkpoint is being named meanwhile.)
        stem = free_by_serial(stem, lambda s: (self.checkpoint_dir / f"{s}.json").exists())
        target = self.checkpoint_dir / f"{stem}.json"
        atomic_write_bytes(target, self._file_chunks(self._data))
        self._last_checkpoint = done
        return target

    def checkpoints(self) -> list[Path]:
        """Oldest first, by modification time then name."""
        if not self.checkpoint_dir.is_dir():
            return []
        found = [p for p in self.checkpoint_dir.glob("checkpoint_*.json") if p.is_file()]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def restore(self, checkpoint: Path, check: Callable[[], None] = _no) -> Path | None:
        """Replace the queue by a checkpoint after validating it; keeps a copy of the old one.
        ``check``: as for ``create``."""
        listed = f"`{self.manager_command()} --list-checkpoints` shows the others"
        others = f"the queue was not touched; {listed}"
        restored = load_queue(checkpoint, lambda by_hand=False: others, self.dir)
        self._refuse_another_kind(restored[0], checkpoint, others)
        # Another home's queue (of another library) would bind this home to that library:
        # refused where this queue can be read (a damaged one is what a restore mends: what
        # it seems to name may be the damage).
        try:
            ours = self.peek().get("library") if self.exists() else None
        except (QueueError, OSError):
            ours = None
        theirs = restored[0].get("library")
        if (isinstance(ours, str) and isinstance(theirs, str)
                and os.path.normpath(theirs) != os.path.normpath(ours)):
            raise QueueCorrupt(f"{checkpoint} is the queue of another library ({theirs}), not of "
                               f"this one ({ours})", others)  # fmt: skip
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._holding():
            check()
            return self._replace_with(*restored)

    def _current_generation(self) -> int:
        """The highest generation on disk, read leniently (the queue may be the broken part)."""
        generations = [1]
        with suppress(OSError):
            generations.append(generation_of(self.path.read_bytes(), "generation") or 1)
        with suppress(OSError):
            for line in self.journal_path.read_bytes().splitlines():
                generations.append(generation_of(line, "gen") or 1)
        return max(generations)

    def create(
        self, data: dict[str, Any], *, replace: bool = False, check: Callable[[], None] = _no
    ) -> Path | None:
        """Write a brand-new queue (``--init``). Refuses to replace one unless told to; the
        one it replaces (damaged or not) is kept beside it, and returned. ``check`` runs with
        the lock held before a queue is replaced, and may refuse (raise)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._holding():
            if self.path.exists():
                if not replace:
                    raise QueueError(
                        f"a {queue_name(self.kind)} already exists at {self.path}",
                        "--refresh adds new folders; --init --force replaces it",
                    )
                check()
            return self._replace_with(data)

    def _replace_with(
        self, data: dict[str, Any], index: dict[str, int] | None = None
    ) -> Path | None:
        """Put ``data`` in place of the queue, whatever it holds (call with the lock held);
        the files it replaces are kept beside it (``_keep_replaced``), the queue's is returned.
        ``data``'s items: a list of dicts, or a spill read by ``load_queue`` with its ``index``."""
        backup = self._keep_replaced()
        # The file is written one generation above anything the old journal holds: its lines
        # are never replayed, not even by a reader that read the new file before the journal
        # was emptied.
        data["generation"] = max(data.get("generation", 1), self._current_generation())
        if index is None:
            data, index = held(data, self.dir)  # held in a spill, as a store reads them
        self._data, self._index = data, index
        self._journal_offset = 0
        self._derived_reset()
        self._fold()
        return backup

    def _keep_replaced(self) -> Path | None:
        """Copy the queue file and a journal with lines beside them as ``*.replaced-<time>``
        (call with the lock held, before replacing them); returns the queue's copy."""
        stamp = replaced_stamp(self.dir, self.clock().strftime("%Y%m%dT%H%M%S"))
        if self.journal_path.exists() and self.journal_path.stat().st_size:
            keep_replaced(self.journal_path, stamp)
        return keep_replaced(self.path, stamp) if self.path.exists() else None

    def recovery_hint(self, *, by_hand: bool = False) -> str:
        """How a person gets this queue back when it cannot be read: the latest checkpoint
        (see restore_hint) or, with none yet (a library under ``checkpoint_every`` items has
        none), a new queue of the same library, which keeps the damaged file beside it."""
        record = kinds.get(self.kind)
        managed = self.kind in kinds.KINDS and record.runs_as is None
        if managed and self.checkpoints():
            return restore_hint(self.manager_command(), by_hand=by_hand)
        library = library_on_disk(self.path, self.journal_path)
        noun = kinds.noun(self.kind)
        where = shell_word(library) if library else "PATH"
        what = "" if library else f", PATH being the folder of your {noun} folders,"
        edit = by_hand_hint(by_hand)
        kept = "the undo journals, outputs and session logs are not touched"
        if not managed:
            # No queue manager restores a checkpoint or makes a queue anew (a pipeline's: its
            # `pipeline run` makes its queue; a kind this process does not know, which a
            # pipeline's is outside its run): the damaged file moved aside, its run makes one.
            run = (f"`{record.runs_as(os.path.abspath(self.dir.parent.parent), library)}`"
                   if record.runs_as else "its next batch")  # fmt: skip
            return (f"nothing was changed; {edit}move {self.path} aside: {run} then makes a "
                    f"new queue, every {noun} pending ({kept})")  # fmt: skip
        return (
            f"nothing was changed; {edit}there is no checkpoint to restore yet: "
            f"`{self.manager_command()} --init --force --library {where}`{what} makes a new "
            f"queue, every {noun} pending (the damaged file is kept beside it; {kept})"
        )


def _handed_out(data: dict[str, Any]) -> dict[str, Any]:
    """The state as a caller gets it whole (``load``, ``peek``): its items as a plain list of
    dicts, as the file has them, whatever the store held them as."""
    items = data["items"]
    return {**data, "items": items.decoded()} if isinstance(items, ItemList) else data


def statuses_of(data: Mapping[str, Any]) -> dict[str, int]:
    counts = {status: 0 for status in (PENDING, IN_PROGRESS, COMPLETED, ERROR, SKIPPED)}
    for item in data["items"]:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    return counts
