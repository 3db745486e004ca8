"""What one converted album leaves under the data home: ``outputs/conversions/<slug>.json``
(every file written, sizes before and after, lengths) and ``issues/conversions/<slug>.md``
(the same for a person, and its web page ``.html``), all atomic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.conversions.kind import KIND as CONVERSIONS
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.reports import write_report
from mediakeeper.text.render import render
from mediakeeper.text.slug import inside


def write_outputs(home: Path, slug: str, album: Mapping[str, Any]) -> None:
    assert CONVERSIONS.output_dir is not None
    text = json.dumps(album, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(inside(home, *CONVERSIONS.output_dir, f"{slug}.json"), text)
    report = render(CONVERSIONS.report_template, album=album, home=home)
    write_report(inside(home, "issues", CONVERSIONS.name, f"{slug}.md"), report, durable=True)
