"""Counts that never move by themselves (issue 69 point 7): an artist the batch could not
look up (MusicBrainz unreachable) asks one "unidentified" decision of its own (run it again),
counted the same way whether or not it has other questions, by the batch, ``decide`` and
the dashboard alike; dismissing its other question closes exactly one decision and makes
none appear. Real files, a real batch against a port where nothing listens, real scripts."""

from __future__ import annotations

import json
import socket

import pytest

from tests.helpers import run_script
from tests.helpers.deciding import decide
from tests.integration.serving import serve


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


def test_not_identified_is_counted_the_same_way_every_time(unreachable):
    home, said = unreachable
    assert "2 artists completed (2 not identified)" in said, said
    # Abba: its filename-mismatch and its own "unidentified"; Blur: its "unidentified".
    assert "needs you: 3 decisions in 2 artists" in said, said
    assert total(home) == 3
    shown = json.loads(decide(home, "--json").stdout)
    assert {g["code"]: (g["count"], g["items"]) for g in shown["groups"]} == {
        "filename-mismatch": (1, ["Abba"]), "unidentified": (2, ["Abba", "Blur"])}
    board = run_script("media_dashboard.py", "--home", home).stdout
    assert "NEEDS ATTENTION  3 decisions · 0 failed, 0 skipped, 2 not identified" in board, board

    took = decide(home, "music", "Abba", "--dismiss", "filename-mismatch")
    assert took.returncode == 0, took.stdout + took.stderr
    assert total(home) == 2  # one closed, none appeared in its place
    shown = json.loads(decide(home, "--json").stdout)
    assert [(g["code"], g["count"]) for g in shown["groups"]] == [("unidentified", 2)]
    board = run_script("media_dashboard.py", "--home", home).stdout
    assert "NEEDS ATTENTION  2 decisions · 0 failed, 0 skipped, 2 not identified" in board, board


def test_the_api_and_the_library_count_and_filter_it_as_decide_does(unreachable):
    """``/api/queues/music/items`` (what the library page lists) gives each item's decisions
    as ``decide`` counts them: Abba's filename-mismatch and its own "not identified" are 2,
    and its codes name both, so filtering by the group's code finds every item it holds."""
    home, _ = unreachable
    shown = json.loads(decide(home, "--json").stdout)
    asked = {g["code"]: g["items"] for g in shown["groups"]}
    server = serve(home)
    try:
        items = server.get("/api/queues/music/items").json()["items"]
        by_name = {i["name"]: (i["decisions"], i["codes"]) for i in items}
        assert by_name == {"Abba": (2, ["filename-mismatch", "unidentified"]),
                           "Blur": (1, ["unidentified"])}, items  # fmt: skip
        assert sum(n for n, _ in by_name.values()) == total(home)
        found = server.get("/api/queues/music/items", params={"code": "unidentified"}).json()
        assert [i["name"] for i in found["items"]] == asked["unidentified"] == ["Abba", "Blur"]
        page = server.get("/library/item", params={"kind": "music", "key": "Blur"}).text
        assert "1 open: <code>unidentified</code>" in page, page
    finally:
        server.stop()


def test_its_one_choice_is_taken_by_every_face_and_undone(unreachable):
    """The group was listed with its choice, run it again online, and nothing took it: its
    decisions were [] in --json and on the page, `decide music Abba` did not list it, and
    `--all --group unidentified --choose 1`, `--code unidentified` were refused. Each face
    now takes it: the item back to pending, one session that undo gives back."""
    home, _ = unreachable
    shown = decide(home, "music", "Abba")
    assert shown.stdout.splitlines()[0] == "Abba: 2 decisions open (2 findings)", shown.stdout
    assert "[2] warning unidentified — Abba is done but not identified" in shown.stdout
    asked = json.loads(decide(home, "music", "Abba", "--json").stdout)["decisions"]
    assert [d["code"] for d in asked] == ["filename-mismatch", "unidentified"], asked
    listed = json.loads(decide(home, "--json").stdout)
    group = next(g for g in listed["groups"] if g["code"] == "unidentified")
    assert [d["item"] for d in group["decisions"]] == group["items"] == ["Abba", "Blur"]

    def statuses():
        listed = run_script("music_queue_manager.py", "--home", home, "--list", "--json")
        return {i["key"]: i["status"] for i in json.loads(listed.stdout)}

    took = decide(home, "music", "Blur", "--choose", "1")  # its only question: no --code
    assert took.returncode == 0, took.stdout + took.stderr
    assert statuses() == {"Abba": "completed", "Blur": "pending"}
    session = took.stdout.split("--session ")[1].split()[0]
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "1 decision open again" in undone.stdout, undone.stdout
    assert statuses() == {"Abba": "completed", "Blur": "completed"} and total(home) == 3

    every = decide(home, "music", "--all", "--group", "unidentified", "--choose", "1")
    assert every.returncode == 0, every.stdout + every.stderr
    assert statuses() == {"Abba": "pending", "Blur": "pending"}
    for refused in (("music", "--all", "--dismiss", "unidentified"),
                    ("music", "--all", "--group", "unidentified", "--choose", "1", "--remember")):
        assert decide(home, *refused).returncode == 2  # fmt: skip


def test_the_api_takes_it_by_its_id(unreachable):
    """Previewed first, it says what the take does: Abba back to pending closes its other
    decision too (it said 1 closed, and its undo opened 2 again), no file written."""
    home, _ = unreachable
    mismatch = json.loads(decide(home, "music", "Abba", "--json").stdout)["decisions"][0]
    dry = decide(home, "music", "Abba", "--code", "unidentified", "--choose", "1", "--dry-run")
    assert dry.stdout.splitlines() == [
        "would put Abba back to pending for the next music batch", "No file would be written.",
        "dry run: 2 decisions would be closed (run it again online); nothing written"], dry.stdout
    whole = decide(home, "music", "--all", "--group", "unidentified", "--choose", "1",
                   "--dry-run", "--json")  # fmt: skip
    shown = json.loads(whole.stdout)
    assert shown["closes"] == 3 and {"id": mismatch["id"], "item": "Abba"} in shown["decisions"]
    server = serve(home)
    try:
        listed = server.get("/api/decisions").json()
        group = next(g for g in listed["groups"] if g["code"] == "unidentified")
        one = group["decisions"][0]
        assert one["item"] == "Abba" and one["code"] == "unidentified", group
        explained = server.get(f"/api/decisions/{one['id']}").json()
        assert [c["act"] for c in explained["choices"]] == ["again"], explained
        shown = server.post("/api/decisions/preview", {"id": one["id"], "choose": 1}).json()
        assert shown["closes"] == [one["id"], mismatch["id"]] and shown["files"] == [], shown
        taken = server.post("/api/decisions", {"id": one["id"], "choose": 1})
        assert taken.status_code == 200 and taken.json()["queued"] == ["Abba"], taken.text
        assert taken.json()["closed"] == 2, taken.text
        back = server.post("/api/undo", {"session": taken.json()["session"]})
        assert back.status_code == 200 and back.json()["reopened"] == 2, back.text
    finally:
        server.stop()
