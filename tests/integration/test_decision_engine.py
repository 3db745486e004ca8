"""One decision engine behind both faces (issue 70 points 1, 2, 3, 4, 8): every decision
named by its id, its choices numbered within it, its question and evidence said, its scope
previewed before anything is written, a typed value written to the files the question is
about and no others, every answer (a dismissal too) one session undone alike, and a stale id
refused with nothing written. Through the real ``decide`` and a real ``mediakeeper serve``
(uvicorn) asked by a real HTTP client, on real FLAC files made by the batch's own scan."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import mutagen
import pytest

from mediakeeper.decisions import ids
from tests.helpers.deciding import decide, groups_of
from tests.helpers.processes import run_script
from tests.integration.serving import serve
from tests.integration.test_decisions_truth import library_spec

ALBUM = "Pink Floyd/1973 - Dark Side"
UNTAGGED = f"{ALBUM}/05 untagged.flac"


def spec() -> dict:
    """The decisions library, and one untagged file in Pink Floyd's album: its missing
    title, artist, track number and year are each a question about that one file."""
    return {**library_spec(), UNTAGGED: {"tags": {}, "picture": True}}


@pytest.fixture
def home(tmp_path, music_library):
    lib = tmp_path / "lib"
    music_library(lib, spec())
    home = tmp_path / "home"
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr  # it leaves decisions
    return home, lib


def files_of(lib) -> dict[str, bytes]:
    return {str(p.relative_to(lib)): p.read_bytes() for p in sorted(lib.rglob("*.flac"))}


def decisions_of(home, name: str) -> list[dict]:
    shown = decide(home, "music", name, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["decisions"]


def one(decisions: list[dict], code: str) -> dict:
    return next(d for d in decisions if d["code"] == code)


def test_ids_are_in_the_listing_and_each_decision_says_its_question_and_evidence(home):
    home, _ = home
    listing = json.loads(decide(home, "--json").stdout)
    ids = [d["id"] for g in listing["groups"] for d in g["decisions"]]
    assert len(ids) == len(set(ids)) == listing["total"]  # one id per decision, all listed
    assert all(re.fullmatch(r"d1\.[A-Za-z0-9_-]+", i) for i in ids)  # URL-safe, opaque
    floyd = decisions_of(home, "Pink Floyd")
    year = one(floyd, "inconsistent-year")
    assert year["album"] == "1973 - Dark Side" and year["id"] in ids
    assert year["question"] == ("Which year is right for the album '1973 - Dark Side'? "
                                "Its tracks disagree.")  # fmt: skip
    values = {v["value"]: len(v["tracks"]) for v in year["details"]["values"]}
    assert values == {"1973": 2, "1974": 2, None: 1}  # each value with its tracks
    assert [c["number"] for c in year["choices"]] == [1, 2]  # numbered within it
    title = one(floyd, "missing-title")
    assert title["files"] == ["1973 - Dark Side/05 untagged.flac"] and title["can_set"] == "title"
    assert title["details"]["question"].startswith("What is the title of 1973 - Dark Side/05")
    shown = decide(home, "--id", title["id"])  # the same decision, in words, by its id
    assert shown.returncode == 0 and "missing-title" in shown.stdout
    assert f"id {title['id']}" in shown.stdout


def test_the_second_of_an_albums_decisions_is_taken_and_closes_what_its_tags_answer(home):
    home, lib = home
    before = decisions_of(home, "Pink Floyd")
    assert len(before) == 5
    # A choice number without its decision is refused: it counts within one decision.
    ambiguous = decide(home, "music", "Pink Floyd", "--choose", "2")
    assert ambiguous.returncode == 2 and "counts within one" in ambiguous.stderr
    year = one(before, "inconsistent-year")
    took = decide(home, "--id", year["id"], "--choose", "2")
    assert took.returncode == 0, took.stdout + took.stderr
    after = decisions_of(home, "Pink Floyd")
    # The choice gave the untagged file its year too: its missing-year is answered by the
    # tags written, the album's other questions stay open.
    answered = {year["id"], one(before, "missing-year")["id"]}
    assert {d["id"] for d in after} == {d["id"] for d in before} - answered
    dates = [mutagen.File(p).get("date") for p in sorted((lib / ALBUM).glob("*.flac"))]
    assert dates == [["1974"]] * 5


def test_a_value_for_one_untagged_file_writes_that_file_only_after_its_preview(home):
    home, lib = home
    title = one(decisions_of(home, "Pink Floyd"), "missing-title")
    before = files_of(lib)
    dry = decide(home, "music", "Pink Floyd", "--code", "missing-title", "--set",
                 "title=Untitled Jam", "--dry-run")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == ("would set title of 1973 - Dark Side/05 untagged.flac:"
                                          " (none) -> 'Untitled Jam'")  # fmt: skip
    assert "nothing written" in dry.stdout and files_of(lib) == before
    took = decide(home, "--id", title["id"], "--set", "title=Untitled Jam")
    assert took.returncode == 0, took.stdout + took.stderr
    after = files_of(lib)
    assert [p for p in after if after[p] != before[p]] == [UNTAGGED]  # one file changed
    assert mutagen.File(lib / UNTAGGED)["title"] == ["Untitled Jam"]


def test_a_dismissal_is_a_session_undone_as_any_change(home):
    home, _ = home
    year = one(decisions_of(home, "Pink Floyd"), "missing-year")
    took = decide(home, "--id", year["id"], "--dismiss")
    assert took.returncode == 0, took.stdout + took.stderr
    session = re.search(r"--session (\S+)$", took.stdout, re.M).group(1)
    assert year["id"] not in {d["id"] for d in decisions_of(home, "Pink Floyd")}
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert year["id"] in {d["id"] for d in decisions_of(home, "Pink Floyd")}


def test_a_stale_id_is_refused_in_one_line_and_nothing_is_written(home):
    home, lib = home
    floyd = decisions_of(home, "Pink Floyd")
    year, title = one(floyd, "inconsistent-year"), one(floyd, "missing-title")
    assert decide(home, "--id", year["id"], "--choose", "1").returncode == 0
    before = files_of(lib)
    again = decide(home, "--id", year["id"], "--choose", "2")  # taken already
    assert again.returncode == 2 and "no longer open" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "Traceback" not in again.stderr
    assert files_of(lib) == before
    # The file the decision is about changed since the batch read it: refused, nothing
    # written (another file of the item changing is no reason to refuse it).
    other = lib / ALBUM / "01 - Song 1.flac"
    os.utime(other, ns=(other.stat().st_atime_ns, other.stat().st_mtime_ns + 10**9))
    dry = decide(home, "--id", title["id"], "--set", "title=X", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    untagged = lib / UNTAGGED
    os.utime(untagged, ns=(untagged.stat().st_atime_ns, untagged.stat().st_mtime_ns + 10**9))
    before = files_of(lib)
    changed = decide(home, "--id", title["id"], "--set", "title=X")
    assert changed.returncode == 2, changed.stdout + changed.stderr
    assert "05 untagged.flac of Pink Floyd changed since the batch read it" in changed.stderr
    assert files_of(lib) == before
    bogus = decide(home, "--id", "d1.not-an-id", "--dismiss")
    assert bogus.returncode == 2 and "is not a decision id" in bogus.stderr


def test_the_api_lists_previews_takes_and_undoes_by_id(home):
    home, lib = home
    server = serve(home)
    try:
        listed = server.get("/api/decisions")
        assert listed.status_code == 200
        cli = json.loads(decide(home, "--json").stdout)
        assert listed.json() == cli  # the same engine, the same answer
        floyd = [d for g in cli["groups"] for d in g["decisions"] if d["item"] == "Pink Floyd"]
        title, year = one(floyd, "missing-title"), one(floyd, "missing-year")
        explained = server.get(f"/api/decisions/{title['id']}").json()
        assert explained["details"]["files"] == ["1973 - Dark Side/05 untagged.flac"]
        before = files_of(lib)
        body = {"id": title["id"], "set": {"title": "Untitled Jam"}}
        shown = server.post("/api/decisions/preview", body)
        assert shown.status_code == 200, shown.text
        assert [(w["file"], w["field"], w["old"], w["new"]) for w in shown.json()["writes"]] == [
            ("1973 - Dark Side/05 untagged.flac", "title", None, "Untitled Jam")]
        assert server.post("/api/decisions", {**body, "preview": True}).json() == shown.json()
        assert files_of(lib) == before  # a preview writes nothing
        other = server.post("/api/decisions", {"id": title["id"], "set": {"title": "Else"},
                                               "token": shown.json()["token"]})  # fmt: skip
        assert other.status_code == 409 and "since its preview" in other.json()["error"]
        assert files_of(lib) == before  # not what was previewed: refused, nothing written
        took = server.post("/api/decisions", {**body, "token": shown.json()["token"]})
        assert took.status_code == 200, took.text
        after = files_of(lib)
        assert [p for p in after if after[p] != before[p]] == [UNTAGGED]
        stale = server.post("/api/decisions", body)  # the same decision again: taken
        assert stale.status_code == 409 and "no longer open" in stale.json()["error"]
        # A dismissal returns a session, and /api/undo answers as docs/api.md says.
        dismissed = server.post("/api/decisions", {"id": year["id"], "dismiss": True})
        assert dismissed.status_code == 200 and dismissed.json()["session"], dismissed.text
        undone = server.post("/api/undo", {"session": dismissed.json()["session"]})
        assert undone.status_code == 200, undone.text
        assert set(undone.json()) >= {"session", "restored", "left_alone", "complete"}
        assert undone.json()["complete"] is True and undone.json()["reopened"] == 1
        assert server.get(f"/api/decisions/{year['id']}").status_code == 200  # open again
        taken = server.post("/api/undo", {"session": took.json()["session"]}).json()
        assert taken["restored"] == 1 and taken["complete"] is True
        assert files_of(lib) == before  # back byte for byte
        for bad, code in [({"id": year["id"], "choose": 9}, 404),
                          ({"id": "nonsense", "dismiss": True}, 400),
                          ({"id": year["id"], "dismiss": True, "extra": 1}, 400)]:  # fmt: skip
            answer = server.post("/api/decisions", bad)
            assert answer.status_code == code and answer.json()["error"], (bad, answer.text)
    finally:
        server.stop()


def test_the_second_of_an_albums_two_verify_decisions_is_taken_by_id_and_only_it(tmp_path):
    """The page's old fault: an album with two verify decisions (its audio's MD5 wrong, a
    file cut short), answer 1 sent for the second closed the first. By id, the second's
    answer closes the second only; each says its evidence (the seconds and bytes missing,
    whether a good backup copy exists)."""
    from mediakeeper.demo import damage
    from mediakeeper.demo import sound as synth
    from mediakeeper.media import ffmpeg

    exe, lib, home = ffmpeg.find(), tmp_path / "lib", tmp_path / "home"
    album = lib / "Band" / "Two Faults"
    synth.tone(exe, album / "01 Flipped.flac", 20.0, frequency=300)
    synth.tone(exe, album / "02 Cut.flac", 20.0, frequency=500)
    home.mkdir()
    assert run_script("process_verify_batch.py", "--home", home, "--library", lib).returncode == 0
    damage.flip_bytes(album / "01 Flipped.flac")
    damage.cut(album / "02 Cut.flac")
    run_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert run_script("process_verify_batch.py", "--home", home).returncode == 1
    shown = decide(home, "verify", "Band/Two Faults", "--json")
    assert shown.returncode == 0, shown.stderr
    decisions = json.loads(shown.stdout)["decisions"]
    assert len(decisions) >= 2 and len({d["id"] for d in decisions}) == len(decisions)
    second, others = decisions[1], [d for n, d in enumerate(decisions) if n != 1]
    damage_of = {e["path"]: e for d in decisions for e in d["details"]["damage"]}
    assert damage_of["02 Cut.flac"]["missing_seconds"] > 5  # 20 s cut to about half
    assert damage_of["02 Cut.flac"]["backup"]["good"] is False
    assert "no backup folder is set" in damage_of["02 Cut.flac"]["backup"]["why_not"]
    assert [c["label"] for c in second["choices"]][:2] == ["accept as is", "verify again"]
    server = serve(home)
    try:
        took = server.post("/api/decisions", {"id": second["id"], "choose": 1})
        assert took.status_code == 200 and took.json()["closed"] == 1, took.text
        for other in others:  # still open, each
            assert server.get(f"/api/decisions/{other['id']}").status_code == 200
        assert server.get(f"/api/decisions/{second['id']}").status_code == 409  # taken
        undone = server.post("/api/undo", {"session": took.json()["session"]})
        assert undone.status_code == 200 and undone.json()["complete"] is True, undone.text
        assert server.get(f"/api/decisions/{second['id']}").status_code == 200  # open again
    finally:
        server.stop()


def test_a_movies_candidates_are_shown_with_year_poster_and_overview_and_a_choice_undone(
    tmp_path,
):
    """Two TMDb movies called Solaris: each candidate with its title, year, poster and
    overview; the one chosen is kept for the next batch, and that too is a session the undo
    gives back (the movie as it was)."""
    from mediakeeper.queue.store import QueueStore
    from tests.integration.test_decide_kinds import movie_batch

    lib, home = tmp_path / "Movies", tmp_path / "home"
    (lib / "Solaris").mkdir(parents=True)
    (lib / "Solaris" / "solaris.mkv").write_bytes(b"not really a video")
    movie_batch(home, lib)
    shown = json.loads(decide(home, "movies", "Solaris", "--json").stdout)["decisions"]
    match = one(shown, "ambiguous-match")
    candidates = match["details"]["candidates"]
    assert {(c["title"], c["year"]) for c in candidates} == {("Solaris", 1972), ("Solaris", 2002)}
    assert all(c["poster"].endswith(f"/poster{c['id']}.jpg") for c in candidates)
    assert all(set(c) >= {"id", "title", "original_title", "year", "overview", "poster"}
               for c in candidates)  # fmt: skip
    assert {c["original_title"] for c in candidates} >= {"Солярис"}
    assert [c["act"] for c in match["choices"]] == ["candidate", "candidate"]
    took = decide(home, "--id", match["id"], "--choose", "2")
    assert took.returncode == 0, took.stdout + took.stderr
    session = re.search(r"--session (\S+)$", took.stdout, re.M).group(1)

    def solaris() -> dict:
        return next(i for i in QueueStore(home / "status" / "movies", "movies").peek()["items"]
                    if i["key"] == "Solaris")  # fmt: skip

    assert solaris()["status"] == "pending" and solaris()["choice"]["tmdb_id"]
    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert solaris()["status"] == "completed" and "choice" not in solaris()
    assert match["id"] in {d["id"] for d in decisions_of_kind(home, "movies", "Solaris")}


def decisions_of_kind(home, kind: str, name: str) -> list[dict]:
    return json.loads(decide(home, kind, name, "--json").stdout)["decisions"]


def test_a_whole_group_is_previewed_then_taken_as_one_session_from_the_api(home):
    home, lib = home
    server = serve(home)
    try:
        before = files_of(lib)
        body = {"kind": "music", "all": True, "dismiss": "missing-year"}
        shown = server.post("/api/decisions", {**body, "preview": True})
        assert shown.status_code == 200, shown.text
        assert shown.json()["closes"] == 2 and shown.json()["writes"] == []
        assert files_of(lib) == before and server.get("/api/decisions").json()["total"] == 7
        took = server.post("/api/decisions", body)
        assert took.status_code == 200 and took.json()["closed"] == 2, took.text
        undone = server.post("/api/undo", {"session": took.json()["session"]})
        assert undone.json()["reopened"] == 2 and undone.json()["complete"] is True
    finally:
        server.stop()


def test_a_code_and_a_dismissal_naming_two_decisions_are_refused_on_both_faces(home):
    """Pink Floyd asks both missing-year and missing-title: an answer whose ``code`` and
    ``dismiss`` name one each closed the ``code`` one, the other left open; an id beside
    another code, or an empty id, is refused as what it is. Nothing is closed."""
    home, _ = home
    groups = groups_of(home)
    server = serve(home)
    try:
        for body, said in [
            ({"kind": "music", "all": True, "code": "missing-year", "dismiss": "missing-title"},
             "code missing-year and dismiss missing-title name two decisions"),
            ({"kind": "music", "name": "Pink Floyd", "code": "missing-year",
              "dismiss": "missing-title", "preview": True},
             "code missing-year and dismiss missing-title name two decisions"),
            ({"id": ids.make("music", "Pink Floyd", "", "missing-year"),
              "dismiss": "missing-title"},
             "that id's decision is about missing-year, not missing-title"),
            ({"id": "", "dismiss": True}, "the id is empty"),
        ]:  # fmt: skip
            answer = server.post("/api/decisions", body)
            assert answer.status_code == 400, (body, answer.text)
            assert answer.json()["error"].startswith(said), answer.text
    finally:
        server.stop()
    for args in [("music", "Pink Floyd", "--code", "missing-year", "--dismiss", "missing-title"),
                 ("music", "--all", "--group", "missing-year", "--dismiss", "missing-title")]:
        refused = decide(home, *args)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "missing-year and dismiss missing-title name two decisions" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert groups_of(home) == groups  # nothing closed


def test_the_web_says_a_problem_in_its_own_terms_and_the_group_page_as_the_api(home):
    """What to give instead is said as the body's fields, not decide's flags; the group
    page answers each problem with the status the API gives the same problem (it said 409
    for every one)."""
    home, _ = home
    server = serve(home)
    try:
        for body, hint in [
            ({"kind": "music", "name": "Pink Floyd", "code": "missing-title", "choose": 1},
             'it has no numbered choice: give "set": {"title": "VALUE"} or "dismiss": '
             '"missing-title"'),
            ({"kind": "music", "name": "Pink Floyd", "choose": 1},
             'give "code": "CODE" (and "album") or "id": "ID"'),
        ]:  # fmt: skip
            answer = server.post("/api/decisions", body)
            assert answer.status_code == 404, answer.text
            assert answer.json()["error"].endswith(f"({hint})"), answer.text
        for query, body, status in [
            ("kind=films&code=missing-year", {"kind": "films", "dismiss": "missing-year"}, 400),
            ("kind=music&code=no-such-code", {"kind": "music", "dismiss": "no-such-code"}, 404),
            ("kind=music&code=failed", {"kind": "music", "dismiss": "failed"}, 400),
            ("kind=music&code=missing-year&choose=9",
             {"kind": "music", "code": "missing-year", "choose": 9}, 404),
        ]:  # fmt: skip
            api = server.post("/api/decisions", {**body, "all": True, "preview": True})
            page = server.get(f"/decisions/group?{query}")
            assert (page.status_code, api.status_code) == (status, status), (query, page.text)
            assert "--" not in page.text, page.text
    finally:
        server.stop()


def test_a_failed_items_error_is_said_without_the_toolkits_working_paths():
    from mediakeeper.text.failures import plain_error

    said = plain_error("ffmpeg could not read /h/working/conversions/ab12/Track 1.flac: cut",
                       [Path("/h/working")])  # fmt: skip
    assert said == "ffmpeg could not read Track 1.flac: cut"
    # A kind's own working folder (its setting), of no shape the toolkit knows, is known too.
    said = plain_error("cannot write /srv/scratch/ab12/out.m4b: full\nthe disk is full",
                       [Path("/srv/scratch")])  # fmt: skip
    assert said == "cannot write out.m4b: full\nthe disk is full"  # the engine keeps its lines


def test_a_failed_item_is_retried_by_its_id_after_its_preview_and_the_retry_undone(
    tmp_path, music_library,
):
    """A failed artist (its folder gone at the batch) is a decision: its stage and last error
    in words, retry and skip; retried by id, and the retry undone (the item failed again,
    as it was)."""
    from mediakeeper.queue.store import QueueStore

    lib, home = tmp_path / "lib", tmp_path / "home"
    music_library(lib, {"Gone/Album/01 - Song.flac": {"tags": {"title": "Song"}}})
    init = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stdout + init.stderr
    (lib / "Gone").rename(tmp_path / "Gone")
    run_script("process_music_batch.py", "--home", home, "--offline")
    server = serve(home)
    try:
        listed = server.get("/api/decisions").json()
        [failed] = listed["outstanding"]
        [decision] = failed["decisions"]
        assert decision["code"] == "failed" and decision["item"] == "Gone"
        shown = server.get(f"/api/decisions/{decision['id']}").json()
        assert shown["details"]["stage"] == "scan"
        assert "artist folder not found" in shown["details"]["error"]
        assert [c["act"] for c in shown["choices"]] == ["retry", "skip"]
        preview = server.post("/api/decisions/preview", {"id": decision["id"], "choose": 1})
        assert preview.json()["queue"] == [{"item": "Gone", "key": "Gone", "status": "pending",
                                            "goes": "back to pending for the next music batch"}]

        def status() -> str:
            items = QueueStore(home / "status" / "music", "music").peek()["items"]
            return next(i["status"] for i in items if i["key"] == "Gone")

        assert status() == "error"  # the preview wrote nothing
        took = server.post("/api/decisions", {"id": decision["id"], "choose": 1})
        assert took.status_code == 200 and took.json()["session"], took.text
        assert status() == "pending"
        assert server.post("/api/decisions", {"id": decision["id"], "choose": 1}).status_code == 409
        undone = server.post("/api/undo", {"session": took.json()["session"]})
        assert undone.status_code == 200 and undone.json()["complete"] is True, undone.text
        assert status() == "error"
    finally:
        server.stop()


def test_the_web_says_decide_s_listing_and_answers_in_its_own_terms(home):
    """A hint naming the terminal's ``decide`` reached the page and the API as it was: a bad
    id's "`decide --json` and /api/decisions give each decision's id", an upgrade group's
    "decide music NAME --code CODE --choose N". The web says the API's listing alone, and an
    answer as the body's fields."""
    from mediakeeper.decisions.item import DecideError
    from mediakeeper.web.decisions import said_here

    home, _ = home
    server = serve(home)
    try:
        answer = server.post("/api/decisions", {"id": "d1.nonsense", "choose": 1})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"].endswith("(/api/decisions gives each decision's id)")
        page = server.get("/decisions/d1.nonsense")
        assert "decide --json" not in page.text and "gives each decision" in page.text, page.text
    finally:
        server.stop()
    # The library's own hint (``taking.take_group``'s for an upgrade), as the web says it.
    upgrade = DecideError("the tag upgrade of 'legacy-tag' is taken item by item",
                          "decide music NAME --code legacy-tag --choose 1")  # fmt: skip
    assert said_here(upgrade) == ('the tag upgrade of \'legacy-tag\' is taken item by item '
                                  '("kind": "music", "name": "NAME", "code": "legacy-tag", '
                                  '"choose": 1)')  # fmt: skip
    each = DecideError("the choices of 'x' are each item's own",
                       "decide each item: decide movies NAME")  # fmt: skip
    assert said_here(each).endswith('(decide each item: "kind": "movies", "name": "NAME")')
