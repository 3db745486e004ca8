"""What converting one album means before anything is written: each file's fate (encoded,
copied as a lossy source, kept as a non-audio file, or left out as a video), the space each
volume needs, and whether that space is there, said in megabytes with exactly how much is
missing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.findings import Finding, finding_of

# Free space is checked per volume by fs.workdir (audiobooks check it too); a plan names it.
from mediakeeper.fs.workdir import (  # noqa: F401
    MB,
    NotEnoughSpace,
    check_space,
    existing_parent,
)
from mediakeeper.media import cuesheet
from mediakeeper.media.albums import album_files, is_audio
from mediakeeper.media.convert import (
    Profile,
    estimated_bytes,
    header_seconds,
    is_lossy,
    is_video,
    output_name,
)

ENCODE, COPY_LOSSY, KEEP, LEAVE = "encode", "copy-lossy", "keep", "leave-out"
# What a damaged source does ([conversions] damaged): fail its album, or be left out of it
# with a finding; a track left out is recorded with the action LEFT_OUT.
FAIL, LEAVE_OUT, LEFT_OUT = "fail", "leave-out", "left-out"


@dataclass(frozen=True)
class Entry:
    name: str  # in the album (and in _source)
    output: str  # in _processed and the output album
    action: str  # ENCODE | COPY_LOSSY | KEEP | LEAVE
    size: int
    mtime_ns: int
    seconds: float


def entries(folder: Path, profile: Profile, *, allow_lossy: bool) -> list[Entry]:
    """The album's files and what becomes of each. Two files that would become one output
    name (``01.flac`` and ``01.wav``) are refused: one would be lost."""
    result: list[Entry] = []
    for path in album_files(folder):
        st = path.stat()
        if is_audio(path.name):
            copy = is_lossy(path) and not allow_lossy
            action = COPY_LOSSY if copy else ENCODE
            out = output_name(path, profile, copy=copy)
            seconds = _seconds(path, st.st_size)
        else:
            action, out, seconds = LEAVE if is_video(path.name) else KEEP, path.name, 0.0
        result.append(Entry(path.name, out, action, st.st_size, st.st_mtime_ns, seconds))
    names: dict[str, str] = {}
    for entry in (e for e in result if e.action != LEAVE):
        other = names.setdefault(entry.output.casefold(), entry.name)
        if other != entry.name:
            raise MediakeeperError(
                f"{entry.name} and {other} would both become {entry.output} in {folder}; "
                "rename one of them"
            )
    return result


def _seconds(path: Path, size: int) -> float:
    return header_seconds(path, size)


def estimated_output(entry: Entry, profile: Profile) -> int:
    """Bytes the output of ``entry`` will take, on the generous side."""
    if entry.action == LEAVE:
        return 0
    if entry.action != ENCODE:
        return entry.size
    return estimated_bytes(entry.seconds, entry.size, profile)


def is_cue_sheet(entry: Entry) -> bool:
    """A ``.cue`` file beside the tracks: carried naming their converted files
    (``cuesheet.renaming``)."""
    return entry.action == KEEP and entry.name.lower().endswith(".cue") \
        and entry.size <= cuesheet.MOST_BYTES  # fmt: skip


def converted_names(items: list[Entry]) -> dict[str, str]:
    """Each encoded source's name -> its output's, where they differ: what a cue sheet
    beside them names instead."""
    return {e.name: e.output for e in items if e.action == ENCODE and e.output != e.name}


def sheet_rewritten(named: list[str]) -> str:
    """What a dry run and the album's record say of a cue sheet that now names ``named``."""
    return f"its FILE line rewritten to name {', '.join(named)}"


def as_records(items: list[Entry]) -> list[dict]:
    return [asdict(e) for e in items]


def from_records(records: list[Mapping]) -> list[Entry]:
    return [Entry(**r) for r in records]


def source_bytes(items: list[Entry]) -> int:
    return sum(e.size for e in items)


def findings(items: list[Entry], tracks: list[Mapping] = ()) -> list[Finding]:
    """What a person may want to know of an album's plan and, once converted, of its
    ``tracks`` (their records): a damaged source left out, what a track's target could not
    hold (one finding for the tracks that lost the same: see docs/findings.md)."""
    said = {
        COPY_LOSSY: ("lossy-source-copied", "is lossy: copied as it is, not encoded a second "
                     "time (--allow-lossy re-encodes it)"),
        LEAVE: ("video-left-out", "is a video: not carried into the portable library, left "
                "where it is"),
    }  # fmt: skip
    planned = [finding_of(said[e.action][0], e.name, f"{e.name} {said[e.action][1]}")
               for e in items if e.action in said]  # fmt: skip
    left = [finding_of("damaged-source-left-out", t["source"], f"{t['note']}; left out of the "
                       "portable album ([conversions] damaged)")
            for t in tracks if t and t["action"] == LEFT_OUT]  # fmt: skip
    lost: dict[str, list[str]] = {}
    for track in (t for t in tracks if t and t.get("not_carried")):
        lost.setdefault("; ".join(track["not_carried"]), []).append(track["source"])
    unheld = [finding_of("not-carried", names[0], f"{_tracks(names)}: {what} (not carried)")
              for what, names in lost.items()]  # fmt: skip
    return planned + left + unheld


def _tracks(names: list[str]) -> str:
    return names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")
