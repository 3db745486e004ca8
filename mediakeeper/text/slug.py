"""File-system-safe, collision-free names for output files, and a guard for where they go."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.text.fold import unaccented

_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep, "\0") if sep)
_NOT_WORD = re.compile(r"[^\w]+")  # \w keeps letters of every script; "/", "." and ".." go


def slugify(name: str, *, max_length: int = 60) -> str:
    """``"AC⧸DC"`` -> ``"ac-dc-5d41402a"``. The hash of the exact name keeps two names that
    read alike ("AC/DC", "AC DC") from ever sharing a file."""
    words = _NOT_WORD.sub("-", unaccented(name)).strip("-_")[:max_length].strip("-_")
    digest = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{words or 'item'}-{digest}"


def inside(root: Path, *parts: str) -> Path:
    """``root`` joined with ``parts``, each one a single name: a part that is empty, ``.``,
    ``..`` or holds a separator could lead outside ``root`` and is refused. (Checked by
    name, not by resolving the path: four resolves an artist cost 0.3 ms.)"""
    for part in parts:
        if part in ("", ".", "..") or any(sep in part for sep in _SEPARATORS):
            raise MediakeeperError(f"refusing to write outside {root}: {'/'.join(parts)!r}")
    return root.joinpath(*parts)
