"""What ``mediakeeper sessions`` does, over every kind: list and show sessions, find what one left
unfinished (for ``resume`` and the batches' ``--resume``), and plan a clean-up of old
session logs and work files.

A session belongs to one kind (``status/<kind>/sessions.jsonl``); every kind's records are
read, those of a kind this version does not know too. What a session left unfinished: the
items it claimed and did not finish, which its batch gave back when interrupted ("released"
in its records) or which still carry its claim after it was killed (a stale claim), and that
no run has finished since. A resume takes those, then the rest of the session's batch (the
size and statuses it recorded, less what it finished: as its record says, and as the queue
says, which a kill can leave a line ahead), so an interrupted batch and its resume end
where the batch alone would have.

``clean`` deletes only what nothing reads again: the logs of sessions that ended, the
work files of items that are finished, and the working folders (``working/<kind>/<slug>``)
of the staged kinds that no item will resume from (its item completed, skipped or gone).
It keeps the session records (the weekly reports and
``resume`` are built from them), the queues and their checkpoints, every change journal
(``undo`` reads them, however old: a change stays undoable as long as its journal is there),
and the work file of every item that is not finished (the next run resumes from it).
"""

from __future__ import annotations

import os
import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mediakeeper.batch.workfile import WORK_DIR
from mediakeeper.changes.journal import DECIDE_SUFFIX, is_undo
from mediakeeper.core.errors import BatchRunning, MediakeeperError, NotFound
from mediakeeper.queue.items import (
    COMPLETED,
    ERROR,
    IN_PROGRESS,
    PENDING,
    SKIPPED,
    claim_is_stale,
    is_eligible,
    last_failure,
)
from mediakeeper.queue.session_log import (
    COMPLETED as SESSION_COMPLETED,
)
from mediakeeper.queue.session_log import (
    EVENTS_FILE,
    INTERRUPTED,
    LOG_DIR,
    RUNNING,
    UNRECORDED,
    SessionRecord,
    finished_in,
    kind_of,
    load_sessions,
)
from mediakeeper.queue.store import QueueStore
from mediakeeper.system.processes import host
from mediakeeper.text.commands import tool_command
from mediakeeper.text.matching import suggestions
from mediakeeper.text.slug import slugify
from mediakeeper.text.width import pad, width

CHANGES_DIR = "changes"  # the change journals (changes.journal's); never deleted here
WORKING_DIR = "working"  # the staged kinds' working folders: working/<kind>/<slug>
FINISHED = (COMPLETED, ERROR, SKIPPED)


class NothingToResume(MediakeeperError):
    """A session that left nothing unfinished, or none that could be resumed."""

    exit_code = 1


# ---- reading ------------------------------------------------------------------------------


def kinds_with_sessions(status_dir: Path) -> list[str]:
    if not status_dir.is_dir():
        return []
    return sorted(d.name for d in status_dir.iterdir() if (d / EVENTS_FILE).is_file())


def all_sessions(
    status_dir: Path, kind: str | None = None, *, items: bool = True
) -> list[SessionRecord]:
    """Every session of every kind (or of ``kind``), oldest first; ``items=False``: their
    item events counted, not kept (see load_sessions)."""
    records = []
    for name in [kind] if kind else kinds_with_sessions(status_dir):
        records += load_sessions(status_dir, name, items=items)
    return sorted(records, key=lambda r: (r.started_at, r.id))


def find_session(status_dir: Path, session_id: str) -> SessionRecord:
    """The session ``session_id`` with its items: only its own lines of each kind's log are
    decoded (a year of batches is thousands of lines), the log of the kind its id names
    read first (the others only for an id of another shape)."""
    if is_undo(session_id) or session_id.endswith(DECIDE_SUFFIX):  # no batch's: never logged
        whose = "an undo's" if is_undo(session_id) else "a decision's"
        raise NotFound(f"{session_id} is {whose} session, not a batch's",
                       f"`{tool_command('undo', status_dir.parent)} --list` lists it")  # fmt: skip
    named = kind_of(session_id)
    for kind in sorted(kinds_with_sessions(status_dir), key=lambda kind: kind != named):
        if found := load_sessions(status_dir, kind, only=session_id):
            return found[0]
    # A name that matches nothing says the closest there are, as an item's or an artist's.
    close = suggestions(session_id, [r.id for r in all_sessions(status_dir, items=False)])
    listing = f"`{tool_command('sessions', status_dir.parent)} list` shows every session"
    raise NotFound(
        f"no session {session_id!r} under {status_dir}",
        f"did you mean {', '.join(map(repr, close))}? {listing}" if close else listing,
    )


