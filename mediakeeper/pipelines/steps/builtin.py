"""The built-in processors ``convert``, ``replaygain`` and ``copy`` as pipeline steps (see
``registry``): each reads the files of one folder and writes its outputs into another."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mediakeeper.batch import placements
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.atomic import atomic_write_bytes
from mediakeeper.fs.workdir import copy_verified, place_folder, same_files
from mediakeeper.media import cuesheet, replaygain
from mediakeeper.media.albums import is_audio
from mediakeeper.media.convert import (
    PROFILES,
    Profile,
    convert,
    estimated_bytes,
    header_seconds,
)
from mediakeeper.pipelines.steps.registry import (
    Context,
    Param,
    Processor,
    input_files,
    pass_through,
    register,
)
from mediakeeper.system import children

_BITRATE = r"^\d+k$"


def _profile(params: Mapping[str, Any]) -> Profile:
    base = PROFILES[params["codec"]]
    bitrate = params.get("bitrate")
    if bitrate and base.lossy:
        codec = list(base.codec)
        if "-q:a" in codec:  # mp3's VBR quality gives way to the bitrate asked for
            at = codec.index("-q:a")
            codec[at : at + 2] = ["-b:a", bitrate]
        else:
            codec[codec.index("-b:a") + 1] = bitrate
        return Profile(base.name, base.extension, base.muxer, tuple(codec), True,
                       int(bitrate[:-1]))  # fmt: skip
    return base


def run_convert(context: Context, inputs: Path, out: Path, params: Mapping[str, Any]) -> dict:
    profile = _profile(params)
    audio = [p for p in input_files(inputs) if is_audio(p.name)]
    with ThreadPoolExecutor(max_workers=max(1, context.threads)) as pool:
        try:
            done = list(pool.map(
                lambda p: convert(context.ffmpeg, p, out / (p.stem + profile.extension), profile),
                audio,
            ))  # fmt: skip
        except BaseException:  # a failed track or an interrupt: no other encoder goes on
            children.kill_all()
            raise
    kept = pass_through(inputs, out, lambda p: is_audio(p.name))
    converted = {p.name: p.stem + profile.extension for p in audio}
    for name in kept:  # a cue sheet beside a single-file rip names its converted file
        _rename_in_sheet(out / name, {k: v for k, v in converted.items() if k != v})
    return {"tracks": [asdict(d) for d in done], "kept": kept}


def _rename_in_sheet(path: Path, names: Mapping[str, str]) -> None:
    """``path``, where it is a ``.cue`` file naming a converted source, rewritten to name the
    converted file (``cuesheet.renaming``: every other byte as it was), atomically."""
    if not path.name.lower().endswith(".cue") or path.stat().st_size > cuesheet.MOST_BYTES:
        return
    data, named = cuesheet.renaming(path.read_bytes(), names)
    if named:
        atomic_write_bytes(path, data)


def estimate_convert(inputs: list[Path], params: Mapping[str, Any]) -> int:
    profile = _profile(params)
    total = 0
    for path in inputs:
        size = path.stat().st_size
        if is_audio(path.name):
            total += estimated_bytes(header_seconds(path, size), size, profile)
        else:
            total += size
    return total


def _check_convert(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    import re

    bitrate = params.get("bitrate")
    if isinstance(bitrate, str) and not re.match(_BITRATE, bitrate):
        return [("bitrate", f"must be kilobits per second like 128k, not {bitrate!r}")]
    return []


def run_replaygain(context: Context, inputs: Path, out: Path, params: Mapping[str, Any]) -> dict:
    files = input_files(inputs)
    audio = []
    for path in files:
        copy_verified(path, out / path.name)
        if is_audio(path.name):
            audio.append(out / path.name)
    try:
        written = replaygain.tag_album(context.ffmpeg, audio, album=bool(params.get("album")))
    except replaygain.MeasureFailed as err:
        raise MediakeeperError(err.message) from None
    return {"tags": written}


def run_copy(context: Context, inputs: Path, out: Path, params: Mapping[str, Any]) -> dict:
    """The step's inputs copied, verified, to the item's place in the archive (whole or not
    at all) and passed on unchanged."""
    if context.archive is None:  # (a pipeline file without one is refused as it is read)
        raise MediakeeperError("the copy step needs an archive: set `archive:` in the pipeline")
    if context.placed is None:  # no record of what the item placed: only a free place
        if not (context.archive.is_dir() and same_files(inputs, context.archive)):
            place_folder(inputs, context.archive, move=False, overwrite=False)
    else:  # only the album's own earlier archive files are replaced, with overwrite
        placements.place(inputs, context.archive, placements.manifest(inputs),
                         placements.Record(context.placed), move=False,
                         overwrite=bool(params.get("overwrite")), noun="album")  # fmt: skip
    pass_through(inputs, out, lambda p: False)
    return {"archived": str(context.archive)}


register(Processor(
    "convert",
    "encode each audio file (opus, aac, mp3, flac, alac); other files pass through",
    run_convert,
    (
        Param("codec", str, required=True, choices=tuple(PROFILES), help="the format"),
        Param("bitrate", str, help="lossy codecs: kilobits per second, like 128k", unit="bitrate"),
    ),
    estimate=estimate_convert,
    check=_check_convert,
    sent=True,
))  # fmt: skip
register(Processor(
    "replaygain",
    "measure EBU R128 loudness and write ReplayGain 2.0 (R128 gains in Opus) tags",
    run_replaygain,
    (Param("album", bool, default=True, help="also the album gain, over the tracks joined"),),
))  # fmt: skip
register(Processor(
    "copy",
    "copy the files, verified, to the album's place in the archive",
    run_copy,
    (Param("overwrite", bool, default=False,
           help="replace the album's own earlier archive copy (never files it did not place)"),),
    needs_archive=True,
))  # fmt: skip
