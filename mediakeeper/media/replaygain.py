"""ReplayGain 2.0 / EBU R128 loudness: measured with ffmpeg's ``ebur128`` filter (integrated
loudness and true peak), written in each format's convention.

- ID3 (``TXXX``), Vorbis comments (FLAC, Ogg Vorbis), APEv2 and MP4 freeform atoms
  (``----:com.apple.iTunes:replaygain_track_gain``): ``REPLAYGAIN_TRACK_GAIN/PEAK`` and
  ``REPLAYGAIN_ALBUM_GAIN/PEAK``, gains relative to -18 LUFS ("-4.52 dB"), peaks linear.
- Opus: ``R128_TRACK_GAIN`` / ``R128_ALBUM_GAIN``, Q7.8 integers relative to -23 LUFS
  (RFC 7845), and never ``REPLAYGAIN_*`` (players would apply both).

Loudness is BS.1770's gated mean of 400 ms blocks (100 ms apart), each block's loudness read
at full precision from ebur128's metadata (its printed summary has one decimal: 0.05 dB off
at worst). An album's is the same gating over the blocks of all its tracks, as libebur128
(loudgain, and the taggers built on it) computes it: within 0.05 dB of loudgain, tested. It
is not the mean of the tracks' loudness (a quiet interlude counts for its length only), and
it needs no second decode of the album. Each track's channels are given a layout first: a
decoder that names none (TTA's) fails ffmpeg 5.1's meter. Variants of these tags in other
letter cases are removed when the new ones are written.

Silence gets no gain: a track (or an album) with nothing above EBU R128's absolute gate
(-70 LUFS) would get +52 dB, which a player applies to the next sound it meets.
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
# The meter, and each 100 ms frame's momentary (400 ms block) loudness printed in full.
_METER = ("ebur128=peak=true:metadata=1:framelog=verbose,"
          "ametadata=mode=print:key=lavfi.r128.M")  # fmt: skip
_NUMBER = r"(-?(?:\d+(?:\.\d+)?|inf))"
_BLOCK = re.compile(r"lavfi\.r128\.M=(-?[\d.]+|-?inf|nan)")
SILENT_LUFS = -70.0  # EBU R128's absolute gate: ebur128 says -70 when nothing passes it
RELATIVE_GATE = 10.0  # LU under the absolute-gated loudness a block must reach (BS.1770-4)
# The layouts a track may take: one of these fits any track, so the meter never meets a
# stream whose decoder names no layout (TTA, some WAVs) and fails with "Conversion failed!".
_LAYOUTS = "aformat=channel_layouts=mono|stereo|2.1|3.0|quad|5.0|5.1|6.1|7.1"


class MeasureFailed(Exception):
    """ffmpeg could not measure a file (it does not decode); ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Loudness:
    lufs: float  # integrated loudness
    peak_db: float  # true peak, dBTP
    blocks: tuple[float, ...] = ()  # each 400 ms block's loudness, LUFS, 100 ms apart

    @property
    def silent(self) -> bool:
        """Nothing above the absolute gate: no gain to give."""
        return self.lufs <= SILENT_LUFS

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


def measure(exe: str, path: Path) -> Loudness:
    """The loudness of one track: its blocks, their gated loudness and its true peak.
    (Each block's line costs about 1.4 KB of ffmpeg's log a second of audio, read once.)"""
    args = ["-loglevel", "info", "-i", os.fspath(path), "-map", "0:a:0",
            "-af", f"{_LAYOUTS},{_METER}", "-f", "null", "-"]  # fmt: skip
    run = ffmpeg.run(exe, args)
    if run.returncode != 0:  # ffmpeg's last line names no file ("Conversion failed!")
        why = run.last_error or f"ffmpeg exited with {run.returncode}"
        raise MeasureFailed(f"{path.name}: cannot measure its loudness: {why}")
    peak = parse_summary(run.stderr, what=path.name).peak_db
    blocks = tuple(float(m) for m in _BLOCK.findall(run.stderr))
    return Loudness(integrated(blocks), peak, blocks)


def integrated(blocks: Sequence[float]) -> float:
    """BS.1770-4's integrated loudness of ``blocks`` (LUFS): the mean power of the blocks
    above -70 LUFS, then of those within 10 LU of that; -70 when none passes (silence)."""
    loud = [b for b in blocks if b > SILENT_LUFS]
    if not loud:
        return SILENT_LUFS
    gate = _lufs(_mean_power(loud)) - RELATIVE_GATE
    return _lufs(_mean_power([b for b in loud if b >= gate]))


def _mean_power(blocks: Sequence[float]) -> float:
    return sum(10 ** ((b + 0.691) / 10) for b in blocks) / len(blocks)


def _lufs(power: float) -> float:
    return -0.691 + 10 * math.log10(power)


def parse_summary(stderr: str, *, what: str = "") -> Loudness:
    """The integrated loudness and true peak from ebur128's closing summary."""
    summary = stderr.rpartition("Summary:")[2]
    loud = re.search(rf"\bI:\s+{_NUMBER} LUFS", summary)
    peak = re.search(rf"\bPeak:\s+{_NUMBER} dBFS", summary)
    if not summary or loud is None:
        raise MeasureFailed(f"ffmpeg gave no loudness summary for {what}")
    return Loudness(float(loud.group(1)), float(peak.group(1)) if peak else -math.inf)


def values(track: Loudness, album: Loudness | None, *, opus: bool) -> dict[str, str]:
    """The tag values for one file (upper-case field names); none for silence."""
    album = None if album is None or album.silent else album
    out: dict[str, str] = {}
    if opus:
        if not track.silent:
            out["R128_TRACK_GAIN"] = str(track.r128)
        if album is not None:
            out["R128_ALBUM_GAIN"] = str(album.r128)
        return out
    if not track.silent:
        out = {"REPLAYGAIN_TRACK_GAIN": _db(track.gain),
               "REPLAYGAIN_TRACK_PEAK": _peak(track.peak)}  # fmt: skip
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
    """Each file's loudness tag values (upper-case field names), the album's gated over all
    of ``files``' blocks. A silent file gets no track gain (``silent``)."""
    tracks = measure_tracks(exe, files)
    return gains(tracks, album=album)


def measure_tracks(exe: str, files: Sequence[Path]) -> dict[Path, Loudness]:
    """Each file's loudness (MeasureFailed naming the file that does not decode)."""
    return {p: measure(exe, p) for p in files}


def gains(tracks: dict[Path, Loudness], *, album: bool = True) -> dict[Path, dict[str, str]]:
    """The tag values of measured ``tracks``; the album's loudness is gated over all their
    blocks together, its true peak is its loudest track's."""
    whole = None
    if album and tracks:
        blocks = [b for t in tracks.values() for b in t.blocks]
        whole = Loudness(integrated(blocks), max(t.peak_db for t in tracks.values()))
    return {path: values(loudness, whole, opus=is_opus(path)) for path, loudness in tracks.items()}


def tag_album(exe: str, files: Sequence[Path], *, album: bool = True) -> dict[str, dict[str, str]]:
    """Measure every file (and so the album) and write the tags: file name -> values.
    In place, unjournaled: for files of a pipeline's working folder. A library's files go
    through ``mediakeeper.music.loudness``."""
    written = {}
    for path, new in measure_album(exe, files, album=album).items():
        write(path, new)
        written[path.name] = new
    return written
