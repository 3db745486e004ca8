"""Terminals that are not UTF-8.

A terminal whose locale is not UTF-8 (``de_DE.ISO-8859-1``: Python then writes Latin-1,
which ``PYTHONIOENCODING`` stands for here, that locale not being installed) cannot show
"AC⧸DC" nor the toolkit's own marks (✓, —): each is shown as its escape, and the command
runs to its end, never stopped by a UnicodeEncodeError half-way through a batch."""

from __future__ import annotations

import subprocess
import sys

from mediakeeper.queue.store import QueueStore
from tests.helpers import REPO_ROOT, script_env

LATIN_1 = {"PYTHONIOENCODING": "iso8859-1"}


def run(script: str, *args, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A script of utilities/ run to its end, its output kept as the bytes it wrote."""
    done = subprocess.run(
        [sys.executable, f"utilities/{script}", *map(str, args)], cwd=REPO_ROOT,
        env={**script_env(), **(env or {})}, capture_output=True, timeout=300,
    )  # fmt: skip
    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")
    return done


def album(artist: str) -> dict:
    tags = {"artist": artist, "albumartist": artist, "album": "One", "date": "2001",
            "title": "Song", "tracknumber": "1"}  # fmt: skip
    return {f"{artist}/2001 - One/01 - Song.flac": {"tags": tags}}


def test_a_batch_on_a_latin_1_terminal_runs_to_its_end_names_escaped(tmp_path, music_library):
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {**album("AC\u29f8DC"), **album("Björk")})
    batch = run("process_music_batch.py", "--home", home, "--library", lib, "--offline", "-v",
                env=LATIN_1)  # fmt: skip
    said = batch.stdout.decode("iso8859-1")
    assert batch.returncode == 0, said + batch.stderr.decode("iso8859-1")
    items = QueueStore(home / "status" / "music", "music").load()["items"]
    assert {i["name"]: i["status"] for i in items} == {"AC\u29f8DC": "completed",
                                                       "Björk": "completed"}  # fmt: skip
    assert "\\u2713 AC\\u29f8DC \\u2014 completed" in said  # shown as its escapes
    assert "\\u2713 Björk \\u2014 completed" in said  # Latin-1 holds ö: shown as it is
    for script, *args in (("music_queue_manager.py", "--list"), ("media_dashboard.py",),
                          ("sessions.py", "list"), ("decide.py",)):  # fmt: skip
        done = run(script, *args, "--home", home, env=LATIN_1)
        assert done.returncode == 0, done.stderr.decode("iso8859-1")
    listed = run("music_queue_manager.py", "--list", "--home", home, env=LATIN_1)
    assert "AC\\u29f8DC" in listed.stdout.decode("iso8859-1")
