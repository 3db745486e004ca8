"""Counts that never move by themselves (issue 69 point 7): an artist the batch could not
look up (MusicBrainz unreachable) is a to-do, "not identified", counted apart from the
decisions on every surface, the same whether or not it has questions of its own; dismissing
its only question closes one decision and makes none appear. Real files, a real batch
against a port where nothing listens, real scripts."""

from __future__ import annotations

import json
import socket

import pytest

from tests.helpers import run_script
from tests.helpers.deciding import decide


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable(tmp_path, music_library, monkeypatch):
    """Abba (its first two tracks' numbers swapped: one filename-mismatch question) and Blur
    (clean), batched while MusicBrainz cannot be reached: (home, the batch's output)."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    spec = {}
    for artist in ("Abba", "Blur"):
        for n in (1, 2, 3):
            number = {1: 2, 2: 1}.get(n, n) if artist == "Abba" else n
            tags = {"title": f"Song {n}", "artist": artist, "albumartist": artist,
                    "album": "Album", "date": "2001", "tracknumber": str(number)}  # fmt: skip
            spec[f"{artist}/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags, "picture": True}
    music_library(lib, spec)
    home.mkdir()
    monkeypatch.setenv("MEDIAKEEPER_MUSICBRAINZ_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("MEDIAKEEPER_MUSICBRAINZ_RETRIES", "0")
    monkeypatch.setenv("MEDIAKEEPER_MUSIC_LOOKUPS", "true")  # the suite runs offline
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib)
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, batch.stdout


def total(home) -> int:
    shown = decide(home, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["total"]


def test_not_identified_is_a_to_do_counted_apart_the_same_way_every_time(unreachable):
    home, said = unreachable
    assert "2 artists completed (2 not identified)" in said, said
    assert "needs you: 1 decision in 1 artist" in said, said  # Abba's question, nothing more
    assert total(home) == 1
    listed = decide(home).stdout
    assert listed.startswith("1 decision in 1 group, worst first:"), listed
    assert "unidentified" not in listed
    assert "music   not identified  2 artists: Abba, Blur" in listed, listed
    assert "a to-do, not a decision" in listed and "--enrich" in listed
    shown = json.loads(decide(home, "--json").stdout)
    assert shown["not_identified"] == [{"kind": "music", "count": 2, "items": ["Abba", "Blur"]}]
    board = run_script("media_dashboard.py", "--home", home).stdout
    assert "NEEDS ATTENTION  1 decision · 0 failed, 0 skipped, 2 not identified" in board, board

    took = decide(home, "music", "Abba", "--dismiss", "filename-mismatch")
    assert took.returncode == 0, took.stdout + took.stderr
    assert total(home) == 0  # no decision appeared in its place
    after = decide(home).stdout
    assert after.startswith("Nothing to decide.\n"), after
    assert "unidentified" not in after and "music   not identified  2 artists" in after, after
    board = run_script("media_dashboard.py", "--home", home).stdout
    assert "NEEDS ATTENTION  0 decisions · 0 failed, 0 skipped, 2 not identified" in board, board
