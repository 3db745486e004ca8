"""The dupes kind's decisions (``core.questions``): a duplicate group of the last scan, asked
once (which copy to keep), named by its artist and album, never by its id alone. Its choices:
keep the best (every other copy set aside), keep all, or keep another copy; its evidence
every copy side by side, with its grade and why the best ranks first. The engine gives the
group as the ``Asked``'s item (no output document, no finding)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from mediakeeper.core.questions import KEEP, Asked, Offer, Questions
from mediakeeper.text.wording import count, format_size

KEEP_BEST = "keep the best"
KEEP_ALL = "keep all"
# What a copy may say of itself (the scan records what it knows), shown side by side.
SIDE_BY_SIDE = ("path", "format", "sample_rate", "bit_depth", "bitrate", "duration", "size",
                "tags_filled", "damage", "lossy_origin", "grade")  # fmt: skip


def name_of(group: dict[str, Any]) -> str:
    """``Artist — Album`` (a track group: its file's name too), from the best copy's path."""
    path = PurePosixPath(str(group.get("best") or group["copies"][0]["path"]))
    if group.get("level") == "track":  # Artist/Album/01 - Song.flac
        return " — ".join((*path.parent.parts[-2:], path.stem))
    return " — ".join(path.parts[-2:])


def words(asked: Asked) -> str:
    group = asked.item
    copies = count(len(group["copies"]), "copy", "copies")
    doubt = f" Its sound cannot tell which is best: {group['doubt']}." if group.get("doubt") else ""
    return (f"Which copy of {name_of(group)} to keep? {copies}, "
            f"{format_size(group['waste'])} in the copies not kept.{doubt}")  # fmt: skip


def offers(asked: Asked) -> tuple[list[Offer], str]:
    group = asked.item
    best = next(c for c in group["copies"] if c["path"] == group["best"])
    found = [Offer(f"{KEEP_BEST}: {_said(best)}; the others set aside", KEEP, value=best["path"]),
             Offer(f"{KEEP_ALL} (remembered while the copies are these)", KEEP, value="")]
    found += [Offer(f"keep {_said(c)} instead; the others set aside", KEEP, value=c["path"])
              for c in group["copies"] if c is not best]  # fmt: skip
    return found, ""


def _said(copy: dict[str, Any]) -> str:
    return f"{copy['path']} ({copy['grade']}, {format_size(copy['size'])})"


def evidence(asked: Asked) -> dict[str, Any]:
    group = asked.item
    return {
        "name": name_of(group),
        "level": group.get("level"),
        "best": group.get("best"),
        "why": list(group.get("why") or ()),
        "doubt": group.get("doubt") or "",  # the sound cannot back the best: the person's
        "waste": group.get("waste"),
        "copies": [{**{k: c.get(k) for k in SIDE_BY_SIDE}, "best": c["path"] == group["best"],
                    "files": len(c.get("files") or ())} for c in group["copies"]],
    }  # fmt: skip


QUESTIONS = Questions(words=words, offers=offers, evidence=evidence)
