"""Whether a lossless copy in a duplicate group is lossless from the start: its spectrum read
as verify's lossy-origin check reads it (``media.integrity``: the same window from the
middle, the same cut-offs), for every lossless copy of a group that verify has not already
found of lossy origin. A FLAC decoded from an MP3 carries the bit depth and rate its decoder
wrote (24-bit, as ffmpeg writes it), which is no resolution; its spectrum stops where the
MP3 encoder's low-pass did.

Kept by file identity in ``status/dupes/spectra.json`` (``{path: {"size", "mtime_ns",
"inode", "levels"}}``): a copy's window is decoded once while the file is the same."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.media import integrity
from mediakeeper.text.slug import inside

GENUINE, LOSSY, UNTOLD = "genuine", "lossy", "untold"
IDENTITY = ("size", "mtime_ns", "inode")
STALL = 60.0  # seconds a window's decode may go without progress (a mount gone)


def spectra_path(home: Path) -> Path:
    return inside(home, "status", "dupes", "spectra.json")


def origin(levels: Mapping[int, float]) -> str:
    """``LOSSY`` where the spectrum stops as a lossy encoder's low-pass does, ``GENUINE``
    where it goes on above the cut-offs, ``UNTOLD`` where nothing up there tells (a quiet
    or a dull recording, a window ffmpeg could not read)."""
    if integrity.cutoff_of(levels) is not None:
        return LOSSY
    return GENUINE if integrity.tells(levels) else UNTOLD


def _same(known: Any, entry: dict[str, Any]) -> bool:
    """Whether ``known`` was measured on the file as its entry ``entry`` saw it."""
    return isinstance(known, dict) and all(known.get(k) == entry.get(k) for k in IDENTITY)


def origins(home: Path, exe: str, files: Mapping[str, dict[str, Any]]) -> dict[str, str]:
    """The origin of each lossless file of ``files`` (path: its fingerprint entry), its
    window decoded where it was not yet for the file as it is; the others (ffmpeg's decodes
    run side by side) are read from ``spectra.json``, which then holds these files only."""
    path = spectra_path(home)
    try:
        known = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        known = {}
    known = known if isinstance(known, dict) else {}
    todo = [p for p, e in files.items() if not _same(known.get(p), e)]

    def measured(p: str) -> dict[int, float]:
        seconds = float(files[p].get("duration") or 0)
        return integrity.spectrum(exe, Path(p), seconds, stall=STALL)

    if todo:
        with ThreadPoolExecutor(max(1, min(len(todo), os.cpu_count() or 1))) as pool:
            for p, levels in zip(todo, pool.map(measured, todo), strict=True):
                known[p] = {**{k: files[p].get(k) for k in IDENTITY}, "levels": levels}
    kept = {p: known[p] for p in files}
    if todo or len(kept) != len(known):
        atomic_write_text(path, json.dumps(kept, ensure_ascii=False) + "\n")
    return {p: origin({int(hz): db for hz, db in kept[p]["levels"].items()}) for p in files}
