"""Identical questions across items, as one group: the same kind and code (the choices of a
code are worded alike for every item; where they are item values, a value of the item's own,
the group says so, and they never split it). ``decide`` lists groups worst first: the
severity of their code, then how many decisions, then kind and code. Pure: the items that
need a person (``reports.attention.NeedsYou``) in, groups out; read from the queues' counts
alone, so listing a whole library opens no output document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mediakeeper.core import kinds, rule_plugins
from mediakeeper.core.decisions import AGAIN_ONLINE, UNIDENTIFIED, asks_identity
from mediakeeper.core.findings import SEVERITIES
from mediakeeper.decisions.item import questions_of
from mediakeeper.reports.attention import NeedsYou, severity_rank
from mediakeeper.reports.pace import nouns
from mediakeeper.text.wording import count


@dataclass(frozen=True)
class Group:
    kind: str
    code: str
    severity: str
    count: int  # the decisions in the group (``core.decisions``' count)
    items: tuple[str, ...]  # the names of the items asking it, as listed
    choices: tuple[str, ...]
    means: str = ""  # what the code means, in one line for a person (its table's words)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "severity": self.severity,
            "count": self.count,
            "items": list(self.items),
            "choices": list(self.choices),
            "means": self.means,
        }

    def line(self) -> str:
        """``music   filename-mismatch  5 decisions in 5 artists  [the proposed fix | dismiss]``."""
        noun, plural = nouns(self.kind)
        where = f"{count(self.count, 'decision')} in {count(len(self.items), noun, plural)}"
        return f"{self._kind_column()}{self.code}  {where}  [{' | '.join(self.choices)}]"

    def lines(self) -> list[str]:
        """``line()``, and under its code what the code means, where its table says."""
        under = [" " * len(self._kind_column()) + self.means] if self.means else []
        return [self.line(), *under]

    def _kind_column(self) -> str:
        return f"{self.kind:<7} "


def choices_of(kind: str, code: str) -> tuple[str, ...]:
    """A code's choices as the items of its group offer them, in words, as its kind declares
    them (never a placeholder: a value of each item's own is said for what it is)."""
    if code == UNIDENTIFIED:
        return (AGAIN_ONLINE,)
    if not kinds.get(kind).rewrite:
        return ("decided by its own commands",)
    return questions_of(kind).listed(code)


def groups_of(needs: Iterable[NeedsYou]) -> list[Group]:
    """The groups of the open decisions of ``needs``, worst first."""
    counts: dict[tuple[str, str], int] = {}
    items: dict[tuple[str, str], list[str]] = {}
    for need in needs:
        for code, n in asked_in(need):
            counts[need.kind, code] = counts.get((need.kind, code), 0) + n
            items.setdefault((need.kind, code), []).append(need.name)
    return worst_first(group_of(kind, code, n, _names(items[kind, code]))
                       for (kind, code), n in counts.items())  # fmt: skip


def asked_in(need: NeedsYou) -> list[tuple[str, int]]:
    """The groups one item asks in, each with how many of its decisions: its open codes, and
    not identified, a question of its own whether or not it has others."""
    codes = [(c.code, c.open) for c in need.codes]
    return codes + ([(UNIDENTIFIED, 1)] if asks_identity(need.note, (c for c, _ in codes)) else [])


def group_of(kind: str, code: str, n: int, items: tuple[str, ...]) -> Group:
    """The group of ``code`` in ``kind``: ``n`` decisions asked by ``items``, by name."""
    return Group(kind, code, _severity(code), n, items, choices_of(kind, code), means_of(code))


def means_of(code: str) -> str:
    """What a code means, as its kind's table (or its plugin) says it; "" for a code this
    installation no longer knows."""
    if code == UNIDENTIFIED:
        return "done, but not identified (looked up offline, or no match found)"
    known = rule_plugins.code_of(code)
    return known.means if known else ""


def worst_first(groups: Iterable[Group]) -> list[Group]:
    order = list(kinds.KINDS)
    return sorted(groups, key=lambda g: (severity_rank(g.code), -g.count,
                                         _place(order, g.kind), g.code))  # fmt: skip


def _names(names: list[str]) -> tuple[str, ...]:
    return tuple(sorted(names, key=str.casefold))


def _severity(code: str) -> str:
    rank = severity_rank(code)
    return SEVERITIES[rank] if rank < len(SEVERITIES) else "warning"


def _place(order: list[str], kind: str) -> int:
    return order.index(kind) if kind in order else len(order)


def as_json(groups: Iterable[Group]) -> dict[str, Any]:
    """``{"total": N, "groups": [...]}``: the counts add up to the total."""
    listed = [g.as_json() for g in groups]
    return {"total": sum(g["count"] for g in listed), "groups": listed}


def find_group(groups: Iterable[Group], code: str, kind: str | None) -> list[Group]:
    """The groups of ``code`` (of ``kind`` when given)."""
    return [g for g in groups if g.code == code and kind in (None, g.kind)]
