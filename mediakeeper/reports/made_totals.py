"""What the completed items of a kind that makes something (``Kind.makes``: the conversions'
albums, the audiobooks' books) made: how many, their hours of audio, the space they saved and
how many were made without re-encoding. Pure: summed from the queue items' details
("seconds", "bytes_before", "bytes_after") and, for the copies, from what
:func:`mediakeeper.reports.records.gather` read of their output documents.

The weekly report and the dashboard show one queue's figures for the week and in all, in the
words of its kind's record ("Books made", "Audio converted").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mediakeeper.core.kinds import Makes
from mediakeeper.text.wording import count, format_size


@dataclass(frozen=True)
class Made:
    items: int
    seconds: float
    bytes_saved: int
    copied: int  # made without re-encoding

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    def phrases(self, makes: Makes) -> list[str]:
        """``["1.5 h of audio", "540.0 MB saved"]``: what ``makes`` says its kind counts."""
        said = [f"{self.hours:.1f} h of audio"]
        if makes.saved:
            said.append(space_said(self.bytes_saved))
        if makes.copies:
            said.append(f"{self.copied:,} {makes.copies}")
        return said

    def figures(self, makes: Makes) -> str:
        """``7 · 1.5 h of audio · 540.0 MB saved``: under a label that names the items."""
        return " · ".join([f"{self.items:,}", *self.phrases(makes)])

    def describe(self, makes: Makes, noun: str, plural: str) -> str:
        """``3 books · 2.5 h of audio · 2 joined without re-encoding``."""
        return " · ".join([count(self.items, noun, plural, spec=","), *self.phrases(makes)])


def made(
    kind: str, items: Iterable[Mapping[str, Any]], copied: Collection[tuple[str, str]]
) -> Made:
    """What ``items`` (completed items of ``kind``) made; ``copied``: the (kind, key) of those
    made without re-encoding."""
    items = list(items)
    return Made(
        items=len(items),
        seconds=sum(number(i, "seconds") for i in items),
        bytes_saved=int(sum(number(i, "bytes_before") - number(i, "bytes_after") for i in items)),
        copied=sum((kind, i.get("key")) in copied for i in items),
    )


def space_said(saved: int) -> str:
    """``"540.0 MB saved"``; a conversion that made the files larger (a lossless profile over
    lossy sources) says so, never "-4 kB saved"."""
    if saved < 0:
        return f"{format_size(-saved)} larger than the sources"
    return f"{format_size(saved)} saved"


def number(item: Mapping[str, Any], key: str) -> float:
    """A number in the item's details; 0 when it has none (or not a number)."""
    details = item.get("details")
    value = details.get(key) if isinstance(details, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


@dataclass
class MadeSum:
    """``made_totals.made`` summed an item at a time (the same sums in the same order)."""

    items: int = 0
    seconds: float = 0
    saved: float = 0
    copied: int = 0

    def add(self, item: Mapping[str, Any], copied: bool) -> None:
        self.items += 1
        self.seconds += number(item, "seconds")
        self.saved += number(item, "bytes_before") - number(item, "bytes_after")
        self.copied += copied

    def made(self) -> Made:
        return Made(self.items, self.seconds, int(self.saved), self.copied)
