"""What one converted album leaves under the data home: ``outputs/conversions/<slug>.json``
(every file written, sizes before and after, lengths) and ``issues/conversions/<slug>.md``
(the same for a person; its web page made when read: ``fs.reports``), all atomic."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.fs.reports import write_item_outputs

CONVERSIONS = kinds.get("conversions")  # its own record (its kind.py points at this module)


def write_outputs(home: Path, slug: str, album: Mapping[str, Any]) -> None:
    write_item_outputs(home, CONVERSIONS, slug, album, "album")
