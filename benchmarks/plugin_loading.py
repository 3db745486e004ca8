"""What does looking for plugins cost a process: reading the ``mediakeeper.rules`` and
``mediakeeper.processors`` entry points of every package installed (importlib.metadata)?

A music batch reads the rules group once, at its start; a pipeline command the processors.
Times, inside a new process each run (as a person starts a batch), the imports such a process
makes anyway (the music rules, the built-in steps) and then both groups read, and prints the
medians side by side with the number of packages installed. No plugin needs to be
installed: the cost is the search, paid whether it finds any or not (with none, a look at
the entry point files without importing importlib.metadata).

    python benchmarks/plugin_loading.py --runs 20
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
# Timed inside a new process: the imports a batch or a pipeline makes anyway (the music
# rules, every built-in step), then both groups read.
CHILD = """\
import time
started = time.perf_counter()
import importlib, mediakeeper.music.rules, mediakeeper.pipelines.steps.registry as r
for m in r.BUILTIN_MODULES: importlib.import_module(m)
imported = time.perf_counter()
mediakeeper.music.rules.plugin_rules(); r.names()
print(imported - started, time.perf_counter() - imported)
"""


def once() -> tuple[float, float]:
    printed = subprocess.run([sys.executable, "-c", CHILD], check=True, cwd=REPO,
                             capture_output=True, text=True).stdout  # fmt: skip
    imports, search = map(float, printed.split())
    return imports, search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    runs = [once() for _ in range(args.runs)]
    imports, search = (median(r[i] for r in runs) * 1000 for i in (0, 1))
    packages = sum(1 for _ in metadata.distributions())
    print(f"{packages} packages installed; medians of {args.runs} processes")
    print(f"  the imports a batch makes anyway  {imports:7.1f} ms")
    print(f"  both plugin groups read           {search:7.1f} ms ({search / imports:.0%} of them)")

if __name__ == "__main__":
    main()
