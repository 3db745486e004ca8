"""Duplicate groups as decisions: each group of the last scan not kept whole is one decision,
the groups of one level one decision group (``duplicate-album``, ``duplicate-track``,
``duplicate-release``), counted apart from the findings' decisions as failed items are (the
dashboard and the weekly report show them as the space setting them aside would free).

A group's choices: keep the best (every other copy set aside), keep all (remembered: not asked
again while the group's copies are the same), or keep another copy (the best set aside with the
rest); ``keeping`` takes them. Nothing here writes: listing the groups loads none of the
moves' machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import NotFound
from mediakeeper.core.questions import Asked
from mediakeeper.decisions.groups import Group
from mediakeeper.decisions.item import DecideError
from mediakeeper.dupes import kept
from mediakeeper.dupes import saved as found_groups
from mediakeeper.dupes.kind import KIND
from mediakeeper.dupes.questions import KEEP_ALL, KEEP_BEST, QUESTIONS
from mediakeeper.text.matching import find_name

CODES = {f"duplicate-{level}": level for level in found_groups.LEVELS}
ANOTHER = "keep another copy"  # the copies a group offers are its own: said so in words
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


def decision_groups(home: Path, found: list[dict[str, Any]] | None = None) -> list[Group]:
    """One group per level that has open duplicate groups (``found``: as ``open_groups`` read
    them), album first."""
    by_code: dict[str, list[str]] = {}
    for group in open_groups(home) if found is None else found:
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


def as_json(home: Path) -> list[dict[str, Any]]:
    """The duplicate decision groups as ``decide --json`` and ``/api/decisions`` give them
    (under ``duplicates``: counted apart from ``total``)."""
    return [g.as_json() for g in decision_groups(home)]
