"""The types of the tag table's values: plain text, a number with its total, a date, a whole
number, a flag. A field's type says what its stored text means (``parse``), what a person may
set it to (``refuses``), and how a container that stores the type itself (MP4's ``trkn`` and
``tmpo`` as integers, ``cpil`` as a boolean; ID3v2.3's date frames) takes a value.

A parse never raises: a scan reads a messy library whole, and a stored value that does not
read as its type comes back as ``Malformed``, its text kept for the finding that reports it.

Where values are compared (an album's tracks voting on a tag: ``mediakeeper.music``'s rules),
a type gives each stored text its ``key``: what it means, read as a person meant it rather
than as a container must hold it. So "3 of 12" is track 3 and "26/09/1969" the year 1969,
though neither parses: such a value is compared by what it names, never overwritten for its
shape alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Malformed:
    """A stored value that does not read as its field's type, as the file holds it."""

    raw: str


@dataclass(frozen=True)
class Numbered:
    """A track or disc number and its total; either may be missing."""

    number: int | None
    total: int | None


@dataclass(frozen=True)
class Date:
    """A year, a month of it, or a day of that (as ID3v2.4's and Vorbis' dates are written);
    a time of day, which some taggers add, is not part of the value."""

    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"]
        parts += [f"{part:02d}" for part in (self.month, self.day) if part is not None]
        return "-".join(parts)


class Text:
    """Any text; the type of most fields."""

    def parse(self, text: str) -> str:
        return text

    def refuses(self, text: str) -> str:
        """Why ``text`` cannot be a value of this type ("": it can)."""
        return ""

    def key(self, text: str) -> str | None:
        """What ``text`` means where values are compared: the text, spacing at its ends
        aside; None when blank."""
        return text.strip() or None


class WholeNumber(Text):
    """A whole number of ``unit`` (BPM): MP4 keeps it as an integer. A stored decimal
    ("120.5", as some analysers write it) reads as its whole part, as beets reads it."""

    def __init__(self, unit: str):
        self.words = f"a whole number of {unit}"

    def parse(self, text: str) -> int | Malformed:
        if _DECIMAL.match(text) is None:
            return Malformed(text)
        return int(float(text))

    def refuses(self, text: str) -> str:
        return "" if text.isascii() and text.isdigit() else self.words


class Flag(Text):
    """Yes or no, stored as "1" or "0" (MP4: a boolean atom; ASF: a boolean attribute)."""

    YES, NO = ("1", "true", "yes"), ("0", "false", "no", "")

    def __init__(self, meaning: str):
        self.words = f"1 ({meaning}) or 0"

    def parse(self, text: str) -> bool | Malformed:
        said = text.strip().casefold()
        if said in self.YES:
            return True
        return False if said in self.NO else Malformed(text)

    def refuses(self, text: str) -> str:
        return "" if text in ("0", "1") else self.words


_LEADING_NUMBER = re.compile(r"\s*(\d+)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DECIMAL = re.compile(r"\s*\d+(?:\.\d*)?\s*\Z")
_WRITTEN_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
                           r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d)?)?)?)?)?")  # fmt: skip
_DATE = re.compile(r"\s*(\d{4})(?:[-/.](\d{2})(?:[-/.](\d{2}))?)?(?:[T ][\d:]*)?\s*\Z")


def _a_day(text: str) -> bool:
    """Whether YYYY-MM-DD is a day of the calendar (not February 30th)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


class DateType(Text):
    """A date as ISO 8601 writes it, from the year ("1997", "1997-05", "1997-05-02"; "/" or
    "." between its parts read too); any text stored is read (the findings say which do not
    read as a year), but a value written is one every container's readers take: ID3v2.4's
    timestamp, which the others follow (a year, a month, a day, then a time to the second)."""

    words = "a date as YYYY, YYYY-MM or YYYY-MM-DD (a time may follow: THH:MM:SS)"

    def refuses(self, text: str) -> str:
        found = _WRITTEN_DATE.fullmatch(text)
        if found is None or found[0].startswith("0000"):  # no year 0 in ISO 8601's calendar
            return self.words
        return "" if found[3] is None or _a_day(text[:10]) else "a day of the calendar"

    def parse(self, text: str) -> Date | Malformed:
        found = _DATE.match(text)
        if found is None:
            return Malformed(text)
        month, day = (int(part) if part else None for part in found.groups()[1:])
        if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
            return Malformed(text)
        return Date(int(found.group(1)), month, day)

    def year(self, text: str | None) -> str | None:
        """The four digits of the year a stored date names ("1969-09-26", "26/09/1969",
        "Sept 1969": "1969"), whether or not the text reads as a date; None if none does.
        "0000", which taggers write for a year they do not know, names none (there is no
        year 0: ``refuses``)."""
        for found in _YEAR.finditer(text or ""):
            if found[1] != "0000":
                return found[1]
        return None

    key = year  # a date is compared by its year


class NumberWithTotal(Text):
    """A number with its total, stored as "3/12" in one key (ID3, APEv2), as two keys
    (Vorbis, ASF) or as an integer pair (MP4). Any text is accepted ("A1": a vinyl side);
    MP4, which stores integers, refuses what is not a whole number when it is written."""

    def parse_pair(self, number: str | None, total: str | None) -> Numbered | Malformed | None:
        if not number and not total:
            return None
        parsed = (whole(number) if number else None, whole(total) if total else None)
        if (number and parsed[0] is None) or (total and parsed[1] is None):
            return Malformed(f"{number or ''}/{total}" if total else number or "")
        return Numbered(*parsed)

    def parse(self, text: str) -> Numbered | Malformed | None:
        number, _, total = text.partition("/")
        return self.parse_pair(number.strip() or None, total.strip() or None)

    def leading(self, text: str | None) -> int | None:
        """The number a stored value starts with ("3", "03", "3/12", "3 of 12": 3), whether
        or not it parses; None when it starts with none (a vinyl side, "A1")."""
        found = _LEADING_NUMBER.match(text or "")
        return int(found[1]) if found else None

    def key(self, text: str) -> str | None:
        """A number is compared by the number it starts with ("03/12": "3")."""
        number = self.leading(text)
        return None if number is None else str(number)


def whole(text: str | None) -> int | None:
    """``text`` as a whole number ("07" is 7); None if it is not one."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


TEXT = Text()
DATE = DateType()
NUMBER_WITH_TOTAL = NumberWithTotal()
