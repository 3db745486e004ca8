"""A person's "leave it as it is" that sticks until the files change, in the item's queue
details, in two shapes:

- a dismissal (``decide --dismiss CODE``): who dismissed the code and when, with the
  fingerprint of the item's files then (``fingerprints``). A later run of the item whose
  files still have that fingerprint closes that code's findings the same way; once a file
  changes, they are asked again (the person decided about files that are no longer what
  they were).
- an undo (``undo``): the tags it put back, per file, with that file's size and modification
  time as the undo left it. A later run plans no fix of those tags while the file is as the
  undo left it (making it again would silently take back what the person took back); the
  findings it would have fixed stay open, saying which undo took their fix back, for the
  person to decide. Another program's (or the person's) change of the file lifts it, and the
  file is checked as any other. The run's own writes to the file's other tags are no change.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediakeeper.core.decisions import BY_RULE, by_rule, is_open, rules_in
from mediakeeper.queue.fingerprints import files_of, fingerprint

KEY = "dismissed"  # in the item's details: code -> {"decided": {...}, "files": fingerprint}
UNDONE = "undone"  # in the item's details: file -> {"tags": [...], "session": ..., "file": [...]}

Slot = tuple[str, str]  # (file relative to the item's folder, tag)


def files_mark(path: str, *, tree: bool) -> dict[str, Any] | None:
    try:
        return fingerprint(files_of(path, tree=tree))
    except OSError:
        return None


def remembered(details: Mapping[str, Any], code: str, decided: Mapping[str, Any], mark) -> dict:
    """The item's dismissals with ``code`` added (for its details under ``KEY``)."""
    return {**(details.get(KEY) or {}), code: {"decided": dict(decided), "files": mark}}


def standing(
    item: Mapping[str, Any], tree: bool, home: Path | None = None
) -> dict[str, Mapping[str, Any]]:
    """code -> its ``decided`` record, for the item's dismissals its files still answer, and
    (``home`` given) the rules of that data home, which answer a code in every item."""
    found = by_rules(rules_in(home)) if home is not None else {}
    dismissed = (item.get("details") or {}).get(KEY) or {}
    if not dismissed:
        return found
    mark = files_mark(item["path"], tree=tree)
    return found | {
        code: entry["decided"]
        for code, entry in dismissed.items()
        if mark is not None and entry.get("files") == mark
    }


def marked_again(
    item: Mapping[str, Any], tree: bool, stood: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The item's dismissals (for its details under ``KEY``) with those that ``stood``
    (``standing``) before a write of the toolkit's own (a run's fixes, a person's choice)
    marked with the files as that write left them: its own writes are no change of what the
    person dismissed about (nor of an undo's marks). A rule's stood whatever the files."""
    dismissed = (item.get("details") or {}).get(KEY) or {}
    stood = {code for code, decided in stood.items() if decided.get("by") != BY_RULE}
    stood &= set(dismissed)
    mark = files_mark(item["path"], tree=tree) if stood else None
    return {code: {**entry, "files": mark} if code in stood else entry
            for code, entry in dismissed.items()}  # fmt: skip


def by_rules(rules: Mapping[str, str]) -> dict[str, Mapping[str, Any]]:
    """code -> the ``decided`` record of the person's rules (``core.decisions.rules_in``):
    a rule settles its code's findings in every item, whatever its files."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    return {code: by_rule(code, answer, at) for code, answer in rules.items()}


def close(records: list[MutableMapping[str, Any]], codes: Mapping[str, Mapping]) -> None:
    """Close the open findings of the dismissed ``codes`` as the person did."""
    for record in records:
        if record["code"] in codes and is_open(record):
            record["decided"] = dict(codes[record["code"]])


# ---- undos ---------------------------------------------------------------------------------


def _file_mark(folder: str, rel: str) -> list[int] | None:
    try:
        info = os.stat(os.path.join(folder, rel))  # a link: the file it leads to, as the scan
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns]


def undone_marked(
    details: Mapping[str, Any], folder: str, restored: Iterable[Slot], session: str
) -> dict[str, Any]:
    """The item's undo marks (for its details under ``UNDONE``) with the ``restored`` slots
    added, their files marked as they are now, just after the undo ``session``."""
    marks = dict(details.get(UNDONE) or {})
    slots = {(rel, tag): session for rel, tag in restored}
    for rel in {rel for rel, _ in restored}:
        # This undo wrote the file: its earlier mark is stale, its tags are kept under this undo.
        slots |= {(rel, tag): session for tag in (marks.pop(rel, None) or {}).get("tags", ())}
    return {**marks, **undone_kept(folder, slots)}


def undone_standing(item: Mapping[str, Any]) -> dict[Slot, str]:
    """(file, tag) -> the undo session, for the item's undone tags whose files are still as
    the undo left them."""
    marks = (item.get("details") or {}).get(UNDONE) or {}
    return {
        (rel, tag): mark["session"]
        for rel, mark in marks.items()
        if mark.get("file") is not None and _file_mark(item["path"], rel) == mark["file"]
        for tag in mark["tags"]
    }


def undone_kept(folder: str, held: Mapping[Slot, str]) -> dict[str, Any]:
    """The marks of the ``held`` slots (slot -> undo session) with their files as they are
    now (for the details under ``UNDONE``): just after the undo, or after a run, whose own
    writes to other tags of those files are no change; empty when nothing is held, so that
    lifted marks go. A file gone has no mark."""
    marks: dict[str, Any] = {}
    for (rel, tag), session in held.items():
        mark = marks.setdefault(rel, {"tags": [], "session": session})
        mark["tags"] = sorted({*mark["tags"], tag})
    for rel, mark in marks.items():
        mark["file"] = _file_mark(folder, rel)
    return {rel: mark for rel, mark in marks.items() if mark["file"] is not None}


def not_held(changes: Iterable[Any], held: Mapping[Slot, str]) -> list[Any]:
    """The planned ``changes`` (each with ``path`` and ``tag``) but those of held slots."""
    return [c for c in changes if (c.path, c.tag) not in held]


def reopen_undone(records: list[MutableMapping[str, Any]], held: Mapping[Slot, str]) -> None:
    """Say on each finding whose fix the ``held`` undo took back which undo it was (its fix
    was not made, so it stays open: the person decides it)."""
    for record in records:
        details = record.get("details") or {}
        slots = [(c["path"], c["tag"]) for c in record.get("changes") or ()]
        slots += [tuple(s) for s in details.get("settled_elsewhere") or ()]
        session = next((held[s] for s in slots if s in held), None)
        if session and not record.get("fixed"):
            record["details"] = {**details, UNDONE: session}
