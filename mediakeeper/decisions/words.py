"""The person's words for a tag, as ``decide --set WORD=VALUE`` takes them: every field of
the tag table (``tags.table``: the logical tags and ``MORE``, composer, ISRC, ...), named
case, spaces, "_" and "-" aside ("ISRC", "Album Artist", "composer-sort"), and the words
the findings and other taggers use for some of them ("year" is the date tag)."""

from __future__ import annotations

import re

from mediakeeper.tags.table import LOGICAL_TAGS, MORE
from mediakeeper.text.cut import echoed
from mediakeeper.text.visible import is_unicode

# The findings' and other taggers' word for a tag -> the tag it is ("year=1973").
SAID_AS = {
    "year": "date",
    "comment": "comments",
    "compilation": "comp",
    "track": "tracknumber",
    "disc": "discnumber",
    "original year": "original_date",
    "key": "initial_key",
    "catalog number": "catalognum",
    "publisher": "label",
    "release type": "albumtype",
}
SETTABLE = (*LOGICAL_TAGS, *MORE)
# What a value of these must look like, in every container (MP4 keeps them as numbers).
NUMBERS = {"bpm": "a whole number of beats per minute", "comp": "1 (a compilation) or 0"}
# A date as every container's readers take it (ID3v2.4's timestamp, which the others follow):
# a year, a month, a day, then a time to the second if any.
DATES = ("date", "original_date")
_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
                   r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d)?)?)?)?)?")  # fmt: skip
# The longest value one --set writes, from either face (the web's body reads no longer one):
# a name, a title, a path-like text; a text meant to be long, its own bound.
MOST_VALUE = 4096
LONG_TEXTS = ("lyrics", "comments", "acoustid_fingerprint")
MOST_LONG_VALUE = 32_768


def _squeezed(word: str) -> str:
    return re.sub(r"[\s_\-]+", "", word.casefold())


_BY_WORD = {_squeezed(tag): tag for tag in SETTABLE} | {
    _squeezed(word): tag for word, tag in SAID_AS.items()
}


def tag_named(word: str) -> str | None:
    """The tag ``word`` names; None when it names none."""
    return _BY_WORD.get(_squeezed(word))


def bad_value(tag: str, value: str) -> str:
    """Why ``value`` cannot be ``tag``'s ("": it can; an empty value removes the tag)."""
    if not is_unicode(value):
        return "not UTF-8 text (it holds undecodable bytes)"
    most = MOST_LONG_VALUE if tag in LONG_TEXTS else MOST_VALUE
    if len(value) > most:
        return f"{tag} takes at most {most:,} characters, not {len(value):,}"
    if value and tag in DATES and not _DATE.fullmatch(value):
        return (f"{tag} takes a date as YYYY, YYYY-MM or YYYY-MM-DD (a time may follow: "
                f"THH:MM:SS), not {echoed(value)!r}")  # fmt: skip
    if not value or tag not in NUMBERS:
        return ""
    fits = value.isascii() and value.isdigit() and (tag != "comp" or value in ("0", "1"))
    return "" if fits else f"{tag} takes {NUMBERS[tag]}, not {echoed(value)!r}"
