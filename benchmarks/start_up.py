"""What a batch costs before (and around) its items: its fixed cost, side by side with another
checkout of the toolkit.

For each checkout (this one, and ``--before DIR``: a `git worktree` or `git archive` of
another version), in alternated runs, each from a new data home:

- the music batch over an empty library, offline (``process_music_batch.py --offline``, as
  ``real_size_writes.py`` runs it: the queue made, the session, the closing reports and
  this week's report; nothing to do): its fixed cost;
- the music batch's dry run over the same (``--offline --batch-size 1 --dry-run``): a batch
  script started, its settings read and its plan made, nothing written;
- the verify batch over an empty library, the same;
- the verify batch over one album of one short FLAC: the time from starting the process to
  its first check (a ``flac -t`` or an ffmpeg reading the file, heard by an audit hook in
  the batch's own process), and the whole run;
- the music queue manager making the queue of the empty library (``--init``): a queue
  manager's start, which imports no batch;
- the same music dry run through the ``mediakeeper`` command (``python -m mediakeeper``, as
  its entry point starts it; as ``serve``, the watcher and the schedule start batches);
- every other batch script's dry run over the same (movies, conversions and audiobooks,
  verify, duplicates); each dry run in a data home its kind's batch has run in once, as a
  person's second batch finds it (with the version of its ffmpeg the home keeps);
- the modules each batch imported (``python -X importtime``, counted once);
- with ``--instructions``, the CPU instructions of each batch's own process (callgrind, a
  fixed hash seed; a worker it forks is not counted): a measure the host's load does not move.

Wall seconds and CPU seconds (the process and its children), medians of ``--runs`` (least
and most beside them). The page cache is not dropped: the Python modules are read warm, as
a person's second batch of the day reads them. ``--cold`` drops it before each run (as
root): the modules read from the disk, as a batch run days after the last reads them.

    python benchmarks/start_up.py [--runs 10] [--before DIR] [--cold] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from checkouts import compiled  # noqa: E402
from page_cache import drop_caches  # noqa: E402

from mediakeeper.demo import sound as synth  # noqa: E402
from mediakeeper.media import ffmpeg  # noqa: E402

# The batch run in this process with an audit hook: the first subprocess that is not the
# side question of ffmpeg's version is the first check; its instant goes to stderr.
HOOKED = """
import runpy, sys, time
seen = []
def hook(event, args):
    if event == "subprocess.Popen" and not seen and "-version" not in args[1]:
        seen.append(time.time())
        sys.stderr.write(f"FIRST CHECK {seen[0]!r}\\n")
sys.addaudithook(hook)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float | None]:
    """(wall, CPU, seconds to the first check or None) of one run."""
    cpu, began = _cpu(), time.time()
    wall = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"{command} failed ({done.returncode}): {done.stdout}{done.stderr}")
    first = [float(line.split()[-1]) - began for line in done.stderr.splitlines()
             if line.startswith("FIRST CHECK ")]  # fmt: skip
    return wall, cpu, first[0] if first else None


def modules(command: list[str], env: dict[str, str]) -> int:
    done = subprocess.run([command[0], "-X", "importtime", *command[1:]], env=env,
                          capture_output=True, text=True)  # fmt: skip
    # Distinct names: a forked worker that imports a module its parent had not counts once.
    names = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}  # fmt: skip
    return len(names - {"imported package"})


