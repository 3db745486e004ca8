"""The ``split`` processor: each audio file cut into parts, at a fixed length (``mode:
fixed``, ``seconds``) or at its silences (``mode: silence``: ffmpeg's ``silencedetect`` with
``threshold_db`` and ``min_silence``, cut in the middle of each silence). Parts are copied
stream for stream (no second encode) as ``<stem> - 001<ext>``; other files pass through."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.workdir import PARTIAL
from mediakeeper.media import ffmpeg
from mediakeeper.media.convert import is_audio
from mediakeeper.pipelines.steps.registry import (
    Context,
    Param,
    Processor,
    input_files,
    pass_through,
    register,
)


def silences(exe: str, path: Path, threshold_db: float, min_silence: float) -> list[float]:
    """The middle of each silence ffmpeg finds in ``path`` (seconds)."""
    run = ffmpeg.run(exe, [
        "-loglevel", "info", "-i", os.fspath(path), "-map", "0:a:0",
        "-af", f"silencedetect=noise={threshold_db}dB:d={min_silence}", "-f", "null", "-",
    ])  # fmt: skip
    if run.returncode != 0:
        raise MediakeeperError(f"{path.name}: {run.last_error}")
    starts = [float(s) for s in re.findall(r"silence_start: (-?[\d.]+)", run.stderr)]
    ends = [float(e) for e in re.findall(r"silence_end: (-?[\d.]+)", run.stderr)]
    return [(s + e) / 2 for s, e in zip(starts, ends, strict=False) if s > 0]


def _cuts(context: Context, path: Path, params: Mapping[str, Any]) -> list[float]:
    length = ffmpeg.decoded_length(context.ffmpeg, path)
    if params["mode"] == "fixed":
        step = float(params["seconds"])
        cuts = []
        at = step
        while at < length - 0.05:
            cuts.append(at)
            at += step
        return cuts
    mids = silences(context.ffmpeg, path, params["threshold_db"], params["min_silence"])
    return [m for m in mids if 0.05 < m < length - 0.05]


def run_split(context: Context, inputs: Path, out: Path, params: Mapping[str, Any]) -> dict:
    parts: dict[str, list[str]] = {}
    for path in input_files(inputs):
        if not is_audio(path.name):
            continue
        bounds = [0.0, *_cuts(context, path, params), None]
        names = []
        for number, (start, end) in enumerate(itertools.pairwise(bounds), 1):
            name = f"{path.stem} - {number:03d}{path.suffix}"
            temp = out / (PARTIAL + name)
            bound = ["-to", f"{end:.3f}"] if end is not None else []
            args = ["-ss", f"{start:.3f}", *bound, "-i", os.fspath(path), "-map", "0:a:0",
                    "-c", "copy", "-y", os.fspath(temp)]  # fmt: skip
            run = ffmpeg.run(context.ffmpeg, args)
            if run.returncode != 0:
                raise MediakeeperError(f"{path.name}: {run.last_error}")
            os.replace(temp, out / name)
            names.append(name)
        parts[path.name] = names
    pass_through(inputs, out, lambda p: is_audio(p.name))
    return {"parts": parts}


def _check(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    mode = params.get("mode")
    if mode == "fixed" and "seconds" not in params:
        return [("seconds", "is required with mode: fixed")]
    if mode == "silence":
        return [(k, "is required with mode: silence")
                for k in ("threshold_db", "min_silence") if k not in params]  # fmt: skip
    return []


register(Processor(
    "split",
    "cut each audio file at a fixed length or at its silences (no re-encode)",
    run_split,
    (
        Param("mode", str, required=True, choices=("fixed", "silence")),
        Param("seconds", float, minimum=1, help="mode fixed: the length of each part"),
        Param("threshold_db", float, minimum=-120, maximum=0, help="mode silence: how quiet"),
        Param("min_silence", float, minimum=0.05, help="mode silence: how long, seconds"),
    ),
    check=_check,
))  # fmt: skip
