"""A copy's quality grade from what the toolkit knows of it, and why a keeper won.

In order: sound (a genuine lossless file; then a lossy one, by its codec's bit rate
weighed, a lossless file of lossy origin counted as a good lossy one; a damaged or clipped
copy below what it would be), then resolution (sample rate times bit depth: none for a file
of lossy origin, whose depth and rate are its decoder's), then tags (MusicBrainz ids,
ReplayGain, a cover): "ties go to the most complete tags". A lossy origin is verify's
finding where it ran (``outputs/verify/<slug>.json``), else the copy's own spectrum
(``sound.py``); a lossless copy whose spectrum cannot tell is graded as genuine and marked
``untold``: a group such a copy wins over another lossless one by its resolution alone is
a question (``groups.py``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.core.questions import RESTORED
from mediakeeper.core.units import kbps
from mediakeeper.dupes.job import GRADED_TAGS
from mediakeeper.dupes.sound import GENUINE, LOSSY, UNTOLD
from mediakeeper.text.slug import inside, slugify

# How much a kbps of each codec is worth against MP3's (what listening tests find, roughly).
CODEC_WEIGHT = {"opus": 1.6, "m4a": 1.3, "aac": 1.3, "ogg": 1.3, "mp3": 1.0}
LOSSY_ORIGIN_KBPS = 192  # a lossless file of lossy origin: as an ordinary lossy rip
# Verify's codes for a file whose audio is not whole (``verify/rules.py``'s, as it writes them).
DAMAGE = ("decode-error", "audio-md5-mismatch", "truncated-audio", "audio-changed")


@dataclass(frozen=True)
class Grade:
    rank: tuple  # (whole, sound, resolution, tags): higher is better
    text: str  # "FLAC 44.1 kHz/16-bit", "MP3 128 kbps (damaged)"
    tags: int  # how many of the graded tags (and a cover) it carries
    untold: bool = False  # lossless, and whether from the start its sound could not tell
    damage: tuple[str, ...] = ()  # verify's damage codes for the file
    # A lossless file decoded from a lossy one: True (verify or its spectrum says so), False
    # (its spectrum goes on above a lossy encoder's cut-off), None (nothing tells, or lossy).
    lossy_origin: bool | None = None


def verify_notes(home: Path, key: str) -> dict[str, set[str]]:
    """Verify's finding codes per file name of the album folder ``key``, where it ran; none
    of a file restored from the backup copy since (its damage was the file it replaced)."""
    try:
        document = json.loads(
            inside(home, "outputs", "verify", f"{slugify(key)}.json").read_text("utf-8")
        )
    except (OSError, ValueError):
        return {}
    if document.get("key") != key:
        return {}
    restored = {f.get("path") for f in document.get("findings", ())
                if isinstance(f, dict) and (f.get("decided") or {}).get("what") == RESTORED}
    return {entry["file"]: set() if entry["file"] in restored else set(entry.get("findings", ()))
            for entry in document.get("files", ())}  # fmt: skip


def grade(entry: dict[str, Any], notes: set[str] = frozenset(), heard: str = "") -> Grade:
    """``notes``: verify's finding codes for the file; ``heard``: its origin as its spectrum
    tells (``sound.origin``; "" not read: a lossy file, or one verify found of lossy origin)."""
    fmt = str(entry.get("format", "")).lower()
    rate_kbps = kbps(int(entry.get("bitrate") or 0))
    rate, bits = int(entry.get("sample_rate") or 0), int(entry.get("bits") or 0)
    lossless = bool(entry.get("lossless"))
    origin = lossless and ("lossy-origin" in notes or heard == LOSSY)
    untold = lossless and not origin and heard == UNTOLD
    if lossless and not origin:
        sound = 2_000_000.0
        text = f"{fmt.upper()} {rate / 1000:g} kHz/{bits}-bit" if rate else fmt.upper()
    else:
        sound = (LOSSY_ORIGIN_KBPS if origin else rate_kbps) * CODEC_WEIGHT.get(fmt, 1.0)
        text = f"{fmt.upper()} {rate_kbps} kbps" if not origin else f"{fmt.upper()} (lossy origin)"
    said = []
    whole = not notes & set(DAMAGE)  # a damaged copy is below every whole one
    if not whole:
        said = ["damaged"]
    if "clipping" in notes:
        sound, said = sound * 0.9, [*said, "clipped"]
    tags = sum(bool(entry.get("tags", {}).get(t)) for t in GRADED_TAGS) + bool(entry.get("cover"))
    text += f" ({', '.join(said)})" if said else ""
    resolution = 0 if origin else rate * bits  # a lossy decode's depth and rate are no resolution
    said_origin = True if origin else (False if lossless and heard == GENUINE else None)
    return Grade((whole, sound, resolution, tags), text, tags, untold,
                 tuple(sorted(notes & set(DAMAGE))), said_origin)  # fmt: skip


def why(best: Grade, other: Grade) -> str:
    """Why ``best`` was kept over ``other``, in words. A rank is (whole, sound, resolution,
    tags), an album's (whole, sound, resolution, tracks, tags)."""
    if best.rank[0] != other.rank[0]:
        return f"whole: {best.text} over {other.text}"
    if best.rank[1] != other.rank[1]:
        return f"better sound: {best.text} over {other.text}"
    if best.rank[2] != other.rank[2]:
        return f"higher resolution: {best.text} over {other.text}"
    if len(best.rank) > 4 and best.rank[3] != other.rank[3]:
        return f"a more complete album: {best.text} over {other.text}"
    if best.tags != other.tags:
        return f"more complete tags: {best.tags} over {other.tags} of {len(GRADED_TAGS) + 1}"
    return f"as good ({best.text}); the first by path"
