"""One album folder through a pipeline's steps, in its working directory.

``<working>/<kind>/<slug>/`` holds ``_source`` (the album copied and verified), one folder per
finished step (``1-to-opus``, ``2-loudness``: step N reads step N-1's folder) and
``state.json``: for each finished step, the hash of the pipeline's steps up to it and what it
returned. A step writes into ``<n>-<name>.partial`` and that folder is renamed when the step
has ended, so a kill at any instant leaves finished steps whole and the next run starts again
at the step that was running. A step that fails stops the album there (its error names the
step) and keeps the steps before it; a pipeline file changed since redoes the album from its
first changed step (said so). The last step's folder reaches ``<output>/<album path>``
through the shared stage machine (``mediakeeper.batch.staged``: ``preparing``, ``steps``,
``placing``, then ``completed`` and ``cleaning``), as the conversions kind places albums.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mediakeeper.batch.job import ItemFailure, ItemResult, out_of_space
from mediakeeper.batch.stage_progress import report_stage
from mediakeeper.batch.staged import Attempt, Stage, StagedJob, album_target, copied_originals
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.fs.atomic import atomic_write_bytes
from mediakeeper.media import ffmpeg
from mediakeeper.media.albums import is_audio
from mediakeeper.media.convert import ConvertFailed
from mediakeeper.pipelines.spec import Pipeline
from mediakeeper.pipelines.steps import registry
from mediakeeper.pipelines.watchdog import run_watched
from mediakeeper.text.slug import slugify

if TYPE_CHECKING:  # the cluster's module is loaded only where a run sends (plan.cluster_target)
    from mediakeeper.batch.cluster import Target

SOURCE, PARTIAL_STEP = "_source", ".partial"
PREPARING, STEPS, PLACING = "preparing", "steps", "placing"


@dataclass
class PipelineJob(StagedJob):
    home: Path
    session: str
    pipeline: Pipeline
    working: Path | None = None  # None: <home>/working/<kind>
    ffmpeg_path: str = ""
    threads: int = 1
    cluster: Target | None = None  # its ``sent`` processors run on a cluster's workers
    # A completed album runs again only once its input changed since (the run's refresh):
    # its own earlier output is then replaced, as a conversion's --overwrite does (a file it
    # did not place never is), so the output follows the input.
    overwrite: bool = True

    noun: ClassVar[str] = "album"
    first: ClassVar[str] = PREPARING
    copied_stages: ClassVar[frozenset[str]] = frozenset({STEPS})
    failures: ClassVar[tuple[type[Exception], ...]] = (ConvertFailed,)

    @property
    def kind(self) -> str:
        return self.pipeline.kind

    def target(self, root: Path, item: dict[str, Any]) -> Path:
        return album_target(root, item)

    def stages(self) -> dict[str, Stage]:
        return {PREPARING: self._prepare, STEPS: self._steps, PLACING: self._place}

    def places(self) -> list[tuple[str, Path | None]]:
        return [("output", self.pipeline.output), ("archive", self.pipeline.archive)]

    def message(self, err: BaseException, stage: str = "") -> str:
        said = super().message(err, stage)
        return f"{stage}: {said}" if stage else said

    def adjust(self, a: Attempt) -> None:
        """A pipeline changed since the album's steps ran, its placing not begun: its steps
        run again from the first changed one."""
        placing = a.state.get("stage") == PLACING and not a.state.get("placing_output")
        hashes = self.pipeline.step_hashes()
        if placing and _first_to_run(a.state, hashes) < len(hashes):
            a.save(STEPS)

    # ---- the stages ------------------------------------------------------------------

    def _prepare(self, a: Attempt) -> str:
        originals = self._source(a.item, a.wd)
        return a.save(STEPS, key=a.item["key"], pipeline=self.pipeline.hash, steps=[],
                      **({"originals": originals} if originals is not None else {}))

    def _steps(self, a: Attempt) -> str:
        wd, steps, hashes = a.wd, self.pipeline.steps, self.pipeline.step_hashes()
        first = _first_to_run(a.state, hashes)
        while first > 0 and not _step_dir(wd, first - 1, steps[first - 1].name).is_dir():
            first -= 1  # the input of the step to run is gone (emptied by hand): made again
        notes = list(a.state.get("notes", []))
        if a.state.get("pipeline") != self.pipeline.hash and first < len(steps):
            notes.append(f"{a.item['name']}: the pipeline {self.pipeline.name} changed since "
                         f"this album was started: redone from step {first + 1} "
                         f"({steps[first].name})")  # fmt: skip
        done = a.state.get("steps", [])[:first]
        a.save(STEPS, pipeline=self.pipeline.hash, steps=done, notes=notes)
        if (originals := self._source(a.item, wd)) is not None:
            a.save(STEPS, originals=originals)
        exe = ffmpeg.find(self.ffmpeg_path)
        for index in range(first, len(steps)):
            report_stage(f"step {index + 1} ({steps[index].name})")
            try:
                result = self._run(exe, a.item, wd, index)
            except Exception as err:  # the step names the failure, as the pipeline does
                if isinstance(err, ItemFailure) and err.stop:  # the batch's: a cluster's
                    raise  # scheduler lost, or no worker left; the item goes back untouched
                if (full := out_of_space(err)) is not None:  # the batch's, not the album's
                    raise full from None
                label = ", ".join(filter(None, [steps[index].name,
                                                registry.plugin_label(steps[index].processor)]))
                raise ItemFailure(f"failed_{steps[index].name}", f"step {index + 1} "
                                  f"({label}): {self.message(err)}") from None  # fmt: skip
            done = [*done, {"hash": hashes[index], "result": result}]
            a.save(STEPS, steps=done)
        return a.save(PLACING)

    def _place(self, a: Attempt) -> str:
        steps = self.pipeline.steps
        last = _step_dir(a.wd, len(steps) - 1, steps[-1].name)
        target = self.target(self.pipeline.output, a.item)
        self.place(a, last, target, "output", move=True)
        a.save(PLACING, placed=str(target))
        return a.save(self.after_placing(a))

    def finish(self, a: Attempt) -> ItemResult:
        steps, target = self.pipeline.steps, a.state["placed"]
        tracks = sum(1 for f in a.state["placing_output"]["files"] if is_audio(f))
        # Where a copy step archived it too: an undo of the session names both as made.
        archived = ({"archive": str(self.target(self.pipeline.archive, a.item))}
                    if self.pipeline.archive and any(s.processor == "copy" for s in steps)
                    else {})  # fmt: skip
        return ItemResult(
            counts={"track_count": tracks},
            details={"pipeline": self.pipeline.name, "pipeline_hash": self.pipeline.hash,
                     "output": target, "steps": [s.name for s in steps], **archived},
            summary=f"{len(steps)} steps, {tracks} tracks -> {target}",
            notices=a.state.get("notes", []),
        )  # fmt: skip

    def _source(self, item: dict[str, Any], wd: Path) -> dict[str, list[int]] | None:
        """The album copied into ``_source``, verified, unless there already: each
        original's identity as copied (``staged.copied_originals``), or None."""
        source = wd / SOURCE
        if source.is_dir():
            return None
        album = Path(item["path"])
        if not album.is_dir():
            raise MediakeeperError(f"the album folder {album} is gone")
        staged = wd / (SOURCE + PARTIAL_STEP)
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        originals = copied_originals(album, staged)
        os.rename(staged, source)
        return originals

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
        context = registry.Context(exe, archive, self.threads, item["name"],
                                   placed=self._record_path(item))  # fmt: skip
        try:  # in a child process, stopped if it stalls (mediakeeper.pipelines.watchdog)
            if self.cluster and processor.sent:  # or on a cluster's worker (its own watch)
                result = self._sent(exe, step, inputs, partial, item)
            else:
                result = run_watched(lambda: processor.run(context, inputs, partial,
                                                           step.params),
                                     partial, self.pipeline.stall_timeout, self.message,
                                     self.pipeline.step_timeout)  # fmt: skip
            _made_something(inputs, partial)
        except BaseException:  # nothing half made stays; the steps before are kept
            shutil.rmtree(partial, ignore_errors=True)
            raise
        os.rename(partial, done)
        return result


    def _sent(self, exe: str, step, inputs: Path, out: Path, item: dict[str, Any]
              ) -> dict[str, Any]:  # fmt: skip
        """A step run on a cluster's worker: the input folder's files sent as bytes, the
        outputs sent back written into ``out`` and each audio one decoded whole here before
        the step counts as done (its folder renamed)."""
        files = {p.name: p.read_bytes() for p in sorted(inputs.iterdir()) if p.is_file()}
        params = {"processor": step.processor, "params": dict(step.params), "name": item["name"],
                  "stall": self.pipeline.stall_timeout, "limit": self.pipeline.step_timeout}
        sent = self.cluster.call(registry.step_sent, params, files)
        for name, data in sent["outputs"].items():
            atomic_write_bytes(out / name, data, durable=False)  # (the folder is renamed)
            if is_audio(name):
                ffmpeg.decoded_length(exe, out / name)  # FFmpegFailed: the step fails
        return sent["result"]


def _made_something(inputs: Path, out: Path) -> None:
    """A step given files that made none (neither wrote nor passed any on) fails: its album
    would be placed as an empty folder, said completed."""
    if not any(out.iterdir()) and (given := registry.input_files(inputs)):
        raise MediakeeperError(f"it made no file of the album's {len(given)}: a step writes "
                               "its outputs and passes on the files it does not handle "
                               "(registry.pass_through)")  # fmt: skip


def _step_dir(wd: Path, index: int, name: str) -> Path:
    return wd / f"{index + 1}-{slugify(name)}"


def _first_to_run(state: dict[str, Any], hashes: list[str]) -> int:
    """The first step whose result is missing or was made by a different pipeline."""
    done = state.get("steps") or []
    for index, expected in enumerate(hashes):
        if index >= len(done) or done[index].get("hash") != expected:
            return index
    return len(hashes)

