"""kill -9 at every stage boundary of each staged kind (conversions, audiobooks, pipelines):
the resumed item ends with the same bytes as an uninterrupted one, nothing lost (the
originals deleted only where asked, after their verified copies exist) and nothing left (no
working directory, no hidden partial copy).

The kill is real and exact: the job runs in a forked child, whose stage hook (``report_stage``,
what the runner listens to) sends SIGKILL to the child itself at the moment a stage begins:
everything before it is saved, nothing of it is done. "returned" kills the child after the
job returned its result and before any runner could record it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import uuid
from pathlib import Path

import pytest

from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.batch.stage_progress import reporting
from mediakeeper.conversions.job import ConversionJob
from mediakeeper.demo import sound as synth
from mediakeeper.fs.workdir import PARTIAL
from mediakeeper.media import ffmpeg
from mediakeeper.pipelines import catalog
from mediakeeper.pipelines.job import PipelineJob

EXE = ffmpeg.find()
RETURNED = "returned"


def killed_at(job, claim: dict, stage: str) -> None:
    """Run ``job`` on ``claim`` in a forked child killed with SIGKILL as ``stage`` begins."""

    def hook(reached: str) -> None:
        if reached == stage:
            os.kill(os.getpid(), signal.SIGKILL)

    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            with reporting(hook):
                job.process(claim)
            if stage == RETURNED:
                os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
        f"the job never reached {stage!r} (exit status {status})"
    )


def _tree(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in skip}  # fmt: skip


def _hidden(root: Path) -> list[str]:
    return [str(p) for p in root.rglob(f"{PARTIAL}*")] + [
        str(p) for p in root.rglob(".mediakeeper-replaced-*")
    ]


def _album(folder: Path) -> Path:
    for n in (1, 2):
        synth.tone(EXE, folder / f"0{n}.flac", 1.0, frequency=300 * n)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8 cover")
    return folder


def _claim(library: Path, folder: Path) -> dict:
    key = folder.relative_to(library).as_posix()
    return {"key": key, "name": key, "path": str(folder), "run_token": uuid.uuid4().hex}


def _outcome(root: Path) -> dict[str, dict[str, bytes]]:
    """What a person keeps: the library, the output, the archive (backups: their audio)."""
    return {
        "lib": _tree(root / "lib"),
        "out": _tree(root / "out"),
        # (a backup's folder is named after the second it was made in)
        "arc": {re.sub(r"_\d{8}_\d{6}/", "/", k): v
                for k, v in _tree(root / "arc", skip=("metadata.txt",)).items()},
    }


def _finished_clean(root: Path) -> None:
    assert not any((root / "home" / "working").rglob("state.json")), "a working dir is left"
    assert [p for p in (root / "home" / "working").glob("*/*")] == []
    assert _hidden(root) == []


# ---- the three kinds, each with its own boundaries ----------------------------------------


def _conversion(root: Path):
    _album(root / "lib" / "Artist" / "Album")
    job = ConversionJob(root / "home", "s", root / "out", archive=root / "arc",
                        delete_originals=True, threads=1)  # fmt: skip
    return job, _claim(root / "lib", root / "lib" / "Artist" / "Album")


def _audiobook(root: Path):
    book = root / "lib" / "Jane Doe - Tale"
    book.mkdir(parents=True)
    for n in (1, 2):
        ffmpeg.run(EXE, ["-f", "lavfi", "-i", f"sine=f={300 * n}:d=1", "-ac", "2", "-ar",
                         "44100", "-y", str(book / f"0{n}.mp3")])  # fmt: skip
    job = AudiobookJob(root / "home", "s", root / "out", backup=root / "arc")
    return job, _claim(root / "lib", book)


def _pipeline(root: Path):
    _album(root / "lib" / "Artist" / "Album")
    found = dataclasses.replace(catalog.built_in()["opus"], input=root / "lib",
                                output=root / "out")  # fmt: skip
    job = PipelineJob(root / "home", "s", found)
    return job, _claim(root / "lib", root / "lib" / "Artist" / "Album")


BOUNDARIES = {
    _conversion: ("converting", "archiving", "finalizing", "deleting_originals", "completed",
                  "cleaning", RETURNED),
    _audiobook: ("measure", "merge", "place", "completed", "cleaning", RETURNED),
    _pipeline: ("steps", "placing", "completed", "cleaning", RETURNED),
}
CASES = [(make, stage) for make, stages in BOUNDARIES.items() for stage in stages]


@pytest.mark.parametrize(("make", "stage"), CASES,
                         ids=[f"{m.__name__[1:]}-{s}" for m, s in CASES])  # fmt: skip
def test_a_kill_at_a_stage_boundary_resumes_to_the_same_bytes(tmp_path, make, stage):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    job, claim = make(reference)
    job.process(claim)
    want = _outcome(reference)

    job, claim = make(killed)  # the same originals, byte for byte (synthesis is exact)
    killed_at(job, claim, stage)
    result = job.process(claim)  # the same claim: the queue keeps its token across a kill
    assert result.details.get("output")
    assert _outcome(killed) == want
    _finished_clean(killed)
    _finished_clean(reference)
