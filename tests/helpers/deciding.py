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


def abba_processed(tmp_path, music_library, numbers) -> tuple:
    """Abba's album of three FLAC files, file ``0N`` tagged track ``numbers[N]`` (as given:
    "2/3" keeps its total), after one offline batch, which finds something to ask: (home,
    the album's folder)."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    spec = {}
    for n, tagged in numbers.items():
        tags = {"title": f"Song {n}", "artist": "Abba", "albumartist": "Abba", "album": "Album",
                "date": "2001", "tracknumber": str(tagged)}  # fmt: skip
        spec[f"Abba/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags, "picture": True}
    music_library(lib, spec)
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, lib / "Abba" / "2001 - Album"


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
