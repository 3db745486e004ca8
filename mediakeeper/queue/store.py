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

``QueueStore`` is the one class callers use. This module holds what every other part stands
on: the files, the lock, reading the state (with or without the lock), the journal and
folding. The item life cycle (claims, results) is in ``mediakeeper.queue.claims``,
checkpoints and replacing the whole queue in ``mediakeeper.queue.checkpoints``, both mixed
into ``QueueStore``; checking what is read is in ``mediakeeper.queue.files``, and the pure
rules for items in ``mediakeeper.queue.items``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediakeeper.core.commands import queue_manager
from mediakeeper.core.errors import QueueCorrupt, QueueError, QueueMissing
from mediakeeper.core.home import QUEUE_FILE
from mediakeeper.fs.atomic import atomic_write_bytes, encode_text, naming, write_all
from mediakeeper.queue.checkpoints import CheckpointsMixin
from mediakeeper.queue.claims import ClaimsMixin
from mediakeeper.queue.files import file_signature, journal_entry, parse_queue, queue_chunks
from mediakeeper.queue.itemlist import ItemList
from mediakeeper.queue.items import COMPLETED, ERROR, IN_PROGRESS, PENDING, SKIPPED, iso
from mediakeeper.queue.loading import load_queue
from mediakeeper.text.jsonfmt import dumps_one
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


class QueueStore(ClaimsMixin, CheckpointsMixin):
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
        from filelock import Timeout  # (imported with the lock, at its first use)

        try:
            with self._lock:
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
        except Timeout:
            raise QueueError(
                f"{self.path} is locked by another process",
                "wait for the running batch to finish, or stop it",
            ) from None

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
            self._signature = signature
            self._journal_offset = 0
            self._journal_lines = 0
            self._derived_reset()
        self._replay_journal()
        assert self._data is not None
        return self._data

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
