"""ReplayGain 2.0 / EBU R128 loudness: measured with ffmpeg's ``ebur128`` filter (integrated
loudness and true peak), written in each format's convention.

- ID3 (``TXXX``), Vorbis comments (FLAC, Ogg Vorbis), APEv2 and MP4 freeform atoms
  (``----:com.apple.iTunes:replaygain_track_gain``): ``REPLAYGAIN_TRACK_GAIN/PEAK`` and
  ``REPLAYGAIN_ALBUM_GAIN/PEAK``, gains relative to -18 LUFS ("-4.52 dB"), peaks linear.
- Opus: ``R128_TRACK_GAIN`` / ``R128_ALBUM_GAIN``, Q7.8 integers relative to -23 LUFS
  (RFC 7845), and never ``REPLAYGAIN_*`` (players would apply both).

An album's gain is measured over its tracks joined (ffmpeg's ``concat``), not as the mean of
the tracks' loudness: a quiet interlude counts for its length only. Variants of these tags in
other letter cases are removed when the new ones are written.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.apev2 import APEv2File
from mutagen.id3 import ID3, TXXX
from mutagen.mp4 import MP4, MP4FreeForm
from mutagen.oggopus import OggOpus

from mediakeeper.media import ffmpeg

REFERENCE_RG = -18.0  # LUFS: ReplayGain 2.0's reference level
REFERENCE_R128 = -23.0  # LUFS: EBU R128's, for Opus gains
ITUNES = "----:com.apple.iTunes:"
FIELDS = ("REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK", "REPLAYGAIN_ALBUM_GAIN",
          "REPLAYGAIN_ALBUM_PEAK")  # fmt: skip
OPUS_FIELDS = ("R128_TRACK_GAIN", "R128_ALBUM_GAIN")
_ALL = frozenset((*FIELDS, *OPUS_FIELDS, "REPLAYGAIN_REFERENCE_LOUDNESS"))
_FILTER = "ebur128=peak=true:framelog=verbose"
_LOUDNESS_ONLY = "ebur128=framelog=verbose"  # (true peak oversamples: the costly part)
_NUMBER = r"(-?(?:\d+(?:\.\d+)?|inf))"


class MeasureFailed(Exception):
    """ffmpeg could not measure a file (it does not decode); ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Loudness:
    lufs: float  # integrated loudness
    peak_db: float  # true peak, dBTP

    @property
    def gain(self) -> float:
        """The ReplayGain 2.0 gain, dB."""
        return REFERENCE_RG - self.lufs

    @property
    def peak(self) -> float:
        """The true peak as a linear sample value (1.0: full scale)."""
        return 10 ** (self.peak_db / 20) if math.isfinite(self.peak_db) else 0.0

    @property
    def r128(self) -> int:
        """The Opus R128 gain: Q7.8 relative to -23 LUFS, clamped to 16 bits."""
        return max(-32768, min(32767, round((REFERENCE_R128 - self.lufs) * 256)))


def measure(exe: str, paths: Sequence[Path], *, peak: bool = True) -> Loudness:
    """The loudness of ``paths`` played one after the other (one path: a track). Without
    ``peak`` the true peak is not measured (``peak_db`` is -inf).

    The album is joined in its own pass rather than in the tracks' one (``asplit`` into
    ``concat``): ffmpeg would hold every later track's decoded audio in memory while the
    first plays (587 MB for 30 minutes)."""
    inputs = [arg for p in paths for arg in ("-i", os.fspath(p))]
    meter = _FILTER if peak else _LOUDNESS_ONLY
    if len(paths) == 1:
        graph = ["-map", "0:a:0", "-af", meter]
    else:
        joined = "".join(f"[{i}:a:0]" for i in range(len(paths)))
        graph = ["-filter_complex", f"{joined}concat=n={len(paths)}:v=0:a=1,{meter}"]
    run = ffmpeg.run(exe, ["-loglevel", "info", *inputs, *graph, "-f", "null", "-"])
    if run.returncode != 0:
        raise MeasureFailed(run.last_error or f"ffmpeg exited with {run.returncode}")
    return parse_summary(run.stderr, what=", ".join(p.name for p in paths))


def parse_summary(stderr: str, *, what: str = "") -> Loudness:
    """The integrated loudness and true peak from ebur128's closing summary."""
    summary = stderr.rpartition("Summary:")[2]
    loud = re.search(rf"\bI:\s+{_NUMBER} LUFS", summary)
    peak = re.search(rf"\bPeak:\s+{_NUMBER} dBFS", summary)
    if not summary or loud is None:
        raise MeasureFailed(f"ffmpeg gave no loudness summary for {what}")
    return Loudness(float(loud.group(1)), float(peak.group(1)) if peak else -math.inf)


