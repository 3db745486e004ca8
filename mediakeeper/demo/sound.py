"""Real audio made by ffmpeg from its own test sources, for tests, benchmarks and the demo:
a sine tone or pink noise of any length, in any format ffmpeg writes, with optional tags
and cover."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path

import mutagen
from mutagen.flac import Picture

from mediakeeper import tags
from mediakeeper.media import ffmpeg


def tone(exe: str, dest: Path, seconds: float, *, frequency: int = 440, rate: int = 44100) -> Path:
    """A stereo sine tone of ``seconds`` at ``dest``; the format follows its extension."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    args = [
        "-f", "lavfi", "-i", f"sine=frequency={frequency}:sample_rate={rate}:duration={seconds}",
        "-ac", "2", "-y", os.fspath(dest),
    ]  # fmt: skip
    result = ffmpeg.run(exe, args)
    if result.returncode != 0:
        raise ffmpeg.FFmpegFailed(result.last_error)
    return dest


def noise(exe: str, dest: Path, seconds: float, *, seed: int = 1) -> Path:
    """Stereo pink noise of ``seconds`` at ``dest``, the same for the same ``seed``: audio
    with a fingerprint of its own (a sine tone's is nearly empty)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    args = ["-f", "lavfi", "-i", f"anoisesrc=duration={seconds}:color=pink:seed={seed}",
            "-ac", "2", "-y", os.fspath(dest)]  # fmt: skip
    result = ffmpeg.run(exe, args)
    if result.returncode != 0:
        raise ffmpeg.FFmpegFailed(result.last_error)
    return dest


def tagged(
    path: Path,
    values: Mapping[str, str],
    *,
    extra: Mapping[str, str] | None = None,
    cover: bytes | None = None,
) -> Path:
    """Tag a FLAC or Ogg file: the table's ``values`` through ``tags.write``, ``extra``
    Vorbis fields and a front cover (PNG) with mutagen."""
    if values:
        tags.write(path, values)
    if extra or cover:
        audio = mutagen.File(path)
        for key, value in (extra or {}).items():
            audio[key] = value
        if cover:
            picture = Picture()
            picture.data, picture.mime, picture.type = cover, "image/png", 3
            if hasattr(audio, "add_picture"):
                audio.add_picture(picture)
            else:
                audio["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode()]
        audio.save()
    return path
