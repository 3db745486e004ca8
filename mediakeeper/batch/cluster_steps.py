"""What a cluster's worker runs: the toolkit's pure processors, given their inputs as bytes.

A worker never sees a path of the coordinator's (the library, the data home, the output
tree): ``run_step`` writes the inputs it was sent into a temporary folder of its own, runs
the named step there with the worker's own ffmpeg (``find``), and returns the output files'
bytes and the step's result. The folder is gone when it returns, whatever happened. Only
the steps named in ``STEPS`` run: what is sent is a step's name, its parameters and bytes,
never a secret (no setting travels but the parameters a step declares).

Imported by ``dask worker`` through ``--preload`` (``mediakeeper worker``): ``dask_setup``
finds the worker's ffmpeg once, so the first task does not pay for it and ``mediakeeper
cluster`` can say which one it runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mediakeeper import __version__
from mediakeeper.media import ffmpeg

INPUTS, OUTPUTS = "in", "out"


def _convert(exe: str, inputs: Path, outputs: Path, *, source: str, output: str,
             profile: str) -> dict[str, Any]:  # fmt: skip
    """The ``convert`` processor: one track encoded, verified and tagged (``media.convert``)."""
    from mediakeeper.media.convert import PROFILES, convert

    return asdict(convert(exe, inputs / source, outputs / output, PROFILES[profile]))


def _merge_m4b(exe: str, inputs: Path, outputs: Path, *, chapters: list[dict[str, Any]],
               output: str, audio: dict[str, Any], title: str,
               limits: tuple[float, float, float]) -> dict[str, Any]:  # fmt: skip
    """The ``merge-m4b`` processor: a book's files (``chapters``: each ``Input`` with the
    name it was sent under as its path) joined into one M4B, verified as it is made."""
    from mediakeeper.media import merge_m4b

    files = [merge_m4b.Input(**{**c, "path": os.fspath(inputs / c["path"])}) for c in chapters]
    links = inputs.parent / "links"
    links.mkdir()
    merged = merge_m4b.merge(exe, files, outputs / output, links, merge_m4b.Audio(**audio),
                             title, merge_m4b.Watch(*limits))  # fmt: skip
    return asdict(merged)


STEPS: dict[str, Callable[..., dict[str, Any]]] = {"convert": _convert, "merge-m4b": _merge_m4b}


def find() -> str:
    """This worker's ffmpeg: ``MEDIAKEEPER_FFMPEG_PATH`` (``mediakeeper worker`` passes its
    ``[ffmpeg] path`` on), else as any command finds it (PATH, then the bundled one)."""
    return ffmpeg.find(os.environ.get("MEDIAKEEPER_FFMPEG_PATH", ""))


def identity() -> dict[str, Any]:
    """What the coordinator compares before it sends anything: this worker's ffmpeg (its
    version line) and toolkit version."""
    return {"ffmpeg": ffmpeg.build(find()), "toolkit": __version__}


def run_step(step: str, params: dict[str, Any], inputs: dict[str, bytes]) -> dict[str, Any]:
    """Run ``step`` on ``inputs`` (name -> bytes) in a temporary folder of this worker's;
    returns ``{"result", "outputs" (name -> bytes), "worker"}``. What the step raises (a
    damaged source, a failed encode) goes back to the coordinator as it is."""
    exe = find()
    with tempfile.TemporaryDirectory(prefix="mediakeeper-step-") as folder:
        here, there = Path(folder) / INPUTS, Path(folder) / OUTPUTS
        here.mkdir()
        there.mkdir()
        for name, data in inputs.items():
            (here / name).write_bytes(data)
        result = STEPS[step](exe, here, there, **params)
        outputs = {p.name: p.read_bytes() for p in there.iterdir() if p.is_file()}
    return {"result": result, "outputs": outputs, "worker": _worker_address()}


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def dask_setup(worker: Any) -> None:
    """``dask worker --preload mediakeeper.batch.cluster_steps``: the toolkit loaded and its
    ffmpeg found before the first task."""
    ffmpeg.build(find())
