"""Duplicate groups as decisions: each group of the last scan not kept whole is one decision,
the groups of one level one decision group (``duplicate-album``, ``duplicate-track``,
``duplicate-release``), counted apart from the findings' decisions as failed items are (the
dashboard and the weekly report show them as the space setting them aside would free).

A group's choices: keep the best (every other copy set aside), keep all (remembered: not asked
again while the group's copies are the same), or keep another copy (the best set aside with the
rest). Keeping a copy is a set-aside session (``copies``: the kept copy first gains the tags and
cover it lacks); keeping all is a decision session (``sessions``) whose undo asks again. A
whole group's choice, keep the best or keep all, is one session too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import NotFound
from mediakeeper.core.questions import Asked
from mediakeeper.decisions import copies, sessions
from mediakeeper.decisions.groups import Group
from mediakeeper.decisions.item import DecideError, new_session
from mediakeeper.dupes import kept
from mediakeeper.dupes import saved as found_groups
from mediakeeper.dupes.kind import KIND
from mediakeeper.dupes.questions import KEEP_ALL, KEEP_BEST, QUESTIONS
from mediakeeper.reports.closing import write_closing_reports
from mediakeeper.text.matching import find_name

CODES = {f"duplicate-{level}": level for level in found_groups.LEVELS}
ANOTHER = "<keep another copy>"
CHOICES = (KEEP_BEST, KEEP_ALL, ANOTHER)
SEVERITY = "warning"


def code_of(group: dict[str, Any]) -> str:
    return f"duplicate-{group['level']}"


def open_groups(home: Path, code: str | None = None) -> list[dict[str, Any]]:
    """The groups of the last scan not kept whole (of ``code``'s level when given), as
    ``mediakeeper dupes`` lists them."""
    whole = kept.load(home)
    return [g for g in found_groups.load_groups(home) or []
            if g["id"] not in whole and code in (None, code_of(g))]  # fmt: skip


def decision_groups(home: Path) -> list[Group]:
    """One group per level that has open duplicate groups, album first."""
    by_code: dict[str, list[str]] = {}
    for group in open_groups(home):
        by_code.setdefault(code_of(group), []).append(group["id"])
    return [Group(KIND.name, code, SEVERITY, len(ids), tuple(ids), CHOICES,
                  f"the same recording found as several {CODES[code]} copies")
            for code, ids in by_code.items()]  # fmt: skip


def find(home: Path, name: str) -> dict[str, Any] | None:
    """The open group whose id ``name`` is (or the start of just one id), or None."""
    by_id = {g["id"]: g for g in open_groups(home)}
    try:
        return by_id[find_name(name, by_id, missing="", otherwise="")]
    except NotFound:
        return None


@dataclass(frozen=True)
class Choice:
    number: int
    label: str
    keep: str  # the copy kept ("": all of them)


def choices(group: dict[str, Any]) -> list[Choice]:
    """Keep the best, keep all, then each other copy, numbered as ``decide`` lists them (as
    the dupes kind declares them: ``dupes.questions``)."""
    offered, _ = QUESTIONS.offers(Asked(KIND.name, code_of(group), "", group, {}, ()))
    return [Choice(n, o.label, o.value) for n, o in enumerate(offered, 1)]


def numbered(group: dict[str, Any], choose: int | None) -> Choice:
    """Choice ``choose`` of the group's; DecideError when it has none so numbered."""
    listed = choices(group)
    if choose is None or not 1 <= choose <= len(listed):
        raise DecideError(f"{group['id']} has no choice {choose}", "`decide dupes ID` lists them")
    return listed[choose - 1]


@dataclass
class Taken:
    """What a dupes decision did: the groups decided, the set-aside (keeping a copy) or the
    groups kept whole (keeping all); ``session``, what ``undo --session`` takes."""

    session: str
    what: str
    groups: int
    set_aside: copies.SetAside | None = None
    kept_whole: list[str] = field(default_factory=list)


def take(home: Path, group: dict[str, Any], *, choose: int | None = None,
         dismiss: str = "") -> Taken:  # fmt: skip
    """One group decided: choice ``choose`` of ``choices``, or ``dismiss`` its code (keep all)."""
    if dismiss and dismiss != code_of(group):
        raise DecideError(f"{group['id']} asks {code_of(group)}, not {dismiss}")
    if not choose and not dismiss:
        raise DecideError("give --choose N or --dismiss CODE")
    choice = numbered(group, choose) if choose is not None else None
    if dismiss or not choice.keep:  # keep all
        return keep_all(home, [group])
    done = copies.set_aside(home, [group["id"]], keepers={group["id"]: choice.keep})
    return Taken(_session(done), f"kept {choice.keep}", done.groups, set_aside=done)


def take_group(home: Path, code: str, *, choose: int | None = None,
               remember: bool = False) -> Taken:  # fmt: skip
    """Every open group of ``code`` decided as one session: keep the best (``choose`` 1) or
    keep all (``choose`` 2, or None: a dismissal)."""
    if remember:
        raise DecideError("keep all is remembered group by group already; --remember records "
                          "a rule for a finding code")  # fmt: skip
    asking = open_groups(home, code)
    if not asking:
        raise DecideError(f"no open {code!r} decision in dupes", "`decide` lists the groups")
    if choose is not None and choose not in (1, 2):
        raise DecideError(f"choice {choose} of {code} is a copy of each group's own",
                          "decide each group: decide dupes ID --choose N")  # fmt: skip
    if choose == 1:
        done = copies.set_aside(home, [g["id"] for g in asking])
        return Taken(_session(done), KEEP_BEST, done.groups, set_aside=done)
    return keep_all(home, asking)


def _session(done: copies.SetAside) -> str:
    """The set-aside's session, when it changed anything ("": nothing to undo)."""
    return done.session if done.moved or done.tagged else ""


def keep_all(home: Path, chosen: Sequence[dict[str, Any]]) -> Taken:
    """The groups ``chosen`` kept whole, as one session (recorded: its undo asks again)."""
    session = new_session()
    every = found_groups.load_groups(home) or []
    added = kept.keep(home, every, [g["id"] for g in chosen], session)
    if added:
        codes = ",".join(sorted({code_of(g) for g in chosen}))
        sessions.record(home, KIND.name, session, codes, added, "")
        write_closing_reports(home, datetime.now(UTC))  # the space left to free
    return Taken(session if added else "", KEEP_ALL, len(added), kept_whole=added)


def as_json(home: Path) -> list[dict[str, Any]]:
    """The duplicate decision groups as ``decide --json`` and ``/api/decisions`` give them
    (under ``duplicates``: counted apart from ``total``)."""
    return [g.as_json() for g in decision_groups(home)]
