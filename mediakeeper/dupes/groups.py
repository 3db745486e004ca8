"""The duplicates of a data home: the scan (the dupes queue refreshed and run to its end,
then every fingerprint grouped and graded) and the groups it leaves in
``status/dupes/groups.json``, which ``mediakeeper dupes``, ``set-aside``, the decisions and
the reports read (``dupes/saved.py``, without this grading).

A group: ``{"id", "level", "best", "why", "doubt", "waste", "copies": [{"path", "grade",
"format", "bitrate", "size", "sample_rate", "bit_depth", "duration", "tags_filled",
"damage", "lossy_origin", "ranks", "files": [{"path", "size", "mtime_ns", "inode", "hash"}]}]}``
(what a copy says of itself side by side: from its fingerprint entry, verify's findings and
its spectrum, read no more than the grade reads them; ``None`` where nothing tells, as in the
groups of a scan made before they were kept)
(``hash``: the file's content as it was graded, ``fs.checks.content_hash``); a track copy's
``files`` is itself, an album copy's the tracks of its folder that have a copy in the
others (a bonus track no other folder holds is never set aside). ``id``: the first hex
digits of a hash of the group's paths, the same from one scan to the next."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from mediakeeper.core.config import Settings
from mediakeeper.core.errors import UsageError
from mediakeeper.dupes import grade as grading
from mediakeeper.dupes import sound
from mediakeeper.dupes.grouping import Group, Track, group
from mediakeeper.dupes.job import cache_path, decode, load_cache
from mediakeeper.dupes.kind import KIND
from mediakeeper.dupes.measured import measured
from mediakeeper.dupes.saved import order
from mediakeeper.fs.checks import content_hash
from mediakeeper.queue.items import COMPLETED
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.fold import fold
from mediakeeper.text.slug import slugify

# What the grade reads, in the stamp: groups made by an older grade are made again.
GRADING = "4: spectra, their top band beside a twin, hard links, file hashes, each side by side"


def library_of(settings: Settings) -> Path:
    """The library scanned: [dupes] library, else the one the dupes queue was made from,
    else the music library."""
    store = QueueStore(settings.status_dir / KIND.name, KIND.name)
    queued = store.peek().get("library") if store.exists() else None
    found = settings.library(KIND.name) or (Path(queued) if queued else None)
    found = found or settings.library("music")
    if found is None:
        raise UsageError("no library to scan: give --library PATH or set [music] library")
    return found.expanduser().resolve()


def stamp(store: QueueStore) -> str:
    """What the groups were made from: every completed album's key and recorded files (a
    hash). The same stamp, the same groups: a scan that changed nothing groups nothing."""
    digest = hashlib.sha256(GRADING.encode())
    for item in sorted(store.peek()["items"], key=lambda i: i["key"]):
        if item["status"] == COMPLETED and not item.get("missing"):
            mark = (item.get("details") or {}).get("fingerprint")
            digest.update(json.dumps([item["key"], item.get("completed_at"), mark]).encode())
    return digest.hexdigest()[:32]


def build(home: Path, store: QueueStore, exe: str = "",
          note: Callable[[str], None] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Every completed, present album's fingerprints grouped, each group graded: ``exe``,
    the ffmpeg that reads the spectrum of each lossless copy in a group (``sound.py``; ""
    reads none; ``note``: told how many are read). Names of one file (hard links) are one
    copy: only the first is grouped."""
    entries: dict[str, dict[str, Any]] = {}  # path -> its cached entry
    notes: dict[str, set[str]] = {}
    checked: set[str] = set()  # the paths verify checked: their damage is known
    tracks = []
    for item in store.peek()["items"]:
        if item["status"] != COMPLETED or item.get("missing"):
            continue
        document = load_cache(cache_path(home, slugify(item["key"])))
        folder = document.get("folder", item["path"])
        verified = grading.verify_notes(home, item["key"])
        for name, entry in document.get("files", {}).items():
            if "fingerprint" not in entry:
                continue  # ffmpeg could not decode it: never grouped
            path = str(Path(folder) / name)
            entries[path], notes[path] = entry, verified.get(name, set())
            if name in verified:
                checked.add(path)
    for alias in _other_names(entries):
        del entries[alias]
    for path, entry in entries.items():
        tags = entry.get("tags", {})
        tracks.append(Track(path, str(Path(path).parent), float(entry.get("duration", 0)),
                            decode(entry["fingerprint"]), json.dumps(entry.get("made")),
                            tags.get("musicbrainz_trackid", ""),
                            fold(tags.get("album", ""))))  # fmt: skip
    found = group(tracks)
    grouped = {p for g in found for p in (g.members if g.level != "album" else
                                          (p for paths in g.tracks for p in paths))}  # fmt: skip
    # Lossless copies verify did not find of lossy origin: their own spectrum tells.
    unread = {p: entries[p] for p in sorted(grouped)
              if entries[p].get("lossless") and "lossy-origin" not in notes[p]}  # fmt: skip
    # The copies of each recording, told beside each other (an album's, track by track).
    twins = [paths for g in found for paths in (g.tracks if g.level == "album" else [g.members])]
    heard = sound.origins(home, exe, unread, note, twins) if exe and unread else {}
    graded = {p: grading.grade(entries[p], notes[p], heard.get(p, "")) for p in grouped}
    # What set-aside checks each file against right before it moves: the bytes graded.
    hashes = measured(home, "hashes", {p: entries[p] for p in sorted(grouped)},
                      lambda p: _hash(p, entries[p]))  # fmt: skip
    for p, value in hashes.items():
        entries[p] = {**entries[p], "hash": value}
    # Each folder's files found once, not by a pass over every file for each album copy.
    in_folder: dict[str, list[str]] = {}
    for path in entries:
        in_folder.setdefault(str(Path(path).parent), []).append(path)
    for p, g in graded.items():
        damage = ", ".join(g.damage) if p in checked else None
        entries[p] = {**entries[p], "damage": damage, "lossy_origin": g.lossy_origin}
    described = [_describe(g, entries, graded, in_folder) for g in found if g.level == "album"]
    # A track copy in an album copy not kept is the album group's to set aside.
    covered = {f["path"] for g in described for c in g["copies"] if c["path"] != g["best"]
               for f in c["files"]}  # fmt: skip
    for g in found:
        members = tuple(p for p in g.members if p not in covered)
        if g.level != "album" and len(members) > 1:
            described.append(_describe(replace(g, members=members), entries, graded, in_folder))
    return sorted(described, key=order)


