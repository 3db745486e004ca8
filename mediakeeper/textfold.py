"""Folding text for comparison: what a person would call the same name."""

from __future__ import annotations

import unicodedata

# Letters NFKD does not take apart, spelled the way MusicBrainz's and TMDb's ASCII aliases
# spell them ("Hævnen" is searched as "Haevnen").
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "ð": "d", "þ": "th", "đ": "d", "ł": "l",
                          "œ": "oe"})  # fmt: skip


def fold(text: str) -> str:
    """Accents off, case folded, the letters above spelled out: "Björk" -> "bjork"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return bare.translate(_LETTERS)