def values(track: Loudness, album: Loudness | None, *, opus: bool) -> dict[str, str]:
    """The tag values for one file (upper-case field names)."""
    if opus:
        out = {"R128_TRACK_GAIN": str(track.r128)}
        if album is not None:
            out["R128_ALBUM_GAIN"] = str(album.r128)
        return out
    out = {"REPLAYGAIN_TRACK_GAIN": _db(track.gain), "REPLAYGAIN_TRACK_PEAK": _peak(track.peak)}
    if album is not None:
        out["REPLAYGAIN_ALBUM_GAIN"] = _db(album.gain)
        out["REPLAYGAIN_ALBUM_PEAK"] = _peak(album.peak)
    return out


def _db(gain: float) -> str:
    return f"{gain:+.2f} dB"


def _peak(peak: float) -> str:
    return f"{peak:.6f}"


def is_opus(path: Path) -> bool:
    return path.suffix.lower() == ".opus"


def write(path: Path, new: dict[str, str]) -> None:
    """Write ``new`` into ``path`` in its format's convention, every loudness field of any
    letter case (and any ``REPLAYGAIN_*`` in Opus) removed first. Saved in place: used on a
    file in a step's working folder, or through the journal (``changes``)."""
    audio = mutagen.File(path)
    if audio is None:
        raise MeasureFailed(f"{path.name}: not an audio file mutagen can tag")
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    if isinstance(tags, ID3):
        for frame in list(tags.getall("TXXX")):
            if frame.desc.upper() in _ALL:
                tags.delall(frame.HashKey)
        for name, value in new.items():
            tags.add(TXXX(encoding=3, desc=name, text=[value]))
    elif isinstance(audio, MP4):
        for key in list(tags.keys()):
            if key.startswith(ITUNES) and key[len(ITUNES) :].upper() in _ALL:
                del tags[key]
        for name, value in new.items():
            tags[ITUNES + name.lower()] = [MP4FreeForm(value.encode("utf-8"))]
    else:  # Vorbis comments and APEv2: keys are case-insensitive, so every variant goes
        for key in list(tags.keys()):
            if key.upper() in _ALL or (isinstance(audio, OggOpus) and key.upper().startswith(
                "REPLAYGAIN_")):  # fmt: skip
                del tags[key]
        for name, value in new.items():
            tags[name] = value if isinstance(audio, APEv2File) else [value]
    audio.save()


def read(path: Path) -> dict[str, str]:
    """The loudness fields ``path`` holds, upper-cased names (for tests and the journal)."""
    audio = mutagen.File(path)
    if audio is None or audio.tags is None:
        return {}
    tags = audio.tags
    out: dict[str, str] = {}
    if isinstance(tags, ID3):
        for frame in tags.getall("TXXX"):
            if frame.desc.upper() in _ALL or frame.desc.upper().startswith("REPLAYGAIN_"):
                out[frame.desc] = str(frame.text[0])
    elif isinstance(audio, MP4):
        for key, vals in tags.items():
            if key.startswith(ITUNES) and key[len(ITUNES) :].upper() in _ALL:
                out[key] = bytes(vals[0]).decode("utf-8", "replace")
    else:
        for key in tags.keys():  # noqa: SIM118 (Vorbis comments iterate as pairs)
            if key.upper() in _ALL or key.upper().startswith("REPLAYGAIN_"):
                value = tags[key]
                out[key] = str(value[0] if isinstance(value, list) else value)
    return out


def measure_album(
    exe: str, files: Sequence[Path], *, album: bool = True
) -> dict[Path, dict[str, str]]:
    """Each file's loudness tag values (upper-case field names), the album's measured over
    ``files`` joined."""
    tracks = {p: measure(exe, [p]) for p in files}
    whole = None
    if album and len(files) == 1:
        whole = tracks[files[0]]
    elif album and files:
        # The album's true peak is its loudest track's: only its loudness needs the join.
        joined = measure(exe, list(files), peak=False)
        whole = Loudness(joined.lufs, max(t.peak_db for t in tracks.values()))
    return {path: values(loudness, whole, opus=is_opus(path)) for path, loudness in tracks.items()}


def tag_album(exe: str, files: Sequence[Path], *, album: bool = True) -> dict[str, dict[str, str]]:
    """Measure every file (and the album joined) and write the tags: file name -> values.
    In place, unjournaled: for files of a pipeline's working folder. A library's files go
    through ``mediakeeper.music.loudness``."""
    written = {}
    for path, new in measure_album(exe, files, album=album).items():
        write(path, new)
        written[path.name] = new
    return written
