"""A pipeline file read and checked field by field: every problem found, one line each,
naming the file, the step and the key (never a traceback).

    name: phone
    description: FLAC albums to Opus for the phone
    input: ~/Music/flac
    output: ~/Music/phone
    archive: ~/Archive            # optional
    settings: {checkpoint_every: 50, continue_on_error: true, stall_timeout: 600}
    steps:
      - {name: to-opus, processor: convert, params: {codec: opus, bitrate: 128k}}
      - {name: loudness, processor: replaygain, params: {album: true}}
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from mediakeeper.core.bounded import PIPELINE_FILE, TooLarge, read_bounded
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.pipelines.steps import registry
from mediakeeper.pipelines.watchdog import DEFAULT_STALL

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TOP_KEYS = ("name", "description", "input", "output", "archive", "settings", "steps")
SETTINGS = {"checkpoint_every": (int, 1), "continue_on_error": (bool, None),
            "stall_timeout": (int, 1)}  # fmt: skip
STEP_KEYS = ("name", "processor", "params")


class PipelineInvalid(MediakeeperError):
    """A pipeline file with problems: ``problems`` holds one line each."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Step:
    name: str
    processor: str
    params: dict[str, Any]

    def fingerprint(self) -> str:
        return json.dumps([self.name, self.processor, self.params], sort_keys=True)


@dataclass(frozen=True)
class Pipeline:
    name: str
    description: str
    input: Path | None
    output: Path | None
    archive: Path | None
    steps: tuple[Step, ...]
    checkpoint_every: int = 50
    continue_on_error: bool = True
    stall_timeout: int = DEFAULT_STALL  # seconds a step may go without progress (watchdog)
    source: str = ""  # the file, or "built-in"
    file: str = ""  # the file's absolute path ("" built-in): a session records it to resume
    digest: str = ""  # the SHA-256 of the file's bytes as read, to see it changed since
    built_in: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return f"pipeline-{self.name}"

    def step_hashes(self) -> list[str]:
        """Step i's hash covers steps 1..i: a change to a step changes its hash and every
        later one's, so a resumed item redoes from the first changed step."""
        hashes, digest = [], hashlib.sha256()
        for step in self.steps:
            digest.update(step.fingerprint().encode())
            hashes.append(digest.copy().hexdigest()[:16])
        return hashes

    @property
    def hash(self) -> str:
        hashes = self.step_hashes()
        return hashes[-1] if hashes else ""


def load(path: Path, *, check_input: bool = True) -> Pipeline:
    """The pipeline in ``path``. PipelineInvalid with every problem found."""
    where = str(path)
    try:
        raw = read_bounded(path, PIPELINE_FILE, "pipeline file")
        text = raw.decode("utf-8")
    except TooLarge as err:
        raise PipelineInvalid([str(err)]) from None
    except OSError as err:
        raise PipelineInvalid([f"{where}: cannot read it: {err.strerror}"]) from None
    except UnicodeDecodeError:
        raise PipelineInvalid([f"{where}: not UTF-8 text"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        why = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise PipelineInvalid([f"{where}: {at}not valid YAML: {why}"]) from None
    found = parse(data, where, check_input=check_input)
    return replace(found, file=os.path.abspath(path), digest=hashlib.sha256(raw).hexdigest())


def parse(data: Any, where: str, *, check_input: bool = True) -> Pipeline:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise PipelineInvalid([f"{where}: must be a mapping of name, input, output, steps, ..."])
    for key in data:
        if key not in TOP_KEYS:
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(TOP_KEYS)})")
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        problems.append(
            f"{where}: name: must be lower-case letters, digits, '-' or '_', not {name!r}"
        )
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}: description: must be text")
    folders = {}
    for key in ("input", "output", "archive"):
        raw = data.get(key)
        if raw is None:
            if key != "archive":
                problems.append(f"{where}: {key}: missing (a folder)")
            folders[key] = None
            continue
        if not isinstance(raw, str) or not raw.strip():
            problems.append(f"{where}: {key}: must be a folder path, not {raw!r}")
            folders[key] = None
            continue
        folders[key] = Path(raw).expanduser()
    if check_input and folders.get("input") is not None and not folders["input"].is_dir():
        problems.append(f"{where}: input: the folder {folders['input']} does not exist")
    settings = data.get("settings") or {}
    values = {"checkpoint_every": 50, "continue_on_error": True, "stall_timeout": DEFAULT_STALL}
    if not isinstance(settings, dict):
        problems.append(f"{where}: settings: must be a mapping")
        settings = {}
    for key, value in settings.items():
        if key not in SETTINGS:
            problems.append(f"{where}: settings.{key}: unknown (known: {', '.join(SETTINGS)})")
            continue
        kind, least = SETTINGS[key]
        param = registry.Param(key, kind, minimum=least)
        if (why := param.problem(value)) is not None:
            problems.append(f"{where}: settings.{key}: {why}")
        else:
            values[key] = value
    steps = _steps(data.get("steps"), where, problems)
    if problems:
        raise PipelineInvalid(problems)
    return Pipeline(
        name=name,
        description=description,
        input=folders["input"],
        output=folders["output"],
        archive=folders["archive"],
        steps=tuple(steps),
        checkpoint_every=values["checkpoint_every"],
        continue_on_error=values["continue_on_error"],
        stall_timeout=values["stall_timeout"],
        source=where,
    )


def _steps(raw: Any, where: str, problems: list[str]) -> list[Step]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: steps: must be a list of at least one step")
        return []
    steps, seen = [], {}
    for number, entry in enumerate(raw, 1):
        label = f"{where}: step {number}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: must be a mapping of name, processor, params")
            continue
        name = entry.get("name")
        if isinstance(name, str) and name:
            label = f"{where}: step {number} ({name})"
            if name in seen:
                problems.append(f"{label}: name: {name!r} is used twice (step {seen[name]} too)")
            seen.setdefault(name, number)
        else:
            problems.append(f"{label}: name: missing (text that names the step)")
        for key in entry:
            if key not in STEP_KEYS:
                problems.append(f"{label}: unknown key {key!r} (known: {', '.join(STEP_KEYS)})")
        processor_name = entry.get("processor")
        params = entry.get("params") or {}
        if not isinstance(params, dict):
            problems.append(f"{label}: params: must be a mapping")
            params = {}
        processor = registry.get(processor_name) if isinstance(processor_name, str) else None
        if processor is None:
            close = registry.closest(processor_name) if isinstance(processor_name, str) else []
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            problems.append(
                f"{label}: processor: no processor {processor_name!r}{hint} "
                f"(known: {', '.join(registry.names())})"
            )
        else:
            problems += [f"{label}: params.{key}: {why}" for key, why in processor.problems(params)]
        if isinstance(name, str) and processor is not None:
            steps.append(Step(name, processor_name, processor.with_defaults(params)))
    return steps
