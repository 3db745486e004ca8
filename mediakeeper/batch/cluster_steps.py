"""What a cluster's worker runs: the toolkit's pure processors, given their inputs as bytes.

A worker never sees a path of the coordinator's (the library, the data home, the output
tree): ``run_step`` writes the inputs it was sent into a temporary folder of its own, runs
the step there with the worker's own ffmpeg (``find``), and returns the output files' bytes
and the step's result. The folder is gone when it returns, whatever happened. What is sent
is a step (a function of the toolkit's, by name), its parameters and bytes, never a secret
(no setting travels but the parameters a step declares).

Imported by ``dask worker`` through ``--preload`` (``mediakeeper worker``): ``dask_setup``
finds the worker's ffmpeg once, so the first task does not pay for it and ``mediakeeper
cluster`` can say which one it runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mediakeeper import __version__
from mediakeeper.fs.write_errors import FULL, OutOfSpace, describe
from mediakeeper.media import ffmpeg

INPUTS, OUTPUTS = "in", "out"

# A step: (the worker's ffmpeg, the folder of the inputs sent, the empty folder its outputs
# go in, **its parameters) -> its result (JSON-able). Each kind keeps its own beside its
# processor (``media.convert.convert_sent``, ``media.merge_m4b.merge_sent``,
# ``pipelines.steps.registry.step_sent``); Dask sends it by its module and name, and the
# worker imports it from its own installation of the toolkit.
Step = Callable[..., dict[str, Any]]


def find() -> str:
    """This worker's ffmpeg: ``MEDIAKEEPER_FFMPEG_PATH`` (``mediakeeper worker`` passes its
    ``[ffmpeg] path`` on), else as any command finds it (PATH, then the bundled one)."""
    return ffmpeg.find(os.environ.get("MEDIAKEEPER_FFMPEG_PATH", ""))


def identity() -> dict[str, Any]:
    """What the coordinator compares before it sends anything: this worker's ffmpeg (its
    version line) and toolkit version."""
    return {"ffmpeg": ffmpeg.build(find()), "toolkit": __version__}


def run_step(step: Step, params: dict[str, Any], inputs: dict[str, bytes]) -> dict[str, Any]:
    """Run ``step`` on ``inputs`` (name -> bytes) in a temporary folder of this worker's;
    returns ``{"result", "outputs" (name -> bytes), "worker"}``. What the step raises (a
    damaged source, a failed encode) goes back to the coordinator as it is."""
    exe = find()
    worker = _this_worker()
    # Inside the Dask worker's own local directory, which Dask removes when the worker stops
    # and, were the worker killed, when the next one starts on the machine (a step's inputs
    # can be a whole book); outside a worker, the temporary folder.
    scratch = worker.local_directory if worker is not None else None
    address = str(worker.address) if worker is not None else "local"
    try:
        with tempfile.TemporaryDirectory(prefix="mediakeeper-step-", dir=scratch) as folder:
            here, there = Path(folder) / INPUTS, Path(folder) / OUTPUTS
            here.mkdir()
            there.mkdir()
            for name, data in inputs.items():
                (here / name).write_bytes(data)
            result = step(exe, here, there, **params)
            outputs = {p.name: p.read_bytes() for p in there.iterdir() if p.is_file()}
    except OutOfSpace as err:  # an encode whose volume filled (``convert.EncodeDiskFull``)
        if worker is None:
            raise
        raise WorkerOutOfSpace(address, str(err)) from None
    except OSError as err:  # the inputs, or the outputs read back
        if worker is None or err.errno not in FULL:
            raise
        # (a write's own error names no file: the scratch folder names the volume)
        raise WorkerOutOfSpace(address, describe(OSError(err.errno, err.strerror,
                                                         err.filename or scratch))) from None
    return {"result": result, "outputs": outputs, "worker": address}


class WorkerOutOfSpace(OutOfSpace):
    """A worker's own scratch volume full: the batch's failure (every next step sent there
    would meet it), said as the worker's, or the coordinator would be taken for the full
    machine and the mount point named for one of its own."""

    def __init__(self, worker: str, said: str):
        super().__init__(worker, said)  # (both in args: it pickles back to the coordinator)
        self.worker, self.said = worker, said

    def __str__(self) -> str:
        return (f"on the worker {self.worker}: {self.said} (its Dask local directory: "
                "mediakeeper worker ADDRESS -- --local-directory DIR puts it elsewhere)")


def _this_worker() -> Any:
    """The Dask worker running this step, or None (run here, or no ``distributed``)."""
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def dask_setup(worker: Any) -> None:
    """``dask worker --preload mediakeeper.batch.cluster_steps``: the toolkit loaded and its
    ffmpeg found before the first task."""
    ffmpeg.build(find())
