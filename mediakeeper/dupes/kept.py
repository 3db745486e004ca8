"""Groups a person chose to keep whole ("keep all"): remembered in
``status/dupes/kept.json`` (``{id: {"at", "level", "copies", "session"}}``), left out of the
listing, of ``decide`` and of ``set-aside --all`` while the group's copies are the same (its id
is made from them), until reset, or until the session that kept them is undone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import NotFound, UsageError
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.text.commands import kind_command
from mediakeeper.text.cut import echoed
from mediakeeper.text.matching import suggestions
from mediakeeper.text.slug import inside
from mediakeeper.text.visible import one_line


def kept_path(home: Path) -> Path:
    return inside(home, "status", "dupes", "kept.json")


def load(home: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(kept_path(home).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def keep(home: Path, groups: list[dict[str, Any]], ids: list[str], session: str) -> list[str]:
    """Remember the groups ``ids`` as kept whole by ``session``; the ids newly remembered."""
    by_id = {g["id"]: g for g in groups}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise UsageError(f"no duplicate group {one_line(unknown[0])}: "
                         f"`{kind_command('dupes', '', home)}` lists them")  # fmt: skip
    kept = load(home)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    added = [i for i in ids if i not in kept]
    for i in added:
        kept[i] = {"at": now, "level": by_id[i]["level"], "session": session,
                   "copies": [c["path"] for c in by_id[i]["copies"]]}  # fmt: skip
    _save(home, kept)
    return added


def reset(home: Path, ids: list[str]) -> list[str]:
    """Forget the kept groups ``ids`` (all of them when none is given); those forgotten. An
    id no group kept whole has is refused before any is forgotten (a mistyped one said "0
    groups no longer kept whole" and left the person to wonder)."""
    kept = load(home)
    if unknown := [i for i in dict.fromkeys(ids) if i not in kept]:
        close = suggestions(unknown[0], kept)
        listing = kind_command("dupes", "kept", home)
        hint = f"did you mean {close[0]}?" if close else f"`{listing}` lists them"
        raise NotFound(f"no group kept whole has the id {echoed(unknown[0])!r}", hint)
    gone = [i for i in (ids or list(kept)) if kept.pop(i, None) is not None]
    _save(home, kept)
    return gone


def of_session(home: Path, session: str) -> list[str]:
    """The groups ``session`` kept whole."""
    return [i for i, entry in load(home).items() if entry.get("session") == session]


def forget_session(home: Path, session: str) -> list[str]:
    """Forget the groups ``session`` kept whole (its undo); those forgotten."""
    ids = of_session(home, session)
    return reset(home, ids) if ids else []  # reset without ids forgets every group


def _save(home: Path, kept: dict[str, dict[str, Any]]) -> None:
    atomic_write_text(kept_path(home), json.dumps(kept, indent=1, ensure_ascii=False) + "\n")
