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

from mediakeeper.core import kinds
from mediakeeper.core.findings import SEVERITIES
from mediakeeper.decisions.backups import ACCEPT, AGAIN, LABELS, RESTORE
from mediakeeper.decisions.item import OWN_CHOICES
from mediakeeper.decisions.words import SAID_AS
from mediakeeper.reports.attention import NeedsYou, severity_rank
from mediakeeper.reports.pace import nouns
from mediakeeper.tags.table import LOGICAL_TAGS
from mediakeeper.text.wording import count
from mediakeeper.verify.kind import KIND as VERIFY

DISMISS = "dismiss"
MOVIE_MATCH = ("ambiguous-match", "no-match")  # a movie's: settled by a TMDb candidate
PROPOSALS = ("album-sound-match", "sound-match")  # AcoustID's: each item's own recordings
# A music finding about a file or folder itself, which no tag value settles: mended on disk
# (the finding says how), or left as it is.
ABOUT_FILES = ("unreadable-file", "unsupported-format", "skipped-folder", "changed-during-fix",
               "link-outside-library", "read-only-file", "hard-linked-file",
               "loudness-not-measured", "fingerprint-failed", "legacy-tag")  # fmt: skip


@dataclass(frozen=True)
class Group:
    kind: str
    code: str
    severity: str
    count: int  # the decisions in the group (``core.decisions``' count)
    items: tuple[str, ...]  # the names of the items asking it, as listed
    choices: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "severity": self.severity,
            "count": self.count,
            "items": list(self.items),
            "choices": list(self.choices),
        }

    def line(self) -> str:
        """``filename-mismatch  5 decisions in 5 artists  [the proposed fix | dismiss]``."""
        noun, plural = nouns(self.kind)
        where = f"{count(self.count, 'decision')} in {count(len(self.items), noun, plural)}"
        return f"{self.kind:<7} {self.code}  {where}  [{' | '.join(self.choices)}]"


def choices_of(kind: str, code: str) -> tuple[str, ...]:
    """A code's choices as the items of its group offer them, in words (never a
    placeholder): where a choice is a value of each item's own (a TMDb candidate, one of an
    album's values), what it is; ``decide KIND NAME`` lists each item's."""
    record = kinds.get(kind)
    if not record.rewrite:
        return ("decided by its own commands",)
    if code in MOVIE_MATCH:
        return ("one of its TMDb candidates", DISMISS)
    if kind == VERIFY.name:  # damage and bit rot (``backups``): a restore where a copy is good
        return (*(LABELS[a] for a in (ACCEPT, AGAIN)), f"{LABELS[RESTORE]} (where one is good)")
    if not record.sets_tags:  # no choice of its own beside leaving it as it is
        return (DISMISS,)
    if code in OWN_CHOICES:  # the same labels in every item (``decisions.item``)
        return (*OWN_CHOICES[code], DISMISS)
    family, _, said = code.partition("-")
    tag = SAID_AS.get(said, said)
    if family == "inconsistent" and tag:
        return (f"one of the album's {tag} values", f"set {tag}", DISMISS)
    if family == "missing" and tag in LOGICAL_TAGS:
        return (f"set {tag}", DISMISS)
    if code in PROPOSALS:
        return ("one of its proposals (best first)", DISMISS)
    if code in ABOUT_FILES:
        return (DISMISS,)
    return ("set a tag's value (--set TAG=VALUE)", DISMISS)


def groups_of(needs: Iterable[NeedsYou]) -> list[Group]:
    """The groups of the open decisions of ``needs``, worst first."""
    counts: dict[tuple[str, str], int] = {}
    items: dict[tuple[str, str], list[str]] = {}
    for need in needs:
        for code, n in ((c.code, c.open) for c in need.codes):
            counts[need.kind, code] = counts.get((need.kind, code), 0) + n
            items.setdefault((need.kind, code), []).append(need.name)
    groups = [
        Group(kind, code, _severity(code), n, _names(items[kind, code]), choices_of(kind, code))
        for (kind, code), n in counts.items()
    ]
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
