"""Cutting text to a length where a reader sees a break: never inside a character a reader
sees as one (a letter and its combining accents, an emoji with its skin tone, variation
selector or zero-width-joined parts, a flag's two regional indicators, CR LF), and never
inside a UTF-16 surrogate pair when the length counts UTF-16 units, as Apple's tags do.

The rules are the parts of Unicode's grapheme clusters (UAX #29) that text in tags and file
names meets; Hangul syllables spelled as separate jamo are not kept together.
"""

from __future__ import annotations

import unicodedata

_ZWJ = "\u200d"


def _extends(ch: str) -> bool:
    """Whether ``ch`` belongs to the character before it."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")  # variation selectors among them
        or ch == _ZWJ
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def boundaries(text: str) -> list[bool]:
    """``result[i]``: whether ``text`` may be cut before ``text[i]`` (0 < i < len)."""
    allowed = [True] * (len(text) + 1)
    run = 0  # regional indicators in a row before position i
    for i in range(1, len(text)):
        before, ch = text[i - 1], text[i]
        run = run + 1 if _regional(before) else 0
        flag_half = _regional(ch) and run % 2 == 1  # the second of a flag's two letters
        if _extends(ch) or before == _ZWJ or (before, ch) == ("\r", "\n") or flag_half:
            allowed[i] = False
    return allowed


def cut(text: str, limit: int, *, utf16: bool = False, words: bool = False) -> str:
    """``text`` if it fits in ``limit`` characters (UTF-16 units with ``utf16``), else its
    longest start that fits and ends at a character boundary; with ``words``, at the last
    white space that fits when there is one (one word longer than the limit is cut at a
    character). Trailing white space goes."""
    allowed = boundaries(text)
    used = last = last_space = 0
    for i, ch in enumerate(text):
        if i and allowed[i]:  # text[:i] fits: it is a place to cut
            last = i
            if ch.isspace():
                last_space = i
        used += 2 if utf16 and ord(ch) > 0xFFFF else 1
        if used > limit:
            break
    else:
        return text
    return text[: last_space if words and last_space else last].rstrip()


MOST_ECHOED = 200  # characters of a name a person or a client gave that a message repeats


def echoed(text: str, most: int = MOST_ECHOED) -> str:
    """``text`` as a message repeats what it was given: whole when short, else its start and
    how long it was. A 50 MB name is never sent back, nor walked whole to be cut."""
    if len(text) <= most:
        return text
    return f"{cut(text[: most + 16], most)}... ({len(text):,} characters)"
