"""Whether a file the toolkit wrote says the truth about itself, checked before it is placed.

A player, a tagger or a later verify pass believes a file's header: a FLAC's STREAMINFO
(its total samples, the MD5 of its samples), an MP3's Xing frame count, an MP4's ``mdhd``
duration, an Ogg's last granule, a WAV's data size. ffmpeg writes those at the end, and only
to an output it can seek back in: a stream copy or a segment muxer's part keeps its source's
header (a FLAC part of a 3 s file said 3.0 s and the whole file's MD5 while holding 1.02 s).

So an output is decoded once and compared with what its header says: a FLAC exactly (every
sample counted, the decoded samples' MD5 against STREAMINFO's, which must be set); any other
format's header length (mutagen's) within ``TOLERANCE`` of the decoded length, either way;
and an MP3's Xing frame count exactly against the frames ffmpeg reads after it.
Pure: reads the file, writes nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import mutagen
from mutagen.flac import FLAC
from mutagen.mp3 import MP3

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.media import ffmpeg, mpeg_frames

TOLERANCE = 0.1  # seconds a header's length may differ from the decoded length (not FLAC's)
# The raw samples a FLAC's MD5 is computed over: little-endian signed, at its bit depth.
PCM = {8: "pcm_s8", 16: "pcm_s16le", 24: "pcm_s24le", 32: "pcm_s32le"}


class UntrueHeader(MediakeeperError):
    """A written file whose header does not agree with what it decodes to."""


def decoded_truly(exe: str, path: Path, **limits: Any) -> float:
    """``path``'s decoded length in seconds (its samples counted), once its header is found
    to tell the truth: UntrueHeader if it does not, ffmpeg.FFmpegFailed if it does not
    decode. ``limits``: ``ffmpeg.run``'s timeout and stall."""
    try:
        audio = FLAC(path) if path.suffix.lower() == ".flac" else mutagen.File(path)
    except mutagen.MutagenError:
        audio = None
    info = getattr(audio, "info", None)
    bits = info.bits_per_sample if isinstance(audio, FLAC) else 0
    # The samples counted one per instant (mono), not by the timestamps a part may keep
    # from its source; for a FLAC, beside, its samples as its encoder hashed them.
    args = ["-loglevel", "level+info", "-i", "file:" + os.fspath(path.absolute()),
            "-map", "0:a:0", "-af", "aformat=channel_layouts=mono,volumedetect",
            "-f", "null", "-"]  # fmt: skip
    if bits in PCM:  # (another depth's MD5 is not over the samples ffmpeg gives)
        args += ["-map", "0:a:0", "-c:a", PCM[bits], "-f", "md5", "pipe:2"]
    run = ffmpeg.run(exe, args, **limits)
    if run.returncode != 0:
        raise ffmpeg.FFmpegFailed(run.error)
    counted = re.findall(r"n_samples: (\d+)", run.stderr)
    rate = re.search(r"Stream #0:\d+.*?: Audio: .*?, (\d+) Hz", run.stderr)
    if not counted or rate is None:
        raise ffmpeg.FFmpegFailed(f"{path.name}: no audio decoded")
    samples, rate = int(counted[-1]), int(rate.group(1))
    if isinstance(audio, FLAC):
        _same_flac(path, info, samples, _last(r"^MD5=([0-9a-f]{32})", run.stderr))
    else:
        said = float(getattr(info, "length", 0) or 0)
        if said and abs(said - samples / rate) > TOLERANCE:
            raise UntrueHeader(f"{path.name}: its header says {said:.3f} s, it decodes to "
                               f"{samples / rate:.3f} s")  # fmt: skip
    if isinstance(audio, MP3) and (frames := mpeg_frames.xing_frames(path)) is not None:
        read = ffmpeg.packets(exe, path, timeout=limits.get("timeout")).count
        if frames != read:
            raise UntrueHeader(f"{path.name}: its Xing header counts {frames} frames, it "
                               f"holds {read}")  # fmt: skip
    return samples / rate


def _same_flac(path: Path, info: Any, samples: int, md5: str) -> None:
    """STREAMINFO's total samples and MD5 (which must be set) are the decoded ones."""
    if samples != info.total_samples:
        raise UntrueHeader(f"{path.name}: its STREAMINFO says {info.total_samples} samples "
                           f"({info.length:.3f} s), it decodes to {samples} "
                           f"({samples / info.sample_rate:.3f} s)")  # fmt: skip
    said = f"{info.md5_signature:032x}" if info.md5_signature else ""
    if info.bits_per_sample in PCM and said != md5:
        raise UntrueHeader(f"{path.name}: its STREAMINFO MD5 is {said or 'not set'}, its "
                           f"decoded samples' {md5 or 'unknown'}")  # fmt: skip


def _last(pattern: str, text: str) -> str:
    found = re.findall(pattern, text, re.M)
    return found[-1] if found else ""
