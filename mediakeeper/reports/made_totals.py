"""What the completed items of a kind that makes something (``Kind.makes``: the conversions'
albums, the audiobooks' books) made: how many, their hours of audio, the space they saved and
how many were made without re-encoding. Pure: summed from the queue items' details
("seconds", "bytes_before", "bytes_after") and, for the copies, from their details or output
documents (``records.was_copied``), an item at a time as a tally reads them (``MadeSum``).

The weekly report and the dashboard show one queue's figures for the week and in all, in the
words of its kind's record ("Books made", "Audio converted").
"""

from __future__ import annotations

from collections.abc import Mapping
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
        return " · ".join([count(self.items, noun, plural), *self.phrases(makes)])


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
    """What the completed items of a kind made, summed as a tally reads them, an item at a
    time (``add``), none held; ``made`` the figures."""

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
