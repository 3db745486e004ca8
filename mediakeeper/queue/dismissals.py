"""A dismissal that sticks until the files change: ``decide --dismiss CODE`` keeps, in the
item's queue details, who dismissed the code and when, with the fingerprint of the item's
files then (``fingerprints``). A later run of the item whose files still have that
fingerprint closes that code's findings the same way; once a file changes, they are asked
again (the person decided about files that are no longer what they were)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from mediakeeper.core.decisions import is_open
from mediakeeper.queue.fingerprints import files_of, fingerprint

KEY = "dismissed"  # in the item's details: code -> {"decided": {...}, "files": fingerprint}


def files_mark(path: str, *, tree: bool) -> dict[str, Any] | None:
    try:
        return fingerprint(files_of(path, tree=tree))
    except OSError:
        return None


def remembered(details: Mapping[str, Any], code: str, decided: Mapping[str, Any], mark) -> dict:
    """The item's dismissals with ``code`` added (for its details under ``KEY``)."""
    return {**(details.get(KEY) or {}), code: {"decided": dict(decided), "files": mark}}


def standing(item: Mapping[str, Any], *, tree: bool) -> dict[str, Mapping[str, Any]]:
    """code -> its ``decided`` record, for the item's dismissals its files still answer."""
    dismissed = (item.get("details") or {}).get(KEY) or {}
    if not dismissed:
        return {}
    mark = files_mark(item["path"], tree=tree)
    return {
        code: entry["decided"]
        for code, entry in dismissed.items()
        if mark is not None and entry.get("files") == mark
    }


def close(records: list[MutableMapping[str, Any]], codes: Mapping[str, Mapping]) -> None:
    """Close the open findings of the dismissed ``codes`` as the person did."""
    for record in records:
        if record["code"] in codes and is_open(record):
            record["decided"] = dict(codes[record["code"]])
