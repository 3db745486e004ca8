"""One album folder fingerprinted: each audio file's Chromaprint sub-fingerprints (the
bundled ffmpeg's ``chromaprint`` muxer), its duration, format, rates, the tags grading
needs and how many of the core tags hold a value (``tags_filled``; an entry made before
it was counted has none: its copy says ``null``), kept in ``status/dupes/fingerprints/<slug>.json``.

Each file's entry is kept with the file's size, mtime and inode and with the settings that
made it (algorithm, length, decoder): a later scan reuses it while all of those are the
same, and fingerprints one again otherwise. The entry file is rewritten atomically after
every file, so a run killed at any instant (``kill -9``) loses at most the file it was in.
"""

from __future__ import annotations

import array
import base64
import json
import os
import struct
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediakeeper.batch.job import ItemFailure, ItemResult, failure_of
from mediakeeper.core.errors import AudioError, MediakeeperError
from mediakeeper.dupes.questions import CORE_TAGS
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.media import chromaprint, ffmpeg
from mediakeeper.media.albums import album_files, is_audio
from mediakeeper.tags.reading import loudness, read
from mediakeeper.text.slug import inside, slugify

if TYPE_CHECKING:  # the cluster's module is loaded only where a batch sends (plan.cluster_target)
    from mediakeeper.batch.cluster import Target

ALGORITHM = 1  # the chromaprint muxer's default (fpcalc's): never compared with another
LENGTH = 120  # seconds fingerprinted, as fpcalc does
MBIDS = ("musicbrainz_trackid", "musicbrainz_albumid", "musicbrainz_artistid")
GRADED_TAGS = (*MBIDS, "replaygain_track_gain", "replaygain_album_gain")
# The tags a kept copy gains from the copies set aside, where it lacks them (its cover too).
CARRIED = (*MBIDS, "replaygain_track_gain", "replaygain_track_peak", "replaygain_album_gain",
           "replaygain_album_peak")  # fmt: skip
# tracktotal: with a MusicBrainz album id, the release's own count (how complete a copy is).
DESCRIBING = ("title", "artist", "album", "albumartist", "tracknumber", "tracktotal")


def cache_path(home: Path, slug: str) -> Path:
    return inside(home, "status", "dupes", "fingerprints", f"{slug}.json")


def load_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def encode(points: list[int]) -> str:
    return base64.b64encode(struct.pack(f"<{len(points)}I", *points)).decode("ascii")


def decode(text: str) -> array.array:
    """The sub-fingerprints, 4 bytes each (a list of ints would take 8 times the memory
    at the reference library's size)."""
    points = array.array("I", base64.b64decode(text))
    if sys.byteorder == "big":
        points.byteswap()
    return points


@cache
def _decoder(exe: str) -> str:
    said = ffmpeg.version(exe)
    return f"ffmpeg {said[0]}.{said[1]}" if said else "ffmpeg"


def settings_of(exe: str) -> dict[str, Any]:
    """What made a fingerprint: two made otherwise are never compared."""
    return {"algorithm": ALGORITHM, "length": LENGTH, "decoder": _decoder(exe)}


def same_file(entry: dict[str, Any], st: os.stat_result) -> bool:
    return (entry.get("size"), entry.get("mtime_ns"), entry.get("inode")) == (
        st.st_size, st.st_mtime_ns, st.st_ino)  # fmt: skip


