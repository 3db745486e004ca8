"""How wide text shows in a terminal, for output laid out in columns: rich's cell widths
(``rich.cells``: East Asian wide and full-width characters take two cells, combining marks
and invisible format characters none), so "日本のバンド" or a decomposed "Beyonce\\u0301"
keep every column after them in line. rich is imported on first use: a batch that lays
nothing out in columns never loads it.
"""

from __future__ import annotations

ELLIPSIS = "…"


def width(text: str) -> int:
    """The cells ``text`` takes in a terminal."""
    if text.isascii() and text.isprintable():  # one cell a character: most names, counts
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def cut(text: str, cells: int, wide: int | None = None) -> str:
    """``text`` if it fits in ``cells``, else as much of it as fits before a "…" (a combining
    mark stays with its letter). ``wide``: its ``width``, where the caller measured it."""
    from rich.cells import get_character_cell_size

    if (width(text) if wide is None else wide) <= cells:
        return text
    kept, used = [], 0
    for ch in text:
        taken = get_character_cell_size(ch)
        if used + taken > cells - 1:
            break
        kept.append(ch)
        used += taken
    return "".join(kept) + ELLIPSIS


def pad(text: str, cells: int, *, right: bool = False, wide: int | None = None) -> str:
    """``text`` filled with spaces to ``cells`` (after it, or before it when ``right``).
    ``wide``: its ``width``, where the caller measured it."""
    fill = " " * max(0, cells - (width(text) if wide is None else wide))
    return fill + text if right else text + fill


def fit(text: str, cells: int, wide: int | None = None) -> str:
    """``text`` cut to ``cells`` (``cut``) and filled to them (``pad``), measured once
    (``wide``: its ``width``, where the caller measured it)."""
    wide = width(text) if wide is None else wide
    if wide <= cells:
        return pad(text, cells, wide=wide)
    return pad(cut(text, cells, wide), cells)
