"""Failed and skipped items as decisions taken from ``decide``: each listed with its last
error and the stage it failed at, and two choices: retry (back to pending, its failures and
attempts counted again from none) or skip (left out of later batches). A skipped item
offers retry only. Counted apart from the findings' decisions, as every surface counts
failed and skipped items (``reports.pace.outstanding``). A kind's failed (or skipped) items
form a group, decided whole as one session (``take_all``) that undo takes back whole.
"""

from __future__ import annotations

from pathlib import Path

from mediakeeper.core import kinds
from mediakeeper.core.decisions import stage_word
from mediakeeper.core.errors import NotFound
from mediakeeper.decisions.item import DecideError
from mediakeeper.queue.items import ERROR, PENDING, SKIPPED
from mediakeeper.queue.manager import put_where
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.pace import Outstanding, outstanding
from mediakeeper.reports.records import gather
from mediakeeper.text.matching import find_name
from mediakeeper.text.wording import count

RETRY = "retry (back to pending, its failures reset)"
SKIP = "skip (left out of later batches)"
LABELS = {"retry": RETRY, "skip": SKIP}  # by the act (``core.questions``)


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


def said(name: str, word: str, stage: str, attempts: int, message: str) -> str:
    """A failed or skipped item in one line: where it stopped, after how many attempts, and
    why (``decide --group failed`` lists these; ``decide KIND NAME`` opens with it)."""
    at = f" at stage {where}" if (where := stage_word(stage, message)) else ""
    return f"{name}: {word}{at} after {count(attempts, 'attempt')}: {message}"


def describe(item: Outstanding) -> str:
    """``said`` of one of ``outstanding_in``'s items."""
    return said(item.name, item.word, item.stage, item.attempts, item.message)


GROUPS = {"failed": ERROR, "skipped": SKIPPED}  # a group's name -> its items' queue status


def group_choices(home: Path, kind: str | None, group: str,
                  keys: list[str] | None = None) -> tuple[str, list[Outstanding]]:  # fmt: skip
    """The kind and the items of the group ``group`` (failed or skipped) of ``kind`` (of the
    one kind that has such items when None; of ``keys`` only, when given); DecideError when
    there are none, or several kinds have them."""
    items = [o for o in outstanding_in(home, kind) if o.status == GROUPS[group]
             and (keys is None or o.key in keys)]  # fmt: skip
    found = sorted({o.kind for o in items})
    if not found:
        where = f" {kind}" if kind else ""
        raise DecideError(f"no {group}{where} item: nothing to decide there",
                          "`decide` lists the groups")  # fmt: skip
    if len(found) > 1:
        raise DecideError(f"{group} items in several kinds ({', '.join(found)}): give the KIND")
    return found[0], items


def take_all(home: Path, kind: str, items: list[Outstanding], number: int):
    """Choice ``number`` for every one of ``items`` (one kind's failed, or skipped, items)
    at once: (what was done, the items as they were before, the status they were put to),
    for ``sessions.record`` and its undo."""
    what, status = act_of(items, number)
    store = QueueStore(home / "status" / kinds.get(kind).name, kind)
    names, was = {o.name for o in items}, items[0].status
    before = put_where(store, lambda i: i["status"] == was and str(i.get("name") or i["key"])
                       in names, status, fresh=status == PENDING)  # fmt: skip
    return (what, before, status)


def act_of(items: list[Outstanding], number: int) -> tuple[str, str]:
    """Choice ``number`` of ``items`` as its act ("retry", "skip") and the status it puts
    them to (pending, skipped)."""
    choice = numbered(items, number)
    return choice.partition(" (")[0], PENDING if choice == RETRY else SKIPPED


def numbered(items: list[Outstanding], number: int) -> str:
    """Choice ``number`` of ``items`` (one kind's failed, or skipped, items); DecideError
    when they have none so numbered."""
    choices = choices_of(items[0])
    if not 1 <= number <= len(choices):
        listed = "; ".join(f"{n}) {c.partition(' ')[0]}" for n, c in enumerate(choices, 1))
        raise DecideError(f"{items[0].word} items have no choice {number}",
                          f"their choices: {listed}")  # fmt: skip
    return choices[number - 1]
