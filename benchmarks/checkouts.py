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
from collections.abc import Callable
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


def reads_side_by_side(sides: dict[str, Path], runs: int, one: Callable[[Path], dict],
                       size: int, noun: str) -> None:  # fmt: skip
    """``one`` run ``runs`` times in each checkout of ``sides`` (named), taking turns: each
    run's bytes read (``"read"``, as a multiple of ``size``, the ``noun``'s bytes) and
    ``"seconds"`` printed, then each side's median and spread."""
    found: dict[str, list[dict]] = {side: [] for side in sides}
    for run in range(runs):
        for side, checkout in sides.items():
            found[side].append(last := one(checkout))
            print(f"run {run + 1}, {side}: read {last['read'] / size:.2f}x the {noun}, "
                  f"{last['seconds']:.2f} s")
    for side, done in found.items():
        print(f"{side}: read {spread([r['read'] / size for r in done], '{:.2f}')}x the "
              f"{noun}, {spread([r['seconds'] for r in done], '{:.2f}')} s")