def _hash(path: str, entry: dict[str, Any]) -> str:
    """The hash of the file's bytes, where it is still the file its entry describes ("": it
    changed since, which set-aside sees by its size or time)."""
    try:
        st = os.stat(path)
        if (st.st_size, st.st_mtime_ns) != (entry.get("size"), entry.get("mtime_ns")):
            return ""
        return content_hash(path)
    except OSError:
        return ""


def _other_names(entries: dict[str, dict[str, Any]]) -> list[str]:
    """The paths that name a file another path of ``entries`` names too (a hard link): all
    but the first of each file's names. One file's names share an inode (the cache's), and a
    device, asked only of the few whose inodes meet."""
    by_inode: dict[int, list[str]] = {}
    for path, entry in entries.items():
        by_inode.setdefault(entry.get("inode"), []).append(path)
    others = []
    for inode, paths in by_inode.items():
        if inode is None or len(paths) < 2:
            continue
        files: dict[tuple[int, int], list[str]] = {}
        for path in sorted(paths):
            try:
                st = os.stat(path)
            except OSError:
                continue
            files.setdefault((st.st_dev, st.st_ino), []).append(path)
        others += [p for names in files.values() for p in names[1:]]
    return others


def _describe(found: Group, entries: dict, graded: dict, in_folder: dict) -> dict[str, Any]:
    if found.level == "album":
        copies = [_album_copy(folder, found, entries, graded, in_folder.get(folder, []))
                  for folder in found.members]  # fmt: skip
    else:
        copies = [_track_copy(path, entries[path], graded[path]) for path in found.members]
    # A tie goes to the first by path, compared folder by folder ("A/Abbey" and its files
    # before "A/Abbey (copy)"'s, though " " sorts before "/"); max keeps the first of a rank.
    best = max(sorted(copies, key=lambda c: Path(c["path"]).parts), key=lambda c: c["rank"])
    why = sorted({grading.why(best["grade_of"], c["grade_of"]) for c in copies if c is not best})
    # Won over another lossless copy by its resolution, with no sound to tell whether it is
    # lossless from the start: a decode of a lossy file would win so too.
    rivals = [c for c in copies if c is not best and c["rank"][:2] == best["rank"][:2]
              and c["rank"][2] < best["rank"][2]]  # fmt: skip
    doubt = ""
    if best["grade_of"].untold and rivals:
        doubt = (f"its spectrum cannot tell whether {best['path']} is lossless from the start "
                 f"(a decoded lossy file carries the depth and rate its decoder wrote): "
                 f"which copy to keep is yours")  # fmt: skip
    for copy in copies:
        copy["below"] = copy["rank"] < best["rank"]  # a tie is no better copy
        # Why it ranks where it does: below the best, and by what ("" for the best itself).
        copy["ranks"] = "" if copy is best else grading.why(best["grade_of"], copy["grade_of"])
    for copy in copies:
        del copy["rank"], copy["grade_of"]
    # A path's undecodable bytes (a Latin-1 folder) hash as the bytes they stand for.
    members = "\n".join(found.members).encode("utf-8", "surrogateescape")
    digest = hashlib.sha1(members).hexdigest()[:10]
    waste = sum(c["size"] for c in copies if c is not best)
    return {"id": digest, "level": found.level, "best": best["path"], "why": why,
            "doubt": doubt, "waste": waste, "copies": copies}  # fmt: skip


