"""The person's words for a tag, as ``decide --set WORD=VALUE`` takes them: every field of
the tag table (``tags.table``: the tags a scan reads, and composer, ISRC, ...; loudness
aside, which a ReplayGain pass measures), named case, spaces, "_" and "-" aside ("ISRC",
"Album Artist", "composer-sort"), and the words the findings and other taggers use for
some of them ("year" is the date tag)."""

from __future__ import annotations

import re

from mediakeeper.tags.table import FIELD_OF, LOUDNESS
from mediakeeper.text.cut import echoed
from mediakeeper.text.spaces import tidy_spaces
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
SETTABLE = tuple(name for name in FIELD_OF if name not in LOUDNESS)
# The longest value one --set writes, from either face (the web's body reads no longer one):
# a name, a title, a path-like text; a text meant to be long, its own bound.
MOST_VALUE = 4096
LONG_TEXTS = ("lyrics", "comments", "acoustid_fingerprint")
MOST_LONG_VALUE = 32_768
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # a line break, a tab, an escape, ...


def _squeezed(word: str) -> str:
    return re.sub(r"[\s_\-]+", "", word.casefold())


_BY_WORD = {_squeezed(tag): tag for tag in SETTABLE} | {
    _squeezed(word): tag for word, tag in SAID_AS.items()
}


def tag_named(word: str) -> str | None:
    """The tag ``word`` names; None when it names none."""
    return _BY_WORD.get(_squeezed(word))


def most_characters(tag: str) -> int:
    """The longest value ``tag`` (or the tag a word names) takes: what ``bad_value`` holds a
    value to, and how long the page's box lets one be typed."""
    return MOST_LONG_VALUE if (tag_named(tag) or tag) in LONG_TEXTS else MOST_VALUE


def bad_value(tag: str, value: str) -> str:
    """Why ``value`` cannot be ``tag``'s ("": it can; an empty value removes the tag)."""
    if not is_unicode(value):
        return "not UTF-8 text (it holds undecodable bytes)"
    most = most_characters(tag)
    if len(value) > most:
        return f"{tag} takes at most {most:,} characters, not {len(value):,}"
    if tag not in LONG_TEXTS and (control := CONTROL.search(value)):
        return f"a one-line tag holds no {control.group()!r} (a control character)"
    # A one-line value as the batch's whitespace rule leaves it, or the next batch would
    # rewrite the person's answer (a blank one would be asked again as missing).
    if value and tag not in LONG_TEXTS and (tidy := tidy_spaces(value)) != value:
        if not tidy:
            return "a blank value; an empty one removes the tag"
        return (f"leading, trailing or doubled spaces, which the next batch would tidy: "
                f"give {echoed(tidy)!r}")
    # What a value of a typed field must look like, in every container (MP4 keeps a BPM and
    # the compilation flag as numbers; a date is one every container's readers take): the
    # field's type says.
    takes = FIELD_OF[tag].type.refuses(value) if value else ""
    return f"{tag} takes {takes}, not {echoed(value)!r}" if takes else ""
