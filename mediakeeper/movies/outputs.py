"""What one processed movie leaves under the data home: ``outputs/movies/<slug>.json`` (all
that was learned) and ``issues/movies/<slug>.md`` (the report for a person; its web page
made when read: ``fs.reports``), all atomic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.reports import write_report
from mediakeeper.movies.identified import unidentified
from mediakeeper.text.render import render
from mediakeeper.text.slug import inside

MOVIES = kinds.get("movies")  # its own record (its kind.py points at this module)


class MovieOutputs:
    def __init__(self, home: Path, slug: str):
        self.home = home
        self.json_path = inside(home, *MOVIES.output_dir, f"{slug}.json")
        self.report_path = inside(home, "issues", MOVIES.name, f"{slug}.md")

    def write(self, movie: Mapping[str, Any]) -> None:
        # Derived data, rebuilt by re-processing: atomic (old or new), not worth an fsync.
        text = json.dumps(movie, indent=2, ensure_ascii=False)
        atomic_write_text(self.json_path, text + "\n", durable=False)
        write_report(self.report_path, render_report(movie, home=self.home))


def write_outputs(home: Path, slug: str, movie: Mapping[str, Any]) -> dict[str, Any]:
    """A movie's outputs from its document as a decision left it, and what its queue
    details now say of its identity (a match finding decided: left unidentified)."""
    MovieOutputs(home, slug).write(movie)
    return {"unidentified": unidentified(movie["match"], movie["name"], home, movie["findings"])}


def render_report(movie: Mapping[str, Any], *, home: Path | None = None) -> str:
    """``home``: the data home, named in the commands the report shows."""
    return render(MOVIES.report_template, movie=movie, home=home)
