"""Processors by name, for pipelines: each declares its parameters (type, required, range or
choices) so a pipeline file is checked field by field before anything runs, and one function
that turns a folder of input files into a folder of output files.

A step function is pure: ``run(context, inputs, out, params)`` reads the files directly in
``inputs``, writes its outputs into the empty folder ``out`` (files it does not handle are
passed through by ``pass_through``) and returns a JSON-able result. It never touches a queue,
a session or a journal. Adding one: see docs/architecture.md, "Add a processor"; another
installed package adds one through a ``mediakeeper.processors`` entry point naming its
``Processor`` (docs/plugins.md), loaded with the built-ins, once.
"""

from __future__ import annotations

import difflib
import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediakeeper.core import plugins
from mediakeeper.core.errors import said
from mediakeeper.core.units import bitrate_problem
from mediakeeper.fs.workdir import copy_verified

# The modules whose import registers the built-in processors.
BUILTIN_MODULES = (
    "mediakeeper.pipelines.steps.builtin",
    "mediakeeper.pipelines.steps.split",
    "mediakeeper.pipelines.steps.merge_m4b",
)
_REGISTERED: dict[str, Processor] = {}
BUILT_IN = "built-in"
_ORIGINS: dict[str, str] = {}  # name -> "built-in", or the plugin's package and version
_ENTRIES: dict[str, str] = {}  # a plugin's name -> its entry point's object, module:object


