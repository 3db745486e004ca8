"""The ``split`` processor: each audio file cut into parts, at a fixed length (``mode:
fixed``, ``seconds``) or at its silences (``mode: silence``: ffmpeg's ``silencedetect`` with
``threshold_db`` and ``min_silence``, cut in the middle of each silence). Parts are copied
stream for stream (no second encode) as ``<stem> - 001<ext>``, each packet into exactly one
part (ffmpeg's ``segment`` muxer); other files pass through."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
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
        if is_audio(path.name):
            parts[path.name] = _split_one(context.ffmpeg, path, out, _cuts(context, path, params))
    pass_through(inputs, out, lambda p: is_audio(p.name))
    return {"parts": parts}


def _split_one(exe: str, path: Path, out: Path, cuts: list[float]) -> list[str]:
    """``path`` cut at ``cuts`` into ``<stem> - 001<ext>``, ... in ``out``. One run of
    ffmpeg's ``segment`` muxer: every packet goes into exactly one part, so the parts last
    the file's length in all, with every ffmpeg (a part cut by its own ``-ss``/``-to`` run
    starts at the packet before its start, which ffmpeg 5.1 keeps: 3.0 s made 3.2 s of
    parts). Made in a hidden folder, each part then renamed into place."""
    work = out / f"{PARTIAL}split-{hashlib.sha256(os.fsencode(path.name)).hexdigest()[:16]}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        copy = ["-i", os.fspath(path), "-map", "0:a:0", "-c", "copy"]
        if cuts:  # (no "%" of a person's name reaches the pattern: the folder's is a hash)
            copy += ["-f", "segment", "-segment_times", ",".join(f"{c:.3f}" for c in cuts),
                     "-reset_timestamps", "1", "-y", os.fspath(work / f"%03d{path.suffix}")]
        else:
            copy += ["-y", os.fspath(work / f"000{path.suffix}")]
        run = ffmpeg.run(exe, copy)
        if run.returncode != 0:
            raise MediakeeperError(f"{path.name}: {run.last_error}")
        made = sorted(work.iterdir())
        if len(made) != len(cuts) + 1:
            raise MediakeeperError(f"{path.name}: cut into {len(made)} parts, not "
                                   f"{len(cuts) + 1}")  # fmt: skip
        names = [f"{path.stem} - {n:03d}{path.suffix}" for n in range(1, len(made) + 1)]
        for part, name in zip(made, names, strict=True):
            os.replace(part, out / name)
        return names
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
        Param("seconds", float, minimum=1, maximum=86_400, help="mode fixed: each part's seconds"),
        Param("threshold_db", float, minimum=-120, maximum=0, help="mode silence: how quiet"),
        Param("min_silence", float, minimum=0.05, maximum=3600,
              help="mode silence: how long, seconds"),
    ),
    check=_check,
))  # fmt: skip
