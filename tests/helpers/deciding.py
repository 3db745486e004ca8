"""``decide`` run as a person runs it, and what its answers say: the groups it lists and the
undo session a choice prints."""

from __future__ import annotations

import json
import re

from tests.helpers.processes import run_script


def decide(home, *args):
    return run_script("decide.py", "--home", home, *args)


def groups_of(home) -> dict[tuple[str, str], int]:
    shown = decide(home, "--json")
    assert shown.returncode == 0, shown.stderr
    return {(g["kind"], g["code"]): g["count"] for g in json.loads(shown.stdout)["groups"]}


def session_of(took) -> str:
    """The session a decision printed (``mediakeeper undo --session ID``)."""
    assert took.returncode == 0, took.stdout + took.stderr
    return re.search(r" undo .*--session (\S+)$", took.stdout, re.M).group(1)
