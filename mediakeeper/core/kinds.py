"""The registry of media kinds. Each kind registers itself: its package holds a ``kind.py``
whose ``KIND`` is its record (``mediakeeper/<kind>/kind.py``; what a record holds is
``core/kind_record.py``), found here by looking at the packages, so no line of core names a kind.
The queue engine, batch runner, queue manager, reports and command line read these records
and keep no per-kind tables of their own.

Adding a kind: its package (record, plan, job, rules, outputs, ``cli.py``) and its tests
(docs/architecture.md, "Add a kind").
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from types import MappingProxyType

from mediakeeper.core.kind_record import (
    COMMON_SETTINGS,
    ISSUES,
    TRACKS,
    Counter,
    Kind,
    Limit,
    Makes,
    load,
)

__all__ = ["COMMON_SETTINGS", "ISSUES", "TRACKS", "Counter", "Kind", "Limit", "Makes", "load"]

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # mediakeeper/


def _built_in() -> dict[str, Kind]:
    """Every package of ``mediakeeper`` that holds a ``kind.py``: its ``KIND``, in the order
    the records ask for (``Kind.order``)."""
    found = [
        importlib.import_module(f"mediakeeper.{entry.name}.kind").KIND
        for entry in os.scandir(PACKAGE)
        if entry.is_dir() and os.path.isfile(os.path.join(entry.path, "kind.py"))
    ]
    return {kind.name: kind for kind in sorted(found, key=lambda kind: (kind.order, kind.name))}


_REGISTERED: dict[str, Kind] = _built_in()
# In the order reports and the command line list them.
KINDS: Mapping[str, Kind] = MappingProxyType(_REGISTERED)


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
    return Kind(
        name=name,
        noun="item",
        label=name.capitalize(),
        job="",
        report_template="",
    )


def noun(name: str) -> str:
    return get(name).noun
