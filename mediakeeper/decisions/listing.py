"""What ``decide --json`` prints and ``GET /api/decisions`` answers (``held.HeldDecisions``
makes it): the open decisions of every kind (or one) as groups, worst first, the counts
adding up to ``total``; failed and skipped items, counted apart as every surface counts
them, under ``outstanding`` (``outstanding_json``), and duplicate groups under
``duplicates`` (``decisions.dupes``), when there are any."""

from __future__ import annotations

from typing import Any

from mediakeeper.decisions import outstanding


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
