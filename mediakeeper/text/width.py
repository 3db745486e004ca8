"""How wide text shows in a terminal, for output laid out in columns.

A character takes one cell, two when it is East Asian wide or full-width ("日", most emoji),
none when it only marks the one before it (a combining accent, as a decomposed "é" from a macOS
file name has one) or formats without showing (a zero-width joiner). Counting characters
instead would push every column after "日本のバンド" or "Beyonce\\u0301" out of line.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
_ZERO_WIDTH = ("Mn", "Me", "Cf")


def _cells(ch: str) -> int:
    if unicodedata.category(ch) in _ZERO_WIDTH:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """The cells ``text`` takes in a terminal."""
    return sum(_cells(ch) for ch in text)


def printable(text: str) -> str:
    """``text`` on one line: a control character (a tab or line break a folder's name may
    hold) is shown as "?" rather than moving the cursor."""
    return "".join("?" if unicodedata.category(ch) == "Cc" else ch for ch in text)


def cut(text: str, cells: int) -> str:
    """``text`` if it fits in ``cells``, else as much of it as fits before a "…"."""
    if width(text) <= cells:
        return text
    kept, used = [], 0
    for ch in text:
        taken = _cells(ch)
        if used + taken > cells - 1:
            break
        kept.append(ch)
        used += taken
    return "".join(kept) + ELLIPSIS


def pad(text: str, cells: int, *, right: bool = False) -> str:
    """``text`` filled with spaces to ``cells`` (after it, or before it when ``right``)."""
    fill = " " * max(0, cells - width(text))
    return fill + text if right else text + fill
