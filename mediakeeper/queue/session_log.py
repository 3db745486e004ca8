"""Session records: one per batch run.

Each session writes two things under ``status/<kind>/``:

* ``session_logs/YYYYMMDD_<kind>_NNN.log`` — an append-only log for a person: start, each item
  with its outcome, errors, and how the run ended (completed, interrupted, failed).

A session id names its kind (``20261122_music_001``, ``20261122_movies_001``), so ids are
unique within the data home: undo, the change journals and the reports can take one without
being told the kind. Ids of older sessions (``20261122_session_001``) keep working as they are.
* ``sessions.jsonl`` — append-only events for machines (start, item, end). ``load_sessions``
  folds them into one record per session; a session with no end event whose process is gone
  stopped before it could record why (``UNRECORDED``): killed, crashed, or its data home
  full, which refuses the very line that would say so. The record cannot tell which, and
  says no more than it knows.

Beside them, ``sessions.checkpoint.json`` holds that fold as it stood at one byte of the log,
with a checksum of the log up to there: a reader that finds the log's start unchanged folds
only the lines after it. The closing reports (after a batch, an undo or a kept duplicate)
write it anew once the lines after it have grown by ``CHECKPOINT_EVERY``; it is derived and
may be deleted at any time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from mediakeeper.fs import last_given
from mediakeeper.fs.atomic import append_lines, atomic_write_bytes, encode_text, naming
from mediakeeper.queue.items import ERROR, SKIPPED, claim_is_stale, iso, last_failure
from mediakeeper.system.processes import host, own_start_time
from mediakeeper.text.jsonfmt import dumps_one
from mediakeeper.text.visible import visible

Clock = Callable[[], datetime]
EVENTS_FILE = "sessions.jsonl"
LOG_DIR = "session_logs"
CHECKPOINT_FILE = "sessions.checkpoint.json"
# How many bytes of events past the checkpoint the closing reports let stand before they write
# it anew: about twenty batches of ten, which every reader then folds line by line.
CHECKPOINT_EVERY = 64 * 1024
CHECKPOINT_FORMAT = 1

COMPLETED, INTERRUPTED, FAILED, UNRECORDED, RUNNING = (
    "completed",
    "interrupted",
    "failed",
    "unrecorded",  # its process is gone without an end: see the module's docstring
    "running",
)
# An outcome in a sentence, where its word alone would not say it.
OUTCOME_SAID = {UNRECORDED: "unrecorded (it stopped before it could record why)"}


class ItemLine(NamedTuple):
    """One finished item: ``outcome`` is completed, error, skipped or released."""

    key: str
    name: str
    outcome: str
    figures: Mapping[str, Any]


class Session:
    """A running batch. Create with :func:`start_session`."""

    def __init__(self, kind_dir: Path, session_id: str, log_path: Path, clock: Clock):
        self.kind_dir = kind_dir
        self.id = session_id
        self.log_path = log_path
        self.clock = clock
        self.started_at = clock()
        self.ended = False

    def log(self, message: str) -> None:
        self._log_lines(message.splitlines() or [""])

    def _log_lines(self, lines: list[str]) -> None:
        # A person reads the log in a terminal (``cat``, ``tail -f``): a name's escape sequence
        # or right-to-left override is shown as its escape there, as on every terminal line.
        stamp = self.clock().isoformat(sep=" ", timespec="seconds")
        lines = [visible(line) for line in lines]
        with (
            naming(self.log_path),
            open(self.log_path, "a", encoding="utf-8", errors="backslashreplace") as f,
        ):
            f.write("".join(f"{stamp}  {line}\n" for line in lines))

    def _events(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        at = iso(self.clock())
        lines = (
            dumps_one({"session": self.id, "event": event, "at": at, **fields})
            for event, fields in events
        )
        append_lines(
            self.kind_dir / EVENTS_FILE,
            encode_text("".join(f"{line}\n" for line in lines)),
            durable=False,
        )

    def _event(self, event: str, **fields: Any) -> None:
        self._events([(event, fields)])

    def item(self, key: str, name: str, outcome: str, **figures: Any) -> None:
        """One finished item: outcome is completed, error, skipped or released."""
        self.items([ItemLine(key, name, outcome, figures)])

    def items(self, finished: list[ItemLine]) -> None:
        """Finished items, with one write to the log and one to the events."""
        if not finished:
            return
        lines = []
        for _key, name, outcome, figures in finished:
            detail = ", ".join(
                f"{k.replace('_', ' ')} {_said(v)}" for k, v in figures.items() if k != "error"
            )
            text = f"{outcome.upper():<10} {name}" + (f" ({detail})" if detail else "")
            if error := figures.get("error"):
                text += f"\n           error: {error}"
            lines += text.splitlines()  # a name may hold a line break too: each line stamped
        self._log_lines(lines)
        self._events(
            [("item", {"key": k, "name": n, "outcome": o, **f}) for k, n, o, f in finished]
        )

    def end(self, outcome: str, summary: Mapping[str, Any] | None = None) -> None:
        if self.ended:
            return
        self.ended = True
        seconds = round((self.clock() - self.started_at).total_seconds(), 3)
        summary = dict(summary or {})
        # A list (the services the run went on without) is the record's: each has its line.
        parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()
                          if not isinstance(v, list | dict))  # fmt: skip
        self.log(f"END {outcome} after {seconds:.0f}s" + (f": {parts}" if parts else ""))
        self._event("end", outcome=outcome, seconds=seconds, **summary)


def start_session(
    status_dir: Path,
    kind: str,
    *,
    clock: Clock = lambda: datetime.now(UTC),
    description: str = "",
    settings: Mapping[str, Any] | None = None,
    args: list[str] | None = None,
) -> Session:
    """Open a new session with the kind's next number of the day, never given before in this
    data home (``fs.last_given``: its log may be deleted, its records and journals stay).
    ``args``: the batch command's options that say how it works (not which items it
    takes), so that ``sessions.py resume`` runs what it left unfinished the same way."""
    kind_dir = status_dir / kind
    log_dir = kind_dir / LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    day = clock().strftime("%Y%m%d")

    def choose(last: str | None) -> str:
        number = _next_of_day(last, day, kind) or 1 + _highest_of_day(kind_dir, day, kind)
        while True:  # (a log there already: an older release's session, given without the file)
            session_id = f"{day}_{kind}_{number:03d}"  # kind_of reads it back
            try:
                os.close(os.open(log_dir / f"{session_id}.log",
                                 os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))  # fmt: skip
                return session_id
            except FileExistsError:
                number += 1

    session_id = last_given.give(status_dir, kind, choose)
    log_path = log_dir / f"{session_id}.log"
    session = Session(kind_dir, session_id, log_path, clock)
    pid = os.getpid()
    session.log(
        f"START session {session_id} ({kind}{', ' + description if description else ''}; "
        f"pid {pid} on {host()})"
    )
    session._event(
        "start",
        kind=kind,
        host=host(),
        pid=pid,
        pid_started=own_start_time(),
        description=description,
        **({"settings": dict(settings)} if settings else {}),
        **({"args": list(args)} if args else {}),
    )
    return session


def log_to(kind_dir: Path, session_id: str, lines: list[str],
           clock: Clock = lambda: datetime.now(UTC)) -> None:  # fmt: skip
    """``lines`` in the log of the running session ``session_id``, from any of its processes
    (a worker's, where the batch's ``Session`` is not): each line stamped, as its own are."""
    if lines:
        Session(kind_dir, session_id, kind_dir / LOG_DIR / f"{session_id}.log", clock
                )._log_lines(lines)  # fmt: skip


def _next_of_day(last: str | None, day: str, kind: str) -> int | None:
    """The number after ``last``, the kind's last id given: 1 on a later day; None when it
    cannot tell (no id recorded, or one of a later day: a clock set back)."""
    if last is None or kind_of(last) != kind:
        return None
    then, number = last[:8], last.rpartition("_")[2]
    return int(number) + 1 if then == day else 1 if then < day else None


def _highest_of_day(kind_dir: Path, day: str, kind: str) -> int:
    """The highest number of the kind's ids of ``day`` that anything of the kind still names:
    its logs, its change journals, its records (read whole: only where ``fs.last_given``
    recorded no id of the kind, once); 0 for none."""
    # (Here, not at the top: every batch's start, a dry run's too, imports this module, and
    # only a home without a recorded id comes here.)
    from mediakeeper.changes.journal import CHANGES_DIR

    prefix = f"{day}_{kind}_"
    number = re.compile(re.escape(prefix) + r"(\d+)\b")
    folders = (kind_dir / LOG_DIR, kind_dir / CHANGES_DIR)
    names = [p.name for folder in folders for p in folder.glob(prefix + "*")]
    found = [int(m[1]) for name in names if (m := number.match(name))]
    with contextlib.suppress(FileNotFoundError), open(kind_dir / EVENTS_FILE, "rb") as lines:
        needle = encode_text(prefix)
        for line in lines:
            if needle in line:
                found += (int(n) for n in number.findall(line.decode("utf-8", "replace")))
    return max(found, default=0)


def kind_of(session_id: str) -> str:
    """The kind a session id names (``<yyyymmdd>_<kind>_<n>``; a pipeline's kind may hold
    "_" itself); "" when it is not such an id."""
    day, _, rest = session_id.partition("_")
    kind, _, number = rest.rpartition("_")
    return kind if len(day) == 8 and day.isdigit() and number.isdigit() and kind else ""


def _said(figure: Any) -> str:
    """A figure as the log says it: a list (the plugins an item lacks) its items joined."""
    return ", ".join(map(str, figure)) if isinstance(figure, list) else str(figure)


@dataclass
class SessionRecord:
    id: str
    kind: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: str = RUNNING
    items: list[dict[str, Any]] = field(default_factory=list)  # empty unless asked for
    summary: dict[str, Any] = field(default_factory=dict)
    pid: int | None = None  # the batch's process, and the host it runs on
    host: str | None = None
    args: list[str] = field(default_factory=list)  # how its batch was run (start_session)
    description: str = ""
    settings: dict[str, Any] = field(default_factory=dict)  # its batch's: batch_size, statuses
    # Counted from its item events as they are read, kept or not (see load_sessions).
    items_done: int = 0
    items_failed: int = 0
    last_item_at: datetime | None = None
    # What its items sent to a cluster's workers and received back, and the items each
    # worker ran steps of (``batch/usage.py``): empty for a batch that sent nothing.
    moved: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """How long it ran; an unrecorded session counts until its last recorded item."""
        end = self.ended_at or self.last_item_at
        return max(0.0, (end - self.started_at).total_seconds()) if end else 0.0

    def count(self, event: dict[str, Any], at: datetime, *, keep: bool) -> None:
        """One item event of this session; ``keep``: held in ``items`` too."""
        outcome = event.get("outcome")
        self.items_done += outcome == "completed"
        self.items_failed += outcome in ("error", "skipped")
        # (a line recovered from the queue comes after later ones: recover_items)
        self.last_item_at = max(self.last_item_at, at) if self.last_item_at else at
        if isinstance(event.get("workers"), list):
            moved = self.moved or {"bytes_sent": 0, "bytes_received": 0, "workers": {}}
            for way in ("bytes_sent", "bytes_received"):
                moved[way] += event.get(way) if type(event.get(way)) is int else 0
            for worker in event["workers"]:
                moved["workers"][str(worker)] = moved["workers"].get(str(worker), 0) + 1
            self.moved = moved
        if keep:
            self.items.append(event)


def finished_in(item: Mapping[str, Any], sessions: Collection[str]) -> tuple[str, ItemLine] | None:
    """Which of ``sessions`` finished the queue ``item``, as the queue says (it completed
    it, or the item's last failure was that session's), with that session's line for it;
    None when none of them did."""
    if (by := item.get("completed_by")) in sessions:
        at = item.get("completed_at")
        return by, ItemLine(item["key"], item["name"], "completed", {"at": at})
    last = last_failure(item)
    if item.get("status") in (ERROR, SKIPPED) and (by := last.get("session")) in sessions:
        return by, ItemLine(item["key"], item["name"], item["status"], {"at": last.get("at")})
    return None


def recover_items(kind_dir: Path, finished: Mapping[str, list[ItemLine]]) -> int:
    """Write back to crashed sessions' records the items the queue says each finished
    (``finished``: session id -> its items, each with the instant as ``figures["at"]``) and
    its record lacks. A record is appended to without a flush, so a power cut loses its last
    lines; the queue, flushed at every item, still says who finished what. Each line written
    here says ``recovered``, and is flushed: the claims that told of the crash are gone once
    it is written. The number of lines written."""
    if not finished:
        return 0
    path = kind_dir / EVENTS_FILE
    held: set[tuple[str, str]] = set()
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if '"item"' not in line or not any(sid in line for sid in finished):
                    continue  # (the test is a substring's: the lines of other sessions pass)
                try:
                    event = json.loads(line)
                    if event["event"] == "item":
                        held.add((event["session"], event["key"]))
                except (ValueError, KeyError, TypeError, RecursionError):
                    continue
    except FileNotFoundError:
        pass
    missing = [
        dumps_one({"session": sid, "event": "item", "at": figures["at"], "key": key,
                   "name": name, "outcome": outcome, "recovered": True})
        for sid, done in finished.items()
        for key, name, outcome, figures in done
        if (sid, key) not in held and isinstance(figures["at"], str)
    ]  # fmt: skip
    if missing:
        append_lines(path, encode_text("".join(f"{line}\n" for line in missing)), durable=True)
    return len(missing)


def load_sessions(
    status_dir: Path,
    kind: str,
    *,
    items: bool = True,
    checkpoint: bool = False,
    only: str | None = None,
) -> list[SessionRecord]:
    """Every session of ``kind``, oldest first. Damaged lines are passed over, never fatal.
    ``items=False``: each session's item events are counted, not kept (a report's reading:
    kept, every item of every session ever run stayed in memory), and the fold starts from
    the checkpoint where the log up to it is unchanged. ``checkpoint``: the closing reports'
    reading, which writes the checkpoint anew when the lines after it have grown by
    ``CHECKPOINT_EVERY``. ``only``: that one session (none, or one record), every line
    that does not hold its id passed over undecoded (each of its events names it). Read a
    line at a time."""
    kind_dir = status_dir / kind
    try:
        log = open(kind_dir / EVENTS_FILE, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        return []
    # The id as its events hold it: inside a JSON string, as ``dumps_one`` wrote it.
    needle = encode_text(dumps_one(only)[1:-1]) if only is not None else b""
    with log:
        held = None if items or only is not None else _checkpointed(kind_dir, log)
        records, claims, offset, crc = held or ({}, {}, 0, 0)
        log.seek(offset)
        start, torn = offset, b""
        for line in log:
            if line[-1:] != b"\n":  # the last line, torn or not ended yet: not checkpointed
                torn = line
                break
            if needle in line:  # without ``only`` every line (each holds b"")
                _fold_event(line.decode("utf-8", "replace"), kind, records, claims, items)
            offset, crc = offset + len(line), zlib.crc32(line, crc)
        if checkpoint and not items and only is None and offset - start >= CHECKPOINT_EVERY:
            _save_checkpoint(kind_dir, offset, crc, records, claims)
        if torn and needle in torn:
            _fold_event(torn.decode("utf-8", "replace"), kind, records, claims, items)
    if only is not None:  # the lines of an id it is a part of were folded too
        records = {only: records[only]} if only in records else {}
    for sid, record in records.items():
        if record.ended_at is None and claim_is_stale(claims[sid]):
            record.outcome = UNRECORDED
    return sorted(records.values(), key=lambda r: (r.started_at, r.id))


# A checkpoint's record: a SessionRecord's fields but its items (never held in one), each
# moment as ISO text.
_MOMENTS = ("started_at", "ended_at", "last_item_at")
_KEPT = tuple(f.name for f in fields(SessionRecord) if f.name != "items")


def _save_checkpoint(
    kind_dir: Path,
    offset: int,
    crc: int,
    records: dict[str, SessionRecord],
    claims: dict[str, dict[str, Any]],
) -> None:
    """The fold of the log's first ``offset`` bytes (whose CRC-32 is ``crc``), with the claims
    of the sessions not ended, whose crash is told when the log is read. Two lines: a header
    with the CRC-32 of those bytes and of the second line, which holds the fold, so a damaged
    or edited checkpoint is never believed. Only ever a speed-up: a checkpoint that cannot be
    written is simply not there."""
    sessions = []
    for record in records.values():
        kept = {name: getattr(record, name) for name in _KEPT}
        for name in _MOMENTS:
            kept[name] = kept[name] and kept[name].isoformat()
        sessions.append(kept)
    open_claims = {sid: claims[sid] for sid, r in records.items() if r.ended_at is None}
    body = encode_text(dumps_one({"sessions": sessions, "claims": open_claims}))
    header = {"format": CHECKPOINT_FORMAT, "offset": offset, "crc32": zlib.crc32(body, crc)}
    with contextlib.suppress(OSError):
        atomic_write_bytes(kind_dir / CHECKPOINT_FILE,
                           encode_text(dumps_one(header)) + b"\n" + body + b"\n",
                           durable=False)  # fmt: skip


def _checkpointed(
    kind_dir: Path, log: BinaryIO
) -> tuple[dict[str, SessionRecord], dict[str, dict[str, Any]], int, int] | None:
    """(records, claims, offset, CRC-32 of the log up to it) from the checkpoint, when it is
    whole and the log's first ``offset`` bytes are still those it was made from; else None
    (the log is folded from its start)."""
    try:
        head, _, body = (kind_dir / CHECKPOINT_FILE).read_bytes().partition(b"\n")
        header = json.loads(head)
        offset = header["offset"]
        if header["format"] != CHECKPOINT_FORMAT or type(offset) is not int or offset <= 0:
            return None
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    crc = _crc_of_start(log, offset)
    if crc is None or not body.endswith(b"\n") or zlib.crc32(body[:-1], crc) != header["crc32"]:
        return None  # the log was cut, rewritten or replaced since, or the checkpoint damaged
    document = json.loads(body)
    records = {}
    for kept in document["sessions"]:
        for name in _MOMENTS:
            kept[name] = kept[name] and datetime.fromisoformat(kept[name])
        records[kept["id"]] = SessionRecord(**kept)
    return records, document["claims"], offset, crc


def _crc_of_start(log: BinaryIO, size: int) -> int | None:
    """The CRC-32 of the log's first ``size`` bytes; None when it is shorter."""
    crc, left = 0, size
    while left:
        chunk = log.read(min(left, 1 << 20))
        if not chunk:
            return None
        crc, left = zlib.crc32(chunk, crc), left - len(chunk)
    return crc


