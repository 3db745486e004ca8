"""Whether a lossless copy in a duplicate group is lossless from the start: its spectrum read
as verify's lossy-origin check reads it (``media.integrity``: the same window from the
middle, the same cut-offs), for every lossless copy of a group that verify has not already
found of lossy origin. A FLAC decoded from an MP3 carries the bit depth and rate its decoder
wrote (24-bit, as ffmpeg writes it), which is no resolution; its spectrum stops where the
MP3 encoder's low-pass did. That of an MP3 of 224 kbps or more stops too near the top for
the cut-offs (at 19.5-20.5 kHz, where a master's or a converter's own low-pass may sit):
told beside its twin, the copy of the same recording that holds sound above
``integrity.TOP``, which the decode lacks.

Kept by file identity in ``status/dupes/spectra.json`` (``measured.py``): a copy's window is
decoded once while the file is the same."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mediakeeper.dupes.measured import measured
from mediakeeper.media import integrity
from mediakeeper.text.wording import count

GENUINE, LOSSY, UNTOLD = "genuine", "lossy", "untold"
STALL = 60.0  # seconds a window's decode may go without progress (a mount gone)
# A copy whose level above TOP (against its own above REFERENCE) lies this far under its
# twin's was low-passed: two genuine copies of one recording differ there by a few dB, a
# decode of a 160-320 kbps MP3 by 50-65.
LOW_PASSED = 24.0


def origin(levels: Mapping[int, float]) -> str:
    """``LOSSY`` where the spectrum stops as a lossy encoder's low-pass does, ``GENUINE``
    where it goes on above the cut-offs, ``UNTOLD`` where nothing up there tells (a quiet
    or a dull recording, a window ffmpeg could not read)."""
    if integrity.cutoff_of(levels) is not None:
        return LOSSY
    return GENUINE if integrity.tells(levels) else UNTOLD


def origins(home: Path, exe: str, files: Mapping[str, dict[str, Any]],
            note: Callable[[str], None] | None = None,
            twins: Iterable[Sequence[str]] = ()) -> dict[str, str]:  # fmt: skip
    """The origin of each lossless file of ``files`` (path: its fingerprint entry), its
    window decoded once while the file is the same (``measured``: ``spectra.json``);
    ``note``: told, for a person, how many are read now; ``twins``: the copies of each
    recording (paths of ``files`` or not), one told beside the others (``low_passed``)."""

    def levels(path: str) -> dict[int, float]:
        entry = files[path]
        seconds, rate = float(entry.get("duration") or 0), int(entry.get("sample_rate") or 0)
        return integrity.spectrum(exe, Path(path), seconds, rate, stall=STALL)

    def told(n: int) -> None:
        if note is not None:
            note(f"reading the sound of {count(n, 'lossless copy', 'lossless copies')} in "
                 "duplicate groups (once each)")  # fmt: skip

    def has_top(value: dict, entry: dict) -> bool:  # (measured before the band was: again)
        if not value:  # ffmpeg could not read it; a hi-res file, before it was resampled
            return int(entry.get("sample_rate") or 0) <= integrity.TOP_RATE
        return str(integrity.TOP) in value or integrity.TOP in value

    found = measured(home, "spectra", files, levels, side_by_side=True, told=told,
                     holds=has_top)  # fmt: skip
    heard = {p: {int(hz): db for hz, db in found[p].items()} for p in files}
    said = {p: origin(heard[p]) for p in files}
    for same in twins:
        for p in low_passed({p: heard[p] for p in same if p in heard}):
            said[p] = LOSSY
    return said


def low_passed(levels: Mapping[str, Mapping[int, float]]) -> list[str]:
    """Of the copies of one recording (path: its levels), those whose sound above
    ``integrity.TOP``, against their own above the reference, lies ``LOW_PASSED`` dB or more
    under another's: what was low-passed on its way (a lossy encoder's), the other not."""
    top, reference = integrity.TOP, integrity.REFERENCE
    told = {p: found[top] - found[reference] for p, found in levels.items()
            if integrity.tells(found) and top in found}  # fmt: skip
    most = max(told.values(), default=0.0)
    return [p for p, level in told.items() if level <= most - LOW_PASSED]
