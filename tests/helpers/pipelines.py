"""A pipeline file written for a test: the one shape every pipeline test wrote by hand (name,
input, output, optional archive and settings, its steps), as YAML the toolkit reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def step(name: str, processor: str, **params: Any) -> dict[str, Any]:
    """One step as a pipeline file writes it: ``step("to-opus", "convert", codec="opus")``."""
    return {"name": name, "processor": processor, **({"params": params} if params else {})}


def write_pipeline(
    path: Path,
    *steps: dict[str, Any],
    input: Path,  # the file's own key
    output: Path,
    name: str | None = None,
    archive: Path | None = None,
    **settings: Any,
) -> Path:
    """``path`` holding a pipeline of ``steps`` (each ``step(...)``) named ``name`` (the
    file's stem by default) from ``input`` to ``output``; ``settings`` its ``settings:``."""
    spec: dict[str, Any] = {"name": name or path.stem, "input": str(input),
                            "output": str(output)}  # fmt: skip
    if archive is not None:
        spec["archive"] = str(archive)
    if settings:
        spec["settings"] = settings
    spec["steps"] = list(steps)
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
