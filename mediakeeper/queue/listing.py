"""The queue manager's ``--list``: which items, in what order, laid out in columns.

Columns: status, name, then the counts the kind keeps (music: tracks; every kind: issues
found and fixed), then a note (folder missing, the stage a job reported, the last error in a
person's words, why a completed movie was not identified). Counts are shown only where they
are results that stand (``holds_results``: as ``--show-summary`` adds them up): a pending
item has not been looked at, and an errored one has no results, so their counts are blank,
never "0". A name too wide for the terminal is cut with "…" (``--json`` has every name
whole); every column stays in line whatever the names hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.decisions import stage_word
from mediakeeper.queue.items import (
    STATUSES,
    folded,
    holds_results,
    last_failure,
    left_without_audio,
    moved,
    stage_reached,
)
from mediakeeper.text.failures import plain_error
from mediakeeper.text.fold import caseless, name_key
from mediakeeper.text.visible import one_line
from mediakeeper.text.width import fit, width
from mediakeeper.text.wording import plural_of

_GAP = "  "
_STATUS_CELLS = max(len(s) for s in STATUSES)
_HEADINGS = {"issues_found": "ISSUES", "issues_resolved": "RESOLVED"}  # others: their noun
NARROWEST_NAME = 12  # however narrow the terminal, a name keeps this many cells


def sort_orders(kind: str) -> tuple[str, ...]:
    """What ``--sort`` takes for ``kind``: name (the default), status, issues, and each count
    the kind keeps beside its issues (music: tracks)."""
    extra = tuple(c.total for c in kinds.get(kind).extra_counters)
    return ("name", "status", "issues", *extra)


def _by_name(item: Mapping[str, Any]) -> tuple[str, str]:
    return caseless(item["name"]), item["name"]


def _most(field: str) -> Callable[[Mapping[str, Any]], tuple]:
    """Most first; items without results (blank in the list) after every one with them."""

    def key(item: Mapping[str, Any]) -> tuple:
        counted = holds_results(item)
        return (not counted, -item.get(field, 0) if counted else 0, *_by_name(item))

    return key


def sort_key(kind: str, order: str) -> Callable[[Mapping[str, Any]], tuple]:
    if order == "status":  # in the order an item goes through them, by name within each
        return lambda i: (STATUSES.index(i["status"]), *_by_name(i))
    if order == "issues":
        return _most("issues_found")
    for counter in kinds.get(kind).extra_counters:
        if order == counter.total:
            return _most(counter.field)
    return _by_name


def select(
    items: Sequence[Mapping[str, Any]], kind: str, *, name: str | None, order: str | None
) -> list[Mapping[str, Any]]:
    """The items whose name contains ``name`` (accents, case and spacing aside, as every
    command compares names: "motorhead" finds "Motörhead", "beatles" "The Beatles"), in
    ``order`` (one of :func:`sort_orders`; None keeps the queue's order)."""
    if name is not None:
        typed = name_key(name)
        items = [i for i in items if typed in name_key(i["name"])]
    return sorted(items, key=sort_key(kind, order)) if order else list(items)


def _note(item: Mapping[str, Any]) -> str:
    into, went = folded(item), moved(item)
    missing = (f"(part of {into} now)" if into else f"(moved to {went})" if went
               else "(folder there, no audio)" if left_without_audio(item)
               else "(folder missing)" if item.get("missing") else "")  # fmt: skip
    why = (item.get("details") or {}).get("unidentified")
    if item["status"] == "completed" and why:  # done, but not identified: say why
        error = f"○ {why}"
    else:
        # In a person's words, as the page says it: a working folder's path as its file's
        # name, a digest as its first digits (--json keeps it whole).
        error = f"! {plain_error(str(item['last_error']))}" if item.get("last_error") else ""
    return one_line(_GAP.join(part for part in (missing, _stage(item), error) if part))


def _stage(item: Mapping[str, Any]) -> str:
    """The stage a job reported (``item_progress``): where an item in progress is, where
    one given back (interrupted) stopped, and where a staged kind's failed one failed
    (``failed_<stage>``, as ``decide`` and the reports say it)."""
    failed = str(last_failure(item).get("stage") or "")
    if item["status"] == "error" and failed.startswith("failed_"):
        where = stage_word(failed, str(item.get("last_error") or ""))
        return f"failed at {where}" if where else "failed"
    stage = stage_reached(item)
    if not stage:
        return ""
    if item["status"] == "in_progress":
        return f"stage: {stage}"
    return f"stopped at {stage}" if item["status"] == "pending" else ""


def table(items: Sequence[Mapping[str, Any]], kind: str, columns: int) -> list[str]:
    """The lines of the list: a heading, then one line per item, in ``columns`` cells at most
    before the note (names are cut to fit, never below :data:`NARROWEST_NAME`)."""
    if not items:
        return []
    counters = kinds.get(kind).counters
    counted = [c.field for c in counters]
    headings = {c.field: _HEADINGS.get(c.field) or plural_of(c.noun).upper() for c in counters}
    cells = {f: [f"{i.get(f, 0):,}" if holds_results(i) else "" for i in items] for f in counted}
    wide = {f: max(len(headings[f]), *(len(v) for v in cells[f])) for f in counted}
    fixed = _STATUS_CELLS + sum(len(_GAP) + wide[f] for f in counted) + len(_GAP)
    names = [one_line(i["name"]) for i in items]
    widths = [width(n) for n in names]  # each measured once: to size, cut and fill it
    name_cells = min(max(width("NAME"), *widths), max(NARROWEST_NAME, columns - fixed))

    def line(status: str, name: str, name_wide: int, counts: list[str], note: str) -> str:
        # A status and a count are ASCII: as wide as they are long.
        row = [status.ljust(_STATUS_CELLS), fit(name, name_cells, name_wide)]
        row += [v.rjust(wide[f]) for f, v in zip(counted, counts, strict=True)]
        return (_GAP.join(row) + _GAP + note).rstrip()

    lines = [line("STATUS", "NAME", 4, [headings[f] for f in counted], "")]
    for n, (item, name) in enumerate(zip(items, names, strict=True)):
        counts = [cells[f][n] for f in counted]
        lines.append(line(item["status"], name, widths[n], counts, _note(item)))
    return lines
