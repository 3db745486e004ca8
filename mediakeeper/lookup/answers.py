"""What a web service's answer must hold before anything in it is used, checked once, at the
client (no web stack imported), by pydantic.

A service's answer is data from outside: a broken mirror, a proxy or a hostile server may put
a number where a title belongs, leave an id out, send a megabyte of name or control
characters that a tag, an NFO or a page would carry on. Each client describes its answer as
pydantic models (``Answer``), each field held to a check below (``check``): a record missing
a required value (an id, a title) is left out whole (``each``), an optional value that does
not fit is left out alone (``lenient``), and ``read`` says what was left out in one note for
the whole answer, which the job passes on to the person. What leaves the client is of the
types its records declare, and nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    model_validator,
)

from mediakeeper.core.errors import LookupFailed

NAME_LIMIT = 1024  # characters of a name, a title, an alias (longer: not a name)
PROSE_LIMIT = 20_000  # characters of a plot or an overview
EARLIEST_YEAR = 1800  # before any recording or film
YEARS_AHEAD = 10  # announced releases: a date this many years ahead is still plausible
SHOWN = 3  # problems named in a note; the rest are counted

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

    def __init__(self, message: str, network: bool = False, status: int | None = None,
                 hint: str | None = None, **more: Any) -> None:  # fmt: skip
        super().__init__(message, False, status, hint, **more)  # the network's it is not


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


# -- one answer, through pydantic --------------------------------------------------------------

_PROBLEMS = "problems"  # the validation context's list of what was left out


class Answer(BaseModel):
    """A record of an answer: an object (else ``Unfit``: "a <what> that is a list, not an
    object"), each field checked as its annotation says; keys it does not name are ignored.
    Every field has a default, and the default is checked too, so a missing required value
    fails its own check ("a title is missing")."""

    model_config = ConfigDict(frozen=True, validate_default=True, populate_by_name=True)
    what: ClassVar[str] = "record"

    @model_validator(mode="before")
    @classmethod
    def an_object(cls, raw: Any) -> Any:
        return record(raw, cls.what)


def check(rule: Callable[..., Any], what: str, **options: Any) -> BeforeValidator:
    """A field held to ``rule(value, what, **options)`` (one of the checks above)."""
    return BeforeValidator(lambda value: rule(value, what, **options))


def lenient(empty: Any) -> WrapValidator:
    """A field that, when it does not fit, is left out (``empty``) and noted."""

    def leave_out(value: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        try:
            return handler(value)
        except ValidationError as err:
            _problems(info).append(f"{reason(err)} (left out)")
            return empty

    return WrapValidator(leave_out)


def each(item: Any, what: str) -> WrapValidator:
    """A list field (annotated ``tuple[item, ...]``): each element read as ``item``; one that
    does not fit is left out and noted, and so is a value that is no list; empty texts go."""
    adapter: TypeAdapter[Any] = TypeAdapter(item)
    article = "an" if what[0] in "aeiou" else "a"

    def read_each(raws: Any, _handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        problems = _problems(info)
        if raws is None:
            return ()
        if not isinstance(raws, list | tuple):
            problems.append(f"the {what}s are {_kind(raws)}, not a list (left out)")
            return ()
        made = []
        for raw in raws:
            own: list[str] = []  # a record left out takes its own notes along
            try:
                made.append(adapter.validate_python(raw, context={_PROBLEMS: own}))
            except ValidationError as err:
                problems.append(f"{article} {what} left out: {reason(err)}")
            else:
                problems.extend(own)
        return tuple(m for m in made if m != "")

    return WrapValidator(read_each)


def texts(what: str, *, limit: int = NAME_LIMIT) -> Any:
    """A list of texts (secondary types, aliases): each that does not fit left out."""
    return Annotated[tuple[str, ...], each(Annotated[str, check(text, what, limit=limit)], what)]


def zero_or(rule: Callable[..., Any], what: str, empty: Any, **options: Any) -> Any:
    """An optional number held to ``rule``: a missing one is 0, one that does not fit
    ``empty`` (and noted)."""
    return Annotated[
        type(empty), check(lambda v, w, **o: rule(v or 0, w, **o), what, **options), lenient(empty)
    ]


def read(shape: Any, raw: Any, service: str, answer: str, notes: list[str]) -> Any:
    """``raw`` read as ``shape`` (an ``Answer`` or an annotated list of them); the note on
    what was left out, if anything, added to ``notes`` (a session's). ``Unfit`` when the
    answer does not fit as a whole (a required value of its one record)."""
    problems: list[str] = []
    try:
        made = TypeAdapter(shape).validate_python(raw, context={_PROBLEMS: problems})
    except ValidationError as err:
        raise Unfit(reason(err)) from None
    if line := note(service, answer, problems):
        notes.append(line)
    return made


def note(service: str, answer: str, problems: list[str]) -> str:
    """The one line a person reads about an answer ("the search for 'Heat'"); "" when
    everything fitted."""
    if not problems:
        return ""
    shown = "; ".join(problems[:SHOWN])
    more = len(problems) - SHOWN
    shown += f"; and {more} more" if more > 0 else ""
    return f"{service}'s answer to {answer} did not fit its format: {shown}"


def reason(err: ValidationError) -> str:
    """What did not fit: the check's own words, else pydantic's with where it is."""
    first = err.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, Unfit):
        return str(cause)
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def _problems(info: ValidationInfo) -> list[str]:
    context = info.context if isinstance(info.context, dict) else {}
    return context.setdefault(_PROBLEMS, [])


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
