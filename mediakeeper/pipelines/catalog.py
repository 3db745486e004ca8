"""Which pipelines there are: the conversion profiles as built-in ones (one ``convert``
step), and the person's own in ``<data home>/pipelines/*.yaml`` or given by path. Also the
queue kind a pipeline's albums become (``pipeline-<name>``), registered at run time, the
settings of a run, what a dry run shows, and what a session records of its file to be
resumed from anywhere."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

from mediakeeper.batch.staged import check_layout
from mediakeeper.core import kinds
from mediakeeper.core.config import Settings, load_settings
from mediakeeper.core.errors import NotFound
from mediakeeper.media.albums import album_files, find
from mediakeeper.media.convert import PROFILES
from mediakeeper.pipelines import DIGEST, FILE
from mediakeeper.pipelines.spec import Pipeline, PipelineInvalid, Step, load
from mediakeeper.pipelines.steps import registry
from mediakeeper.text.commands import tool_argv, tool_command
from mediakeeper.text.visible import one_line, shell_join, shell_word
from mediakeeper.text.wording import count


def built_in() -> dict[str, Pipeline]:
    return {
        name: Pipeline(
            name=name,
            description=f"the {name} conversion profile",
            input=None,
            output=None,
            archive=None,
            steps=(Step("convert", "convert", {"codec": name}),),
            source="built-in",
            built_in=True,
        )
        for name in PROFILES
    }


def user_files(home: Path) -> list[Path]:
    folder = home / "pipelines"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def resolve(home: Path, given: str, *, check_input: bool = True,
            places: bool = False) -> Pipeline:  # fmt: skip
    """A path to a file, a user pipeline's name, or a built-in's (``places``: ``load``'s)."""
    path = Path(given).expanduser()
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load(path, check_input=check_input, places=places)
    own = home / "pipelines" / f"{given}.yaml"
    if own.is_file():
        return load(own, check_input=check_input, places=places)
    if given in built_in():
        return built_in()[given]
    raise PipelineInvalid([f"{given}: no pipeline file or pipeline of that name (see `list`)"])


def register_kind(pipeline: Pipeline) -> kinds.Kind:
    kind = kinds.Kind(
        name=pipeline.kind,
        noun="album",
        label="Album",
        report_template="",
        find=find,
        extra_counters=(kinds.TRACKS,),
        runs_as=partial(run_command, pipeline),  # it has no queue manager
    )
    kinds.register(kind)
    return kind


def run_command(pipeline: Pipeline, home: Path | str, input_: Path | str | None) -> str:
    """The ``pipeline run`` of ``pipeline`` on the folder ``input_`` (None: its own input, where
    a damaged queue no longer says its folder), to paste from anywhere: its file by absolute
    path (a built-in's name), its folders given, absolute."""
    output = ["--output", os.path.abspath(pipeline.output)] if pipeline.output else []
    if input_ is None:
        input_ = os.path.abspath(pipeline.input) if pipeline.input else "PATH"
    return shell_join([*tool_argv("pipeline", home), "run", pipeline.file or pipeline.name,
                       "--input", str(input_), *output])  # fmt: skip


def settings_for(home: str | None, pipeline: Pipeline) -> Settings:
    """The run's settings: the data home's, with a section for the pipeline's kind (the file
    holds what mediakeeper.toml holds for a kind: its library and checkpoints)."""
    register_kind(pipeline)
    settings = load_settings(home)
    settings.values[pipeline.kind] = {
        **kinds.COMMON_SETTINGS,
        "library": str(pipeline.input),
        "checkpoint_every": pipeline.checkpoint_every,
    }
    settings.origins[pipeline.kind] = {"library": pipeline.source}
    return settings


def _as_written(value: object) -> str:
    """A parameter's value as its YAML writes it (``true``, not Python's ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def plan_lines(pipeline: Pipeline, albums: list[tuple[str, Path]]) -> list[str]:
    """What a dry run prints: the steps, the albums it would take (each its key and its
    folder), the space each needs. Reads only."""
    # Folders and album names on terminal lines: each control as its escape (``one_line``).
    archive = f", archive {one_line(str(pipeline.archive))}" if pipeline.archive else ""
    folders = f"{one_line(str(pipeline.input))} -> {one_line(str(pipeline.output))}{archive}"
    lines = [f"Pipeline {pipeline.name} ({one_line(pipeline.source)}): {folders}"]
    for number, step in enumerate(pipeline.steps, 1):
        processor = registry.get(step.processor)
        params = ", ".join(f"{k}: {_as_written(v)}" for k, v in step.params.items())
        what = processor.summary if processor else "?"
        lines.append(f"Step {number}: {step.name} ({step.processor}) {params} - {what}")
    total = 0
    for key, album in albums:
        files = album_files(album)
        size = sum(p.stat().st_size for p in files)
        need = size  # the verified copy in the working directory
        current = files
        for step in pipeline.steps:
            processor = registry.get(step.processor)
            out = processor.needs(current, step.params) if processor else size
            need += out
        total += need
        lines.append(f"  {one_line(key)}: {count(len(files), 'file')}, needs about "
                     f"{need / 2**20:.1f} MB")  # fmt: skip
    lines.append(f"{count(len(albums), 'album')} would be taken; about {total / 2**20:.1f} MB "
                 "of space needed at most; nothing was written")  # fmt: skip
    return lines


def recorded(pipeline: Pipeline) -> dict[str, str]:
    """What a session of ``pipeline`` records to be resumed from anywhere: the file's
    absolute path and the hash of its bytes (nothing for a built-in)."""
    return {FILE: pipeline.file, DIGEST: pipeline.digest} if pipeline.file else {}


def recorded_file(home: Path, session: str, settings: dict[str, Any]) -> Pipeline:
    """The pipeline a session ran, from the file it recorded, as it was then: NotFound (one
    line, exit 1) when the file is gone, unusable, or changed since (its hash differs)."""
    path = Path(settings[FILE])
    if not path.is_file():
        raise NotFound(f"session {session} ran the pipeline file {path}, which is no "
                       "longer there: it cannot be resumed")  # fmt: skip
    try:
        found = load(path, check_input=False)
    except PipelineInvalid as err:
        raise NotFound(f"session {session} ran the pipeline file {path}, which cannot "
                       f"be used now: {err.problems[0]}") from None  # fmt: skip
    if found.digest != settings.get(DIGEST):
        raise NotFound(f"session {session} ran the pipeline file {path}, which has changed "
                       "since (its content hash differs): to resume it as it is now, run "
                       f"`{tool_command('pipeline')} run {shell_word(str(path))} --home "
                       f"{shell_word(str(home))} --resume-session {session}`")  # fmt: skip
    return found


def describe(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "name": pipeline.name,
        "source": pipeline.source,
        "description": pipeline.description,
        "steps": [f"{s.name} ({s.processor})" for s in pipeline.steps],
    }


def check_places(found: Pipeline) -> None:
    """Its output and archive apart from its input, as every staged batch's must be (a
    LayoutRefused otherwise): ``run`` refuses before anything, ``validate`` says it too."""
    if found.input is not None:
        check_layout([("input", found.input)],
                     [("output", found.output), ("archive", found.archive)])  # fmt: skip


