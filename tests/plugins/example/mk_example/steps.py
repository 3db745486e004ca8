"""The ``downmix`` pipeline step: each audio file re-encoded (same format) with fewer channels;
every other file passed on as it is."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.pipelines.steps.registry import (
    Context,
    Param,
    Processor,
    input_files,
    pass_through,
)

AUDIO = {".flac", ".mp3", ".ogg", ".opus", ".m4a", ".wav"}


def _is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO


def run(context: Context, inputs: Path, out: Path, params: Mapping[str, Any]) -> dict[str, Any]:
    done = []
    for source in filter(_is_audio, input_files(inputs)):
        target = out / source.name
        partial = out / f".{source.stem}.partial{source.suffix}"  # renamed once whole
        result = subprocess.run(
            [context.ffmpeg, "-nostdin", "-v", "error", "-i", os.fspath(source),
             "-map", "0:a", "-map_metadata", "0", "-ac", str(params["channels"]),
             "-y", os.fspath(partial)],
            capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise RuntimeError(f"{source.name}: ffmpeg failed: {last}")
        os.replace(partial, target)
        done.append(source.name)
    kept = pass_through(inputs, out, _is_audio)
    return {"downmixed": done, "kept": kept}


DOWNMIX = Processor(
    "downmix",
    "re-encode each audio file with fewer channels (mono by default)",
    run,
    (Param("channels", int, default=1, minimum=1, maximum=2, help="channels to keep"),),
)
