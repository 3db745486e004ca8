"""Folding text for comparison: what a person would call the same name.

Each fold answers one question, from the strictest to the loosest:

* :func:`caseless`: the same text, case aside? Accents count (Björk is not Bjork), however
  they are encoded: a macOS file name's decomposed "o" + "¨" is the one letter "ö".
* :func:`unaccented`: the same letters, case and accents aside? "æ" and "ø" stay letters.
* :func:`fold`: the same name as an ASCII search spells it? ("Hævnen" is "haevnen", the
  folder name "AC⧸DC" is "ac/dc").
* :func:`name_key`: the name a person typed, spacing aside (finding an item by name).
* :func:`words`: the same words, punctuation aside? (comparing titles with a service's).

Finding one name among many by what a person typed is :mod:`mediakeeper.text.matching`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Letters NFKD does not take apart, spelled the way MusicBrainz's and TMDb's ASCII aliases
# spell them ("Hævnen" is searched as "Haevnen").
# And a folder name's stand-in for "/" (U+29F8, "AC⧸DC": a folder name cannot hold "/") is
# the "/" it stands for, as every page shows it (``text.render.shown``) and a person types it.
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "ð": "d", "þ": "th", "đ": "d", "ł": "l",
                          "œ": "oe", "\u29f8": "/"})  # fmt: skip
_NOT_WORD = re.compile(r"[^\w]+")
_APOSTROPHES = re.compile(r"['’`´]")


def caseless(text: str) -> str:
    """Case folded, accents kept as one letter each: "Bjo\\u0308rk" and "BJÖRK" -> "björk".
    For rules that must not merge names that differ by an accent."""
    return unicodedata.normalize("NFC", text).casefold()


def unicode_form(name: str) -> str:
    """Which Unicode form a name is in, as a person tells apart two folders of one name
    (``Björk`` composed, and decomposed as a Mac writes names)."""
    if unicodedata.is_normalized("NFC", name):
        return "composed"
    if unicodedata.is_normalized("NFD", name):
        return "decomposed, as a Mac writes names"
    return "partly decomposed"


def unicode_twins(name: str, names: Iterable[str]) -> list[str]:
    """The others of ``names`` that are ``name`` in another Unicode form: every list shows
    them as one name, yet each is its own folder."""
    composed = unicodedata.normalize("NFC", name)
    return [other for other in dict.fromkeys(names)
            if other != name and unicodedata.normalize("NFC", other) == composed]  # fmt: skip


def unaccented(text: str) -> str:
    """Accents off, case folded, other letters as they are: "Björk" -> "bjork",
    "Mø" -> "mø". The readable part of an output file's name (``slug.slugify``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold(text: str) -> str:
    """Accents off, case folded, the letters above spelled out: "Björk" -> "bjork",
    "Hævnen" -> "haevnen". For names compared with a web service's."""
    return unaccented(text).translate(_LETTERS)


def name_key(text: str) -> str:
    """A name as a person types it: :func:`fold`, with spacing collapsed and trimmed;
    punctuation kept ("AC/DC" is not "AC DC"). What finding an item by name compares."""
    return " ".join(fold(text).split())


def words(text: str, *, join_apostrophes: bool = False) -> str:
    """:func:`fold`, "&" read as "and", every run of punctuation and spacing one space:
    "AC/DC & Friends" -> "ac dc and friends". ``join_apostrophes``: "Schindler's" is
    "schindlers" rather than "schindler s". Underscores are kept, as letters."""
    folded = fold(text).replace("&", " and ")
    if join_apostrophes:
        folded = _APOSTROPHES.sub("", folded)
    return _NOT_WORD.sub(" ", folded).strip()
