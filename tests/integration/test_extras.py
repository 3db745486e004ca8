"""Extras by face: ``pip install mediakeeper`` brings the batches and reports; serve, watch,
alerts by Apprise (and the cluster) come with their extras, and a command whose face is
missing says which extra to install in one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

import pytest

from tests.helpers.processes import REPO_ROOT, script_env

FACES = {"web": {"starlette", "uvicorn", "sse-starlette", "anyio", "prometheus-client"},
         "watch": {"watchfiles"}, "alerts": {"apprise"}}  # fmt: skip


def _name(requirement: str) -> str:
    return requirement.split(";")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()


def test_a_plain_install_brings_no_face_and_each_extra_brings_its_own():
    plain, by_extra = set(), {}
    for requirement in requires("mediakeeper"):
        marker = requirement.partition(";")[2]
        if "extra ==" not in marker:
            plain.add(_name(requirement))
        else:
            extra = marker.split("extra ==")[1].strip().strip("'\"")
            by_extra.setdefault(extra, set()).add(_name(requirement))
    for extra, modules in FACES.items():
        assert not modules & plain, f"{extra}'s libraries are installed by everyone"
        assert modules <= by_extra[extra]


def run_without(missing: str, *argv: str, config: Path) -> subprocess.CompletedProcess:
    """The toolkit's command in a process where ``missing`` cannot be imported, as in an
    install without its extra (None in sys.modules is Python's own 'no such module');
    ``config``: the user's config folder (``init`` records its home there, never in the one
    every test shares)."""
    code = (f"import sys; sys.modules[{missing!r}] = None\n"
            "from mediakeeper.cli.main import main\n"
            f"sys.argv = ['mediakeeper', *{list(argv)!r}]\nmain()")  # fmt: skip
    env = {**script_env(), "XDG_CONFIG_HOME": str(config)}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize(("missing", "command", "extra"), [
    ("uvicorn", "serve", "web"), ("starlette", "serve", "web"), ("watchfiles", "watch", "watch"),
])  # fmt: skip
def test_a_command_whose_face_is_missing_names_the_extra(tmp_path, missing, command, extra):
    home = tmp_path / "home"
    config = tmp_path / "config"
    done = run_without(missing, "init", "--yes", "--home", str(home), config=config)
    assert done.returncode == 0, done.stderr
    done = run_without(missing, command, "--home", str(home), config=config)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(said) == 1, done.stderr
    assert f"pip install 'mediakeeper[{extra}]'" in said[0]
    assert missing in said[0]


def test_an_alert_without_apprise_says_what_to_install_and_never_raises():
    code = ("import sys; sys.modules['apprise'] = None\n"
            "from mediakeeper.batch.apprise_send import notify\n"
            "print(notify(('ntfys://example.invalid/topic',), {'event': 'failing'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=script_env(),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "pip install 'mediakeeper[alerts]'" in done.stdout
