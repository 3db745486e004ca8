"""Deciding about an item whose folder name is not UTF-8 (a Latin-1 'Bj\\xf6rk' made on
Linux): its decisions are listed, shown, answered and undone like any other's, in the
terminal and through the API. Real files, the real scripts in subprocesses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.helpers.audio import build_library
from tests.helpers.processes import REPO_ROOT, run_script, script_env

LATIN = os.fsdecode(b"Bj\xf6rk")


def decide_bytes(home, *args) -> subprocess.CompletedProcess:
    """decide run as a person runs it, its output as bytes: a name that is not UTF-8 is
    printed as the bytes the file system has (--json: as its escape, in UTF-8)."""
    return subprocess.run(
        [sys.executable, "utilities/decide.py", "--home", str(home), *args],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, timeout=120,
    )  # fmt: skip


def latin_library(tmp_path):
    """(library, empty home): an artist folder named in Latin-1 bytes, one album with a good
    track and an empty one (a decision: unreadable-file)."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    build_library(lib, {f"{LATIN}/Debut/01 - Human.flac": {
        "tags": {"title": "Human", "artist": "Björk", "albumartist": "Björk", "album": "Debut",
                 "tracknumber": "1", "date": "1993"}}})  # fmt: skip
    (lib / LATIN / "Debut" / "02 - Empty.flac").write_bytes(b"")
    home.mkdir()
    return lib, home


def test_an_item_whose_name_is_not_utf8_is_listed_shown_decided_and_undone(tmp_path):
    """decide --json, decide music NAME and /api/decisions crashed (a traceback:
    UnicodeEncodeError in the decision's id) for every decision of such an item."""
    lib, home = latin_library(tmp_path)
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr  # a decision for you
    listed = decide_bytes(home, "--json")
    assert listed.returncode == 0, listed.stderr.decode(errors="replace")
    (group,) = json.loads(listed.stdout.decode("utf-8"))["groups"]
    (decision,) = group["decisions"]
    assert (decision["item"], decision["code"]) == (LATIN, "unreadable-file"), decision
    shown = decide_bytes(home, "music", LATIN)
    assert shown.returncode == 0, shown.stderr.decode(errors="replace")
    assert b"unreadable-file" in shown.stdout
    by_id = decide_bytes(home, "--id", decision["id"], "--dismiss", "unreadable-file")
    assert by_id.returncode == 0, by_id.stderr.decode(errors="replace")
    session = re.search(rb"--session (\S+)$", by_id.stdout, re.M).group(1).decode()
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    again = decide_bytes(home, "--json")
    (group,) = json.loads(again.stdout.decode("utf-8"))["groups"]
    assert [d["id"] for d in group["decisions"]] == [decision["id"]]


def test_the_page_and_the_api_show_and_decide_such_an_item(tmp_path):
    """The whole page (/, /library) and /api/queues/music/items, /api/decisions answered 500
    (UnicodeEncodeError: surrogates not allowed) as soon as one folder of the library had
    such a name: nothing of the home could be seen or decided from the browser."""
    from tests.integration.serving import serve

    lib, home = latin_library(tmp_path)
    run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    server = serve(home)
    try:
        items = server.get("/api/queues/music/items")
        assert items.status_code == 200, items.text
        assert [i["key"] for i in items.json()["items"]] == [LATIN]  # the name itself
        asked = server.get("/api/decisions")
        assert asked.status_code == 200, asked.text
        (group,) = asked.json()["groups"]
        (decision,) = group["decisions"]
        assert decision["item"] == LATIN
        for view in ("/", "/library?kind=music", f"/decisions/{decision['id']}"):
            page = server.get(view)
            assert page.status_code == 200, (view, page.text[-2000:])
            assert "Bj\\udcf6rk" in page.text, view  # its byte shown as the terminal shows it
        # the library's link to the item leads to it
        link = re.search(r'href="(/library/item\?[^"]+)"', server.get("/library").text)
        item = server.get(link.group(1).replace("&amp;", "&"))
        heading = '<h1 id="item-name" tabindex="-1">Bj\\udcf6rk</h1>'
        assert item.status_code == 200 and heading in item.text, item.text[-2000:]
        took = server.post("/api/decisions", {"id": decision["id"], "dismiss": True})
        assert took.status_code == 200, took.text
        assert server.get("/api/decisions").json()["groups"] == []
    finally:
        server.stop()


COMPOSED, DECOMPOSED = "Bj\u00f6rk", "Bjo\u0308rk"  # one name, as Linux and a Mac write it


