"""Extensions from other installed packages, found through entry points (importlib.metadata).

Three groups: ``mediakeeper.processors`` (pipeline steps: ``mediakeeper.pipelines.steps``),
``mediakeeper.rules`` (music finding rules: ``mediakeeper.core.rule_plugins``) and
``mediakeeper.kinds`` (media kinds, the built-in ones too: ``mediakeeper.core.kinds``). Each
group is read by the module that uses it, once, when first needed. A plugin that cannot be used (its
import fails, it names the wrong kind of object, its name is taken) is left out with one
warning line naming it and its package; the others load all the same. The library never
prints: the command line shows the warning as one ``Warning: ...`` line on stderr.
Writing a plugin: docs/plugins.md.
"""

from __future__ import annotations

import configparser
import functools
import importlib
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.machinery import PathFinder
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from importlib import metadata

PROCESSORS = "mediakeeper.processors"
RULES = "mediakeeper.rules"
KINDS = "mediakeeper.kinds"


class PluginWarning(UserWarning):
    """A plugin left out: the message names it, its package and why."""


@dataclass(frozen=True)
class Plugin:
    """One loaded entry point: its ``name``, the ``package`` (distribution) that provides it
    and its ``version``, the object it names, and ``entry``: where (``module:object``), which
    every error the plugin causes names beside its package."""

    group: str
    name: str
    package: str
    version: str
    value: Any
    entry: str = ""


# (entry point name, the object it names) -> why it cannot be used, or None
Check = Callable[[str, Any], str | None]


def load(
    group: str, check: Check, taken: Iterable[str] = (), first: str = ""
) -> tuple[Plugin, ...]:
    """Every usable plugin of ``group``, in a stable order (by name, then package; the
    entry points of the distribution ``first`` before any other's). ``taken`` are the
    built-in names: a plugin of such a name, or of a name an earlier plugin took, is left
    out."""
    owners = dict.fromkeys(taken, "a built-in")  # name -> who has it
    found = []
    entries = sorted(_declared(group), key=lambda e: (e.package != first, e.name, e.package))
    for entry in entries:
        package, version = entry.package, entry.version
        try:
            value = entry.load()
        except Exception as err:  # any failure of someone else's import: said, left out
            _left_out(group, entry.name, package, f"cannot be imported: {error_line(err)}")
            continue
        if entry.name in owners:
            _left_out(group, entry.name, package, f"{owners[entry.name]} has that name")
            continue
        why = check(entry.name, value)
        if why is not None:
            _left_out(group, entry.name, package, why)
            continue
        # The kinds' built-ins are mediakeeper's own entry points (``first``): a built-in.
        owner = "a built-in" if package == first else f"the plugin of package {package}"
        owners[entry.name] = owner
        found.append(Plugin(group, entry.name, package, version, value, entry.value))
    return tuple(found)


class Declared(NamedTuple):
    """One entry point of a group: its name, what it names (``module:object``), and the
    distribution (``package``, ``version``) that declares it."""

    name: str
    value: str
    package: str
    version: str

    def load(self) -> Any:
        """The object it names, imported now (as ``importlib.metadata.EntryPoint.load``)."""
        module, _, attrs = self.value.partition(":")
        target = importlib.import_module(module.strip())
        for attr in filter(None, attrs.split("[", 1)[0].strip().split(".")):
            target = getattr(target, attr)
        return target


def _declared(group: str) -> list[Declared]:
    """Every entry point of ``group`` the installed distributions declare. Read from the
    entry point files importlib.metadata itself reads (``*.dist-info/entry_points.txt`` on
    ``sys.path``, the first distribution of a name winning, as there), without importing it:
    every process reads the kinds' group, and importlib.metadata's ~30 modules would cost
    each command a tenth of its start. Where this look cannot see what importlib.metadata
    would (a zip or egg on the path, a finder of distributions other than Python's own),
    importlib.metadata answers."""
    found = _read_declared(group)
    if found is not None:
        return found
    from importlib import metadata  # ~30 modules (email, zipfile, csv...): only when needed

    entries = metadata.entry_points(group=group)
    return [Declared(e.name, e.value, *_distribution(e)) for e in entries]


def _read_declared(group: str) -> list[Declared] | None:
    """``_declared`` from the files, or None where only importlib.metadata can tell."""
    files = _entry_point_files(tuple(sys.path))
    if files is None:
        return None
    found: list[Declared] = []
    for path, headers, text in files:
        if group.encode() in text:
            found += _entries_of(path, group, headers, text)
    return found


@functools.cache
def _entry_point_files(path: tuple[str, ...]) -> list[tuple[str, str, bytes]] | None:
    """(distribution folder, its headers file, its entry point file's bytes) of every
    distribution on ``path`` that has one, the first of a name winning, as in
    importlib.metadata; or None where only importlib.metadata can tell. Listed once a
    process (for a path): a batch reads two groups, a pipeline three."""
    finders = [f for f in sys.meta_path if hasattr(f, "find_distributions")]
    if finders != [PathFinder]:
        return None
    seen: set[str] = set()  # distributions by normalized name: the first on the path wins
    found: list[tuple[str, str, bytes]] = []
    for entry in path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.exists(folder):  # a zip may hold distributions
                return None
            continue
        if folder.lower().endswith(".egg"):
            return None
        try:
            names = os.listdir(folder)
        except OSError:
            return None
        for name in names:
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in (".dist-info", ".egg-info"):
                continue
            key = re.sub(r"[-_.]+", "_", os.path.splitext(name)[0].split("-")[0]).lower()
            if key in seen:
                continue
            seen.add(key)
            dist = os.path.join(folder, name)
            try:
                with open(os.path.join(dist, "entry_points.txt"), "rb") as f:
                    text = f.read()
            except (FileNotFoundError, NotADirectoryError):
                continue  # no entry points, or an egg-info that is a file: nothing declared
            except OSError:
                return None
            found.append((dist, "METADATA" if suffix == ".dist-info" else "PKG-INFO", text))
    return found


def _entries_of(path: str, group: str, headers_file: str, text: bytes) -> list[Declared]:
    """The entry points of ``group`` in the distribution at ``path``, from its entry point
    file's ``text`` (an INI file: a section per group, ``name = module:object``), with its
    name and version from its metadata's headers."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # names keep their case
    parser.read_string(text.decode("utf-8"))
    headers = {}
    with open(os.path.join(path, headers_file), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                break  # the headers end at the first empty line
            key, _, value = line.partition(":")
            headers.setdefault(key.strip().lower(), value.strip())
    package, version = headers.get("name", ""), headers.get("version", "")
    items = parser.items(group) if parser.has_section(group) else []
    return [Declared(name, value, package, version) for name, value in items]


def _distribution(entry: metadata.EntryPoint) -> tuple[str, str]:
    """The name and version of the distribution declaring ``entry``."""
    dist = entry.dist
    return (dist.name, dist.version) if dist is not None else (entry.module, "")


def error_line(err: BaseException) -> str:
    """An exception in one line: its type and its first line (a plugin's, said as it is)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _left_out(group: str, name: str, package: str, why: str) -> None:
    warnings.warn(
        f"plugin {name!r} of {group} (package {package}) left out: {why}",
        PluginWarning,
        stacklevel=2,
    )
