"""What ``decide --json`` prints and ``GET /api/decisions`` answers, made once for both: the
open decisions of every kind (or one) as groups, worst first, the counts adding up to
``total``; failed and skipped items, counted apart as every surface counts them, under
``outstanding``, and duplicate groups under ``duplicates`` (``decisions.dupes``), when there
are any."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mediakeeper.decisions import dupes, groups, outstanding
from mediakeeper.decisions.item import listing


def decisions_json(home: Path, kind: str | None = None) -> dict[str, Any]:
    needs = [n for n in listing(home) if kind in (None, n.kind)]
    shown = groups.as_json(groups.groups_of(needs))
    if waiting := outstanding.outstanding_in(home, kind):
        shown["outstanding"] = outstanding_json(waiting)
    if kind in (None, dupes.KIND.name) and (duplicates := dupes.as_json(home)):
        shown["duplicates"] = duplicates
    return shown


def outstanding_json(waiting) -> list[dict[str, Any]]:
    """The failed and skipped items by kind and status: each with its choices."""
    by: dict[tuple[str, str], list] = {}
    for item in waiting:
        by.setdefault((item.kind, item.word), []).append(item)
    return [
        {"kind": kind, "status": word, "count": len(items), "items": [i.name for i in items],
         "choices": [c.partition(" ")[0] for c in outstanding.choices_of(items[0])]}
        for (kind, word), items in by.items()
    ]  # fmt: skip
