"""A job's work file: what it decided for one queue item before writing anything.

It carries the item's ``run_token`` (kept by the queue across an interrupted attempt and
cleared when the item is recorded or reset), so a run killed half-way through an item resumes
with the same decisions and ends exactly where an uninterrupted run would have.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mediakeeper.atomic import atomic_write_text
from mediakeeper.batch import ItemResult
from mediakeeper.slug import inside

WORK_DIR = "work"


def work_path(status_kind_dir: Path, slug: str) -> Path:
    """``status/<kind>/work/<slug>.json`` (``slug``: the item key's ``slugify``): never
    outside the status folder."""
    return inside(status_kind_dir, WORK_DIR, f"{slug}.json")


def load_work(path: Path, token: str | None) -> dict[str, Any] | None:
    """This claim's work file, if there is one (a reset or a new claim has another token)."""
    if not token:
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("token") == token else None


def save_work(path: Path, state: dict[str, Any]) -> None:
    # Not fsync'd: after a power cut a lost work file only means the item starts afresh.
    atomic_write_text(path, json.dumps(state, ensure_ascii=False), durable=False)


def finished(state: dict[str, Any] | None) -> ItemResult | None:
    """The result of an item that was done but killed before the runner recorded it."""
    if state and state.get("stage") == "done":
        return ItemResult(**state["result"])
    return None


def save_finished(path: Path, token: str | None, result: ItemResult) -> None:
    save_work(path, {"token": token, "stage": "done", "result": asdict(result)})
