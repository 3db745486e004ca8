"""A job's work file: what it decided for one queue item before writing anything.

It carries the item's ``run_token`` (kept by the queue across an interrupted attempt and
cleared when the item is recorded or reset), so a run killed half-way through an item resumes
with the same decisions and ends exactly where an uninterrupted run would have.

The file is two JSON lines, each counted only once its newline is in: the plan, then (once
the item is done) its result. Both are written in place rather than through a temp file and
a rename: creating and dropping two files per item cost more than the item's outputs on a
file system without a journal, and a torn write here is harmless. A torn plan is ignored, and
it is only ever written before the attempt touches anything; a torn result leaves the plan,
which resumes to the same end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mediakeeper.batch.job import ItemResult
from mediakeeper.fs.atomic import encode_text, naming
from mediakeeper.text.slug import inside

WORK_DIR = "work"


def work_path(status_kind_dir: Path, slug: str) -> Path:
    """``status/<kind>/work/<slug>.json`` (``slug``: the item key's ``slugify``): never
    outside the status folder."""
    return inside(status_kind_dir, WORK_DIR, f"{slug}.json")


def load_work(path: Path, token: str | None) -> dict[str, Any] | None:
    """This claim's work: its result if it was done, else its plan; None if there is none
    (a reset or a new claim has another token)."""
    if not token:
        return None
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError:
        return None
    complete = lines[:-1]  # what follows the last newline is torn, or nothing
    plan = _line(complete[0], token) if complete else None
    result = _line(complete[1], token) if len(complete) > 1 else None
    if plan is None:
        return None
    return result if result is not None and result.get("stage") == "done" else plan


def _line(raw: bytes, token: str) -> dict[str, Any] | None:
    """One complete line of this token's, or None."""
    try:
        state = json.loads(raw)
    except ValueError:
        return None
    return state if isinstance(state, dict) and state.get("token") == token else None


def save_work(path: Path, state: dict[str, Any]) -> None:
    """The plan, replacing whatever the file held. Not fsync'd: after a power cut a lost
    work file only means the item starts afresh."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    with naming(path), os.fdopen(fd, "wb") as f:  # a full disk names the file
        f.write(_encoded(state))


def finished(state: dict[str, Any] | None) -> ItemResult | None:
    """The result of an item that was done but killed before the runner recorded it."""
    if state and state.get("stage") == "done":
        return ItemResult(**state["result"])
    return None


def save_finished(path: Path, token: str | None, result: ItemResult) -> None:
    """The result, after the plan (which ``save_work`` wrote): anything after the plan's line,
    such as a torn result of a killed attempt, is cut off first."""
    # vars, not asdict: only encoded here, so the deep copy asdict makes is not needed.
    line = _encoded({"token": token, "stage": "done", "result": vars(result)})
    try:
        f = open(path, "r+b")  # noqa: SIM115 (closed by the with below)
    except FileNotFoundError:
        return  # removed by hand meanwhile: the result is simply not kept for a resume
    with naming(path), f:
        plan = f.readline()
        if plan.endswith(b"\n"):  # else there is no plan to finish
            f.truncate(len(plan))
            f.write(line)


def _encoded(state: dict[str, Any]) -> bytes:
    return encode_text(_ENCODE(state) + "\n")


# Built once: json.dumps with options builds an encoder at every call. Sets and tuples in a
# finding's details become lists.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=list).encode
