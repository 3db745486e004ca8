"""What one made book leaves under the data home: ``outputs/audiobooks/<slug>.json`` (its
chapters, backup, findings) and ``issues/audiobooks/<slug>.md`` (the same for a person, and
its web page ``.html``), all atomic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.audiobooks.kind import KIND as AUDIOBOOKS
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.reports import write_report
from mediakeeper.text.render import render
from mediakeeper.text.slug import inside


def write_outputs(home: Path, slug: str, book: Mapping[str, Any]) -> None:
    assert AUDIOBOOKS.output_dir is not None
    text = json.dumps(book, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(inside(home, *AUDIOBOOKS.output_dir, f"{slug}.json"), text)
    report = render(AUDIOBOOKS.report_template, book=book, home=home)
    write_report(inside(home, "issues", AUDIOBOOKS.name, f"{slug}.md"), report, durable=True)
