"""The groups the last duplicates scan left in ``status/dupes/groups.json`` (its shape:
``dupes/groups.py``, which makes them): saved, read and shown, as ``mediakeeper dupes``,
``set-aside``, the decisions and the reports read them. Apart from the scan's grading (its
sound, hashes and fingerprints), which a reader never needs: every batch's weekly report
says what ``set-aside`` would free (``would_free``)."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from mediakeeper.dupes import kept
from mediakeeper.dupes.kind import KIND
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.text.slug import inside

LEVELS = ("album", "track", "release")  # the order they are listed in
# A group's fields shown, beside its copies; ``doubt``: why keeping the best is a person's
# question, not a choice made for them ("" where the grade is sure).
PUBLIC = ("id", "level", "best", "why", "doubt", "waste")
# A copy's fields shown; those after ``size`` are missing from an older scan's groups (None).
COPY = ("path", "grade", "format", "bitrate", "size", "sample_rate", "bit_depth", "duration",
        "tags_filled", "damage", "lossy_origin", "ranks")  # fmt: skip


def groups_path(home: Path) -> Path:
    return inside(home, "status", KIND.name, "groups.json")


def save_groups(home: Path, groups: list[dict[str, Any]], *, stamp: str = "") -> None:
    text = json.dumps({"stamp": stamp, "groups": groups}, indent=1, ensure_ascii=False) + "\n"
    atomic_write_text(groups_path(home), text)


def load_groups(home: Path, *, stamp: str | None = None) -> list[dict[str, Any]] | None:
    """The groups of the last scan; with ``stamp``, only if they were made from it (None
    otherwise, or when there are none)."""
    try:
        saved = json.loads(groups_path(home).read_text("utf-8"))
        groups = saved["groups"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return groups if stamp is None or saved.get("stamp") == stamp else None


def before_path(home: Path, session: str) -> Path:
    return inside(home, "status", KIND.name, "moves", f"{session}.groups.json")


def keep_before(home: Path, session: str, groups: list[dict[str, Any]]) -> None:
    """The groups as they stood before the set-aside ``session``: what its undo lists again."""
    text = json.dumps(groups, ensure_ascii=False) + "\n"
    before = before_path(home, session)
    before.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(before, text)


def bring_back(home: Path, session: str, *, coming: Collection[str] | None = None) -> int:
    """After the undo of the set-aside ``session``: its groups whose every file is back,
    listed again as they were (stamped as of no scan: the next scan groups afresh); how many
    were not listed: the decisions the undo opens again. ``coming``: a dry run's, the paths
    its undo would put back, counted as back; nothing is written."""
    try:
        before = json.loads(before_path(home, session).read_text("utf-8"))
    except (OSError, ValueError):
        return 0
    listed = {g["id"]: g for g in load_groups(home) or []}
    arriving = set(coming or ())
    back = [g for g in before
            if all(f["path"] in arriving or Path(f["path"]).exists()
                   for c in g["copies"] for f in c["files"])]  # fmt: skip
    again = [g for g in back if g["id"] not in listed]
    if coming is not None:  # a dry run's
        return len(again)
    # A group listed still (an album copy part set aside) is listed whole again, as it was.
    if [g for g in back if listed.get(g["id"]) != g]:
        listed.update((g["id"], g) for g in back)
        save_groups(home, sorted(listed.values(), key=order))
    before_path(home, session).unlink()
    return len(again)


def order(group: dict[str, Any]) -> tuple:
    """How groups are listed: by level (``LEVELS``), then the most waste first."""
    return (LEVELS.index(group["level"]), -group["waste"], group["id"])


def better_copies(home: Path) -> dict[str, str]:
    """Each file of a copy graded below its group's best, by path: the best copy, said with
    its grade ("/Music/A/Album (FLAC 44.1 kHz/16-bit, 10 tracks)"): what the upgrades list
    names as the better copy the library holds."""
    found = {}
    for found_group in load_groups(home) or []:
        copies = found_group["copies"]
        best = next(c for c in copies if c["path"] == found_group["best"])
        for copy in copies:
            if copy.get("below"):
                for file in copy["files"]:
                    found.setdefault(file["path"], f"{best['path']} ({best['grade']})")
    return found


def asked_by_all(groups: list[dict[str, Any]], kept_whole: Collection[str], *,
                 include_releases: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """The groups ``set-aside --all`` asks for: every album and track group (and release
    group with ``include_releases``) not kept whole. Of those, it sets aside the ``sure``
    ones and leaves the others for a person."""
    return [g for g in groups if (g["level"] != "release" or include_releases)
            and g["id"] not in kept_whole]  # fmt: skip


def sure(group: dict[str, Any]) -> bool:
    """Whether the copy kept is the grade's to choose, not a person's question (``doubt``)."""
    return not group.get("doubt")


def would_free(home: Path, groups: list[dict[str, Any]] | None = None) -> tuple[int, int]:
    """What ``set-aside --all`` would set aside now: (groups, bytes), the groups kept whole,
    the release groups and the questions aside: what the listing, the dashboard and the
    weekly report say. ``groups``: those of the last scan, when read already."""
    groups = load_groups(home) or [] if groups is None else groups
    acted = [g for g in asked_by_all(groups, kept.load(home)) if sure(g)]
    return len(acted), sum(g["waste"] for g in acted)


def public(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups as they are shown: without each copy's files as the scan saw them."""
    return [{**{k: g.get(k, "") for k in PUBLIC},
             "copies": [{k: c.get(k) for k in COPY} for c in g["copies"]]}
            for g in groups]  # fmt: skip