def _fold_event(
    line: str,
    kind: str,
    records: dict[str, SessionRecord],
    claims: dict[str, dict[str, Any]],
    keep: bool,
) -> None:
    try:
        event = json.loads(line)
        at = datetime.fromisoformat(event["at"])
        sid = event["session"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return  # a torn last line from a killed run, or a line damaged by hand
    kind_name = event.get("kind", kind)
    if event.get("event") == "start":
        claims[sid] = {k: event.get(k) for k in ("host", "pid", "pid_started")}
        pid = claims[sid]["pid"]
        records[sid] = SessionRecord(
            id=sid,
            kind=kind_name,
            started_at=at,
            pid=pid if type(pid) is int else None,
            host=claims[sid]["host"],
            args=[a for a in event.get("args") or [] if isinstance(a, str)],
            description=str(event.get("description") or ""),
            settings=event["settings"] if isinstance(event.get("settings"), dict) else {},
        )
    elif sid in records and event.get("event") == "item":
        records[sid].count(event, at, keep=keep)
    elif sid in records and event.get("event") == "end":
        record = records[sid]
        record.ended_at, record.outcome = at, event.get("outcome", COMPLETED)
        record.summary = {
            k: v for k, v in event.items() if k not in ("session", "event", "at", "outcome")
        }
