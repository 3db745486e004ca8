"""The checkout, and the toolkit's scripts run as a person runs them: in real subprocesses,
from the checkout, with nothing of a person's own set-up (no recorded home)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def script_env() -> dict[str, str]:
    """Environment for Python subprocesses: the checkout importable, unbuffered output, no
    data home of the person running the tests."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("MEDIAKEEPER_HOME", None)
    return env


def run_script(script: str, *args, timeout: float = 120, env: dict[str, str] | None = None):
    """Run a utility script to its end (``env``: variables set for it besides the checkout's);
    one that hangs is made to dump every thread's stack (faulthandler, SIGABRT) into the
    failure message instead of just timing out."""

    proc = subprocess.Popen(
        [sys.executable, f"utilities/{script}", *map(str, args)],
        cwd=REPO_ROOT,
        env={**script_env(), "PYTHONFAULTHANDLER": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",  # a non-UTF-8 file name is printed as its original bytes
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate()
        raise AssertionError(
            f"{script} {args} still running after {timeout}s\n{out}\n{err}"
        ) from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_counted(counting: str, script: str, *args, counts: Path,
                env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, Any]:
    """``utilities/<script>`` run to its end after ``counting``: Python source that wraps
    what is to be counted and counts it in ``counted`` (a ``collections.Counter``, or
    anything it binds the name to that JSON can write), which is written to ``counts`` as
    the script exits; ``count_calls(owner, name, key)`` wraps ``owner.name`` to count its
    calls. The process (text output) and the counts read back."""
    program = "\n".join((_COUNTING_BEFORE, textwrap.dedent(counting), _COUNTING_AFTER))
    run = subprocess.run(
        [sys.executable, "-c", program, f"utilities/{script}", *map(str, args)],
        cwd=REPO_ROOT, env={**script_env(), **(env or {}), "COUNTED": str(counts)},
        capture_output=True, text=True, stdin=subprocess.DEVNULL)  # fmt: skip
    return run, json.loads(counts.read_text())


_COUNTING_BEFORE = """
import atexit, collections, json, os, runpy, sys
counted = collections.Counter()
def count_calls(owner, name, key, into=None):
    # owner.name wrapped: each call counted under key, in counted (or into)
    wrapped = getattr(owner, name)
    def counting(*args, **kw):
        (counted if into is None else into)[key] += 1
        return wrapped(*args, **kw)
    setattr(owner, name, counting)
"""
_COUNTING_AFTER = """
atexit.register(lambda: open(os.environ["COUNTED"], "w").write(json.dumps(counted)))
sys.argv = sys.argv[1:]  # '-c': the script's path is its argv[0]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


# The script run to its end, then, as it exits (after Click's sys.exit), the modules it
# loaded among those named (each with the modules below it) as a last line of JSON. A kind's
# record, and its package imported for it, are not counted: every command reads every record.
_LOADED_AT_EXIT = """
import atexit, json, runpy, sys
sys.argv.pop(0)  # '-c': the script's path is its argv[0]
named = sys.argv.pop(1).split(',')
below = tuple(n + '.' for n in named)
def record(m):
    return m.endswith('.kind') or m + '.kind' in sys.modules
def loaded():
    return sorted(m for m in sys.modules
                  if (m in named or m.startswith(below)) and not record(m))
atexit.register(lambda: print(json.dumps(loaded())))
runpy.run_path(sys.argv[0], run_name='__main__')
"""


def loaded_among(script: str, modules: tuple[str, ...], *args) -> tuple[str, list[str]]:
    """A utility script run to its end (it must succeed): what it printed, and which of
    ``modules`` it imported, kinds' records aside."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED_AT_EXIT, f"utilities/{script}", ",".join(modules),
         *map(str, args)],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    said, _, loaded = done.stdout.rstrip("\n").rpartition("\n")
    return said, json.loads(loaded)


def run_pasted(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a command the toolkit printed for a person as that person would paste it into a
    shell in ``cwd``: no PYTHONPATH, no MEDIAKEEPER_HOME, nothing of the tests' set-up."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDIAKEEPER_HOME")}
    return subprocess.run(
        shlex.split(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def wait_until(predicate, *, limit: float = 30.0) -> bool:
    """Poll ``predicate`` (a condition, not a time claim): False only after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def batched_home(
    tmp_path: Path, spec: dict, *args
) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """A library built of ``spec`` (``build_library``) under ``tmp_path/lib`` and a data home,
    ``tmp_path/home``, that an offline music batch over it (``args`` added) ran in: the
    home, the library and the batch's run."""
    from tests.helpers.audio import build_library

    lib, home = tmp_path / "lib", tmp_path / "home"
    build_library(lib, spec)
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline",
                       *args)  # fmt: skip
    return home, lib, batch


def held_when(
    proc: subprocess.Popen, predicate, *, limit: float = 120.0, group: bool = False
) -> bool:
    """Hold ``proc`` (SIGSTOP) as soon as ``predicate`` is seen true: True, and ``proc`` is
    left stopped. It runs in short steps meanwhile and is stopped at each look, so it cannot
    run past the moment looked for while this process waits for a core (on a loaded machine a
    poll of a running process can come too late: the undo it was to stop had finished). False
    if it ended first or ``limit`` passed. ``group``: its whole process group (started with
    ``start_new_session``) is stopped and let go, its workers too, which would otherwise work
    on (and take the queue's lock) while it is held; ``resume`` lets it go."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        _signal(proc, signal.SIGSTOP, group)
        while _state(proc.pid) not in ("T", "Z", ""):  # stopped (or gone) before looking
            time.sleep(0.0005)
        if group:  # (its workers stopped too: one not yet might still be working)
            for child in _children(proc.pid):
                while _state(child) not in ("T", "Z", ""):
                    time.sleep(0.0005)
        if predicate():
            return proc.poll() is None
        _signal(proc, signal.SIGCONT, group)
        time.sleep(0.005)
    return False


def resume(proc: subprocess.Popen, *, group: bool = False) -> None:
    """Let go a process ``held_when`` held (``group``: its process group)."""
    _signal(proc, signal.SIGCONT, group)


def _signal(proc: subprocess.Popen, sig: int, group: bool) -> None:
    with suppress(ProcessLookupError):  # ended meanwhile
        os.killpg(proc.pid, sig) if group else os.kill(proc.pid, sig)


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (``/proc/PID/task/*/children``)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def stopped_when(script: str, predicate, sig: int, *args) -> subprocess.CompletedProcess:
    """Run the utility ``script`` with ``args`` and send it ``sig`` once ``predicate`` holds:
    held (``held_when``) as soon as that is seen, signalled, then let go; its run."""
    proc = subprocess.Popen(
        [sys.executable, f"utilities/{script}", *map(str, args)], cwd=REPO_ROOT, env=script_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")  # fmt: skip
    try:
        assert held_when(proc, predicate), f"{script} ended before it could be stopped"
        proc.send_signal(sig)
        proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _state(pid: int) -> str:
    """A process's state letter (``/proc/PID/stat``): "T" stopped, "Z" ended; "" gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def scheduler_address(file: Path, *, limit: float = 60.0) -> str:
    """The address a Dask scheduler wrote to its ``--scheduler-file``, once the file is whole:
    the scheduler opens the file and then writes it (not atomically), so a reader can find
    it empty or cut for an instant."""

    def whole() -> str | None:
        try:
            return json.loads(file.read_text())["address"]
        except (OSError, ValueError, KeyError):
            return None

    if not wait_until(whole, limit=limit):
        raise AssertionError(f"no scheduler wrote {file} within {limit:.0f}s")
    return whole()


def queue_manager_cli(main, home: Path):
    """``invoke(*args, input=None, with_home=True)`` runs a queue-manager command in process
    on ``home`` (MEDIAKEEPER_HOME unset); it may exit with any code, never with a traceback."""
    from click.testing import CliRunner

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, with_home: bool = True):
        argv = ["--home", str(home), *args] if with_home else list(args)
        result = runner.invoke(main, argv, input=input, env={"MEDIAKEEPER_HOME": None})
        assert "Traceback" not in result.output, result.output
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    return invoke


def decisions_alone(said: str) -> bool:
    """Whether a batch's summary (in ``said``) has it leave decisions and nothing else that
    needs the person: no item failed or skipped, no fix that could not be written."""
    return (
        "\nneeds you: " in said
        and ", 0 failed, 0 skipped in " in said
        and "with fixes that could not be written" not in said
    )


def leaves_decisions(run: subprocess.CompletedProcess) -> bool:
    """A batch that did all it took and left decisions for the person: exit 1 (the README's
    "some items need you") for them alone."""
    return run.returncode == 1 and decisions_alone(run.stdout)
