"""A change of one tag in one file: what a rule plans, a decision takes, the journal records
and undo takes back. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TagChange:
    """One proposed or applied change of one logical tag in one file (old None = was absent)."""

    path: str
    tag: str
    old: str | None
    new: str | None
