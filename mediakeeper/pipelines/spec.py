"""A pipeline file read and checked: every problem found, one line each, naming the file, the
step (number and name) and the key, never a traceback. pydantic models hold the file's shape
(its keys, settings and steps; an unknown key is a problem) and give each problem its place;
a step's params are checked by its processor's declared ``Param``s (``steps/registry.py``),
the one place a parameter is declared.

    name: phone
    description: FLAC albums to Opus for the phone
    input: ~/Music/flac
    output: ~/Music/phone
    archive: ~/Archive            # optional
    settings: {checkpoint_every: 50, continue_on_error: true, stall_timeout: 600,
               step_timeout: 21600}
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
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from mediakeeper.batch.staged import LayoutRefused, check_layout
from mediakeeper.core.bounded import PIPELINE_FILE, TooLarge, read_bounded
from mediakeeper.core.errors import MediakeeperError, said
from mediakeeper.pipelines import KIND_PREFIX
from mediakeeper.pipelines.steps import registry
from mediakeeper.pipelines.watchdog import DEFAULT_LIMIT, DEFAULT_STALL
from mediakeeper.text.visible import one_line

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class PipelineInvalid(MediakeeperError):
    """A pipeline file with problems: ``problems`` holds one line each."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        # A line names a file, a pipeline as given or a value the YAML holds: each control
        # in it shown as its escape, so it stays one line and sends nothing to the terminal.
        problems = [one_line(problem) for problem in problems]
        super().__init__("\n".join(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return self.problems


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
    step_timeout: int = DEFAULT_LIMIT  # seconds a step may run in all, however busy
    source: str = ""  # the file, or "built-in"
    file: str = ""  # the file's absolute path ("" built-in): a session records it to resume
    digest: str = ""  # the SHA-256 of the file's bytes as read, to see it changed since
    built_in: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return f"{KIND_PREFIX}{self.name}"

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


def load(path: Path, *, check_input: bool = True, places: bool = False) -> Pipeline:
    """The pipeline in ``path``. PipelineInvalid with every problem found (``places``: its
    output and archive overlapping its input among them, as ``validate`` says them)."""
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
    loader = yaml.SafeLoader(text)  # as yaml.safe_load, keeping the nodes: their lines
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except RecursionError:  # PyYAML composes nested lists and maps by recursion
        raise PipelineInvalid([f"{where}: not valid YAML: it nests too deep to be read"]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        why = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise PipelineInvalid([f"{where}: {at}not valid YAML: {why}"]) from None
    finally:
        loader.dispose()
    found = parse(data, where, check_input=check_input, node=node, places=places)
    return replace(found, file=os.path.abspath(path), digest=hashlib.sha256(raw).hexdigest())


def parse(
    data: Any, where: str, *, check_input: bool = True, node: yaml.Node | None = None,
    places: bool = False,
) -> Pipeline:
    """The pipeline ``data`` describes; ``node``, the YAML it was read from, gives each
    problem its line; ``places``: an output or archive overlapping the input is one too (a
    run checks its places once its flags are applied: ``catalog.check_places``)."""
    try:
        found = PipelineFile.model_validate(data, context={"check_input": check_input})
    except ValidationError as err:
        found, errors = None, err.errors()
    else:
        errors = []
    errors = _used_twice(data) + _archive_missing(data) + errors  # as the file says them
    if places:
        errors += _overlapping(data)
    if errors:
        raise PipelineInvalid(_lines(errors, data, where, node))
    settings = found.settings
    return Pipeline(
        name=found.name,
        description=found.description,
        input=found.input,
        output=found.output,
        archive=found.archive,
        steps=tuple(
            Step(s.name, s.processor, registry.get(s.processor).with_defaults(s.params))
            for s in found.steps
        ),
        checkpoint_every=settings.checkpoint_every,
        continue_on_error=settings.continue_on_error,
        stall_timeout=settings.stall_timeout,
        step_timeout=settings.step_timeout,
        source=where,
    )


def _refuse(why: str) -> PydanticCustomError:
    """A problem in our words; pydantic adds where it is."""
    return PydanticCustomError("pipeline", why)


def _checked_when_missing() -> Any:
    """A field whose validator runs when its key is missing too: missing and empty are one
    problem, said by the validator."""
    return Field(None, validate_default=True)


def _name(value: Any) -> str:
    if isinstance(value, str) and NAME.match(value):
        return value
    raise _refuse(f"must be lower-case letters, digits, '-' or '_', not {said(value)}")


def _folder(*, needed: bool = True, must_exist: bool = False) -> PlainValidator:
    """A folder path (``~`` expanded); ``must_exist`` when the run asks (validation context)."""

    def check(value: Any, info: ValidationInfo) -> Path | None:
        if value is None and not needed:
            return None
        if value is None:
            raise _refuse("missing (a folder)")
        if not isinstance(value, str) or not value.strip():
            raise _refuse(f"must be a folder path, not {said(value)}")
        folder = Path(value).expanduser()
        checked = must_exist and (info.context or {}).get("check_input")
        if checked and (why := folder_problem(folder)):
            raise _refuse(why)
        return folder

    return PlainValidator(check)


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be an input: it is not there, or is a file; None when it can."""
    if folder.is_dir():
        return None
    return f"{folder} is not a folder" if folder.exists() else f"the folder {folder} does not exist"


def _setting(kind: type, minimum: int | None = None) -> PlainValidator:
    """A setting checked as a processor's parameter is (``registry.Param``): one wording for
    every number."""
    param = registry.Param("setting", kind, minimum=minimum)

    def check(value: Any) -> Any:
        if (why := param.problem(value)) is not None:
            raise _refuse(why)
        return value

    return PlainValidator(check)


def _step_name(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    raise _refuse("missing (text that names the step)")


def _known_processor(value: Any) -> str:
    if isinstance(value, str) and registry.get(value) is not None:
        return value
    if value is None:  # as the other fields say it
        raise _refuse(f"missing (one of: {', '.join(registry.names())})")
    close = registry.closest(value) if isinstance(value, str) else []
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise _refuse(f"no processor {said(value)}{hint} (known: {', '.join(registry.names())})")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown key is a problem, named


class FileSettings(_Model):
    checkpoint_every: Annotated[int, _setting(int, minimum=1)] = 50
    continue_on_error: Annotated[bool, _setting(bool)] = True
    # seconds a step may go without progress (watchdog)
    stall_timeout: Annotated[int, _setting(int, minimum=1)] = DEFAULT_STALL
    # seconds a step may run in all, however busy (a loop that never ends shows no stall)
    step_timeout: Annotated[int, _setting(int, minimum=1)] = DEFAULT_LIMIT


class FileStep(_Model):
    name: Annotated[str, PlainValidator(_step_name)] = _checked_when_missing()
    processor: Annotated[str, PlainValidator(_known_processor)] = _checked_when_missing()
    params: Annotated[dict[Any, Any], BeforeValidator(lambda v: v or {})] = _checked_when_missing()

    @field_validator("params")
    @classmethod
    def _fit_the_processor(cls, params: dict, info: ValidationInfo) -> dict:
        """Checked against the processor's declared parameters (the registry), each problem
        at its key; not at all when the processor is unknown (its own problem)."""
        processor = registry.get(info.data.get("processor"))
        if problems := processor.problems(params) if processor else []:
            raise ValidationError.from_exception_data("params", [
                InitErrorDetails(type=_refuse(why), loc=(key,), input=params.get(key))
                for key, why in problems
            ])  # fmt: skip
        return params


class PipelineFile(_Model):
    name: Annotated[str, PlainValidator(_name)] = _checked_when_missing()
    description: StrictStr = ""
    input: Annotated[Path, _folder(must_exist=True)] = _checked_when_missing()
    output: Annotated[Path, _folder()] = _checked_when_missing()
    archive: Annotated[Path | None, _folder(needed=False)] = None
    settings: Annotated[FileSettings, BeforeValidator(lambda v: v or {})] = FileSettings()
    steps: list[FileStep] = Field(None, validate_default=True, min_length=1)


def _used_twice(data: Any) -> list[dict[str, Any]]:
    """Each step named as an earlier one, said as pydantic says a problem: a rule across
    steps, kept beside the models (whose checks across fields run only once all fit)."""
    first: dict[str, int] = {}
    found = []
    for number, entry in enumerate(_entries(data), 1):
        if (name := _given_name(entry)) in first:
            twice = f"{said(name)} is used twice (step {first[name]} too)"
            found.append({"type": "twice", "loc": ("steps", number - 1, "name"), "msg": twice})
        elif name:
            first[name] = number
    return found


def _archive_missing(data: Any) -> list[dict[str, Any]]:
    """Each step whose processor writes into the archive, in a pipeline that names none: a
    rule across keys, refused here rather than at that step of every album, mid-run."""
    if not isinstance(data, dict) or data.get("archive") is not None:
        return []
    found = []
    for number, entry in enumerate(_entries(data)):
        name = entry.get("processor") if isinstance(entry, dict) else None
        processor = registry.get(name) if isinstance(name, str) else None
        if processor is not None and processor.needs_archive:
            why = (f"{name} writes the album into the pipeline's archive: set `archive:` (a "
                   "folder) in the pipeline")  # fmt: skip
            found.append({"type": "archive", "loc": ("steps", number, "processor"), "msg": why})
    return found


def _overlapping(data: Any) -> list[dict[str, Any]]:
    """Each of the output and the archive that lies in the input or holds it, as a batch
    refuses them (``staged.check_layout``): a rule across keys, said at its own key."""
    given = data.get("input") if isinstance(data, dict) else None
    if not isinstance(given, str) or not given.strip():
        return []
    found = []
    for key in ("output", "archive"):
        if isinstance(place := data.get(key), str) and place.strip():
            try:
                check_layout([("input", Path(given).expanduser())],
                             [(key, Path(place).expanduser())])  # fmt: skip
            except LayoutRefused as err:
                found.append({"type": "places", "loc": (key,), "msg": str(err)})
    return found


def _entries(data: Any) -> list[Any]:
    steps = data.get("steps") if isinstance(data, dict) else None
    return steps if isinstance(steps, list) else []


def _given_name(entry: Any) -> str | None:
    name = entry.get("name") if isinstance(entry, dict) else None
    return name if isinstance(name, str) and name else None


def _lines(errors: list[Any], data: Any, where: str, node: yaml.Node | None) -> list[str]:
    """One line per problem, in the file's order: the file, the line in it (where the YAML
    is known), the step (number and name), the key, what is wrong."""

    def step_index(error: Any) -> int:
        loc = error["loc"]
        return loc[1] if loc[:1] == ("steps",) and len(loc) > 1 else -1

    def line(error: Any) -> int:
        return _line_of(node, error["loc"]) if node is not None else 0

    lines = []
    for error in sorted(errors, key=lambda e: (line(e), step_index(e))):
        at = [f"line {line(error)}"] if node is not None else []
        place, loc, owner = [where, *at], list(error["loc"]), PipelineFile
        if (index := step_index(error)) >= 0:
            name = _given_name(_entries(data)[index])
            place.append(f"step {index + 1}" + (f" ({name})" if name else ""))
            loc, owner = loc[2:], FileStep
        inside = loc[:1] == ["settings"] and len(loc) > 1  # a key within the settings
        loc, what = _said(error, loc, FileSettings if inside else owner)
        lines.append(": ".join([*place, *([".".join(map(str, loc))] if loc else []), what]))
    return lines


def _line_of(node: yaml.Node, loc: tuple[Any, ...]) -> int:
    """The line (from 1) of the YAML that a problem at ``loc`` (pydantic's: keys and step
    indexes) is about: its key's line, or the item's; for a key that is missing, the line of
    the mapping that misses it."""
    at = node.start_mark.line
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next((pair for pair in node.value
                         if isinstance(pair[0], yaml.ScalarNode) and pair[0].value == str(key)),
                        None)  # fmt: skip
            if pair is None:
                break
            at, node = pair[0].start_mark.line, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            at = node.start_mark.line
        else:
            break
    return at + 1


# pydantic's own problems (the rest are ours, said in the validators), in our words
_WORDS = {"string_type": "must be text", "dict_type": "must be a mapping",
          "list_type": "must be a list of at least one step",
          "too_short": "must be a list of at least one step"}  # fmt: skip


def _said(error: Any, loc: list, owner: type[BaseModel]) -> tuple[list, str]:
    """Where and what: an unknown key is said at its owner's place, with the keys it knows."""
    kind, keys = error["type"], ", ".join(owner.model_fields)
    if kind in ("extra_forbidden", "invalid_key"):  # invalid_key: a key that is not text
        return loc[:-1], f"unknown key {said(loc[-1])} (known: {keys})"
    if kind == "model_type":
        return loc, f"must be a mapping of {keys}"
    return loc, _WORDS.get(kind, error["msg"])
