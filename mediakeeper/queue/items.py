"""The queue's pure half: statuses, the transition table, item shape and validation.

Nothing here touches the disk; ``mediakeeper.queue.store`` stores what these functions decide.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediakeeper.core.decisions import (
    ALBUMS_ASKED,
    is_open,
    left_as_it_is,
    question,
    settled,
    written,
)
from mediakeeper.core.errors import TransitionError, said
from mediakeeper.system.processes import host, is_running, own_start_time

if TYPE_CHECKING:
    from mediakeeper.queue.keyset import KeySet

    Keys = set[str] | KeySet  # the keys a check of duplicates has met, and adds to

QUEUE_VERSION = 1
PENDING, IN_PROGRESS, COMPLETED, ERROR, SKIPPED = (
    "pending",
    "in_progress",
    "completed",
    "error",
    "skipped",
)
STATUSES = (PENDING, IN_PROGRESS, COMPLETED, ERROR, SKIPPED)

# The one place transitions are checked. Anything not listed is a bug in the caller.
TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({IN_PROGRESS, SKIPPED}),
    IN_PROGRESS: frozenset({COMPLETED, ERROR, PENDING, SKIPPED}),
    COMPLETED: frozenset({PENDING, IN_PROGRESS}),  # reset, or re-run for enrichment
    ERROR: frozenset({PENDING, IN_PROGRESS, SKIPPED}),
    SKIPPED: frozenset({PENDING}),
}

# attempts: every recorded attempt; failures: failed ones since the last success or reset,
# which max_attempts limits (an item completed once is not skipped sooner for it).
COUNTERS = ("track_count", "issues_found", "issues_resolved", "attempts", "failures")


def check_transition(old: str, new: str) -> None:
    if new not in TRANSITIONS.get(old, ()):
        raise TransitionError(f"illegal queue transition {old!r} -> {new!r}")


def iso(moment: datetime) -> str:
    """ISO-8601 with a UTC offset; naive datetimes are refused (they are always a bug)."""
    if moment.tzinfo is None:
        raise ValueError("queue timestamps must be timezone-aware")
    return moment.isoformat(timespec="seconds")


def new_item(key: str, name: str, path: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "path": path,
        "status": PENDING,
        "track_count": 0,
        "issues_found": 0,
        "issues_resolved": 0,
        "attempts": 0,
        "failures": 0,
        "started_at": None,
        "completed_at": None,
        "last_error": None,
        "error_history": [],
        "claimed_by": None,
        "run_token": None,
        "missing": False,
        "details": {},
    }


def new_queue(kind: str, library: str, items: Iterable[dict], now: datetime) -> dict[str, Any]:
    stamp = iso(now)
    return {
        "version": QUEUE_VERSION,
        "kind": kind,
        "library": library,
        "created_at": stamp,
        "updated_at": stamp,
        "generation": 1,
        "items": list(items),
    }


FOLDED_INTO = "folded_into"  # its key in a folded item's details: the key it is part of
MOVED_TO = "moved_to"  # its key in a moved item's details: the key its history went to
# Its key in the details of an item whose folder is still there but holds no audio (a book's
# MP3s deleted): marked missing, as no batch can take it, yet never said gone.
NO_AUDIO = "no_audio"


def folded(item: Mapping[str, Any]) -> str | None:
    """The key of the item whose folder holds ``item``'s now (a book's extras/, once queued
    as a book of its own: ``manager.refresh_queue``), or None. Such an item is marked
    missing, so nothing takes it, but its folder is not gone: never said missing."""
    return (item.get("details") or {}).get(FOLDED_INTO) if item.get("missing") else None


def moved(item: Mapping[str, Any]) -> str | None:
    """The key of the item ``item``'s folder was moved to, its history with it (a move
    ``watch`` followed: ``watch.moves``), or None. The old name stays, missing, to say where
    it went."""
    return (item.get("details") or {}).get(MOVED_TO) if item.get("missing") else None


def left_without_audio(item: Mapping[str, Any]) -> bool:
    """Whether ``item``'s folder is there with no audio left in it (``manager.refresh_queue``):
    marked missing, so nothing takes it, but said "no audio", never "folder missing"."""
    return bool(item.get("missing") and (item.get("details") or {}).get(NO_AUDIO))


def gone(item: Mapping[str, Any]) -> bool:
    """Whether ``item`` had work left (neither completed nor skipped) when its folder went
    (deleted, or its audio: not moved, nor another item's now): no batch takes it, so it
    is counted gone, not as work left, and a batch with nothing to do names it. Kept, its
    history with it, and back in line if a refresh finds its folder again."""
    return bool(item.get("missing")) and not held_by(item) and item.get("status") not in (
        COMPLETED, SKIPPED)  # fmt: skip


def held_by(item: Mapping[str, Any]) -> str | None:
    """The key of the item that stands for ``item`` now (``folded``, ``moved``), or None.
    Such an item is counted there and nowhere else: an item once."""
    return folded(item) or moved(item)


# ---- claims ---------------------------------------------------------------------------


def is_eligible(
    item: Mapping[str, Any], statuses: Iterable[str], keys: Iterable[str] | None
) -> bool:
    """Whether a batch may take ``item``: its status is one of ``statuses``, its folder was
    not found missing, and it is among ``keys`` (None: any)."""
    return (
        item["status"] in statuses
        and not item.get("missing")
        and (keys is None or item["key"] in keys)
    )


# Keys of an item's details: the rule plugins whose findings a completed item lacks, and how
# many runs in a row lacked them.
PLUGINS_LEFT_OUT, PLUGINS_LEFT_OUT_RUNS = "plugins_left_out", "plugins_left_out_runs"


def plugins_left_out(item: Mapping[str, Any]) -> list[str]:
    """The rule plugins whose findings a completed item lacks (``details.plugins_left_out``:
    stopped on it, or left out of its run); none for an item of another status, or where a
    hand edit left a value that is no list."""
    if item.get("status") != COMPLETED:
        return []
    left = (item.get("details") or {}).get(PLUGINS_LEFT_OUT)
    return [str(plugin) for plugin in left] if isinstance(left, list) else []


def lacks_work(item: Mapping[str, Any], max_attempts: int) -> bool:
    """A completed item that lacks part of its work (``plugins_left_out``), fewer than
    ``max_attempts`` runs in a row (0: no limit)."""
    runs = (item.get("details") or {}).get(PLUGINS_LEFT_OUT_RUNS, 0)
    return bool(plugins_left_out(item)) and (
        not max_attempts or not isinstance(runs, int) or runs < max_attempts)  # fmt: skip


def make_claim(session: str, now: datetime, was: str = PENDING,
               started: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Who holds an item, and the status and start it had (what giving it back restores)."""
    return {
        "host": host(),
        "pid": os.getpid(),
        "pid_started": own_start_time(),
        "session": session,
        "at": iso(now),
        "was": was,
        "was_started": started,
    }


def status_before_claim(claim: Mapping[str, Any] | None) -> str:
    """What an unfinished claim gives its item back: the status it was claimed from (a
    completed artist taken by --enrich stays completed), pending for older claims."""
    was = (claim or {}).get("was")
    return was if was in (PENDING, ERROR, COMPLETED, SKIPPED) else PENDING


def given_back(item: Mapping[str, Any]) -> dict[str, Any]:
    """What giving a claimed item back sets: the status and the start it had before (a
    completed artist an --enrich run gave back keeps its last run's), no claim."""
    claim = item.get("claimed_by")
    started = claim.get("was_started") if isinstance(claim, dict) else None
    return {
        "status": status_before_claim(claim),
        "claimed_by": None,
        "started_at": started if isinstance(started, str) else None,  # a hand edit's: none
    }


def last_failure(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """The newest entry of the item's error history (its session, when, why); {} if it has
    none that can be read."""
    history = item.get("error_history") or []
    last = history[-1] if history else None
    return last if isinstance(last, dict) else {}


def holds_results(item: Mapping[str, Any]) -> bool:
    """Whether the item's counters (tracks, issues) are results that stand: it is completed,
    or being processed again from completed (--enrich). A reset artist's last results are
    kept in its item as history, but it is pending: its tracks and issues count again only
    once it is processed again."""
    status = item.get("status")
    if status == IN_PROGRESS:
        status = status_before_claim(item.get("claimed_by"))
    return status == COMPLETED


def claim_is_stale(claim: Mapping[str, Any] | None) -> bool:
    """True when the claiming process is certainly gone. Claims from other hosts can't be
    checked from here and count as live: releasing them is the user's explicit decision."""
    if not claim:
        return True
    if claim.get("host") != host():
        return False
    pid = claim.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    return not is_running(pid, claim.get("pid_started"))


# ---- validation -----------------------------------------------------------------------


_WHOLE = "a whole number"
_TEXT_OR_NULL = "text or null"
# Every field the toolkit reads from an item -> (required, what it must be). Checked once, when
# the queue is loaded: a hand edit that drops or retypes one is refused with its name, instead
# of crashing whichever command first reads it.
ITEM_FIELDS: dict[str, tuple[bool, str]] = {
    "name": (True, "text"),
    "path": (True, "text"),
    "track_count": (True, _WHOLE),
    "issues_found": (True, _WHOLE),
    "issues_resolved": (True, _WHOLE),
    "attempts": (True, _WHOLE),
    "error_history": (True, "a list"),
    "failures": (False, _WHOLE),  # queues from before it count failures from their next one
    "started_at": (False, _TEXT_OR_NULL),
    "completed_at": (False, _TEXT_OR_NULL),
    "completed_by": (False, _TEXT_OR_NULL),
    "last_error": (False, _TEXT_OR_NULL),
    "run_token": (False, _TEXT_OR_NULL),
    "claimed_by": (False, "an object or null"),
    "missing": (False, "true or false"),
    "details": (False, "an object"),
}
# What each kind admits: exact types, as JSON loads them (so True is no whole number). A set
# look-up per field, not a call: a 930-item queue is checked at every load.
_TYPES: dict[str, frozenset[type]] = {
    "text": frozenset({str}),
    _WHOLE: frozenset({int}),
    "a list": frozenset({list}),
    _TEXT_OR_NULL: frozenset({str, type(None)}),
    "an object or null": frozenset({dict, type(None)}),
    "true or false": frozenset({bool}),
    "an object": frozenset({dict}),
}
_CHECKS = tuple(
    (field, required, _TYPES[kind], kind) for field, (required, kind) in ITEM_FIELDS.items()
)
_ABSENT = object()


def structure_problems(data: Any) -> list[str]:
    """Problems that make the queue unusable at all (the store refuses to load it): its
    shape, and every item's fields and their types."""
    if not isinstance(data, dict):
        return ["the top level is not a JSON object"]
    problems = []
    if data.get("version") != QUEUE_VERSION:
        version = said(data.get("version"))
        problems.append(f"unsupported version {version} (expected {QUEUE_VERSION})")
    if not isinstance(data.get("items"), list):
        problems.append("'items' is missing or not a list")
        return problems
    seen: set[str] = set()
    fields = []  # after the keys and statuses: those problems matter first
    for n, item in enumerate(data["items"]):
        first, later = _item_checks(item, n, seen)
        problems += first
        fields += later
    if not isinstance(data.get("library"), str):
        fields.append("'library' is missing or not text")
    return problems + fields


def item_problems(item: Any, n: int, seen: Keys | None) -> list[str]:
    """What is wrong with one item (``n``: its place, from 0) as the store would load it;
    ``seen``: the keys before it (a key met again is a duplicate), or None where duplicates
    are told elsewhere (a journal entry's items, a store's index of keys)."""
    first, fields = _item_checks(item, n, seen)
    return first + fields


def _item_checks(item: Any, n: int, seen: Keys | None) -> tuple[list[str], list[str]]:
    """(problems with its key and status, problems with its other fields)."""
    if not isinstance(item, dict):
        return [f"item #{n + 1} is not an object"], []
    problems, fields = [], []
    key = item.get("key")
    if not isinstance(key, str) or not key:
        problems.append(f"item #{n + 1} has no key")
    elif seen is not None:
        if key in seen:
            problems.append(f"duplicate key {said(key)}")
        else:
            seen.add(key)
    if item.get("status") not in STATUSES:
        problems.append(f"{_where(item, n)}: unknown status {said(item.get('status'))}")
    for field, required, types, kind in _CHECKS:
        value = item.get(field, _ABSENT)
        if value is _ABSENT:
            if required:
                fields.append(f"{_where(item, n)}: the field {field!r} is missing")
        elif type(value) not in types:
            fields.append(f"{_where(item, n)}: {field} is {said(value)}, expected {kind}")
    return problems, fields


def is_live(item: Mapping[str, Any]) -> bool:
    """Whether a running batch is working on this item (its claim is not stale)."""
    return item.get("status") == IN_PROGRESS and not claim_is_stale(item.get("claimed_by"))


def validate(
    data: Any,
    *,
    folder_exists: Callable[[str], bool] | None = None,
    is_stale: Callable[[Mapping[str, Any] | None], bool] = claim_is_stale,
) -> list[str]:
    """Every problem in a queue, for a person: structure, counters, claims, folders on disk."""
    problems = structure_problems(data)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return problems
    for n, item in enumerate(data["items"]):
        if not isinstance(item, dict):
            continue
        label = _label(item, n)
        for counter in COUNTERS:  # their presence and type: structure_problems
            value = item.get(counter, 0)
            if isinstance(value, int) and value < 0:
                problems.append(f"{label}: {counter} is {value!r}, expected a whole number >= 0")
        found, resolved = item.get("issues_found"), item.get("issues_resolved")
        if isinstance(found, int) and isinstance(resolved, int) and resolved > found:
            problems.append(f"{label}: issues_resolved ({resolved}) exceeds issues_found ({found})")
        for stamp_key in ("started_at", "completed_at"):
            stamp = item.get(stamp_key)
            if isinstance(stamp, str) and not _is_aware_iso(stamp):
                problems.append(f"{label}: {stamp_key} {stamp!r} is not ISO-8601 with an offset")
        if item.get("status") == IN_PROGRESS:
            claim = item.get("claimed_by")
            if not isinstance(claim, dict):
                problems.append(f"{label}: in_progress without a claim")
            elif is_stale(claim):
                problems.append(
                    f"{label}: stale claim by pid {claim.get('pid')} on {claim.get('host')} "
                    f"(session {claim.get('session')}); --reset-stale releases it"
                )
        path = item.get("path")
        if folder_exists and isinstance(path, str) and not folder_exists(path):
            problems.append(f"{label}: folder missing on disk: {path}")
    return problems


def _where(item: Mapping[str, Any], n: int) -> str:
    """An item in a problem with its structure: its place in the file, then its name."""
    return f"item #{n + 1} ({_label(item, n)})"


def _label(item: Mapping[str, Any], n: int) -> str:
    return said(item.get("name") or item.get("key") or f"item #{n + 1}")


def _is_aware_iso(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def default_folder_exists(path: str) -> bool:
    return Path(path).is_dir()


def finding_counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, list[int]]:
    """What a job puts in an item's details for the reports: code -> [found, settled] (fixed,
    or decided by a person: ``decisions.settled``), and third the questions still open among
    them (``decisions.question``: the decisions they ask) where that is not one for each
    open finding (several tracks asking one question). Reading
    it from the queue spares a report opening every output document (930 of them after a
    full pass, a quarter of a second)."""
    counts: dict[str, list[int]] = {}
    asked: dict[str, set[tuple[str, str]]] = {}
    for finding in findings:
        tally = counts.setdefault(str(finding["code"]), [0, 0])
        tally[0] += 1
        tally[1] += settled(finding)
        if not settled(finding):
            asked.setdefault(str(finding["code"]), set()).add(question(finding))
    for code, open_questions in asked.items():
        found, done = counts[code]
        if len(open_questions) != found - done:
            counts[code].append(len(open_questions))
    return counts


GONE = "gone"  # ``waiting_names``' key of the items that are ``gone``


def waiting_names(items: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The names of the items that wait for a person, by status (``error``, ``skipped``),
    and of those left pending or failed whose folder is gone (``GONE``: no batch takes
    them, whatever their status), each in the queue's order."""
    waiting: dict[str, list[str]] = {ERROR: [], SKIPPED: [], GONE: []}
    for item in items:
        status = GONE if gone(item) else item.get("status")
        if status in waiting:
            waiting[status].append(str(item.get("name") or item["key"]))
    return waiting


def finding_totals(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """An item's counters of its findings: every one found (every severity, the info notes
    too) and those resolved among them (``settled``: fixed by its run, or decided, a standing
    dismissal or acceptance too), as a decision's answer counts them again
    (``decisions.answering``). The closing summary's "resolved" and the list's RESOLVED read it."""
    findings = list(findings)
    return {"issues_found": len(findings), "issues_resolved": sum(map(settled, findings))}


def albums_asked(findings: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """What a job puts in an item's details beside its counts (``core.decisions.ALBUMS_ASKED``)
    so that its decisions' ids are known without its output document: for each code one of
    whose open questions is about an album, the albums its open questions are about, as the
    findings first ask them ("" among them: the item's own question of that code). A code
    not there asks one question, the item's own."""
    asked: dict[str, dict[str, None]] = {}
    for finding in findings:
        if is_open(finding):
            code, where = question(finding)
            asked.setdefault(code, {})[where] = None
    return {code: list(wheres) for code, wheres in asked.items() if list(wheres) != [""]}


# Two keys of an item's details beside its counts, each code -> how many. ``FIXES``: of the
# findings its counts settle, those settled by a write to its files (its runs' fixes, a
# person's choices and values), apart from the decisions that stand (a dismissal writes
# nothing, so the next scan finds its findings again). ``EARLIER_FIXES``: of those fixes,
# the ones its findings (its output document) no longer list, counted all the same: a run
# that goes on from the earlier ones (music's --enrich) does not find what they fixed. Any
# other run counts its own findings alone (none).
FIXES, EARLIER_FIXES = "fixes", "earlier_fixes"


def asked_details(
    findings: Iterable[Mapping[str, Any]], earlier_fixes: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """What every job puts in a completed item's details of its findings: their counts by
    code (``finding_counts``), the albums its open questions are about (``albums_asked``),
    which with its key name each of its decisions without its output document, and its fixes
    (``FIXES``). ``earlier_fixes``: fixes its findings no longer list, counted found and
    settled all the same, and kept (``EARLIER_FIXES``)."""
    findings = list(findings)
    counts = finding_counts(findings)
    fixes = Counter(str(f["code"]) for f in findings if written(f))
    for code, n in (earlier_fixes or {}).items():
        tally = counts.setdefault(code, [0, 0])
        tally[0] += n
        tally[1] += n
        fixes[code] += n
    asked = {"finding_counts": counts, ALBUMS_ASKED: albums_asked(findings), FIXES: dict(fixes)}
    if earlier_fixes is not None:
        asked[EARLIER_FIXES] = dict(earlier_fixes)
    return asked


def count_totals(counts: Mapping[str, list[int]]) -> dict[str, int]:
    """An item's counters (``issues_found``, ``issues_resolved``) from its counts by code
    (``finding_counts``): what the closing summary, the list and the page read agree with what
    the reports count by code."""
    return {"issues_found": sum(n[0] for n in counts.values()),
            "issues_resolved": sum(n[1] for n in counts.values())}  # fmt: skip


def _by_code(tally: Any) -> dict[str, int] | None:
    """code -> whole number >= 0, as a job writes it; None for anything else (a hand edit)."""
    if not isinstance(tally, Mapping):
        return None
    if not all(type(n) is int and n >= 0 for n in tally.values()):
        return None
    return {str(code): n for code, n in tally.items() if n}


def kept_fixes(details: Mapping[str, Any] | None) -> dict[str, int] | None:
    """The fixes an item's details keep apart from its findings (``EARLIER_FIXES``), for its
    counts when its document's findings are counted again (a decision taken since); None
    where it keeps none (another kind's item, or one recorded before they were kept)."""
    return _by_code((details or {}).get(EARLIER_FIXES))


def fixes_so_far(
    details: Mapping[str, Any] | None, found_again: Iterable[Mapping[str, Any]]
) -> dict[str, int]:
    """Every fix the item's earlier runs and decisions wrote (``FIXES``), for a run that goes
    on from them without finding them again (music's --enrich). A queue written before the
    fixes were kept apart has only its counts: what they settle, but the findings
    ``found_again`` settles by a dismissal still standing (the same findings, found again
    and counted by this run)."""
    details = details or {}
    if (fixes := _by_code(details.get(FIXES))) is not None:
        return fixes
    again = Counter(str(f["code"]) for f in found_again if left_as_it_is(f))
    counts = details.get("finding_counts")
    if not isinstance(counts, Mapping):
        return {}
    then = _by_code({c: n[1] for c, n in counts.items() if isinstance(n, list) and len(n) > 1})
    return {code: n - again[code] for code, n in (then or {}).items() if n > again[code]}


def stage_reached(item: Mapping[str, Any]) -> str:
    """The stage its job reported (``item_progress``) where it still says where the item is
    ("" for none). An item completed once keeps its last run's "completed" through a reset
    and the claim of the batch that runs it again, until its job reports a stage: that says
    nothing of where it is now (an item "in progress" at "completed")."""
    details = item.get("details")
    stage = details.get("stage") if isinstance(details, Mapping) else None
    return stage if isinstance(stage, str) and stage != COMPLETED else ""


def stages_in_progress(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many items in progress are at each stage their job reported (``stage_reached``;
    a kind that reports none has none), in the order first seen."""
    stages: dict[str, int] = {}
    for item in items:
        stage = stage_reached(item)
        if item.get("status") == IN_PROGRESS and stage:
            stages[stage] = stages.get(stage, 0) + 1
    return stages
