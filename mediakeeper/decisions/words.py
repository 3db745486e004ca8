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
    if not value or tag not in NUMBERS:
        return ""
    fits = value.isascii() and value.isdigit() and (tag != "comp" or value in ("0", "1"))
    return "" if fits else f"{tag} takes {NUMBERS[tag]}, not {echoed(value)!r}"
