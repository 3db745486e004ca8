"""What is measured of a file in a duplicate group, kept while the file is the same (its size,
mtime and inode as its fingerprint entry saw them): its spectrum's levels (``sound.py``), a
hash of its bytes (what set-aside checks right before a move). Only the copies in groups
are measured, each once: a scan that finds no duplicates reads no more than it fingerprints.

One JSON file per measure under ``status/dupes/`` (``{path: {"size", "mtime_ns", "inode",
"value"}}``), holding the files of the last grouping only."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.system.processes import usable_cores
from mediakeeper.text.slug import inside

IDENTITY = ("size", "mtime_ns", "inode")


def measured(
    home: Path, name: str, files: Mapping[str, dict[str, Any]], measure: Callable[[str], Any],
    *, side_by_side: bool = False, told: Callable[[int], None] | None = None,
    holds: Callable[[Any, dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """``measure(path)`` of each of ``files`` (path: its fingerprint entry), from
    ``status/dupes/<name>.json`` where it was measured on the file as it is, else measured
    now (``side_by_side``: on as many threads as cores, for a measure that runs a process;
    ``told(n)``: how many are measured now, before they are; ``holds(value, entry)``: whether
    a value kept holds what is read of it now, one an older release measured perhaps not)."""
    path = inside(home, "status", "dupes", f"{name}.json")
    try:
        known = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        known = {}
    known = known if isinstance(known, dict) else {}
    todo = [p for p, entry in files.items() if not _same(known.get(p), entry)
            or (holds is not None and not holds(known[p]["value"], entry))]  # fmt: skip
    if todo and told is not None:
        told(len(todo))
    if todo:
        threads = min(len(todo), usable_cores()) if side_by_side else 1
        with ThreadPoolExecutor(threads) as pool:
            for p, value in zip(todo, pool.map(measure, todo), strict=True):
                known[p] = {**{k: files[p].get(k) for k in IDENTITY}, "value": value}
    kept = {p: known[p] for p in files}
    if todo or len(kept) != len(known):
        atomic_write_text(path, json.dumps(kept, ensure_ascii=False) + "\n")
    return {p: kept[p]["value"] for p in files}


def _same(known: Any, entry: dict[str, Any]) -> bool:
    """Whether ``known`` was measured on the file as its entry ``entry`` saw it."""
    return isinstance(known, dict) and "value" in known and all(
        known.get(k) == entry.get(k) for k in IDENTITY)  # fmt: skip
