"""The ``split`` processor: each audio file cut into parts, at a fixed length (``mode:
fixed``, ``seconds``) or at its silences (``mode: silence``: ffmpeg's ``silencedetect`` with
``threshold_db`` and ``min_silence``, cut in the middle of each silence), as
``<stem> - 001<ext>``, ... (a stem cut where the name would pass 255 bytes); other files
pass through.

A lossy file's parts are copied stream for stream (no second encode), each packet into
exactly one part (ffmpeg's ``segment`` muxer). A FLAC's parts are encoded again, each into
its own file, cut at the very sample: lossless, the samples are the file's, and only an
encode into a file ffmpeg can seek back in writes STREAMINFO's total samples and MD5 (a
segment muxer's or a stream copy's part keeps the whole file's). Every part's header is
checked against what it decodes to (``headers``) before it is put in place."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.flac import FLAC

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.names import cut_to_fit
from mediakeeper.fs.workdir import PARTIAL
from mediakeeper.media import ffmpeg, headers
from mediakeeper.media.albums import is_audio
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
    try:
        length = ffmpeg.decoded_length(context.ffmpeg, path)
    except ffmpeg.FFmpegFailed as err:
        raise MediakeeperError(f"{path.name} does not decode: {err}") from None
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
    """``path`` cut at ``cuts`` into ``<stem> - 001<ext>``, ... in ``out``. Made in a hidden
    folder, each part checked (``headers``), then renamed into place."""
    work = out / f"{PARTIAL}split-{hashlib.sha256(os.fsencode(path.name)).hexdigest()[:16]}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        if path.suffix.lower() == ".flac":
            _encode_flac_parts(exe, path, work, cuts)
        else:
            _copy_parts(exe, path, work, cuts)
        made = sorted(work.iterdir())
        if len(made) != len(cuts) + 1:
            raise MediakeeperError(f"{path.name}: cut into {len(made)} parts, not "
                                   f"{len(cuts) + 1}")  # fmt: skip
        # A long name's stem is cut so that each part's name fits, as a conversion's does.
        names = [cut_to_fit(path.stem, f" - {n:03d}{path.suffix}")
                 for n in range(1, len(made) + 1)]  # fmt: skip
        for part, name in zip(made, names, strict=True):
            try:
                headers.decoded_truly(exe, part)
            except (headers.UntrueHeader, ffmpeg.FFmpegFailed) as err:
                raise MediakeeperError(f"{path.name}: its part {name} is not whole: "
                                       f"{str(err).replace(part.name, name)}") from None
        for part, name in zip(made, names, strict=True):
            os.replace(part, out / name)
        return names
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _copy_parts(exe: str, path: Path, work: Path, cuts: list[float]) -> None:
    """One run of ffmpeg's ``segment`` muxer: every packet goes into exactly one part, so
    the parts last the file's length in all, with every ffmpeg (a part cut by its own
    ``-ss``/``-to`` copy starts at the packet before its start, which ffmpeg 5.1 keeps: 3.0 s
    made 3.2 s of parts)."""
    copy = ["-i", os.fspath(path), "-map", "0:a:0", "-c", "copy"]
    if cuts:  # (no "%" of a person's name reaches the pattern: the folder's is a hash)
        copy += ["-f", "segment", "-segment_times", ",".join(f"{c:.3f}" for c in cuts),
                 "-reset_timestamps", "1", "-y", os.fspath(work / f"%03d{path.suffix}")]
    else:
        copy += ["-y", os.fspath(work / f"000{path.suffix}")]
    _ran(exe, path, copy)


def _encode_flac_parts(exe: str, path: Path, work: Path, cuts: list[float]) -> None:
    """Each part of a FLAC encoded into its own file, from the sample nearest its cut to the
    next one's: the parts hold every sample once. Each run starts decoding at the whole
    second before its part (so a part costs its own length, not the file's up to it): a
    whole second is a whole number of samples, so the trim counts from an exact sample."""
    try:
        rate = FLAC(path).info.sample_rate
    except MutagenError as err:
        raise MediakeeperError(f"{path.name}: not a FLAC that can be read: {err}") from None
    bounds = [0, *(round(c * rate) for c in cuts), None]
    for number, (start, end) in enumerate(itertools.pairwise(bounds)):
        skip = start // rate
        trim = f"atrim=start_sample={start - skip * rate}"
        if end is not None:
            trim += f":end_sample={end - skip * rate}"
        _ran(exe, path, [*(["-ss", str(skip)] if skip else []), "-i", os.fspath(path),
                         "-map", "0:a:0", "-af", trim, "-c:a", "flac", "-fflags", "+bitexact",
                         "-y", os.fspath(work / f"{number:03d}.flac")])  # fmt: skip


def _ran(exe: str, path: Path, args: list[str]) -> None:
    run = ffmpeg.run(exe, args)
    if run.returncode != 0:
        raise MediakeeperError(f"{path.name}: {run.last_error}")


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
