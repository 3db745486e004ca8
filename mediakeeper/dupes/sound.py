"""Whether a lossless copy in a duplicate group is lossless from the start: its spectrum read
as verify's lossy-origin check reads it (``media.integrity``: the same window from the
middle, the same cut-offs), for every lossless copy of a group that verify has not already
found of lossy origin. A FLAC decoded from an MP3 carries the bit depth and rate its decoder
wrote (24-bit, as ffmpeg writes it), which is no resolution; its spectrum stops where the
MP3 encoder's low-pass did.

Kept by file identity in ``status/dupes/spectra.json`` (``measured.py``): a copy's window is
decoded once while the file is the same."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mediakeeper.dupes.measured import measured
from mediakeeper.media import integrity
from mediakeeper.text.wording import count

GENUINE, LOSSY, UNTOLD = "genuine", "lossy", "untold"
STALL = 60.0  # seconds a window's decode may go without progress (a mount gone)


def origin(levels: Mapping[int, float]) -> str:
    """``LOSSY`` where the spectrum stops as a lossy encoder's low-pass does, ``GENUINE``
    where it goes on above the cut-offs, ``UNTOLD`` where nothing up there tells (a quiet
    or a dull recording, a window ffmpeg could not read)."""
    if integrity.cutoff_of(levels) is not None:
        return LOSSY
    return GENUINE if integrity.tells(levels) else UNTOLD


def origins(home: Path, exe: str, files: Mapping[str, dict[str, Any]],
            note: Callable[[str], None] | None = None) -> dict[str, str]:  # fmt: skip
    """The origin of each lossless file of ``files`` (path: its fingerprint entry), its
    window decoded once while the file is the same (``measured``: ``spectra.json``);
    ``note``: told, for a person, how many are read now."""

    def levels(path: str) -> dict[int, float]:
        seconds = float(files[path].get("duration") or 0)
        return integrity.spectrum(exe, Path(path), seconds, stall=STALL)

    def told(n: int) -> None:
        if note is not None:
            note(f"reading the sound of {count(n, 'lossless copy', 'lossless copies')} in "
                 "duplicate groups (once each)")  # fmt: skip

    found = measured(home, "spectra", files, levels, side_by_side=True, told=told)
    return {p: origin({int(hz): db for hz, db in found[p].items()}) for p in files}