@dataclass
class DupesJob:
    home: Path
    session: str
    ffmpeg_path: str = ""
    cluster: Target | None = None  # fingerprints made on a cluster's workers ([cluster] send)

    def process(self, item: dict[str, Any]) -> ItemResult:
        folder = Path(item["path"])
        if not folder.is_dir():
            raise ItemFailure("fingerprinting", f"the album folder {folder} is gone")
        slug = slugify(item["key"])
        path = cache_path(self.home, slug)
        known = load_cache(path)
        files = [p for p in album_files(folder) if is_audio(p.name)]
        exe = chromaprint.fingerprinter(self.ffmpeg_path)  # none with the muxer: stops the batch
        made = settings_of(exe)
        try:
            entries = dict(known.get("files", {}))
            kept = {p.name for p in files}
            for name in list(entries):
                if name not in kept:
                    del entries[name]
            read_now = 0
            for file in files:
                st = file.stat()
                was = entries.get(file.name)
                if was and same_file(was, st) and was.get("made") == made:
                    continue
                try:
                    entries[file.name] = _entry(self._fingerprint, exe, file, st, made)
                except chromaprint.FingerprintFailed as err:  # the album's others still count
                    entries[file.name] = {**_stat(st), "made": made, "error": str(err)}
                read_now += 1
                _save(path, item, folder, entries)  # a kill after this never reads it again
            _save(path, item, folder, entries)
        except MediakeeperError as err:
            raise ItemFailure("fingerprinting", str(err)) from None
        except OSError as err:
            raise failure_of("fingerprinting", err) from None
        seconds = round(sum(e.get("duration", 0) for e in entries.values()), 3)
        failed = sum("error" in e for e in entries.values())
        return ItemResult(
            counts={"track_count": len(entries), "issues_found": 0, "issues_resolved": 0},
            details={"slug": slug, "seconds": seconds},
            summary=f"{len(entries)} files, {read_now} fingerprinted now"
            + (f", {failed} that ffmpeg cannot decode left out" if failed else ""),
        )


    def _fingerprint(self, exe: str, file: Path, *, length: int, whole: bool
                     ) -> tuple[float, list[int]]:  # fmt: skip
        """Here, or on a cluster's worker when [cluster] send names dupes (its bytes moved
        cost more than the opening it decodes: kept near the data by default)."""
        if self.cluster is None:
            return chromaprint.raw_fingerprint(exe, file, length=length, whole=whole)
        params = {"name": file.name, "length": length, "whole": whole}
        sent = self.cluster.call(chromaprint.fingerprint_sent, params,
                                {file.name: file.read_bytes()})
        return sent["result"]["seconds"], sent["result"]["points"]


def _save(path: Path, item: dict[str, Any], folder: Path, entries: dict[str, Any]) -> None:
    document = {"key": item["key"], "folder": str(folder.resolve()), "files": entries}
    atomic_write_text(path, json.dumps(document, ensure_ascii=False) + "\n")


def _stat(st: os.stat_result) -> dict[str, int]:
    """What tells the file changed since its fingerprint was made."""
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _entry(fingerprint, exe: str, file: Path, st: os.stat_result, made: dict[str, Any]
           ) -> dict[str, Any]:  # fmt: skip
    # Only the fingerprinted opening is decoded (as fpcalc does): the duration is the
    # header's, decoded to the end only where mutagen cannot read the file.
    try:
        info = read(file, keep=True)
    except AudioError:  # a file mutagen cannot parse still has its sound
        info = None
    seconds, points = fingerprint(exe, file, length=LENGTH, whole=info is None)
    entry: dict[str, Any] = {
        **_stat(st), "made": made, "fingerprint": encode(points),
        "duration": info.duration if info and info.duration else seconds,
    }  # fmt: skip
    if info is None:
        return {**entry, "format": file.suffix.lstrip(".").lower(), "tags": {}}
    stream = info.parsed.audio.info if info.parsed else None
    return {
        **entry,
        "format": info.format,
        "bitrate": info.bitrate,
        "lossless": info.lossless,
        "sample_rate": int(getattr(stream, "sample_rate", 0) or 0),
        "bits": int(getattr(stream, "bits_per_sample", 0) or 0),
        "cover": info.has_picture,
        "tags_filled": sum(bool(str(info.tags.get(t) or "").strip()) for t in CORE_TAGS),
        "tags": {k: v for k, v in {**info.tags, **loudness(file)}.items()
                 if k in CARRIED + DESCRIBING},
    }  # fmt: skip


def preview(job: DupesJob, item: dict[str, Any]) -> list[str]:
    files = [p for p in album_files(Path(item["path"])) if is_audio(p.name)]
    known = load_cache(cache_path(job.home, slugify(item["key"]))).get("files", {})
    kept = sum(1 for p in files if p.name in known and same_file(known[p.name], p.stat()))
    return [f"{item['name']}: would fingerprint {len(files) - kept} of {len(files)} files "
            f"({kept} unchanged since their fingerprint)"]  # fmt: skip
