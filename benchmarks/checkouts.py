"""Every module of each checkout a benchmark times compiled first, as `make compile` does.
Where PYTHONDONTWRITEBYTECODE is set (as on the build machine), a checkout never compiled
(a `git worktree` of the code before, given to ``--with`` or ``--before``) would compile
every module it imports at every start, and a side-by-side run would compare a compile
with a start. Shared by the benchmarks that time whole processes."""

from __future__ import annotations

import compileall
from pathlib import Path


def compiled(*checkouts: Path | None) -> None:
    """Compile the toolkit's modules and scripts of each checkout given (None passed over)."""
    for checkout in filter(None, checkouts):
        for folder in ("mediakeeper", "utilities"):
            compileall.compile_dir(checkout / folder, quiet=1)
