"""The audio checksums of an album's files as last checked good: what bit rot is measured
against. ``status/verify/checksums/<slug>.json``, one per album (an album is checked by one
worker at a time), replaced atomically: {file name: {"checksum", "good_at", "size",
"mtime_ns", "sound"}}, ``sound`` the analysis's measures of the audio when it was first
found good (absent when it was never analysed). A checksum is only ever written from a pass
that found the file whole, and a changed one is never written over unless the person
accepts it (``--accept-changed``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.text.slug import inside


def path_of(home: Path, slug: str) -> Path:
    return inside(home, "status", "verify", "checksums", f"{slug}.json")


def load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise MediakeeperError(f"the checksums {path} cannot be read ({err}); move it aside "
                               "to start that album's record afresh") from None  # fmt: skip
    return data if isinstance(data, dict) else {}


def save(path: Path, known: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(known, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write_text(path, text)
