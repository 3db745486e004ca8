"""``decide`` run as a person runs it, and what its answers say: the groups it lists and the
undo session a choice prints; and what it loads only to take a decision (``TAKING``)."""

from __future__ import annotations

import json
import re

from tests.helpers.processes import run_script

# What takes a decision: the tag library (mutagen, and the changes' writes), the engine and an
# item's answer, the media probes, the weekly report written again. Listing the decisions and
# showing one item's loads none of it: with it, `decide` took twice as long to start.
TAKING = ("mutagen", "mediakeeper.changes.writes", "mediakeeper.decisions.engine",
          "mediakeeper.decisions.answering", "mediakeeper.decisions.copies",
          "mediakeeper.media.ffmpeg", "mediakeeper.reports.weekly")  # fmt: skip


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