def refuse_while_running(status_dir: Path, session_id: str) -> None:
    """An undo of a batch's session while that batch still runs would put back the fixes
    of the items in its hands, which it then records completed with those fixes, and leave
    the session counted as undone whole while the batch goes on writing: refused, naming
    the batch (any kind's). An id that is no batch's session (a decision's, an undo's)
    passes."""
    named = kind_of(session_id)
    for kind in sorted(kinds_with_sessions(status_dir), key=lambda kind: kind != named):
        found = load_sessions(status_dir, kind, items=False, only=session_id)
        if not found:
            continue
        record = found[0]
        if record.outcome != RUNNING:
            return
        where = f" on {record.host}" if record.host and record.host != host() else ""
        raise BatchRunning(
            f"session {record.id} is still running (a {record.kind} batch, pid "
            f"{record.pid}{where}): its changes are still being written",
            "nothing was changed; wait for it to end, or stop it (Ctrl+C, or kill -INT "
            f"{record.pid}) and run this again",
        )


def row(record: SessionRecord) -> dict[str, Any]:
    """One line of ``list``, as ``--json`` gives it."""
    return {
        "id": record.id,
        "kind": record.kind,
        "started": record.started_at.isoformat(timespec="seconds"),
        "seconds": round(record.seconds, 3),
        "outcome": record.outcome,
        "done": record.items_done,
        "failed": record.items_failed,
    }


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def aligned(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of cells in columns as wide as their widest cell (names may be wide characters)."""
    widths = [max(width(row[n]) for row in rows) for n in range(len(rows[0]))]
    return ["  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def log_path(status_dir: Path, record: SessionRecord) -> Path:
    return status_dir / record.kind / LOG_DIR / f"{record.id}.log"


# ---- what a session left unfinished --------------------------------------------------------


def left_by(status_dir: Path, record: SessionRecord) -> tuple[list[dict], list[dict]]:
    """What ``record`` left: the queue items it claimed and did not finish (``_unfinished``)
    and the rest of its batch (``_rest_of_batch``), from one read of its queue."""
    store = QueueStore(status_dir / record.kind, record.kind)
    if not store.exists():
        return [], []
    items = store.peek()["items"]
    left = _unfinished(record, items)
    return left, _rest_of_batch(status_dir, record, left, items)


def _unfinished(record: SessionRecord, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The queue items ``record`` claimed and did not finish, and that no run has finished or
    taken since, in queue order."""
    released = {e.get("key") for e in record.items if e.get("outcome") == "released"}
    done_here = {
        e.get("key") for e in record.items if e.get("outcome") in ("completed", "error", "skipped")
    }
    left = []
    for item in items:
        claim = item.get("claimed_by") or {}
        if item["status"] == IN_PROGRESS:
            if claim.get("session") == record.id and claim_is_stale(claim):
                left.append(item)  # killed while holding it
        elif item["key"] in released - done_here and _untouched_since(item, record):
            left.append(item)
    return left


def _untouched_since(item: dict[str, Any], record: SessionRecord) -> bool:
    """A released item that is still as the session gave it back: pending, (taken by
    --retry-errors) an error that no later attempt recorded, or (by --enrich) a completed
    item not looked up yet."""
    if item["status"] == PENDING:
        return True
    if item["status"] == COMPLETED:
        return "--enrich" in record.args and not item.get("details", {}).get("enriched")
    if item["status"] != ERROR:
        return False
    last = last_failure(item).get("at")
    return last is None or _not_after(last, record)


def _not_after(at: Any, record: SessionRecord) -> bool:
    """Whether the moment ``at`` (ISO 8601, as the queue records it) is not after ``record``
    began; False for one that is no moment."""
    try:
        return datetime.fromisoformat(at) <= record.started_at
    except (TypeError, ValueError):
        return False


def _rest_of_batch(
    status_dir: Path, record: SessionRecord, left: list[dict[str, Any]], items: list[dict]
) -> list[dict[str, Any]]:
    """The items its batch had not come to yet: as many as its size leaves, after what it
    finished and ``left``, taken as that batch would have (the next eligible, in queue order);
    of a batch asked for by key (a name, --keys-from, a scrub), among those keys alone, each
    as no run has left it since that batch began (``_not_come_to``)."""
    size = record.settings.get("batch_size")
    statuses = record.settings.get("statuses")
    if type(size) is not int or not isinstance(statuses, list):
        return []  # a session from before sessions recorded what they take
    chain = [record, *_resumes_of(status_dir, record)]
    finished = _finished_by(chain, items)
    room = size - len(finished) - len(left)
    if room <= 0:
        return []
    taken = {item["key"] for item in left}
    asked = record.settings.get("keys")
    if isinstance(asked, list):
        asked, done = set(asked), taken | finished
        return [item for item in items
                if item["key"] in asked and item["key"] not in done
                and is_eligible(item, statuses, None)
                and _not_come_to(item, record)][:room]  # fmt: skip
    rest = [
        item
        for item in items
        if item["key"] not in taken
        and is_eligible(item, statuses, None)
        and not (statuses == [COMPLETED] and item.get("details", {}).get("enriched"))
    ]
    return rest[:room]


def _not_come_to(item: dict[str, Any], record: SessionRecord) -> bool:
    """An item asked for by key that no run has finished since ``record`` began: pending,
    or completed or failed as it was before (a scrub takes a completed album again). One
    skipped since (a person's word) or finished by another run since is not taken again."""
    if item["status"] == COMPLETED:
        return _not_after(item.get("completed_at"), record)
    return _untouched_since(item, record)  # pending; failed no later; never one skipped


def _finished_by(sessions: list[SessionRecord], items: list[dict[str, Any]]) -> set[str]:
    """The keys these sessions finished. Their records say so a moment after the queue does
    (the queue's transaction first, then the session's line, which is not flushed to disk):
    a kill or a power cut in between leaves the queue alone saying who finished an item."""
    ids = {session.id for session in sessions}
    finished = {
        e.get("key")
        for session in sessions
        for e in session.items
        if e.get("outcome") in ("completed", "error", "skipped")
    }
    finished.update(item["key"] for item in items if finished_in(item, ids))
    return finished


def _resumes_of(status_dir: Path, record: SessionRecord) -> list[SessionRecord]:
    """The sessions that resumed ``record``, and those that resumed them: its batch's rest."""
    found, wanted = [], {record.id}
    for session in load_sessions(status_dir, record.kind):  # oldest first: a resume follows
        if session.settings.get("resumes") in wanted:
            found.append(session)
            wanted.add(session.id)
    return found


def resumable(
    status_dir: Path, session_id: str | None
) -> tuple[SessionRecord, list[dict[str, Any]], list[dict[str, Any]]]:
    """The session to resume (``None``: the latest interrupted or unrecorded one), what it left
    unfinished and the rest of its batch. Refused, exit 1 with the reason: a completed or
    running session, or one with nothing left to do."""
    if session_id is None:
        stopped = [r for r in all_sessions(status_dir, items=False)
                   if r.outcome in (INTERRUPTED, UNRECORDED)]  # fmt: skip
        if not stopped:
            raise NothingToResume(
                f"no interrupted or unrecorded session under {status_dir}",
                f"`{tool_command('sessions', status_dir.parent)} list` shows every session",
            )
        record = find_session(status_dir, stopped[-1].id)  # with its items
    else:
        record = find_session(status_dir, session_id)
    if record.outcome == RUNNING:
        raise NothingToResume(
            f"session {record.id} is still running (pid {record.pid})",
            "wait for it to end, or stop it first",
        )
    if record.outcome == SESSION_COMPLETED:
        raise NothingToResume(f"session {record.id} completed: it left nothing unfinished")
    left, rest = left_by(status_dir, record)
    if not left and not rest:
        raise NothingToResume(
            f"session {record.id} ({record.outcome}) left nothing to do: every item it took "
            "has been finished since, and none is left for the rest of its batch"
        )
    return record, left, rest


def resume_keys(status_dir: Path, session_id: str) -> set[str]:
    """For a batch's ``--resume SESSION_ID``: the keys it takes (refused like ``resume``)."""
    _record, left, rest = resumable(status_dir, session_id)
    return {item["key"] for item in left + rest}


# ---- clean ----------------------------------------------------------------------------------


@dataclass
class CleanPlan:
    delete: list[tuple[Path, int]] = field(default_factory=list)  # path, bytes
    kept: list[tuple[str, str]] = field(default_factory=list)  # what, why

    @property
    def freed(self) -> int:
        return sum(size for _, size in self.delete)


def plan_clean(home: Path, older_than: timedelta, now: datetime) -> CleanPlan:
    """What ``clean --older-than`` deletes: logs of sessions that ended before ``now -
    older_than``, and work files last written before then whose item is finished."""
    status_dir = home / "status"
    cutoff = now - older_than
    plan = CleanPlan()
    working = home / WORKING_DIR
    kinds = sorted(
        {
            *kinds_with_sessions(status_dir),
            *_kinds_with(status_dir, WORK_DIR),
            *_kinds_with(status_dir, CHANGES_DIR),
            *(d.name for d in (working.iterdir() if working.is_dir() else ()) if d.is_dir()),
        }
    )
    for kind in kinds:
        kind_dir = status_dir / kind
        running = 0
        for record in load_sessions(status_dir, kind, items=False):
            path = log_path(status_dir, record)
            if record.outcome == RUNNING:
                running += path.exists()
            else:  # an unrecorded session ended with its last record
                ended = record.ended_at or record.started_at + timedelta(seconds=record.seconds)
                if ended <= cutoff:
                    _add(plan, path)
        if running:
            plan.kept.append((f"{running} running session log(s) of {kind}", "still written"))
        _plan_work_files(plan, kind_dir, kind, cutoff)
        _plan_working_dirs(plan, home / WORKING_DIR / kind, kind_dir, kind, cutoff)
        journals = len(list((kind_dir / CHANGES_DIR).glob("*.jsonl")))
        if journals:
            plan.kept.append(
                (
                    f"{journals} change journal(s) of {kind}",
                    f"`{tool_command('undo')}` reads them: a change can be undone as long as "
                    "its journal is there",
                )
            )
        if (kind_dir / EVENTS_FILE).is_file():
            plan.kept.append(
                (f"{kind}'s {EVENTS_FILE}", "the weekly reports and resume are built from it")
            )
    plan.kept.append(("every queue and its checkpoints", "they are the queues' state"))
    return plan


def _kinds_with(status_dir: Path, folder: str) -> list[str]:
    if not status_dir.is_dir():
        return []
    return [d.name for d in status_dir.iterdir() if (d / folder).is_dir()]


def _plan_work_files(plan: CleanPlan, kind_dir: Path, kind: str, cutoff: datetime) -> None:
    work_dir = kind_dir / WORK_DIR
    if not work_dir.is_dir():
        return
    store = QueueStore(kind_dir, kind)
    items = store.peek()["items"] if store.exists() else []
    finished = {slugify(i["key"]) for i in items if i["status"] in FINISHED}
    needed = 0
    for path in sorted(work_dir.glob("*.json")):
        if path.stem not in finished:
            needed += 1  # an unfinished item resumes from it (or a queue that is gone)
        elif _mtime(path) <= cutoff.timestamp():
            _add(plan, path)
    if needed:
        plan.kept.append(
            (f"{needed} work file(s) of {kind}", "their items are not finished: a run resumes them")
        )


def _plan_working_dirs(plan: CleanPlan, root: Path, kind_dir: Path, kind: str,
                       cutoff: datetime) -> None:  # fmt: skip
    """A staged kind's working directories (``working/<kind>/<slug>``, a full copy of an
    album or book each) that no item will resume from: its item completed or skipped, or
    gone from the queue. Those of items pending, in progress or failed (a retry resumes
    from it) are kept."""
    if not root.is_dir():
        return
    store = QueueStore(kind_dir, kind)
    items = store.peek()["items"] if store.exists() else []
    needed = {slugify(i["key"]) for i in items if i["status"] not in (COMPLETED, SKIPPED)}
    kept = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name in needed:
            kept += 1
        elif _mtime(folder) <= cutoff.timestamp():
            plan.delete.append((folder, _folder_size(folder)))
    if kept:
        plan.kept.append((f"{kept} working folder(s) of {kind}",
                          "their items are not finished: a run resumes from them"))  # fmt: skip


def _folder_size(folder: Path) -> int:
    size = 0
    for path in folder.rglob("*"):
        with suppress(OSError):
            size += path.lstat().st_size if path.is_file() else 0
    return size


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")


def _add(plan: CleanPlan, path: Path) -> None:
    with suppress(FileNotFoundError):  # gone meanwhile: nothing to delete
        plan.delete.append((path, path.stat().st_size))


def carry_out(plan: CleanPlan) -> tuple[int, int]:
    """Delete the plan's files; returns how many went and the bytes freed (a file gone
    meanwhile is neither)."""
    count = freed = 0
    for path, size in plan.delete:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)  # a working folder
            else:
                os.unlink(path)
        except FileNotFoundError:
            continue
        count += 1
        freed += size
    return count, freed


OLDEST_AGE = timedelta(days=36_525)  # a century: older than anything on a disk today


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``0d``: an age for ``--older-than``, at most a century (more
    would reach before year 1, which no date can say)."""
    units = {"d": "days", "h": "hours", "w": "weeks", "m": "minutes"}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isascii() or not number.isdigit():
        raise ValueError(f"{text!r} is no age: give a whole number and a unit, e.g. 30d, 12h, 2w")
    if int(number) > OLDEST_AGE / timedelta(**{units[unit]: 1}):
        raise ValueError(f"{text!r} is older than anything: give at most {OLDEST_AGE.days}d")
    return timedelta(**{units[unit]: int(number)})


def size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"
