"""One home, never a second one by surprise, and the README's commands as written (issue 60,
points 8 and 9): inside a clone (its tracked ``status/README.md`` and nothing else) the home
``init`` recorded is used, and a command using another home says so on its first line; a
script run by a Python without the dependencies says in one line how to set up. Real
scripts in real subprocesses, a real bare interpreter and venv."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, script_env
from tests.integration.test_decide_groups import library_spec

PYTHON = sys.executable


def run(cwd: Path, config: Path, script: str, *args, python: str = PYTHON, **env: str):
    """``python utilities/SCRIPT`` run from ``cwd``, with the user config under ``config``."""
    environ = {**script_env(), "XDG_CONFIG_HOME": str(config), **env}
    argv = [python, str(REPO_ROOT / "utilities" / script), *map(str, args)]
    done = subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def recorded(tmp_path, music_library):
    """A home made by ``init`` (recorded in the user config), its batch run; a clone-like
    folder holding only the project's tracked ``status/README.md``."""
    lib, home, config = tmp_path / "lib", tmp_path / "home", tmp_path / "config"
    music_library(lib, library_spec())
    init = subprocess.run([PYTHON, "-m", "mediakeeper", "init", "--home", str(home), "--yes",
                           "--music", str(lib)], cwd=tmp_path, capture_output=True, text=True,
                          env={**script_env(), "XDG_CONFIG_HOME": str(config)})  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    batch = run(tmp_path, config, "process_music_batch.py", "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr  # the recorded home's library
    clone = tmp_path / "clone"
    (clone / "status").mkdir(parents=True)
    (clone / "status" / "README.md").write_bytes((REPO_ROOT / "status" / "README.md").read_bytes())
    return home, clone, config


def test_inside_a_clone_the_recorded_home_is_used_and_nothing_is_made(recorded):
    _, clone, config = recorded
    listed = run(clone, config, "decide.py")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("5 decisions in 1 group"), listed.stdout
    assert listed.stderr == ""  # the recorded home: nothing to say
    summary = run(clone, config, "music_queue_manager.py", "--show-summary")
    assert "completed          6" in summary.stdout, summary.stdout
    assert sorted(p.name for p in clone.rglob("*")) == ["README.md", "status"]


def test_another_home_in_use_is_said_first_with_how_to_use_the_recorded_one(recorded, tmp_path):
    home, _, config = recorded
    other = tmp_path / "other"
    (other / "status").mkdir(parents=True)
    init = run(other, config, "music_queue_manager.py", "--home", other, "--init", "--library",
               tmp_path / "lib")  # fmt: skip
    assert init.returncode == 0, init.stderr
    said = (f"Using the data home {other} (from the current folder), not the one `mediakeeper "
            f"init` recorded, {home}: give --home {home} to use that one")  # fmt: skip
    here = run(other, config, "decide.py", "--json")
    assert here.returncode == 0 and here.stderr.splitlines()[0] == said, here.stderr
    assert here.stdout.startswith('{"total": 0')  # stdout stays one JSON object
    deeper = run(other / "status", config, "media_dashboard.py")
    assert deeper.stderr.splitlines()[0] == said, deeper.stderr
    env = run(tmp_path, config, "decide.py", MEDIAKEEPER_HOME=str(other))
    assert env.stderr.splitlines()[0] == said.replace("the current folder", "MEDIAKEEPER_HOME")
    named = run(tmp_path, config, "decide.py", "--home", other)  # named on this very line
    assert named.returncode == 0 and named.stderr == ""
    # So too a --home given to a group's command, after the group's name: the group (whose
    # own --home is not given) leaves the saying to it, which has none to say.
    for script, *words in (("music_queue_manager.py", "summary"), ("music_queue_manager.py",
                           "list"), ("dupes_queue_manager.py", "summary")):  # fmt: skip
        given = run(other, config, script, *words, "--home", other)
        assert given.returncode in (0, 2) and said not in given.stderr, given.stderr
    unnamed = run(other, config, "music_queue_manager.py", "summary")  # none given: said
    assert unnamed.stderr.splitlines()[0] == said, unnamed.stderr
    dupes = subprocess.run([PYTHON, "-m", "mediakeeper", "dupes", "scan", "--home", other],
                           cwd=other, capture_output=True, text=True,
                           env={**script_env(), "XDG_CONFIG_HOME": str(config)})  # fmt: skip
    assert said not in dupes.stderr, dupes.stderr


def test_with_no_home_recorded_the_clone_is_its_own_home(tmp_path):
    clone, config = tmp_path / "clone", tmp_path / "config"
    (clone / "status").mkdir(parents=True)
    (clone / "status" / "README.md").write_text("# status\n")
    shown = run(clone, config, "decide.py")
    assert shown.returncode == 0 and shown.stdout.strip() == "Nothing to decide.", shown.stderr


def bare_checkout(tmp_path: Path, *, venv: bool) -> Path:
    """The project's scripts and package as a checkout holds them (its package linked), with
    or without the ``.venv`` ``make demo`` makes."""
    checkout = tmp_path / "checkout"
    (checkout / "utilities").mkdir(parents=True)
    for script in (REPO_ROOT / "utilities").glob("*.py"):
        (checkout / "utilities" / script.name).write_bytes(script.read_bytes())
    (checkout / "mediakeeper").symlink_to(REPO_ROOT / "mediakeeper")
    if venv:
        (checkout / ".venv" / "bin").mkdir(parents=True)
        (checkout / ".venv" / "bin" / "python").symlink_to(PYTHON)
    return checkout


@pytest.mark.parametrize("venv", [False, True], ids=["no venv", "venv made"])
@pytest.mark.parametrize("python", ["-S -I", "bare venv"])
def test_a_python_without_the_dependencies_says_how_to_set_up_in_one_line(tmp_path, venv, python):
    checkout = bare_checkout(tmp_path, venv=venv)
    if python == "bare venv":
        made = subprocess.run([sys.base_prefix + "/bin/python3", "-m", "venv", "--without-pip",
                               str(tmp_path / "bare")], capture_output=True, text=True)  # fmt: skip
        assert made.returncode == 0, made.stderr
        argv = [str(tmp_path / "bare" / "bin" / "python")]
    else:
        argv = [sys.base_prefix + "/bin/python3", "-S", "-I"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    for script in ("process_music_batch.py", "decide.py", "weekly_report.py"):
        # Run from another folder, with its arguments: the command said runs pasted there
        # (it named the script by a path from the checkout, and dropped the arguments).
        done = subprocess.run([*argv, checkout / "utilities" / script, "--batch-size", "2 3"],
                              cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=60)  # fmt: skip
        assert done.returncode == 1 and done.stdout == "", (script, done.stdout)  # README
        [line] = done.stderr.splitlines()
        assert "lacks mediakeeper's dependencies (no module named 'click')" in line, line
        command = (f"{checkout / '.venv' / 'bin' / 'python'} {checkout / 'utilities' / script} "
                   "--batch-size '2 3'")  # fmt: skip
        if venv:
            assert line.endswith(f"run it with the project's environment: {command}"), line
        else:
            assert line.endswith(f"in {checkout} run `make demo` (it makes .venv and installs "
                                 f"them), then {command}"), line  # fmt: skip


def test_a_python_with_the_dependencies_but_not_mediakeeper_says_so_in_one_line(tmp_path):
    """A Python that has the dependencies (click, pydantic-core, ...: the system's, say) but
    not mediakeeper installed has none of its kinds' entry points: the script said why in a
    traceback. It says it in one line, exit 1, as for a dependency missing."""
    checkout = bare_checkout(tmp_path, venv=False)
    deps = tmp_path / "deps"  # the environment's packages, mediakeeper's own left out
    deps.mkdir()
    for found in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not found.name.startswith(("mediakeeper", "__editable__", "_mediakeeper")):
            (deps / found.name).symlink_to(found)
    env = {**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}, "PYTHONPATH": str(deps)}
    for script in ("decide.py", "weekly_report.py"):
        done = subprocess.run([sys.base_prefix + "/bin/python3", "-S",
                               f"utilities/{script}", "--help"], cwd=checkout, env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 1 and done.stdout == "", (script, done.stdout)
        [line] = done.stderr.splitlines()
        assert line.startswith("Error: mediakeeper's own kinds are not registered"), line


def test_every_path_the_readme_names_exists():
    """Every path of the project it names (a data home's, with its YYYY-MM-DD or <kind>, is
    the home's)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    named = {p for p in re.findall(r"(?<![\w/.~<])((?:utilities|pipelines|docs|status|"
             r"mediakeeper|tests)/[\w./-]*[\w/])", text) if "YYYY" not in p}  # fmt: skip
    assert {"utilities/decide.py", "pipelines/phone.yaml", "status/README.md"} <= named
    assert sorted(p for p in named if not (REPO_ROOT / p).exists()) == []
