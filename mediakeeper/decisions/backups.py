"""Where a good copy of a file verify found damaged (or changed) may be, and whether it is one:
what ``decide`` offers a verify decision.

A copy is looked for under ``[verify] backup`` (a folder mirroring the library by relative
path: ``<backup>/<album's path in the library>/<file>``) and in the conversions' archive
(``[conversions] archive``, which holds each album of the conversions' library at its path
there) when that library holds the album. A copy is good when a full check made as verify
makes it (``integrity.check``: a decode, or ``flac -t``; never a comparison with what was
recorded) finds it whole and its audio checksum is the one verify's ledger recorded for the
file when it was last found whole. Each copy is checked once however many findings its file
has. Every verify decision offers "accept as is" and "verify again", numbered first so a
whole group can take them; "restore from the backup copy" comes last, only where a good copy
is found, and otherwise the decision says why not (``verify.questions`` offers them).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

from mediakeeper.batch.staged import album_target
from mediakeeper.changes.swaps import Good
from mediakeeper.conversions.kind import KIND as CONVERSIONS
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.media import ffmpeg, flactest, integrity
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import inside, slugify
from mediakeeper.verify import ledger
from mediakeeper.verify.kind import KIND as VERIFY

STALL = 300.0  # seconds a decode may stand still before it is stopped, as in a verify batch


@dataclass(frozen=True)
class Found:
    good: Good | None
    why_not: str = ""  # why there is no good copy ("": there is one)


def places(settings: Settings, item: Mapping[str, Any], name: str) -> list[Path]:
    """Where copies of the album's file ``name`` would be: the backup folder's, then the
    conversions' archive's."""
    album, found = Path(item["path"]), []
    if backup := settings.get(VERIFY.name, "backup"):
        found.append(_under(Path(backup).expanduser(), Path(item["key"]).parts, name))
    archive, library = settings.get(CONVERSIONS.name, "archive"), _converted(settings)
    if archive and library is not None:
        try:
            rel = album.resolve().relative_to(library.expanduser().resolve())
        except (ValueError, OSError):
            rel = None
        if rel is not None:
            root = Path(archive).expanduser()
            found.append(_in_archive(root, {"key": rel.as_posix(), "path": str(album)}, name))
    return list(dict.fromkeys(p for p in found if p is not None))


def _under(root: Path, parts: tuple[str, ...], name: str) -> Path | None:
    try:
        return inside(root, *parts, name)
    except MediakeeperError:  # a name that would lead outside the folder: no copy there
        return None


def _in_archive(root: Path, item: dict[str, str], name: str) -> Path | None:
    """Where a conversion archived the album (``album_target``), and the file in it."""
    try:
        return inside(album_target(root, item), name)
    except MediakeeperError:
        return None


def _converted(settings: Settings) -> Path | None:
    """The conversions' library: its setting, else the one its queue was made from."""
    if found := settings.library(CONVERSIONS.name):
        return found
    store = QueueStore(settings.status_dir / CONVERSIONS.name, CONVERSIONS.name)
    try:
        queued = store.peek().get("library") if store.exists() else None
    except MediakeeperError:
        return None
    return Path(queued) if queued else None


class Backups:
    """The good copies of one album's files, each file's found and checked once."""

    def __init__(self, settings: Settings, item: Mapping[str, Any]):
        self.settings, self.item = settings, item
        slug = (item.get("details") or {}).get("slug") or slugify(item["key"])
        try:
            self.known, self.unread = ledger.load(ledger.path_of(settings.home, slug)), ""
        except MediakeeperError as err:
            self.known, self.unread = {}, str(err)
        self._exe = cache(partial(ffmpeg.find, settings.get("ffmpeg", "path")))
        self._found: dict[str, Found] = {}

    def of(self, name: str) -> Found:
        if name not in self._found:
            self._found[name] = self._look(name)
        return self._found[name]

    def _look(self, name: str) -> Found:
        entry = self.known.get(name) or {}
        recorded = str(entry.get("checksum") or "")
        if not recorded:
            return Found(None, self.unread or "no audio checksum was recorded for it when it "
                         "was last found whole, so no copy can be checked against it")  # fmt: skip
        found = places(self.settings, self.item, name)
        if not found:
            return Found(None, f"no backup folder is set ([{VERIFY.name}] backup) and the "
                         "conversions' archive does not hold the album")  # fmt: skip
        original = Path(self.item["path"]) / name
        reasons = []
        for place in found:
            why, st = self._judge(place, original, recorded, str(entry.get("good_at") or ""))
            if not why:
                return Found(Good(os.fspath(place), st.st_size, st.st_mtime_ns))
            reasons.append(why)
        return Found(None, "; ".join(reasons))

    def _judge(self, place: Path, original: Path, recorded: str, good_at: str):
        """(why ``place`` is not a good copy or "", its stat as checked)."""
        try:
            st = os.stat(place)
            if not place.is_file():
                return f"no copy at {place}", None
            if os.path.exists(original) and os.path.samefile(place, original):
                return f"{place} is the file itself", None
            found = integrity.check(self._exe, place, analyse=False, flac=flactest.find(),
                                    stall=STALL)  # fmt: skip
        except FileNotFoundError:
            return f"no copy at {place}", None
        except (MediakeeperError, OSError) as err:
            return f"the copy at {place} cannot be checked: {err}", None
        if found.damaged:
            return f"the copy at {place} is damaged too: it {found.why()}", None
        if found.audio_checksum != recorded:
            return f"the copy at {place} is not the audio last found whole ({good_at})", None
        return "", st
