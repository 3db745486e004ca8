"""What does looking for plugins cost a process: reading the ``mediakeeper.rules`` and
``mediakeeper.processors`` entry points of every package installed (importlib.metadata)?

A music batch reads the rules group once, at its start; a pipeline command the processors.
Times, inside a new process each run (as a person starts a batch), the imports such a process
makes anyway (the music rules, the built-in steps) and then both groups read, and prints the
medians side by side with the number of packages installed. No plugin needs to be
installed: the cost is the search, paid whether it finds any or not (with none, a look at
the entry point files without importing importlib.metadata).

Then what a plugin's rule costs an artist for its time limit (``[music]
plugin_rule_timeout``: each call runs in a forked child, ``system.time_limit``): a rule that
returns at once, called directly and under its limit, in a process holding what a batch's
worker holds (the music job imported, a first artist's worth of modules), medians of
``--calls`` calls.

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
import importlib, mediakeeper.core.rule_plugins, mediakeeper.music.rules
import mediakeeper.pipelines.steps.registry as r
for m in r.BUILTIN_MODULES: importlib.import_module(m)
imported = time.perf_counter()
mediakeeper.core.rule_plugins.loaded(); r.names()
print(imported - started, time.perf_counter() - imported)
"""


def once() -> tuple[float, float]:
    printed = subprocess.run([sys.executable, "-c", CHILD], check=True, cwd=REPO,
                             capture_output=True, text=True).stdout  # fmt: skip
    imports, search = map(float, printed.split())
    return imports, search


# Timed inside a new process holding a worker's modules: a rule that returns three findings'
# worth of values at once, called directly, then under its time limit.
LIMITED = """\
import sys, time
from statistics import median
import mediakeeper.music.job
from mediakeeper.system.time_limit import call_within
rule = lambda: [("code", "path", "message")] * 3
call_within(rule, 30)
def timed(call):
    times = []
    for _ in range(int(sys.argv[1])):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return median(times)
print(timed(rule), timed(lambda: call_within(rule, 30)))
"""


def limited(calls: int) -> tuple[float, float]:
    printed = subprocess.run([sys.executable, "-c", LIMITED, str(calls)], check=True, cwd=REPO,
                             capture_output=True, text=True).stdout  # fmt: skip
    direct, bounded = map(float, printed.split())
    return direct, bounded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--calls", type=int, default=200, help="a rule's calls timed, default 200")
    args = parser.parse_args()
    runs = [once() for _ in range(args.runs)]
    imports, search = (median(r[i] for r in runs) * 1000 for i in (0, 1))
    packages = sum(1 for _ in metadata.distributions())
    print(f"{packages} packages installed; medians of {args.runs} processes")
    print(f"  the imports a batch makes anyway  {imports:7.1f} ms")
    print(f"  both plugin groups read           {search:7.1f} ms ({search / imports:.0%} of them)")
    direct, bounded = (t * 1000 for t in limited(args.calls))
    print(f"a plugin's rule, an artist (medians of {args.calls} calls in a worker-sized process)")
    print(f"  called directly                   {direct:7.3f} ms")
    print(f"  under its time limit (a fork)     {bounded:7.3f} ms ({bounded / direct:,.0f}x)")

if __name__ == "__main__":
    main()
