"""mediakeeper: keeps a personal media library healthy, one small resumable batch at a time.

``mediakeeper.run_batch(home, kind, batch_size=10, **options)`` runs one batch from a script,
as ``process_<kind>_batch.py`` does (``mediakeeper.runs.batch``)."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The composition point sits above every layer: it is loaded when first asked for, so
    # that importing any part of the toolkit (which imports this package) stays cheap.
    if name in ("run_batch", "BatchResult"):
        return getattr(importlib.import_module("mediakeeper.runs.batch"), name)
    raise AttributeError(f"module 'mediakeeper' has no attribute {name!r}")
