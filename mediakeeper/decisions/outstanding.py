"""Failed and skipped items as decisions taken from ``decide``: each listed with its last
error and the stage it failed at, and two choices: retry (back to pending, its failures
reset, as the queue manager's reset does) or skip (left out of later batches). A skipped
item offers retry only. Counted apart from the findings' decisions, as every surface counts
failed and skipped items (``reports.pace.outstanding``).
"""

from __future__ import annotations

from pathlib import Path

from mediakeeper.core import kinds
from mediakeeper.core.errors import NotFound
from mediakeeper.decisions.item import DecideError
from mediakeeper.queue.items import ERROR
from mediakeeper.queue.manager import reset_named, skip_named
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.pace import Outstanding, outstanding
from mediakeeper.reports.records import gather
from mediakeeper.text.matching import find_name
from mediakeeper.text.wording import count

RETRY = "retry (back to pending, its failures reset)"
SKIP = "skip (left out of later batches)"


def outstanding_in(home: Path, kind: str | None = None) -> list[Outstanding]:
    """Every failed item, then every skipped one (of ``kind`` when given)."""
    queues = gather(home, changes_too=False).queues
    return [o for q in queues if not q.problem and kind in (None, q.kind) for o in outstanding(q)]


def choices_of(item: Outstanding) -> tuple[str, ...]:
    return (RETRY, SKIP) if item.status == ERROR else (RETRY,)


def find(home: Path, kind: str, name: str) -> Outstanding | None:
    """The failed or skipped item of ``kind`` that ``name`` means, or None."""
    items = {o.name: o for o in outstanding_in(home, kind)}
    try:
        return items[find_name(name, items, missing="", otherwise="")]
    except NotFound:
        return None


def describe(item: Outstanding) -> list[str]:
    stage = f" at stage {item.stage}" if item.stage else ""
    tried = count(item.attempts, "attempt")
    lines = [f"{item.name}: {item.word}{stage} after {tried}: {item.message}"]
    return lines + [f"      {n}) {label}" for n, label in enumerate(choices_of(item), 1)]


def take(home: Path, item: Outstanding, number: int) -> str:
    """Take choice ``number`` for ``item``; what was done, for a person."""
    choices = choices_of(item)
    if not 1 <= number <= len(choices):
        raise DecideError(f"{item.name} has no choice {number}", "its choices are listed")
    store = QueueStore(home / "status" / kinds.get(item.kind).name, item.kind)
    if choices[number - 1] == RETRY:
        reset_named(store, item.name)
        return f"{item.name}: back to pending; the next batch tries it again"
    skip_named(store, item.name)
    return f"{item.name}: skipped; later batches leave it out"
