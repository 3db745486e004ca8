"""File-system-safe, collision-free names for output files, and a guard for where they go."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.text.cut import cut
from mediakeeper.text.fold import unaccented

_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep, "\0") if sep)
_NOT_WORD = re.compile(r"[^\w]+")  # \w keeps letters of every script; "/", "." and ".." go


_FAT_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
# Names Windows keeps for devices, with any extension ("CON.m4b" too), on FAT and exFAT
# volumes a phone or a car reads: a file or folder so named cannot be made or opened there.
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\.|$)", re.IGNORECASE)


SAFE_BYTES = 200  # of a made name in UTF-8: room in 255 for a suffix or a date after it


def fat_safe(name: str, most: int = 120) -> str:
    """A folder or file name FAT and exFAT accept: no reserved characters (``_`` instead), no
    trailing dots or spaces, no device name (``AUX`` -> ``AUX_``, ``CON.m4b`` ->
    ``CON_.m4b``), at most ``most`` characters and SAFE_BYTES bytes (120 letters of three
    bytes pass Linux's 255); ``_`` for a name left empty."""
    cleaned = cut(_FAT_UNSAFE.sub("_", name).strip(), most)
    while len(cleaned.encode("utf-8", "surrogatepass")) > SAFE_BYTES:
        cleaned = cut(cleaned, len(cleaned) - 1)
    cleaned = cleaned.rstrip(". ") or "_"
    return _RESERVED.sub(lambda m: m.group(1) + "_" + m.group(2), cleaned)


SLUG_BYTES = 180  # of a slug's words, in UTF-8: a report's name and its temp name fit in 255


def slugify(name: str, *, max_length: int = 60) -> str:
    """``"AC⧸DC"`` -> ``"ac-dc-5d41402a"``. The hash of the exact name keeps two names that
    read alike ("AC/DC", "AC DC") from ever sharing a file. At most ``max_length`` characters
    of words and SLUG_BYTES bytes (60 letters of four bytes each would be 240)."""
    words = _NOT_WORD.sub("-", unaccented(name)).strip("-_")[:max_length]
    while len(words.encode("utf-8", "surrogatepass")) > SLUG_BYTES:
        words = words[:-1]
    words = words.strip("-_")
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{words or 'item'}-{digest}"


def one_name(part: str) -> bool:
    """Whether ``part`` names a file in a folder, never a way out of it: not empty, ``.`` or
    ``..``, and no separator."""
    return part not in ("", ".", "..") and not any(sep in part for sep in _SEPARATORS)


def inside(root: Path, *parts: str) -> Path:
    """``root`` joined with ``parts``, each one a single name: a part that is empty, ``.``,
    ``..`` or holds a separator could lead outside ``root`` and is refused. (Checked by
    name, not by resolving the path: a resolve asks the disk, several times an artist.)"""
    for part in parts:
        if not one_name(part):
            raise MediakeeperError(f"refusing to write outside {root}: {'/'.join(parts)!r}")
    return root.joinpath(*parts)


def page_of(report: str) -> str:
    """The web page of a Markdown report (``issues/music/x.md`` -> ``issues/music/x.html``):
    every report is written in both forms (``mediakeeper.fs.reports``), and a page links
    the page. Anything else is its own name."""
    return report[: -len(".md")] + ".html" if report.endswith(".md") else report
