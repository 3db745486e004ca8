"""Every module of each checkout a benchmark times compiled first, as `make compile` does.
Where PYTHONDONTWRITEBYTECODE is set (as on the build machine), a checkout never compiled
(a `git worktree` of the code before, given to ``--with`` or ``--before``) would compile
every module it imports at every start, and a side-by-side run would compare a compile
with a start. Shared by the benchmarks that time whole processes."""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path


def compiled(*checkouts: Path | None) -> None:
    """Compile the toolkit's modules and scripts of each checkout given (None passed over)."""
    for checkout in filter(None, checkouts):
        for folder in ("mediakeeper", "utilities"):
            compileall.compile_dir(checkout / folder, quiet=1)


def run_in(checkout: Path, code: str, *args: object, what: str,
           env: dict[str, str] | None = None) -> dict:  # fmt: skip
    """``code`` run with ``args`` by a new interpreter importing ``checkout``'s toolkit (from
    inside it, with ``env`` beside the environment): the JSON its last line prints. Exits
    saying ``what`` failed, and its error, if it fails."""
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)],
                          env={**os.environ, "PYTHONPATH": str(checkout), **(env or {})},
                          capture_output=True, text=True, cwd=checkout)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{what} failed in {checkout}: {done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def spread(values: list[float], form: str) -> str:
    """The median of ``values`` and their least and most, each as ``form`` formats it:
    "1.13 (1.10-1.20)"."""
    return f"{form.format(statistics.median(values))} ({form.format(min(values))}-" \
        f"{form.format(max(values))})"  # fmt: skip
