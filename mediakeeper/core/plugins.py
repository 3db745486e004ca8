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

import os
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.machinery import PathFinder
from typing import TYPE_CHECKING, Any

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
    if not _may_declare(group):
        return ()
    from importlib import metadata  # ~30 modules (email, zipfile, csv...): only when needed

    owners = dict.fromkeys(taken, "a built-in")  # name -> who has it
    found = []
    entries = sorted(metadata.entry_points(group=group),
                     key=lambda e: (_package(e) != first, e.name, _package(e)))  # fmt: skip
    for entry in entries:
        package, version = _package(entry), _version(entry)
        try:
            value = entry.load()
        except Exception as err:  # any failure of someone else's import: said, left out
            _left_out(group, entry.name, package, f"cannot be imported: {_one_line(err)}")
            continue
        if entry.name in owners:
            _left_out(group, entry.name, package, f"{owners[entry.name]} has that name")
            continue
        why = check(entry.name, value)
        if why is not None:
            _left_out(group, entry.name, package, why)
            continue
        owners[entry.name] = f"the plugin of package {package}"
        found.append(Plugin(group, entry.name, package, version, value, entry.value))
    return tuple(found)


def _may_declare(group: str) -> bool:
    """Whether an installed distribution may declare ``group``: its name looked for in the
    entry point files importlib.metadata would read, without importing it, so the process of
    a user with no plugin (nearly every one) saves its imports. Where this look cannot see
    what importlib.metadata would (a zip or egg on the path, a finder of distributions other
    than Python's own), the answer is yes and importlib.metadata decides."""
    finders = [f for f in sys.meta_path if hasattr(f, "find_distributions")]
    if finders != [PathFinder]:
        return True
    return any(_folder_may_declare(entry or ".", group) for entry in sys.path)


def _folder_may_declare(entry: str, group: str) -> bool:
    if not os.path.isdir(entry):
        return os.path.exists(entry)  # a zip may hold distributions; a missing path none
    if entry.lower().endswith(".egg"):
        return True
    try:
        names = os.listdir(entry)
    except OSError:
        return True
    for name in names:
        if name.lower().endswith((".dist-info", ".egg-info")):
            try:
                with open(os.path.join(entry, name, "entry_points.txt"), "rb") as f:
                    if group.encode() in f.read():
                        return True
            except (FileNotFoundError, NotADirectoryError):
                continue  # no entry points, or an egg-info that is a file: nothing declared
            except OSError:
                return True
    return False


def _package(entry: metadata.EntryPoint) -> str:
    dist = entry.dist
    return dist.name if dist is not None else entry.module


def _version(entry: metadata.EntryPoint) -> str:
    return entry.dist.version if entry.dist is not None else ""


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _left_out(group: str, name: str, package: str, why: str) -> None:
    warnings.warn(
        f"plugin {name!r} of {group} (package {package}) left out: {why}",
        PluginWarning,
        stacklevel=2,
    )