def twins_library(tmp_path):
    """(library, home) after an offline batch: 'Björk' twice, composed and decomposed (a
    folder copied from a Mac beside its twin), each with one decision (an empty track)."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    for name in (COMPOSED, DECOMPOSED):
        build_library(lib, {f"{name}/Debut/01 - Human.flac": {
            "tags": {"title": "Human", "artist": "Björk", "albumartist": "Björk",
                     "album": "Debut", "tracknumber": "1", "date": "1993"}}})  # fmt: skip
        (lib / name / "Debut" / "02 - Empty.flac").write_bytes(b"")
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return lib, home


def _pasted(word: str) -> str:
    """A name as bash gives back the word the toolkit printed for it."""
    return subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True,
                          check=True).stdout.decode("utf-8")  # fmt: skip


def test_each_of_two_unicode_twins_is_reached_and_the_other_named(tmp_path):
    """Björk composed and Björk decomposed, both queued: `decide music Björk` reached the
    composed one and said nothing of the other, which no name a person types reached; a
    looser name ('bjork') was refused as "any of 2 names: 'Björk', 'Björk'", which told
    nothing. Each now names the other with a word that reaches it, pasted."""
    _, home = twins_library(tmp_path)
    words = {}
    for name, other, form in ((COMPOSED, DECOMPOSED, "decomposed, as a Mac writes names"),
                              (DECOMPOSED, COMPOSED, "composed")):  # fmt: skip
        shown = decide_bytes(home, "music", name)
        assert shown.returncode == 0, shown.stderr.decode(errors="replace")
        said = shown.stdout.decode("utf-8")
        assert said.startswith(f"{name}: 1 decision open\n"), said
        [line] = [line for line in said.splitlines() if "Unicode form" in line]
        match = re.fullmatch(rf"  Also '{other}' \({form}\), another folder of this name in "
                             r"another Unicode form: `decide music (\$'[^']+')` shows its "
                             r"decisions", line)  # fmt: skip
        assert match, line
        words[other] = match[1]
        assert _pasted(match[1]) == other
    loose = decide_bytes(home, "music", "bjork")
    assert loose.returncode == 2
    said = loose.stderr.decode("utf-8")
    assert said == (
        f"Error: 'bjork' could be either of 2 folders of one name in two Unicode forms: "
        f"'{COMPOSED}' (composed): `decide music {words[COMPOSED]}`; '{DECOMPOSED}' "
        f"(decomposed, as a Mac writes names): `decide music {words[DECOMPOSED]}`\n"), said
    # a group's items: each twin with its form, where the names alone look the same
    group = decide_bytes(home, "--group", "unreadable-file")
    assert group.returncode == 0, group.stderr.decode(errors="replace")
    rows = [line.split("  ")[1] for line in group.stdout.decode("utf-8").splitlines()
            if "1 decision" in line]  # fmt: skip
    assert sorted(rows) == sorted([f"{COMPOSED} (composed)",
                                   f"{DECOMPOSED} (decomposed, as a Mac writes names)"]), rows
    # each word reaches its own: an answer to one leaves the other's decision open
    took = decide_bytes(home, "music", _pasted(words[DECOMPOSED]), "--dismiss", "unreadable-file")
    assert took.returncode == 0, took.stderr.decode(errors="replace")
    listed = decide_bytes(home, "--json")
    (group,) = json.loads(listed.stdout.decode("utf-8"))["groups"]
    assert [d["item"] for d in group["decisions"]] == [COMPOSED]


def test_a_queue_manager_names_each_unicode_twin_with_the_word_that_reaches_it(tmp_path):
    """The queue manager finds names as decide does (``text.matching``): a looser name
    fitting both twins was refused as "any of 2 names: 'Björk', 'Björk'", which told
    nothing; it now names each with its form and the word that reaches it, and that word
    pasted resets that one only."""
    _, home = twins_library(tmp_path)

    def manager(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO_ROOT / "utilities/music_queue_manager.py"),
                               "--home", str(home), *args], capture_output=True,
                              env=script_env(), timeout=120)  # fmt: skip

    loose = manager("--reset-artist", "bjork")
    assert loose.returncode == 2, loose
    said = loose.stderr.decode("utf-8")
    match = re.fullmatch(rf"Error: 'bjork' could be either of 2 folders of one name in two "
                         rf"Unicode forms: '{COMPOSED}' \(composed\): (\$'[^']+'); "
                         rf"'{DECOMPOSED}' \(decomposed, as a Mac writes names\): "
                         r"(\$'[^']+')\n", said)  # fmt: skip
    assert match, said
    assert [_pasted(match[1]), _pasted(match[2])] == [COMPOSED, DECOMPOSED]
    reset = manager("--reset-artist", _pasted(match[2]))
    assert reset.returncode == 0, reset.stderr.decode(errors="replace")
    listed = manager("list", "--json")
    assert listed.returncode == 0, listed.stderr.decode(errors="replace")
    statuses = {i["name"]: i["status"] for i in json.loads(listed.stdout)}
    assert statuses == {COMPOSED: "completed", DECOMPOSED: "pending"}, statuses
