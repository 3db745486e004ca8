"""The registry of media kinds. Each kind registers itself through the ``mediakeeper.kinds``
entry points (``pyproject.toml``): the name is the kind's, the object its record, ``KIND`` in
its package's ``kind.py`` (what a record holds is ``core/kind_record.py``). The built-in kinds
register so too, so no line of core names a kind and an installed package adds one as a
plugin adds a rule (docs/plugins.md). The queue engine, batch runner, queue manager, reports
and command line read these records and keep no per-kind tables of their own.

Adding a kind: its package (record, plan, job, rules, outputs) and its tests
(docs/architecture.md, "Add a kind").
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mediakeeper.core import plugins
from mediakeeper.core.errors import ConfigError
from mediakeeper.core.kind_record import (
    COMMON_SETTINGS,
    ISSUES,
    TRACKS,
    Counter,
    Kind,
    Limit,
    Makes,
)

__all__ = ["COMMON_SETTINGS", "ISSUES", "TRACKS", "Counter", "Kind", "Limit", "Makes"]

OWN = "mediakeeper"  # the distribution whose kinds are the built-in ones: they load first


def _is_kind(name: str, value: Any) -> str | None:
    """Why an entry point of the group is no kind, or None."""
    if not isinstance(value, Kind):
        return f"names a {type(value).__name__}, not a mediakeeper Kind"
    if value.name != name:
        return f"its record's name is {value.name!r}, not the entry point's"
    return None


def _registered() -> dict[str, Kind]:
    """Every kind of the ``mediakeeper.kinds`` entry points, the built-in ones first (a
    plugin may not take their names), in the order the records ask for (``Kind.order``)."""
    found = [p.value for p in plugins.load(plugins.KINDS, _is_kind, first=OWN)]
    if not any(kind.package.startswith(f"{OWN}.") for kind in found):
        raise ConfigError(
            "mediakeeper's own kinds are not registered (its entry points are missing)",
            "install it again: make setup, or pip install -e . in the project folder",
        )
    return {kind.name: kind for kind in sorted(found, key=lambda kind: (kind.order, kind.name))}


_REGISTERED: dict[str, Kind] = _registered()
# In the order reports and the command line list them.
KINDS: Mapping[str, Kind] = MappingProxyType(_REGISTERED)
# The kinds installed (the entry points'): a pipeline's, registered at run time, is none.
INSTALLED: frozenset[str] = frozenset(_REGISTERED)


def register(kind: Kind) -> None:
    """Add a kind made at run time (a pipeline's). Settings loaded before know no section
    for it: register it before ``load_settings``."""
    _REGISTERED[kind.name] = kind


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def all_counters() -> tuple[Counter, ...]:
    """Every counter any kind has, in a stable order: what a batch's session summary and a
    queue summary add up (a kind without one adds 0, as a movie's tracks)."""
    return tuple(dict.fromkeys(c for k in KINDS.values() for c in k.counters))


def get(name: str) -> Kind:
    """The record of kind ``name``. A queue of a kind this version does not know (written by
    a newer one, or a test's) still gets a record: items one level down, called "item"."""
    known = KINDS.get(name)
    if known is not None:
        return known
    return Kind(name=name, noun="item", label=name.capitalize(), report_template="")


def noun(name: str) -> str:
    return get(name).noun
