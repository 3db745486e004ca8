"""The ``mediakeeper`` console command: one Click group over the very commands of the
``utilities/`` scripts, built from the kinds' records, run in real processes from a folder
that is not the checkout; and the hints it prints, pasted where the person is."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import click
import pytest

import mediakeeper
from mediakeeper.cli import main as cli_main
from mediakeeper.core import kinds
from mediakeeper.text.commands import TOOLS, kind_command, queue_manager
from tests.helpers import REPO_ROOT, run_pasted


def console(cwd: Path, env, *args: str) -> subprocess.CompletedProcess:
    """The console command as pip installs it (``mediakeeper.cli.startup:console``, which
    ``python -m mediakeeper`` runs), in a process."""
    return subprocess.run(
        [sys.executable, "-m", "mediakeeper", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_pyproject_declares_the_console_command_and_its_version():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # Each starts as a script does (cli.startup): signals, the collector held back
    assert project["scripts"] == {"mediakeeper": "mediakeeper.cli.startup:console",
                                  "mediakeeper-music-queue": "mediakeeper.cli.startup:music_queue"}
    assert project["version"] == mediakeeper.__version__


@pytest.mark.parametrize("name", ["mediakeeper", "mediakeeper-music-queue"])
def test_every_console_script_pip_installs_runs(name, tmp_path, child_env):
    """Each entry point names a module pip installs (utilities/ is not one): the script
    pip wrote runs its --help from a folder that is not the checkout."""
    script = Path(sysconfig.get_path("scripts")) / name
    if not script.exists():
        pytest.skip(f"{name} is not installed in this environment (pip install -e .)")
    done = subprocess.run([str(script), "--help"], cwd=tmp_path, env=child_env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: {name} ")


def test_version(tmp_path, child_env):
    done = console(tmp_path, child_env, "--version")
    version = f"mediakeeper, version {mediakeeper.__version__}\n"
    assert (done.returncode, done.stdout) == (0, version)


def test_every_subcommand_is_the_scripts_own_command():
    import mediakeeper.cli.dashboard
    import mediakeeper.cli.report
    import mediakeeper.cli.undo

    ctx = click.Context(cli_main.main)
    for kind in kinds.KINDS.values():
        group = cli_main.main.get_command(ctx, kind.name)
        for verb in ("batch", "queue"):
            assert group.get_command(ctx, verb) is cli_main.command_of(kind.name, verb)
    assert cli_main.main.get_command(ctx, "report") is mediakeeper.cli.report.main
    assert cli_main.main.get_command(ctx, "dashboard") is mediakeeper.cli.dashboard.main
    assert cli_main.main.get_command(ctx, "undo") is mediakeeper.cli.undo.main
    assert set(cli_main.main.list_commands(ctx)) == {*kinds.KINDS, *TOOLS}


def test_help_lists_everything_and_imports_no_script_and_no_job(tmp_path, child_env):
    code = (
        "import sys\n"
        "from mediakeeper.cli.main import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m, module in sys.modules.items() if m.startswith(('utilities', "
        "'mediakeeper.music', 'mediakeeper.movies', 'mediakeeper.cli.batch', "
        "'mediakeeper.batch.runner')) "
        "and not hasattr(module, '__path__') and not m.endswith('.kind')]\n"
        "print('loaded:', sorted(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=child_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for name in (*kinds.KINDS, *TOOLS):
        assert f"\n  {name} " in done.stdout
    assert done.stdout.rstrip().endswith("loaded: []")


def test_every_groups_list_shows_each_commands_first_sentence_whole():
    """Click cuts a command's line in a group's list with "..." at the width it allows; every
    group of the console, and the queue managers' groups, show the first sentence whole."""
    import click

    from mediakeeper.cli.main import main as console

    def groups(group, ctx):
        yield group, ctx
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                yield from groups(command, click.Context(command, info_name=name, parent=ctx))

    seen = 0
    for group, ctx in groups(console, click.Context(console, info_name="mediakeeper")):
        listed = group.get_help(ctx).partition("Commands:")[2]
        cut = [line for line in listed.splitlines() if line.rstrip().endswith("...")]
        assert not cut, (ctx.command_path, cut)
        seen += 1
    assert seen >= 12  # the top level, every kind and its queue, sessions, dupes, ...


