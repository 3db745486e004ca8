"""The dupes kind's decisions (``core.questions``): a duplicate group of the last scan, asked
once (which copy to keep), named by its artist and album, never by its id alone. Its choices:
keep the best (every other copy set aside), keep all, or keep another copy; its evidence
every copy side by side, with its grade and why the best ranks first. The engine gives the
group as the ``Asked``'s item (no output document, no finding)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from mediakeeper.core.questions import KEEP, Asked, Offer, Questions
from mediakeeper.core.units import kbps
from mediakeeper.text.wording import clock, count, format_size

KEEP_BEST = "keep the best"
KEEP_ALL = "keep all"
# What a copy may say of itself (the scan records what it knows), shown side by side.
SIDE_BY_SIDE = ("path", "format", "sample_rate", "bit_depth", "bitrate", "duration", "size",
                "tags_filled", "damage", "lossy_origin", "grade", "ranks")  # fmt: skip

# The fields the music checks ask of every album track (``music.album_rules``): how many
# hold a value is a copy's ``tags_filled``, counted while the scan reads it (``job``) and
# said here as "N of 6".
CORE_TAGS = ("title", "artist", "album", "albumartist", "tracknumber", "date")



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
        "tags_counted": len(CORE_TAGS),  # what each copy's tags_filled counts out of
        "copies": [{**{k: c.get(k) for k in SIDE_BY_SIDE}, "best": c["path"] == group["best"],
                    "files": len(c.get("files") or ())} for c in group["copies"]],
    }  # fmt: skip


def side_by_side(copies: list[dict[str, Any]]) -> list[str]:
    """The copies of a group side by side for a person (``evidence``'s): one row each, its
    columns aligned, the best marked; under a copy below the best, why it ranks there."""
    head = ("", "copy", "format", "sample rate", "bit depth", "bit rate", "duration",
            "size", "tags filled", "damage", "grade")  # fmt: skip
    rows = [head] + [_row(c) for c in copies]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for row, c in zip(rows, [None, *copies], strict=True):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if c is not None and c.get("ranks"):
            lines.append(f"{'':{widths[0]}}  ranks below: {c['ranks']}")
    return lines


def _row(c: dict[str, Any]) -> tuple[str, ...]:
    unknown = "?"
    files = c.get("files") or 0  # evidence's: how many files the copy has
    damage = "not verified" if c.get("damage") is None else c["damage"] or "none"
    if c.get("lossy_origin"):
        damage += ", lossy origin"
    elif c.get("lossy_origin") is False:
        damage += ", lossless from the start"
    return (
        "best" if c.get("best") else "",
        c["path"] + (f" ({count(files, 'file')})" if files > 1 else ""),
        str(c.get("format") or unknown).upper(),
        f"{c['sample_rate'] / 1000:g} kHz" if c.get("sample_rate") else unknown,
        f"{c['bit_depth']}-bit" if c.get("bit_depth") else "-",  # a lossy file has none
        f"{kbps(c['bitrate'])} kbps" if c.get("bitrate") else unknown,
        clock(c["duration"]) if c.get("duration") else unknown,
        format_size(c["size"]) if c.get("size") is not None else unknown,
        (f"{c['tags_filled']} of {len(CORE_TAGS)}" if c.get("tags_filled") is not None
         else unknown),
        damage,
        str(c.get("grade") or unknown),
    )  # fmt: skip


QUESTIONS = Questions(words=words, offers=offers, evidence=evidence)
