"""What one converted album leaves under the data home: ``outputs/conversions/<slug>.json``
(every file written, sizes before and after, lengths) and ``issues/conversions/<slug>.md``
(the same for a person, and its web page ``.html``), all atomic."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.conversions.kind import KIND as CONVERSIONS
from mediakeeper.fs.reports import write_item_outputs


def write_outputs(home: Path, slug: str, album: Mapping[str, Any]) -> None:
    write_item_outputs(home, CONVERSIONS, slug, album, "album")
