"""What ``serve`` lists of the decisions follows the queues whoever changes them (issue 70):
the server holds each item's part of the listing and looks again only at the items that
changed, so the page and ``GET /api/decisions`` must never show a decision taken since (by
``decide`` in a terminal, a queue manager, a later batch), nor take one. After every such
change the server's listing is the one ``decide --json`` reads afresh, exactly.
Real FLAC files, the real batch and scripts in other processes, a real server over HTTP."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import run_script
from tests.integration.serving import serve

ARTISTS = ("Abba", "Blur", "Cream", "Doves")
CODE = "filename-mismatch"


@pytest.fixture
def asked(tmp_path, music_library):
    """Four artists whose first two tracks have their tag numbers swapped: one
    filename-mismatch question each."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    spec = {}
    for artist in ARTISTS:
        for n in (1, 2, 3):
            tags = {"title": f"Song {n}", "artist": artist, "albumartist": artist,
                    "album": "Album", "date": "2001", "tracknumber": str({1: 2, 2: 1}.get(n, n))}
            spec[f"{artist}/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags}  # fmt: skip
    music_library(lib, spec)
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, lib


def fresh(home) -> dict:
    """The listing read afresh from the files, as ``decide --json`` reads it."""
    shown = run_script("decide.py", "--home", home, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def ids_of(listed: dict) -> dict[str, str]:
    return {d["item"]: d["id"] for g in listed["groups"] for d in g["decisions"]}


def test_the_server_never_lists_a_decision_taken_elsewhere_and_lists_what_decide_reads(asked):
    home, lib = asked
    server = serve(home)
    try:
        listed = server.get("/api/decisions").json()
        assert listed == fresh(home) and sorted(ids_of(listed)) == list(ARTISTS)
        page = server.get("/").text
        assert all(f'data-id="{i}"' in page for i in ids_of(listed).values())
        blur = ids_of(listed)["Blur"]

        # Taken in a terminal: gone from the page at its next look, refused if sent.
        took = run_script("decide.py", "--home", home, "music", "Blur", "--dismiss", CODE)
        assert took.returncode == 0, took.stdout + took.stderr
        assert f'data-id="{blur}"' not in server.get("/").text
        assert server.get("/api/decisions").json() == fresh(home)
        again = server.post("/api/decisions", {"id": blur, "dismiss": True})
        assert again.status_code == 409, again.text

        # An artist put back to pending by the queue manager asks nothing until its batch.
        reset = run_script("music_queue_manager.py", "--home", home, "--reset-artist", "Cream")
        assert reset.returncode == 0, reset.stdout + reset.stderr
        listed = server.get("/api/decisions").json()
        assert listed == fresh(home) and "Cream" not in ids_of(listed)

        # A batch that fails an artist (its folder gone) and asks the rest again.
        (lib / "Cream").rename(lib.parent / "Cream")
        run_script("process_music_batch.py", "--home", home, "--offline")
        listed = server.get("/api/decisions").json()
        assert listed == fresh(home)
        assert listed["outstanding"][0]["items"] == ["Cream"]
        assert 'data-failures="music"' in server.get("/").text

        # Undone in a terminal: asked again, listed again.
        session = re.search(r"--session (\S+)$", took.stdout, re.M).group(1)
        undone = run_script("undo_changes.py", "--home", home, "--session", session)
        assert undone.returncode == 0, undone.stdout + undone.stderr
        listed = server.get("/api/decisions").json()
        assert listed == fresh(home) and ids_of(listed)["Blur"] == blur
        assert f'data-id="{blur}"' in server.get("/").text
    finally:
        server.stop()