@dataclass(frozen=True)
class Param:
    name: str
    kind: type  # str, int, float or bool
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    unit: str = ""  # "bitrate": text held to ``units.bitrate_problem``

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit, or None."""
        if self.unit == "bitrate":  # YAML reads 128 as a number: said as a rate without "k"
            return bitrate_problem(value)
        is_bool = isinstance(value, bool)
        ok = isinstance(value, self.kind) and (self.kind is bool or not is_bool)
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            return f"must be {_TYPE_NAMES[self.kind]}, not {_describe(value)}"
        if self.kind in (int, float) and not math.isfinite(value):  # .nan, .inf in YAML
            return f"must be a finite number, not {said(value)}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}, not {said(value)}"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum:g}, not {said(value)}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum:g}, not {said(value)}"
        return None


_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    return f"{type(value).__name__} {said(value)}"


@dataclass(frozen=True)
class Context:
    """What a step may know beside its files: the ffmpeg to run, where the item's archive copy
    goes (``copy``), and the cores it may use."""

    ffmpeg: str
    archive: Path | None = None
    threads: int = 1
    name: str = ""  # the album's (a book's default title)
    placed: Path | None = None  # the item's record of what it placed (``placements.Record``)


Step = Callable[[Context, Path, Path, Mapping[str, Any]], dict[str, Any]]
# (input files, params) -> bytes the outputs take (a dry run and the space check)
Estimate = Callable[[list[Path], Mapping[str, Any]], int]


@dataclass(frozen=True)
class Processor:
    name: str
    summary: str
    run: Step
    params: tuple[Param, ...] = ()
    estimate: Estimate | None = None
    # Checks across parameters (split: ``seconds`` with mode fixed): params -> [(key, why)]
    check: Callable[[Mapping[str, Any]], list[tuple[str, str]]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Worth sending to a cluster's workers (batch/cluster.py): seconds of CPU per megabyte
    # (an encode), and it needs nothing of the coordinator's but its input files (no
    # ``Context.archive``, no ``Context.placed``). False: run here, near the data.
    sent: bool = False
    # It writes the album's copy into the pipeline's archive (``Context.archive``): a
    # pipeline without an ``archive:`` that uses it is refused when its file is read.
    needs_archive: bool = False

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def problems(self, params: Mapping[Any, Any]) -> list[tuple[str, str]]:
        """What is wrong with ``params``, as (key, why): a required one missing, an unknown
        one, a value that does not fit; the checks across them only once each fits."""
        found = []
        for param in self.params:
            if param.required and param.name not in params:
                one_of = f" (one of {', '.join(map(str, param.choices))})" if param.choices else ""
                found.append((param.name, f"required by {self.name}, missing{one_of}"))
        for key, value in params.items():
            param = self.param(key)
            if param is None:
                known = ", ".join(p.name for p in self.params) or "none"
                found.append((str(key), f"unknown to {self.name} (known: {known})"))
            elif (why := param.problem(value)) is not None:
                found.append((key, why))
        if not found and self.check is not None:
            found = list(self.check(params))
        return found

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {**{p.name: p.default for p in self.params if p.default is not None}, **params}

    def needs(self, inputs: list[Path], params: Mapping[str, Any]) -> int:
        if self.estimate is None:
            return sum(_size(p) for p in inputs)
        return self.estimate(inputs, self.with_defaults(params))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def step_sent(exe: str, inputs: Path, outputs: Path, *, processor: str,
              params: dict[str, Any], name: str, stall: float, limit: float
              ) -> dict[str, Any]:  # fmt: skip
    """A pipeline's step as a cluster's worker runs it (``batch/cluster_steps``): a processor
    that declares itself ``sent``, on the folder of files it was sent (one core: the task's),
    watched there as a step run here is (``run_watched``: stopped, its programs too, once it
    stalls for ``stall`` seconds or has run for ``limit``, the pipeline's ``stall_timeout``
    and ``step_timeout``), its failure worded there as the job words one here."""
    from mediakeeper.batch.staged import worded  # (the worker's: registry loads without it)
    from mediakeeper.media.convert import ConvertFailed  # (PipelineJob.failures: the job
    from mediakeeper.pipelines.watchdog import run_watched  # imports this module)

    found = get(processor)
    if found is None or not found.sent:
        raise LookupError(f"the processor {processor!r} is not one a worker runs")
    return run_watched(lambda: found.run(Context(exe, None, 1, name), inputs, outputs, params),
                       outputs, stall, lambda err: worded(err, (ConvertFailed,)),
                       limit)  # fmt: skip


def register(processor: Processor) -> Processor:
    _REGISTERED[processor.name] = processor
    return processor


def _load() -> dict[str, Processor]:
    if not _ORIGINS:  # once a process: the built-ins, then the plugins beside them
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        _ORIGINS.update(dict.fromkeys(_REGISTERED, BUILT_IN))
        built_in = dict(_REGISTERED)
        found = plugins.load(plugins.PROCESSORS, _check_plugin, taken=_ORIGINS)
        _REGISTERED.clear()  # a plugin's own register() call never replaces a built-in
        _REGISTERED.update(built_in)
        for plugin in found:
            _REGISTERED[plugin.name] = plugin.value
            _ORIGINS[plugin.name] = f"{plugin.package} {plugin.version}".strip()
            _ENTRIES[plugin.name] = plugin.entry
    return _REGISTERED


def _check_plugin(name: str, value: Any) -> str | None:
    if not isinstance(value, Processor):
        return (f"names a {type(value).__name__}, not a "
                "mediakeeper.pipelines.steps.registry.Processor")  # fmt: skip
    if value.name != name:
        return f"the entry point is named {name!r} but its processor {value.name!r}"
    return None


def origin(name: str) -> str:
    """Where processor ``name`` comes from: "built-in", or the package (and version) of the
    plugin that adds it."""
    _load()
    return _ORIGINS.get(name, "")


def plugin_label(name: str) -> str:
    """A plugin's processor as its errors name it (its package and entry point); "" for a
    built-in."""
    where = origin(name)
    if where in (BUILT_IN, ""):
        return ""
    return f"processor {name!r} of plugin {where}, entry point {_ENTRIES.get(name, '?')}"


def get(name: str) -> Processor | None:
    return _load().get(name)


def names() -> list[str]:
    return sorted(_load())


def closest(name: str) -> list[str]:
    return difflib.get_close_matches(name, names(), n=3, cutoff=0.5)


def pass_through(inputs: Path, out: Path, handled: Callable[[Path], bool]) -> list[str]:
    """Copy (verified) every input file the step does not handle into ``out`` as it is."""
    kept = []
    for entry in sorted(inputs.iterdir()):
        if entry.is_file() and not handled(entry):
            copy_verified(entry, out / entry.name)
            kept.append(entry.name)
    return kept


def input_files(inputs: Path) -> list[Path]:
    return sorted(p for p in inputs.iterdir() if p.is_file())
