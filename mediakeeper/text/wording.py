"""How many of something, in words, for every message and report the toolkit writes.

``count(1, "issue")`` is ``"1 issue"``, ``count(3, "issue")`` is ``"3 issues"``: one helper, so
a number and its noun always agree (no more "1 issues" or "2 change(s)"). The report templates
have it too, as the global ``count`` of the shared Jinja environment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mediakeeper.text.visible import quoted

_ES_ENDINGS = ("s", "x", "z", "ch", "sh")  # fix -> fixes, match -> matches, status -> statuses


def plural_of(noun: str) -> str:
    """The regular English plural of ``noun`` (the last word of it: "tag change" -> "tag
    changes"); pass an irregular one to :func:`count` yourself."""
    return noun + ("es" if noun.endswith(_ES_ENDINGS) else "s")


# Every kind's queue and batch are named by its item's kind in the singular, as a person says it.
_SINGULAR = {"movies": "movie"}


def queue_name(kind: str) -> str:
    """What a kind's queue is called in every message: "music queue", "movie queue"."""
    return f"{_SINGULAR.get(kind, kind)} queue"


def back_to(status: str, kind: str) -> str:
    """Where a decision puts an item back, said alike by its preview and its take: "back to
    pending for the next movie batch" (which asks anew what it still finds), "back to
    skipped"."""
    return f"back to {status} for the next {_SINGULAR.get(kind, kind)} batch" \
        if status == "pending" else f"back to {status}"  # fmt: skip


# What a preview whose take neither writes nor moves a file says (the page's words too).
NO_FILE_WRITTEN = "no file would be written"


def number(n: int) -> str:
    """A count as a person reads it at any size: 21,893 (the reports and the web page)."""
    return f"{n:,}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, singular for exactly one and plural otherwise (``0 issues``,
    ``17,274 tracks``: the number as :func:`number` says it). ``plural`` defaults to
    :func:`plural_of`."""
    word = noun if n == 1 else (plural or plural_of(noun))
    return f"{number(n)} {word}"


def written_to(files: int, whole: int) -> str:
    """How tag changes reached ``files`` files, ``whole`` of them rewritten whole (swapped)
    and the rest changed in place: "written to 134 files: 131 in place, 3 rewritten whole"."""
    said = f"written to {count(files, 'file')}"
    if not whole:
        return f"{said}, all in place"
    if whole == files:
        return f"{said}, all rewritten whole"
    return f"{said}: {files - whole:,} in place, {whole:,} rewritten whole"


def values_written(files: int, whole: int) -> str:
    """The line that says where a person's tag values went (``decide``, ``undo``): "values
    written to 2 files, all in place"."""
    return f"values {written_to(files, whole)}"


def first_few(names: Sequence[str], most: int = 5) -> str:
    """``names`` joined with commas, at most ``most`` of them and the rest counted: "ABBA,
    AC/DC, Air, Alt-J, Anathema and 151 more". For a list too long to print whole."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most:,} more" if len(names) > most else "")


def value(text: str | None) -> str:
    """A tag's value in a message: quoted on one line as a name is (``text.visible.quoted``:
    a lyric's line feeds as ``\\x0a``), or "(none)" when the tag was
    absent (never Python's "None", which reads like a value); a cover (``tags.cover``'s
    ``data:`` URI) by its type and size."""
    if text is None:
        return "(none)"
    return picture(text) or quoted(text)


def in_a_row(text: str | None) -> str:
    """A tag's value in a preview's row on the page: “in quotes” (the row says it whole, on
    its lines), a cover by its type and size (never its whole ``data:`` URI), "(none)" when
    absent or blank."""
    if not text:
        return "(none)"
    return picture(text) or f"“{text}”"


def picture(text: str) -> str:
    """A cover (``tags.cover``'s ``data:`` URI) as a person reads it, by its type and size:
    "a picture (image/jpeg, 48,213 bytes)"; "" for any other value."""
    if text.startswith("data:image/") and ";base64," in text:
        mime, _, data = text[5:].partition(";base64,")
        return f"a picture ({mime}, {size_of_base64(data):,} bytes)"
    return ""


def size_of_base64(data: str) -> int:
    return len(data) * 3 // 4 - data.count("=", -2)


def spans(numbers: Iterable[int]) -> str:
    """Numbers as a person reads them: "2, 5-7, 9-98" (a hidden track numbered 99 would
    otherwise list 94 missing numbers; fifteen tracks read "1-15")."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(
        str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}-{b}" for a, b in runs
    )


def clock(seconds: float) -> str:
    """``h:mm:ss``, or ``m:ss`` under an hour (as a clock shows a time left)."""
    hours, rest = divmod(round(max(0.0, seconds)), 3600)
    minutes, whole = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{whole:02d}" if hours else f"{minutes}:{whole:02d}"


def format_size(size: float) -> str:
    """``"812 kB"``, ``"3.4 MB"``, ``"1.2 GB"`` (powers of 1000, as the weekly report's GB),
    ``"22 bytes"`` under a kB (not ``"0 kB"``); negative when a conversion made the files
    larger (a lossless profile)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if abs(size) >= scale:
            return f"{size / scale:.1f} {unit}"
    if abs(size) < 1e3:
        return count(round(size), "byte")
    return f"{round(size / 1e3):,} kB"