def _file(path: str, entry: dict[str, Any], recording: int = 0) -> dict[str, Any]:
    """One file of a copy as the scan saw it; ``recording``: which of the group's recordings
    it is (an album's tracks), what the kept copy's tags are carried by."""
    return {"path": path, "size": entry["size"], "mtime_ns": entry["mtime_ns"],
            "inode": entry["inode"], "hash": entry.get("hash", ""),
            "recording": recording}  # fmt: skip


def _track_copy(path: str, entry: dict[str, Any], g: grading.Grade) -> dict[str, Any]:
    return {"path": path, "grade": g.text, "format": entry.get("format", ""),
            "bitrate": entry.get("bitrate", 0), "size": entry["size"],
            "sample_rate": entry.get("sample_rate") or None,
            "bit_depth": entry.get("bits") or None,  # a lossy file has none
            "duration": round(float(entry.get("duration") or 0), 3) or None,
            "tags_filled": entry.get("tags_filled"), "damage": entry.get("damage"),
            "lossy_origin": entry.get("lossy_origin"),
            "files": [_file(path, entry)], "rank": g.rank, "grade_of": g}  # fmt: skip


def _side_by_side(tracks: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """An album copy's tracks said as one copy: the lowest sample rate and bit depth, the
    tracks' length together, the fewest tags any track fills, each damaged track's damage,
    and lossy origin where any track is (``False`` only where every track is known not)."""
    rates = [e.get("sample_rate") or 0 for _, e in tracks]
    depths = [e.get("bits") or 0 for _, e in tracks]
    filled = [e.get("tags_filled") for _, e in tracks]
    damages = [e.get("damage") for _, e in tracks]
    origins = [e.get("lossy_origin") for _, e in tracks]
    damage = None
    if any(d is not None for d in damages):
        damage = "; ".join(f"{Path(p).name}: {e['damage']}" for p, e in tracks if e.get("damage"))
    return {
        "sample_rate": min(rates) or None, "bit_depth": min(depths) or None,
        "duration": round(sum(float(e.get("duration") or 0) for _, e in tracks), 3) or None,
        "tags_filled": None if None in filled else min(filled), "damage": damage,
        "lossy_origin": True if True in origins else (False if all(o is False for o in origins)
                                                      else None),
    }  # fmt: skip


def _release_tracks(entries) -> int:
    """The track count of the MusicBrainz release a folder's files say they are from (their
    track total, where they carry the release's id), 0 where none says."""
    totals = [str(e.get("tags", {}).get("tracktotal") or "") for e in entries
              if e.get("tags", {}).get("musicbrainz_albumid")]  # fmt: skip
    return max((int(t) for t in totals if t.isdigit()), default=0)


def _album_copy(folder: str, found: Group, entries: dict, graded: dict,
                held: list[str]) -> dict[str, Any]:  # fmt: skip
    """An album folder as a copy: its matched tracks, graded as a whole by their worst
    sound, then their resolution, then how complete the album is (the tracks missing
    against its MusicBrainz release, then how many the folder holds), then their tags."""
    mine, recording = [], {}
    for n, paths in enumerate(found.tracks):
        for p in paths:
            if str(Path(p).parent) == folder:
                mine.append(p)
                recording[p] = n
    grades = [graded[p] for p in mine]
    every = len(held)  # the folder's fingerprinted files
    worst = min(grades, key=lambda g: g.rank)
    tags = min(g.tags for g in grades)
    formats = Counter(entries[p].get("format", "") for p in mine)
    expected = _release_tracks(entries[p] for p in held)
    missing = max(0, expected - every) if expected else 0
    counted = f"{every} of {expected} tracks" if expected else f"{every} tracks"
    whole = grading.Grade((*worst.rank[:3], (-missing, every), tags), f"{worst.text}, {counted}",
                          tags, any(g.untold for g in grades))  # fmt: skip
    return {"path": folder, "grade": whole.text, "format": formats.most_common(1)[0][0],
            "bitrate": round(sum(entries[p].get("bitrate", 0) for p in mine) / len(mine)),
            "size": sum(entries[p]["size"] for p in mine),
            **_side_by_side([(p, entries[p]) for p in mine]),
            "files": [_file(p, entries[p], recording[p]) for p in mine], "rank": whole.rank,
            "grade_of": whole}  # fmt: skip