def test_the_console_runs_every_kind_and_tool_from_any_folder(tmp_path, child_env, music_library):
    """From a folder that is neither the checkout nor the data home."""
    lib = music_library(
        tmp_path / "Music", {"Alpha/Album/01 - Song.mp3": {"tags": {"title": "Song"}}}
    )
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    steps = [
        (["music", "queue", "--home", str(home), "--init", "--library", str(lib)], 0),
        (["music", "batch", "--home", str(home), "--offline"], 1),  # decisions left (no artist)
        (["music", "queue", "--home", str(home), "--reset-errors"], 0),
        (["report", "--home", str(home)], 0),
        (["dashboard", "--home", str(home)], 0),
        (["undo", "--home", str(home), "--list"], 0),
        (["movies", "batch", "--home", str(home), "--offline"], 2),  # no library given
    ]
    for args, code in steps:
        done = console(elsewhere, child_env, *args)
        assert done.returncode == code, (args, done.stdout + done.stderr)
        assert "Traceback" not in done.stderr
    assert "Reset 0 errored artists to pending" in console(
        elsewhere, child_env, "music", "queue", "--home", str(home), "--reset-errors"
    ).stdout
    missing = console(elsewhere, child_env, "movies", "queue", "--home", str(home))
    assert missing.returncode == 2
    hint = missing.stderr.split("create it with: ", 1)[1].rsplit(")", 1)[0]
    assert hint == f"{queue_manager('movies', home)} --init --library PATH"


@pytest.fixture
def installed(tmp_path) -> dict[str, str]:
    """A virtual environment with the ``mediakeeper`` console script in its bin/, as pip
    writes it, active on PATH: the environment of a person who installed the toolkit."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [site] = (venv / "lib").glob("python*/site-packages")
    # This checkout first, then the packages the tests run with (click, mutagen, ...).
    (site / "mediakeeper-test.pth").write_text(
        f"{REPO_ROOT}\n{sysconfig.get_paths()['purelib']}\n", encoding="utf-8"
    )
    script = venv / "bin" / "mediakeeper"
    script.write_text(
        f"#!{venv / 'bin' / 'python'}\n"
        "import sys\n"
        "from mediakeeper.cli.main import main\n"
        "sys.exit(main())\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MEDIAKEEPER_HOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_with_the_console_on_path_hints_name_it_and_work_pasted_in_the_home(
    tmp_path, installed, music_library
):
    lib = music_library(
        tmp_path / "Music", {"Alpha/Album/01 - Song.mp3": {"tags": {"title": "Song"}}}
    )
    home = tmp_path / "home"

    def person(command: str, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            shlex.split(command), cwd=cwd, env=installed, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip

    first = person(f"mediakeeper music batch --home {home} --library {lib} --offline", tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr  # its missing artist: a decision
    again = person(f"mediakeeper music batch --home {home} --offline", tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    hint = again.stdout.split("Nothing to do: no pending artists. `", 1)[1].split("`", 1)[0]
    assert hint == f"mediakeeper music queue --home {home} --show-summary"
    pasted = person(hint, home)
    assert pasted.returncode == 0, pasted.stderr
    assert "100.0% complete" in pasted.stdout


def test_without_the_console_hints_name_the_interpreter_and_work_pasted_in_the_home(
    tmp_path, music_library
):
    """The console command not on PATH: this interpreter by its absolute path, ``-m
    mediakeeper``: no script's name and no checkout in the library's words."""
    home = tmp_path / "home"
    hint = kind_command("music", "queue", home)
    if shlex.split(hint)[0] == "mediakeeper":
        pytest.skip("the mediakeeper console command is on PATH here")
    assert shlex.split(hint) == [sys.executable, "-m", "mediakeeper", "music", "queue",
                                 "--home", str(home)]  # fmt: skip
    lib = music_library(tmp_path / "Music", {"Alpha/Album/01 - Song.mp3": {"tags": {}}})
    home.mkdir()
    done = run_pasted(f"{hint} --init --library {shlex.quote(str(lib))}", home)
    assert done.returncode == 0, done.stderr
    assert "1 pending artist" in done.stdout


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("sesions", "sessions"), ("dashbord", "dashboard"), ("music batc", "batch"),
     ("verify scrb", "scrub"), ("music queu", "queue")],
)  # fmt: skip
def test_a_mistyped_command_is_refused_with_the_nearest_one(typed, meant, tmp_path, child_env):
    """Most commands are made only when run (``main.LazyGroup``): a mistyped one is still
    compared with every command of its group, never with the few made already alone (which
    offered 'conversions' for 'sesions')."""
    done = console(tmp_path, child_env, *typed.split())
    assert done.returncode == 2, done.stderr
    said = done.stderr.splitlines()[-1]
    assert said.startswith(f"Error: No such command {typed.split()[-1]!r}. "), said
    assert "Did you mean" in said and repr(meant) in said, said
