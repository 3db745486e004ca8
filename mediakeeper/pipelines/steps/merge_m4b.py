"""The ``merge-m4b`` processor as a pipeline step: the step's audio files, in name order, in
one M4B with one chapter per file (titled by its file name), named after the album; other
files pass through. It wraps the audiobooks' ``merge_m4b`` processor: where that module is
not there, importing this one fails and ``registry`` registers no ``merge-m4b``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import mediakeeper.media.merge_m4b as merge_m4b
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.names import is_junk
from mediakeeper.media.albums import is_audio
from mediakeeper.pipelines.steps.registry import (
    Context,
    Param,
    Processor,
    input_files,
    pass_through,
    register,
)
from mediakeeper.text.slug import fat_safe


def run_merge(context: Context, inputs: Path, out: Path, params: Mapping[str, Any]) -> dict:
    audio = [p for p in input_files(inputs) if is_audio(p.name) and not is_junk(p.name)]
    if not audio:
        raise MediakeeperError("merge-m4b: no audio files to join")
    # The album's name is its path in the input ("Author/Book"): the book is its folder's.
    title = params.get("title") or PurePosixPath(context.name).name or inputs.name
    # Named as the audiobooks name a book: a title's "/" or ":" is no folder nor stream.
    book = f"{fat_safe(title)}.m4b"
    try:
        parts = [merge_m4b.measure_whole(context.ffmpeg, p, p.stem) for p in audio]
        merged = merge_m4b.merge(
            context.ffmpeg,
            parts,
            out / book,
            out.with_name(out.name + ".links"),
            merge_m4b.Audio(bitrate=params.get("bitrate", "128k")),
            title,
        )
    except merge_m4b.MergeFailed as err:
        raise MediakeeperError(f"merge-m4b: {err}") from None
    finally:
        links = out.with_name(out.name + ".links")
        for link in links.glob("*") if links.is_dir() else ():
            link.unlink()
        if links.is_dir():
            links.rmdir()
    pass_through(inputs, out, lambda p: is_audio(p.name))
    return {"book": book, "chapters": len(parts), "seconds": merged.seconds}


register(Processor(
    "merge-m4b",
    "join the audio files in name order into one M4B with a chapter per file",
    run_merge,
    (
        Param("bitrate", str, default="128k", help="AAC bitrate when the files are re-encoded",
              unit="bitrate"),
        Param("title", str, help="the book's title (default: the album folder's name)"),
    ),
    sent=True,
))  # fmt: skip
