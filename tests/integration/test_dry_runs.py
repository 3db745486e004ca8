"""A dry run changes nothing, nor does a command that only reads: over the demo's home, every
kind's batch, a decision and an undo run with --dry-run, and the listings, a session shown,
the clean's preview and the dashboard, and every file and folder of the home and its library
is after each as it was before, its bytes and its times. (Every command that writes names
the home in its list of what a kill may leave behind, and takes the line away at its end: a
dry run or a reading writes nothing for that line to protect, and so leaves even the list's
time alone.)"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.integration.test_attention import script


def _state(root: Path) -> dict[str, tuple]:
    """Every file's and folder's size and modification time below root, a file's digest."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            regular = os.path.isfile(path) and not os.path.islink(path)
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if regular else ""
            found[path] = (st.st_size, st.st_mtime_ns, digest)
    return found


@pytest.mark.parametrize("command", [
    ("music", "batch", "--artist", "Pink Floyd"),
    ("verify", "batch"),
    ("decide", "music", "Pink Floyd", "--code", "inconsistent-year", "--choose", "1"),
    ("undo", "--session", "SESSION"),
])  # fmt: skip
def test_a_dry_run_leaves_every_file_and_its_time_as_it_was(demo_home, command):
    if "SESSION" in command:  # the demo's batch
        listed = script("-m mediakeeper --home", demo_home, "undo", "--list", "--json")
        session = json.loads(listed.stdout)["sessions"][0]["session"]
        command = tuple(session if word == "SESSION" else word for word in command)
    before = _state(demo_home)
    ran = script("-m mediakeeper --home", demo_home, *command, "--dry-run")
    assert "nothing" in ran.stdout, ran.stdout + ran.stderr  # "... nothing written"
    after = _state(demo_home)
    assert after == before, sorted(p for p in set(after) | set(before)
                                   if after.get(p) != before.get(p))


@pytest.mark.parametrize("command", [
    ("sessions", "list"),
    ("sessions", "show", "SESSION"),
    ("sessions", "clean", "--older-than", "0d"),  # without --yes: what it would delete
    ("decide",),
    ("decide", "music", "Pink Floyd"),
    ("undo", "--list"),
    ("dashboard",),
    ("music", "queue", "--list"),
    ("schedule",),
])  # fmt: skip
def test_a_command_that_only_reads_leaves_every_file_and_its_time_as_it_was(demo_home, command):
    if "SESSION" in command:  # the demo's batch
        listed = script("-m mediakeeper --home", demo_home, "sessions", "list", "--json")
        session = json.loads(listed.stdout)[0]["id"]
        command = tuple(session if word == "SESSION" else word for word in command)
    before = _state(demo_home)
    ran = script("-m mediakeeper --home", demo_home, *command)
    assert "Traceback" not in ran.stderr
    after = _state(demo_home)
    assert after == before, sorted(p for p in set(after) | set(before)
                                   if after.get(p) != before.get(p))
