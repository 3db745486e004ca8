"""Terminals that are not UTF-8, and scripts that read ``--json``.

A terminal whose locale is not UTF-8 (``de_DE.ISO-8859-1``: Python then writes Latin-1,
which ``PYTHONIOENCODING`` stands for here, that locale not being installed) cannot show
"AC⧸DC" nor the toolkit's own marks (✓, —): each is shown as its escape, and the command
runs to its end, never stopped by a UnicodeEncodeError half-way through a batch. A ``--json``
document is valid JSON, in UTF-8, whatever the names hold."""

from __future__ import annotations

import json
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


# A C1 control (a next line), a file name's undecodable byte (Latin-1's é on a UTF-8 system)
# and characters past Latin-1, the last past the Basic Multilingual Plane.
ODD = {"Next\x85Line": "Next Line", "Caf\udce9 Tacuba": "Café Tacuba", "AC\u29f8DC 🎸": "AC/DC"}


def test_every_json_document_is_valid_utf_8_json_giving_each_name_back(
    tmp_path, music_library
):
    """A script reads ``--json`` as JSON in UTF-8: a name's hidden control and a lone
    surrogate are JSON's own ``\\u`` escapes (never ``\\x85``, which JSON refuses, nor the raw
    undecodable byte, which is no UTF-8), and a stream that is not UTF-8 gets an ASCII
    document; each gives the real name back."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    for folder, artist in ODD.items():
        music_library(lib, {f"{folder}/{path.partition('/')[2]}": track
                            for path, track in album(artist).items()})  # fmt: skip
    batch = run("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode in (0, 1), batch.stderr.decode("utf-8", "replace")
    [session] = [line.split()[0] for line in
                 run("sessions.py", "list", "--home", home).stdout.decode().splitlines()[1:]]
    for env, encoding in (({}, "utf-8"), (LATIN_1, "ascii")):
        for script, *args in (("music_queue_manager.py", "--list", "--json"),
                              ("sessions.py", "show", session, "--json"),
                              ("media_dashboard.py", "--json"), ("decide.py", "--json"),
                              ("undo_changes.py", "--list", "--json")):  # fmt: skip
            done = run(script, *args, "--home", home, env=env)
            assert done.returncode == 0, (script, done.stderr.decode("utf-8", "replace"))
            document = json.loads(done.stdout.decode(encoding))  # strict: valid as it is
            names = json.dumps(document, ensure_ascii=False)
            if script in ("music_queue_manager.py", "sessions.py"):  # every item's name
                assert all(json.dumps(name, ensure_ascii=False)[1:-1] in names
                           for name in ODD), (script, names)  # fmt: skip
