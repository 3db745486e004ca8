"""What one made book leaves under the data home: ``outputs/audiobooks/<slug>.json`` (its
chapters, backup, findings) and ``issues/audiobooks/<slug>.md`` (the same for a person; its
web page made when read: ``fs.reports``), all atomic."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.fs.reports import write_item_outputs

AUDIOBOOKS = kinds.get("audiobooks")  # its own record (its kind.py points at this module)


def write_outputs(home: Path, slug: str, book: Mapping[str, Any]) -> None:
    write_item_outputs(home, AUDIOBOOKS, slug, book, "book")