def instructions(command: list[str], env: dict[str, str]) -> int:
    """CPU instructions of the command's own process under callgrind (its pid's count: a
    worker it forks prints its own, the parent's before the fork included)."""
    valgrind = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env={**env, "PYTHONHASHSEED": "0"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _, err = valgrind.communicate()
    found = re.search(rf"=={valgrind.pid}== Collected : (\d+)", err)
    if valgrind.returncode != 0 or found is None:
        sys.exit(f"valgrind run failed ({command}): {err[-1500:]}")
    return int(found.group(1))


def used_home(side: tuple[list[str], dict[str, str]], home: Path) -> Path:
    """A data home the kind's batch has run in once (over the same empty library), for its
    dry runs: a person's second batch, with what a home keeps (its ffmpeg's version) there.
    A dry run writes nothing, so each run finds it as the last did."""
    command, env = side
    subprocess.run([word for word in command if word != "--dry-run"] + ["--home", str(home)],
                   env=env, capture_output=True)  # its exit aside: the home is what counts
    return home


def sides(repo: Path, label: str, work: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (command, environment); each command gets a new home as it runs."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("MEDIAKEEPER_HOME", None)
    # verify's checks without its analysis; the music batches as a person starts them (an
    # environment's text is a setting to parse, which loads pydantic-core)
    checks = {**env, "MEDIAKEEPER_VERIFY_ANALYSE": "false"}
    script = str(repo / "utilities" / "process_{}_batch.py")
    empty, album = str(work / "empty"), str(work / "album")
    return {
        f"music batch, empty library{label}": (
            [sys.executable, script.format("music"), "--library", empty, "--offline", "-q"],
            env),
        f"music batch, dry run{label}": (
            [sys.executable, script.format("music"), "--library", empty, "--offline",
             "--batch-size", "1", "--dry-run"], env),
        f"verify batch, empty library{label}": (
            [sys.executable, script.format("verify"), "--library", empty, "-q"], checks),
        f"verify batch, one short FLAC{label}": (
            [sys.executable, "-c", HOOKED, script.format("verify"), "--library", album, "-q"],
            checks),
        # -P: the package of PYTHONPATH's checkout, not one in the folder this runs from
        # (``-m`` puts that first), as the entry script pip writes finds it.
        f"music dry run, the mediakeeper command{label}": (
            [sys.executable, "-P", "-m", "mediakeeper", "music", "batch", "--library", empty,
             "--offline", "--batch-size", "1", "--dry-run"], env),
        f"music queue manager, --init{label}": (
            [sys.executable, str(repo / "utilities" / "music_queue_manager.py"), "--init",
             "--library", empty], env),
        **{f"{kind} batch, dry run{label}": (
            [sys.executable, script.format(kind), "--library", empty, "--batch-size", "1",
             "--dry-run", *extra], env)
           for kind, extra in (("movie", ()), ("conversion", ("--output", str(work / "out"))),
                               ("audiobook", ("--output", str(work / "out"))),
                               ("verify", ()), ("dupes", ()))},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--before", type=Path, help="another checkout, timed beside this one")
    parser.add_argument("--cold", action="store_true", help="drop the page cache before each run")
    parser.add_argument("--instructions", action="store_true",
                        help="count each batch's CPU instructions too (callgrind; needs valgrind)")
    args = parser.parse_args()
    compiled(REPO, args.before)  # both sides as `make compile` leaves them
    work = Path(tempfile.mkdtemp(prefix="mk-start-"))
    try:
        (work / "empty").mkdir()
        synth.tone(ffmpeg.find(), work / "album" / "Band" / "Album" / "01.flac", 1.0)
        every = sides(REPO, "", work)
        if args.before is not None:
            every.update(sides(args.before.resolve(), " [--before]", work))
        times: dict[str, list[tuple[float, float, float | None]]] = {n: [] for n in every}
        names = list(every)
        used = {name: used_home(every[name], work / f"used-{n}") for n, name in enumerate(names)
                if "--dry-run" in every[name][0]}  # fmt: skip
        for run in range(args.runs):  # the order rotated each run
            for name in names[run % len(names):] + names[: run % len(names)]:
                command, env = every[name]
                home = used.get(name) or work / f"home-{len(times[name])}-{names.index(name)}"
                if args.cold and not drop_caches():
                    sys.exit("--cold needs to drop the page cache, which needs root")
                times[name].append(timed([*command, "--home", str(home)], env))
                if name not in used:
                    shutil.rmtree(home, ignore_errors=True)
        cache = "page cache dropped before each" if args.cold else "warm page cache"
        print(f"median (least-most) of {args.runs} alternated runs, {cache}; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        for name, got in times.items():
            walls, cpus = [w for w, _, _ in got], [c for _, c, _ in got]
            firsts = [f for _, _, f in got if f is not None]
            command, env = every[name]
            line = (f"  {name:44s} wall {statistics.median(walls):.3f} s "
                    f"({min(walls):.3f}-{max(walls):.3f})  CPU {statistics.median(cpus):.3f} s"
                    f"  modules {modules([*command, '--home', str(work / 'm')], env)}")
            if firsts:
                line += f"  first check at {statistics.median(firsts):.3f} s"
            elif args.instructions:  # (the hooked run: its first check is a subprocess)
                line += f"  {instructions([*command, '--home', str(work / 'i')], env) / 1e6:.1f}M"
                line += " instructions"
                shutil.rmtree(work / "i", ignore_errors=True)
            print(line)
            shutil.rmtree(work / "m", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
