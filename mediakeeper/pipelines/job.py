"""One album folder through a pipeline's steps, in its working directory.

``<working>/<kind>/<slug>/`` holds ``_source`` (the album copied and verified), one folder per
finished step (``1-to-opus``, ``2-loudness``: step N reads step N-1's folder) and
``state.json``: for each finished step, the hash of the pipeline's steps up to it and what it
returned. A step writes into ``<n>-<name>.partial`` and that folder is renamed when the step
has ended, so a kill at any instant leaves finished steps whole and the next run starts again
at the step that was running. A step that fails stops the album there (its error names the
step) and keeps the steps before it; a pipeline file changed since redoes the album from its
first changed step (said so). The last step's folder reaches ``<output>/<album path>`` whole
(``workdir.place_folder``), as the conversions kind places albums.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.batch.job import ItemFailure, ItemResult
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.workdir import PlaceTaken, copy_verified, place_folder
from mediakeeper.media import ffmpeg
from mediakeeper.media.albums import album_files
from mediakeeper.media.convert import ConvertFailed, is_audio
from mediakeeper.pipelines.spec import Pipeline
from mediakeeper.pipelines.steps import registry
from mediakeeper.text.slug import inside, slugify

SOURCE, STATE, PARTIAL_STEP = "_source", "state.json", ".partial"


@dataclass
class PipelineJob:
    home: Path
    session: str
    pipeline: Pipeline
    working: Path | None = None  # None: <home>/working/<kind>
    ffmpeg_path: str = ""
    threads: int = 1

    @property
    def working_root(self) -> Path:
        return self.working or self.home / "working" / self.pipeline.kind

    def workdir(self, item: dict[str, Any]) -> Path:
        return inside(self.working_root, slugify(item["key"]))

    def target(self, root: Path, item: dict[str, Any]) -> Path:
        parts = Path(item["key"]).parts or (Path(item["path"]).name,)
        return inside(root, *parts)

    def process(self, item: dict[str, Any]) -> ItemResult:
        wd = self.workdir(item)
        state = _load(wd)
        notices: list[str] = []
        steps, hashes = self.pipeline.steps, self.pipeline.step_hashes()
        first = _first_to_run(wd, state, hashes)
        while first > 0 and not _step_dir(wd, first - 1, steps[first - 1].name).is_dir():
            first -= 1  # the input of the step to run is gone (emptied by hand): made again
        if state.get("pipeline") and state["pipeline"] != self.pipeline.hash and first < len(steps):
            notices.append(
                f"{item['name']}: the pipeline {self.pipeline.name} changed since this album "
                f"was started: redone from step {first + 1} ({steps[first].name})"
            )
        state = {"key": item["key"], "pipeline": self.pipeline.hash,
                 "steps": state.get("steps", [])[:first]}  # fmt: skip
        label = "preparing"
        try:
            self._source(item, wd)
            exe = ffmpeg.find(self.ffmpeg_path)
            for index in range(first, len(steps)):
                step = steps[index]
                label = f"step {index + 1} ({step.name})"
                state["steps"].append({"hash": hashes[index], "result": self._run(
                    exe, item, wd, index)})  # fmt: skip
                atomic_write_text(wd / STATE, json.dumps(state, ensure_ascii=False))
            label = "placing"
            last = _step_dir(wd, len(steps) - 1, steps[-1].name)
            files = sorted(p.name for p in last.iterdir())
            target = self.target(self.pipeline.output, item)
            place_folder(last, target, move=True, overwrite=False)
        except Exception as err:
            stage = "failed_" + (steps[index].name if label.startswith("step") else label)
            raise ItemFailure(stage, f"{label}: {_message(err)}") from None
        shutil.rmtree(wd, ignore_errors=True)
        tracks = sum(1 for f in files if is_audio(f))
        return ItemResult(
            counts={"track_count": tracks},
            details={"pipeline": self.pipeline.name, "pipeline_hash": self.pipeline.hash,
                     "output": str(target), "steps": [s.name for s in steps]},
            summary=f"{len(steps)} steps, {tracks} tracks -> {target}",
            notices=notices,
        )

    def _source(self, item: dict[str, Any], wd: Path) -> None:
        source = wd / SOURCE
        if source.is_dir():
            return
        album = Path(item["path"])
        if not album.is_dir():
            raise MediakeeperError(f"the album folder {album} is gone")
        staged = wd / (SOURCE + PARTIAL_STEP)
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        for path in album_files(album):
            copy_verified(path, staged / path.name)
        os.rename(staged, source)

    def _run(self, exe: str, item: dict[str, Any], wd: Path, index: int) -> dict[str, Any]:
        step = self.pipeline.steps[index]
        processor = registry.get(step.processor)
        if processor is None:
            raise MediakeeperError(f"no processor {step.processor!r} in this version")
        inputs = wd / SOURCE if index == 0 else _step_dir(wd, index - 1, self.pipeline.steps[
            index - 1].name)  # fmt: skip
        done = _step_dir(wd, index, step.name)
        for later in wd.iterdir():  # this step's and every later step's earlier results
            if later.name[:1].isdigit():
                number = int(later.name.split("-", 1)[0])
                if number > index:
                    shutil.rmtree(later)
        partial = done.with_name(done.name + PARTIAL_STEP)
        partial.mkdir()
        archive = self.target(self.pipeline.archive, item) if self.pipeline.archive else None
        context = registry.Context(exe, archive, self.threads, item["name"])
        try:
            result = processor.run(context, inputs, partial, step.params)
        except BaseException:  # nothing half made stays; the steps before are kept
            shutil.rmtree(partial, ignore_errors=True)
            raise
        os.rename(partial, done)
        return result


def _step_dir(wd: Path, index: int, name: str) -> Path:
    return wd / f"{index + 1}-{slugify(name)}"


def _load(wd: Path) -> dict[str, Any]:
    try:
        state = json.loads((wd / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _first_to_run(wd: Path, state: dict[str, Any], hashes: list[str]) -> int:
    """The first step whose result is missing or was made by a different pipeline."""
    done = state.get("steps") or []
    for index, expected in enumerate(hashes):
        if index >= len(done) or done[index].get("hash") != expected:
            return index
    return len(hashes)


def _message(err: BaseException) -> str:
    if isinstance(err, ConvertFailed):
        return err.message
    if isinstance(err, PlaceTaken):
        return f"{err}; it is never replaced silently: move it aside and run again"
    if isinstance(err, OSError) and err.filename:
        return f"{err.strerror or err}: {err.filename}"
    if isinstance(err, MediakeeperError | OSError):
        return str(err)
    return f"{type(err).__name__}: {err}"
