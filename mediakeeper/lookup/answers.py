"""What a web service's answer must hold before anything in it is used, checked once, at the
client (no web stack imported).

A service's answer is data from outside: a broken mirror, a proxy or a hostile server may put
a number where a title belongs, leave an id out, send a megabyte of name or control
characters that a tag, an NFO or a page would carry on. Each client reads its answer through
a :class:`Screen`: a record missing a required value (an id, a title) is left out whole, an
optional value that does not fit is left out alone, and the screen says what it left out in
one note for the whole answer (``note``), which the job passes on to the person. What leaves
the client is of the types its records declare, and nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from mediakeeper.core.errors import LookupFailed

NAME_LIMIT = 1024  # characters of a name, a title, an alias (longer: not a name)
PROSE_LIMIT = 20_000  # characters of a plot or an overview
EARLIEST_YEAR = 1800  # before any recording or film
YEARS_AHEAD = 10  # announced releases: a date this many years ahead is still plausible
SHOWN = 3  # problems named in a note; the rest are counted
T = TypeVar("T")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
# Bidirectional embeddings, overrides and isolates: they make a name read as another.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PROSE_BREAKS = frozenset("\n\r\t")


class Unfit(ValueError):
    """A value of an answer that does not fit what the service promises; says what and why."""


class UnfitAnswer(LookupFailed):
    """A whole answer that cannot be used (not the service's format at all). Not the
    network's fault: the service answered, with something else."""

    def __init__(self, message: str) -> None:
        super().__init__(message, network=False)


# -- single values ---------------------------------------------------------------------------


def record(raw: Any, what: str) -> Mapping[str, Any]:
    """``raw`` if it is an object (a JSON object, an XML element's dict)."""
    if not isinstance(raw, Mapping):
        raise Unfit(f"a {what} that is {_kind(raw)}, not an object")
    return raw


def text(
    value: Any, what: str, *, limit: int = NAME_LIMIT, prose: bool = False, strip: bool = True
) -> str:
    """A string of at most ``limit`` characters without control characters (a ``prose`` text
    may hold line breaks and tabs), stripped unless told (a join phrase's spaces are its
    own); "" for a missing or empty one."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unfit(f"{what} is {_kind(value)}, not text")
    if len(value) > limit:
        raise Unfit(f"{what} is {len(value):,} characters long (at most {limit:,})")
    allowed = _PROSE_BREAKS if prose else frozenset()
    bad = next((c for c in value if c not in allowed and _control(c)), None)
    if bad is not None:
        raise Unfit(f"{what} holds the control character U+{ord(bad):04X}")
    return value.strip() if strip else value


def required_text(value: Any, what: str, *, limit: int = NAME_LIMIT) -> str:
    found = text(value, what, limit=limit)
    if not found:
        raise Unfit(f"{what} is missing")
    return found


def mbid(value: Any, what: str) -> str:
    """A MusicBrainz (or AcoustID) id: a UUID, in its canonical lower-case form."""
    canonical = value.strip().lower() if isinstance(value, str) else value
    if not is_mbid(canonical):
        raise Unfit(f"{what} {_shown(value)} is not an id")
    return canonical


def is_mbid(value: Any) -> bool:
    """A UUID in its canonical lower-case form (no spaces around it)."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def optional_mbid(value: Any, what: str) -> str:
    return "" if value in (None, "") else mbid(value, what)


def whole(
    value: Any, what: str, *, low: int = 0, high: int = 2**31 - 1, digits: bool = False
) -> int:
    """An integer in ``low..high``: a JSON number, or with ``digits`` the digits an XML
    attribute holds; a true or false is no number."""
    if digits and isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Unfit(f"{what} {_shown(value)} is not a whole number from {low} to {high:,}")
    return value


def number(value: Any, what: str, *, low: float, high: float) -> float:
    """A finite number in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Unfit(f"{what} {_shown(value)} is not a number from {low:g} to {high:g}")
    return float(value)


def release_date(value: Any, what: str) -> str:
    """"YYYY", "YYYY-MM" or "YYYY-MM-DD" with a plausible year, month and day; "" for none."""
    found = text(value, what, limit=10)
    if not found:
        return ""
    match = _DATE.fullmatch(found)
    year, month, day = (int(part) if part else 1 for part in match.groups()) if match else (0,) * 3
    if not (EARLIEST_YEAR <= year <= date.today().year + YEARS_AHEAD and 1 <= month <= 12
            and 1 <= day <= 31):  # fmt: skip
        raise Unfit(f"{what} {found!r} is not a plausible date")
    return found


# -- one answer ------------------------------------------------------------------------------


class Screen:
    """One answer read through its checks: what did not fit is left out and remembered."""

    def __init__(self, service: str, answer: str):
        self.service = service  # "MusicBrainz"
        self.answer = answer  # "the search for 'Portishead'"
        self.problems: list[str] = []

    def optional(self, check: Callable[..., T], value: Any, what: str, empty: T, **kw) -> T:
        """``check(value, what)``; ``empty`` (and remembered) when the value does not fit."""
        try:
            return check(value, what, **kw)
        except Unfit as err:
            self.problems.append(f"{err} (left out)")
            return empty

    def each(self, raws: Any, make: Callable[[Any], T], what: str) -> list[T]:
        """``make(raw)`` for each raw record of a list; one that does not fit is left out."""
        if raws is None:
            return []
        if not isinstance(raws, list | tuple):
            self.problems.append(f"the {what}s are {_kind(raws)}, not a list (left out)")
            return []
        made = []
        for raw in raws:
            try:
                made.append(make(raw))
            except Unfit as err:
                article = "an" if what[0] in "aeiou" else "a"
                self.problems.append(f"{article} {what} left out: {err}")
        return made

    def texts(self, raws: Any, what: str, *, limit: int = NAME_LIMIT) -> tuple[str, ...]:
        """The non-empty texts of a list, each that does not fit left out."""
        return tuple(t for t in self.each(raws, lambda v: text(v, what, limit=limit), what) if t)

    def note(self) -> str:
        """The one line a person reads about this answer; "" when everything fitted."""
        if not self.problems:
            return ""
        shown = "; ".join(self.problems[:SHOWN])
        more = len(self.problems) - SHOWN
        shown += f"; and {more} more" if more > 0 else ""
        return f"{self.service}'s answer to {self.answer} did not fit its format: {shown}"

    def noted(self, notes: list[str]) -> None:
        """Add the note, if there is one, to ``notes`` (a session's)."""
        if line := self.note():
            notes.append(line)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# -- internals -------------------------------------------------------------------------------


def _control(char: str) -> bool:
    return (
        unicodedata.category(char) in ("Cc", "Cs")
        or char in _BIDI
        or char in "\ufffe\uffff"
    )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _shown(value: Any) -> str:
    """A value as a note may quote it: short, and only printable characters."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    if not isinstance(value, str):
        return _kind(value)
    cut = value[:40] + ("..." if len(value) > 40 else "")
    return repr("".join(c if not _control(c) else "?" for c in cut))
