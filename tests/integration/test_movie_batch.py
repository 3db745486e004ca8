"""The movie batch through the real script in real subprocesses, against a local fake TMDb.

The fake speaks TMDb's JSON on 127.0.0.1; the real client, cache, job and runner are pointed at
it through settings (environment variables). Libraries are real folders with small files.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.dashboard import dashboard_for, render_text
from mediakeeper.text.commands import kind_command, queue_manager, tool_command
from mediakeeper.text.slug import slugify
from tests.servers.tmdb import API_KEY, FakeTMDb
from utilities.movie_queue_manager import main as movie_queue_manager
from utilities.sessions import main as sessions_main

REPO = Path(__file__).resolve().parents[2]
WRONG_KEY = "ffffffffffffffffffffffffffffffff"


@pytest.fixture
def fake():
    with FakeTMDb() as server:
        yield server


def library_of(root: Path, files: list[str]) -> Path:
    """Folders and files ("The Matrix (1999)/movie.mkv"); a trailing "/" makes an empty one."""
    for rel in files:
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not really a video: " + rel.encode())
    return root


def run(fake, home: Path, library: Path, *args: str, key: str | None = API_KEY, **env: str):
    command = [sys.executable, "utilities/process_movie_batch.py", "--home", str(home),
               "--library", str(library), "--batch-size", "100", *args]  # fmt: skip
    return subprocess.run(command, cwd=REPO, env=tmdb_env(fake, key, **env), capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def tmdb_env(fake, key: str | None = API_KEY, **env: str) -> dict[str, str]:
    """The environment of a run against the fake TMDb (no PYTHONPATH: a script finds its
    checkout itself)."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("TMDB_API_KEY", "MEDIAKEEPER_TMDB_API_KEY", "PYTHONPATH")
    }
    environment.update(
        MEDIAKEEPER_TMDB_RATE_LIMIT="0",  # spacing is tested in the lookup session's tests
        MEDIAKEEPER_TMDB_TIMEOUT="5",
        **{"MEDIAKEEPER_TMDB_URL": fake.url, "MEDIAKEEPER_TMDB_RETRIES": "2",
           "MEDIAKEEPER_TMDB_IMAGES_URL": fake.images_url, **env},
    )
    if key is not None:
        environment["TMDB_API_KEY"] = key
    return environment


def sessions_cli(home: Path, *args: str) -> str:
    result = CliRunner().invoke(sessions_main, [args[0], "--home", str(home), *args[1:]],
                                env={"MEDIAKEEPER_HOME": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def manager(home: Path, *args: str) -> str:
    result = CliRunner().invoke(
        movie_queue_manager, ["--home", str(home), *args], env={"MEDIAKEEPER_HOME": None}
    )
    assert result.exit_code == 0, result.output
    return result.output


def queue_of(home: Path) -> dict[str, dict]:
    return {i["name"]: i for i in QueueStore(home / "status/movies", "movies").load()["items"]}


def output(home: Path, name: str) -> dict:
    return json.loads((home / "outputs/movies" / f"{slugify(name)}.json").read_text())


def codes(home: Path, name: str) -> list[str]:
    return [f["code"] for f in output(home, name)["findings"]]


def tree(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def api_calls(fake) -> list[str]:
    return [r.path for r in fake.api_requests]


def nfo(library: Path, folder: str) -> ET.Element:
    return ET.parse(library / folder / "movie.nfo").getroot()


def test_first_run_writes_the_nfo_and_a_second_run_sends_nothing(fake, tmp_path):
    library = library_of(tmp_path / "Movies", [
        "The Matrix (1999)/The Matrix (1999).mkv",
        "Heat.1995.1080p.BluRay.x264/heat.1995.1080p.mkv",
        "Se7en (1995) [tmdbid-807]/Se7en.mkv",
        "Le Fabuleux Destin d'Amélie Poulain (2001)/amelie.cd1.avi",
        "Le Fabuleux Destin d'Amélie Poulain (2001)/amelie.cd2.avi",
    ])  # fmt: skip
    home = tmp_path / "home"
    before = datetime.now(UTC).date().isoformat()
    first = run(fake, home, library)
    assert first.returncode == 0, first.stdout + first.stderr

    # One search and one details request per movie; the [tmdbid] needs no search.
    assert sorted(api_calls(fake)) == sorted(
        ["/3/search/movie"] * 3 + ["/3/movie/603", "/3/movie/949", "/3/movie/194", "/3/movie/807"]
    )
    searched = [r.param("query") for r in fake.requests_to("/3/search/movie")]
    assert "Se7en" not in searched
    assert "lookups: 7 requests sent, 0 answered from the cache" in first.stdout

    root = nfo(library, "The Matrix (1999)")
    assert (root.findtext("title"), root.findtext("originaltitle")) == ("The Matrix",) * 2
    assert (root.findtext("year"), root.findtext("premiered")) == ("1999", "1999-03-30")
    assert root.findtext("plot").startswith("Set in the 22nd century")
    assert root.findtext("runtime") == "136"
    assert [g.text for g in root.findall("genre")] == ["Action", "Science Fiction"]
    ids = {u.get("type"): (u.text, u.get("default")) for u in root.findall("uniqueid")}
    assert ids == {"tmdb": ("603", "true"), "imdb": ("tt0133093", None)}
    assert root.find("thumb").get("aspect") == "poster"
    assert root.findtext("thumb") == f"{fake.images_url}/poster603.jpg"
    assert root.findtext("fanart/thumb") == f"{fake.images_url}/backdrop603.jpg"
    amelie = nfo(library, "Le Fabuleux Destin d'Amélie Poulain (2001)")
    assert amelie.findtext("title") == "Amélie"
    assert amelie.findtext("originaltitle") == "Le Fabuleux Destin d'Amélie Poulain"

    queue = queue_of(home)
    matrix = queue["The Matrix (1999)"]
    assert matrix["status"] == "completed"
    assert matrix["details"]["tmdb_id"] == 603
    assert matrix["details"]["files_written"] == ["movie.nfo"]
    today = datetime.now(UTC).date().isoformat()
    assert matrix["details"]["processed_at"][:10] in {before, today}  # the run may cross midnight
    assert queue["Se7en (1995) [tmdbid-807]"]["details"]["match"] == "by-id"
    assert codes(home, "The Matrix (1999)") == []
    [differs] = output(home, "Heat.1995.1080p.BluRay.x264")["findings"]
    assert differs["code"] == "folder-name-differs"
    assert differs["details"]["suggested"] == "Heat (1995)"
    report = (home / "issues/movies" / f"{slugify('The Matrix (1999)')}.md").read_text()
    assert "https://www.themoviedb.org/movie/603" in report and "movie.nfo" in report

    # Everything again: every answer comes from the cache, and the NFOs are kept.
    written = tree(library)
    fake.clear_requests()
    manager(home, "--reset-all", "--yes")
    again = run(fake, home, library)
    assert again.returncode == 0, again.stdout + again.stderr
    assert fake.requests == []
    assert "lookups: 0 requests sent, 7 answered from the cache" in again.stdout
    assert tree(library) == written
    assert queue_of(home)["The Matrix (1999)"]["details"]["files_kept"] == ["movie.nfo"]


def test_existing_files_are_kept_unless_overwrite(fake, tmp_path):
    library = library_of(tmp_path / "Movies", ["The Matrix (1999)/matrix.mkv"])
    folder = library / "The Matrix (1999)"
    (folder / "movie.nfo").write_bytes(b"<movie><title>Mine</title></movie>")
    (folder / "poster.jpg").write_bytes(b"my own poster")
    home = tmp_path / "home"
    result = run(fake, home, library, "--artwork")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / "movie.nfo").read_bytes() == b"<movie><title>Mine</title></movie>"
    assert (folder / "poster.jpg").read_bytes() == b"my own poster"
    assert (folder / "fanart.jpg").read_bytes() == fake.image_bytes("backdrop603.jpg")
    details = queue_of(home)["The Matrix (1999)"]["details"]
    assert details["files_written"] == ["fanart.jpg"]
    assert details["files_kept"] == ["movie.nfo", "poster.jpg"]
    assert [r.path for r in fake.requests_to("/t/p/")] == ["/t/p/original/backdrop603.jpg"]

    replaced = run(fake, home, library, "--artwork", "--overwrite", "--movie", "the matrix (1999)")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert nfo(library, "The Matrix (1999)").findtext("title") == "The Matrix"
    assert (folder / "poster.jpg").read_bytes() == fake.image_bytes("poster603.jpg")
    assert queue_of(home)["The Matrix (1999)"]["details"]["files_written"] == [
        "movie.nfo", "poster.jpg", "fanart.jpg"
    ]  # fmt: skip


def test_ambiguous_and_unmatched_movies_write_nothing(fake, tmp_path):
    fake.add_movie("Twin Film", "2010-03-01")
    fake.add_movie("Twin Film", "2010-09-01")
    library = library_of(tmp_path / "Movies", [
        "Solaris/solaris.mkv",                # two films called Solaris, no year to choose
        "Twin Film (2010)/twin.mkv",          # two films of this title and year
        "Matrix (1999)/matrix.mkv",           # TMDb's title is "The Matrix"
        "The Matrix (2001)/matrix.mkv",       # the year is wrong
        "Nothing Like It (1990)/x.mkv",       # TMDb knows nothing of it
    ])  # fmt: skip
    before = tree(library)
    home = tmp_path / "home"
    result = run(fake, home, library)
    assert result.returncode == 1, result.stdout + result.stderr  # decisions left: exit 1
    assert tree(library) == before
    assert api_calls(fake) == ["/3/search/movie"] * 5  # a search each, never details

    solaris = output(home, "Solaris")
    assert sorted(codes(home, "Solaris")) == ["ambiguous-match", "missing-year-in-name"]
    [ambiguous] = [f for f in solaris["findings"] if f["code"] == "ambiguous-match"]
    assert {(c["title"], c["year"], c["id"]) for c in ambiguous["details"]["candidates"]} == {
        ("Solaris", 1972, 593),
        ("Solaris", 2002, 2103),
    }
    assert codes(home, "Twin Film (2010)") == ["ambiguous-match"]
    [no_match] = output(home, "Matrix (1999)")["findings"]
    assert no_match["code"] == "no-match"
    assert [c["id"] for c in no_match["details"]["candidates"]] == [603]
    assert codes(home, "The Matrix (2001)") == ["no-match"]
    assert codes(home, "Nothing Like It (1990)") == ["no-match"]
    for name in queue_of(home):
        assert queue_of(home)[name]["details"]["files_written"] == []
        assert queue_of(home)[name]["details"]["tmdb_id"] is None
    report = (home / "issues/movies" / f"{slugify('Solaris')}.md").read_text()
    assert "| Solaris | Солярис | 1972 | [593]" in report
    # the command that exists, with this data home and this movie's name (quoted for the
    # shell when they must be): it resets this home's movie, whatever the default home
    reset = f"`{queue_manager('movies', home)} --reset-movie Solaris`"
    assert f"reset the movie: {reset}" in report
    # The advice works as written: the tag in the file's name, the reset, a batch.
    assert r"or add its \[tmdbid-593\] to the video file's name" in report  # the finding's
    choose = f"`{queue_manager('movies', home)} --choose Solaris 593`"
    assert f"without renaming a file: {choose}" in report
    assert "for example `movie [tmdbid-593].mkv`" in report
    # The index and the dashboard name the command that lists its candidates to take one.
    said = queue_of(home)["Solaris"]["details"]["unidentified"]
    assert f"`{tool_command('decide', home)} movies Solaris` lists them" in said, said
    (library / "Solaris/solaris.mkv").rename(library / "Solaris/solaris [tmdbid-593].mkv")
    manager(home, "--reset-movie", "Solaris")
    again = run(fake, home, library)
    assert again.returncode == 1, again.stdout + again.stderr
    assert queue_of(home)["Solaris"]["details"]["tmdb_id"] == 593
    assert len(queue_of(home)) == 5  # the same item, no second one


def test_no_key_touches_nothing_and_offline_does_the_local_checks(fake, tmp_path):
    library = library_of(tmp_path / "Movies", [
        "The Matrix/The.Matrix.1999.1080p.mkv", "Empty (2000)/", "Two (2001)/a.mkv",
        "Two (2001)/b.mkv",
    ])  # fmt: skip
    before = tree(library)
    home = tmp_path / "home"
    refused = run(fake, home, library, key=None)
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert "no TMDb API key" in line and "TMDB_API_KEY" in line and "[tmdb]" in line
    assert line.endswith("; or run it with --offline, for the local checks only)"), line
    assert not home.exists() and tree(library) == before
    # With a flag offline refuses, --offline is no way out: not offered (it was, and refused).
    for flag in ("--artwork", "--enrich"):
        needs = run(fake, home, library, flag, key=None)
        assert needs.returncode == 2, needs.stdout + needs.stderr
        [line] = needs.stderr.strip().splitlines()
        assert "no TMDb API key" in line and "--offline" not in line, (flag, line)
    assert not home.exists() and tree(library) == before
    # A library typed wrong is said first, not once the key is mended.
    wrong = run(fake, home, tmp_path / "Movis", key=None)
    assert wrong.returncode == 2 and "Error: library folder does not exist: " in wrong.stderr
    assert "API key" not in wrong.stderr and not home.exists()

    offline = run(fake, home, library, "--offline", key=None)
    assert offline.returncode == 1, offline.stdout + offline.stderr
    assert fake.requests == [] and tree(library) == before
    assert "offline: no web lookups were made" in offline.stdout
    assert codes(home, "The Matrix") == ["missing-year-in-name"]
    assert codes(home, "Empty (2000)") == ["no-video-file"]
    assert codes(home, "Two (2001)") == ["several-main-files"]
    assert queue_of(home)["The Matrix"]["details"]["enriched"] is False
    # A folder without a video has nothing to identify: the batch, its report and decide say
    # its finding alone, not a lookup waiting for --enrich (which had nothing to look up).
    empty = queue_of(home)["Empty (2000)"]["details"]
    assert (empty["enriched"], empty["unidentified"]) == (True, ""), empty
    assert "○ Empty (2000)" not in offline.stdout
    assert "✓ Empty (2000) — completed: not looked up (no video file); 1 finding" in offline.stdout
    page = (home / "issues/movies" / f"{slugify('Empty (2000)')}.md").read_text()
    assert "Nothing to look up on TMDb: no video in the folder." in page
    assert "--enrich" not in page
    listed = subprocess.run([sys.executable, "utilities/decide.py", "--home", str(home),
                             "movies", "Empty (2000)"], cwd=REPO, capture_output=True,
                            text=True, env=tmdb_env(fake))  # fmt: skip
    assert "no-video-file" in listed.stdout and "unidentified" not in listed.stdout, listed.stdout

    # Later, with a key: --enrich looks up what was done offline (the year from the file),
    # as the report says, pasted in the data home.
    report = (home / "issues/movies" / f"{slugify('The Matrix')}.md").read_text()
    enrich = f"{kind_command('movies', 'batch', home)} --enrich"
    assert f"only the local checks ran. `{enrich}` looks it up on TMDb." in report
    enriched = subprocess.run(shlex.split(enrich), cwd=home, env=tmdb_env(fake),
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert enriched.returncode == 1, enriched.stdout + enriched.stderr
    matrix = queue_of(home)["The Matrix"]
    assert matrix["details"]["enriched"] is True, enriched.stdout + enriched.stderr + str(matrix)
    assert matrix["details"]["tmdb_id"] == 603
    assert nfo(library, "The Matrix").findtext("title") == "The Matrix"
    assert sorted(codes(home, "The Matrix")) == ["folder-name-differs", "missing-year-in-name"]


def test_another_library_than_the_queue_s_is_refused(fake, tmp_path):
    first = library_of(tmp_path / "Movies", ["The Matrix (1999)/movie.mkv"])
    other = library_of(tmp_path / "Other", ["Heat (1995)/movie.mkv"])
    home = tmp_path / "home"
    manager(home, "--init", "--library", str(first))
    before = tree(home)
    run_ = run(fake, home, other, "--offline")
    assert run_.returncode == 2, run_.stdout + run_.stderr
    assert (
        f"movie queue at {home / 'status/movies/processing_queue.json'} is for the library "
        f"{first}, not {other}" in run_.stderr
    )
    hint = f"{queue_manager('movies', home)} --init --force --library {other}`"
    assert hint in run_.stderr
    assert tree(home) == before
    refresh = CliRunner().invoke(
        movie_queue_manager, ["--home", str(home), "--refresh", "--library", str(other)]
    )
    assert refresh.exit_code == 2 and "is for the library" in refresh.output
    assert run(fake, home, first, "--offline").returncode == 1


def test_a_refused_key_stops_the_lookups_not_the_local_checks(fake, tmp_path):
    """A wrong TMDb key stopped the batch before any movie's local checks (exit 2, every
    movie pending), where a refusal by MusicBrainz does not. Now the lookups stop at the
    first answer: each movie gets its local checks and is left for --enrich, the batch says
    once which setting to mend (never the key), and the session says it went offline,
    refused. The right key then: --enrich looks them up."""
    names = ["The Matrix (1999)", "Heat (1995)", "Se7en (1995)", "Blade Runner (1982)", "Solaris"]
    library = library_of(tmp_path / "Movies", [f"{n}/movie.mkv" for n in names])
    before = tree(library)
    home = tmp_path / "home"
    result = run(fake, home, library, key=WRONG_KEY)
    assert result.returncode == 1, result.stdout + result.stderr  # Solaris: its name's year
    assert WRONG_KEY not in result.stdout + result.stderr
    assert [r.status for r in fake.requests] == [401]  # the first answer stops the lookups
    queue = queue_of(home)
    assert {(queue[n]["status"], queue[n]["details"]["enriched"]) for n in names} == {
        ("completed", False)}
    assert codes(home, "Solaris") == ["missing-year-in-name"]  # the local checks were made
    [notice] = [line for line in result.stdout.splitlines() if "TMDb refused" in line]
    assert "TMDB_API_KEY" in notice and "[tmdb]" in notice and "--enrich" in notice, notice
    assert "unreachable" not in result.stdout
    assert tree(library) == before
    (session,) = json.loads(sessions_cli(home, "list", "--json"))
    said = sessions_cli(home, "show", session["id"])
    assert "went offline: TMDb refused (the log's NOTICE line says what to set)" in said, said
    log = next((home / "status/movies/session_logs").glob("*.log")).read_text("utf-8")
    assert "NOTICE TMDb refused the API key" in log and "TMDB_API_KEY" in log, log
    shown = json.loads(sessions_cli(home, "show", session["id"], "--json"))
    assert (shown["summary"]["went_offline"], shown["summary"]["refused"]) == ("TMDb", True)
    leaked = [p for p in home.rglob("*") if p.is_file() and WRONG_KEY.encode() in p.read_bytes()]
    assert leaked == []

    # --enrich, whose lookups are all it has to do, stops at the first answer in one line.
    fake.clear_requests()
    enrich = run(fake, home, library, "--enrich", key=WRONG_KEY)
    assert enrich.returncode == 2, enrich.stdout + enrich.stderr
    [line] = enrich.stderr.strip().splitlines()
    assert "TMDb refused the API key" in line and "TMDB_API_KEY" in line
    assert [r.status for r in fake.requests] == [401]
    assert {queue_of(home)[n]["details"]["enriched"] for n in names} == {False}

    fixed = run(fake, home, library, "--enrich")
    assert fixed.returncode in (0, 1), fixed.stdout + fixed.stderr
    assert queue_of(home)["Heat (1995)"]["details"]["tmdb_id"] == 949

def test_429_with_and_without_retry_after_is_waited_out(fake, tmp_path):
    library = library_of(tmp_path / "Movies", ["The Matrix (1999)/m.mkv", "Heat (1995)/h.mkv"])
    home = tmp_path / "home"
    fake.fail(429, times=1, retry_after=0)
    fake.fail(429, times=1)  # no Retry-After: the client's own back-off
    result = run(fake, home, library)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [r.status for r in fake.requests] == [429, 429, 200, 200, 200, 200]
    assert {i["status"] for i in queue_of(home).values()} == {"completed"}


def test_an_unknown_tmdbid_leaves_that_movie_unidentified_and_its_lookup_waiting(fake, tmp_path):
    """TMDb's 404 is no network failure and no reason to drop the movie's local checks: it is
    completed, not identified, the reason said once and kept for the person; --enrich asks
    again, and there, with nothing local left, the 404 is the movie's error."""
    library = library_of(tmp_path / "Movies", [
        "Ghost (2000) [tmdbid-99999999]/ghost.mkv", "The Matrix (1999)/m.mkv",
    ])  # fmt: skip
    home = tmp_path / "home"
    result = run(fake, home, library)
    assert "Traceback" not in result.stderr
    ghost = queue_of(home)["Ghost (2000) [tmdbid-99999999]"]
    assert (ghost["status"], ghost["details"]["enriched"]) == ("completed", False)
    why = ghost["details"]["unidentified"]
    assert "no movie with id 99999999" in why and "[tmdbid-99999999]" in why and "--choose" in why
    assert result.stdout.count("no movie with id 99999999") == 1, result.stdout  # said once
    assert queue_of(home)["The Matrix (1999)"]["status"] == "completed"
    assert not (library / "Ghost (2000) [tmdbid-99999999]" / "movie.nfo").exists()
    # --enrich meets the same answer: said, and the movie stays completed as it was (before:
    # an error, and at its last attempt skipped, out of every count).
    before = queue_of(home)["Ghost (2000) [tmdbid-99999999]"]
    enrich = run(fake, home, library, "--enrich")
    assert enrich.returncode == 1
    assert queue_of(home)["Ghost (2000) [tmdbid-99999999]"] == before
    said = [line for line in enrich.stdout.splitlines() if "no movie with id 99999999" in line]
    assert len(said) == 1 and said[0].endswith("it stays completed, its lookups left"), said
    assert "not looked up: 1 movie (the service's answer unusable" in enrich.stdout


def test_dry_run_writes_and_asks_nothing(fake, tmp_path):
    library = library_of(tmp_path / "Movies", ["The Matrix (1999)/m.mkv", "Solaris/s.mkv"])
    before = tree(library)
    home = tmp_path / "home"
    result = run(fake, home, library, "--dry-run", "--artwork")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "would search TMDb for 'The Matrix' (1999)" in result.stdout
    assert "[missing-year-in-name]" in result.stdout
    assert fake.requests == [] and not home.exists() and tree(library) == before


def test_a_dry_run_with_enrich_previews_the_movies_enrich_would_take(fake, tmp_path):
    """--dry-run --enrich previewed the pending movies, not the completed ones processed
    offline that --enrich takes (the music batch's dry run already narrowed to those)."""
    library = library_of(tmp_path / "Movies", ["Heat (1995)/h.mkv", "The Matrix (1999)/m.mkv"])
    home = tmp_path / "home"
    first = run(fake, home, library, "--offline", "--movie", "Heat", key=None)
    assert first.returncode == 1, first.stdout + first.stderr
    assert {n: i["status"] for n, i in queue_of(home).items()} == {
        "Heat (1995)": "completed",
        "The Matrix (1999)": "pending",
    }
    before = tree(home)
    result = run(fake, home, library, "--dry-run", "--enrich")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Heat (1995): " in result.stdout and "The Matrix" not in result.stdout
    assert "dry run: 1 movie; nothing was written" in result.stdout
    assert fake.requests == [] and tree(home) == before


def test_a_dry_run_without_a_key_previews_and_says_a_real_run_needs_one(fake, tmp_path):
    library = library_of(tmp_path / "Movies", ["The Matrix (1999)/m.mkv", "Solaris/s.mkv"])
    before = tree(library)
    home = tmp_path / "home"
    result = run(fake, home, library, "--dry-run", key=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "would search TMDb for 'The Matrix' (1999)" in result.stdout
    assert lines[-2] == "dry run: 2 movies; nothing was written and nothing was looked up"
    assert lines[-1].startswith("note: a real run needs a TMDb API key, and none is set (set ")
    assert lines[-1].endswith("; or run it with --offline, for the local checks only")
    assert fake.requests == [] and not home.exists() and tree(library) == before
    # With a key there is nothing to note.
    keyed = run(fake, home, library, "--dry-run")
    assert keyed.returncode == 0 and "note:" not in keyed.stdout


def test_a_dead_service_is_asked_once_and_the_batch_runs_offline(fake, tmp_path):
    """TMDb unreachable used to make errors of three movies and stop: each movie is now done
    with its local checks, its lookup left for --enrich, and TMDb is not asked again."""
    names = ["The Matrix (1999)", "Heat (1995)", "Se7en (1995)", "Blade Runner (1982)", "Solaris"]
    library = library_of(tmp_path / "Movies", [f"{n}/f.mkv" for n in names])
    before = tree(library)
    home = tmp_path / "home"
    fake.fail(503, times=None)
    result = run(fake, home, library, MEDIAKEEPER_TMDB_RETRIES="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert {queue_of(home)[n]["status"] for n in names} == {"completed"}
    assert {queue_of(home)[n]["details"]["enriched"] for n in names} == {False}
    assert len({r.path for r in fake.api_requests}) == 1  # the first movie's search only
    assert len(fake.api_requests) == 2  # and its one retry
    assert result.stdout.count("unreachable") == 1
    assert "TMDb unreachable: ran offline; run --enrich later" in result.stdout
    # So does the session's record: `sessions show` after a night's batch run by cron.
    (session,) = json.loads(sessions_cli(home, "list", "--json"))
    said = sessions_cli(home, "show", session["id"])
    assert ("went offline: TMDb unreachable (HTTP 503 Service Unavailable, also after "
            "retrying); its lookups wait for ") in said, said
    assert f"{kind_command('movies', 'batch', home)} --enrich" in said, said
    shown = json.loads(sessions_cli(home, "show", session["id"], "--json"))
    assert shown["summary"]["went_offline"] == "TMDb", shown["summary"]
    assert codes(home, "Solaris") == ["missing-year-in-name"]  # the local checks were made
    assert tree(library) == before
    # --enrich while TMDb is still down: the movie it tried stays as it was, completed, no
    # attempt counted (they used to turn to errors, then skipped after three runs), and the
    # rest are not tried.
    down = run(fake, home, library, "--enrich", MEDIAKEEPER_TMDB_RETRIES="0")
    assert down.returncode == 1, down.stdout + down.stderr
    assert "not looked up: 1 movie (the service unreachable)" in down.stdout
    assert "stopped early: TMDb unreachable: 4 movies not tried, left completed" in down.stdout
    assert "— released: TMDb unreachable (HTTP 503 Service Unavailable" in down.stdout
    assert "http" not in down.stdout.replace(str(home), "")  # the request's address is not said
    queue = queue_of(home)
    assert {(queue[n]["status"], queue[n]["attempts"]) for n in names} == {("completed", 1)}
    assert {queue[n]["details"]["enriched"] for n in names} == {False}
    assert tree(library) == before
    fake.clear_faults()
    enriched = run(fake, home, library, "--enrich")
    assert enriched.returncode == 1, enriched.stdout + enriched.stderr
    assert queue_of(home)["Heat (1995)"]["details"]["tmdb_id"] == 949
    assert nfo(library, "The Matrix (1999)").findtext("title") == "The Matrix"


def test_the_key_never_reaches_a_file(fake, tmp_path):
    library = library_of(tmp_path / "Movies", [
        "The Matrix (1999)/m.mkv", "Solaris/s.mkv", "Ghost (2000) [tmdbid-99999999]/g.mkv",
        "Nothing Like It (1990)/x.mkv", "Heat.1995.1080p/heat.mkv",
    ])  # fmt: skip
    home = tmp_path / "home"
    outputs = [run(fake, home, library, "--artwork")]
    fake.fail(429, times=2)
    manager(home, "--reset-all", "--yes")
    outputs.append(run(fake, home, library, "--artwork", "--overwrite"))
    library_of(library, ["Blade Runner (1982)/b.mkv"])  # not in the cache: TMDb is asked
    manager(home, "--refresh")
    outputs.append(run(fake, home, library, key=WRONG_KEY))
    assert [o.returncode for o in outputs] == [1, 1, 1]  # the refused key: local checks only
    assert {r.param("api_key") for r in fake.api_requests} == {API_KEY, WRONG_KEY}

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite") for p in files)
    assert any(p.name.endswith(".log") for p in files)
    for path in files:
        data = path.read_bytes()
        assert API_KEY.encode() not in data, path
        assert WRONG_KEY.encode() not in data, path
    for finished in outputs:
        assert API_KEY not in finished.stdout + finished.stderr
        assert WRONG_KEY not in finished.stdout + finished.stderr


def test_movies_not_identified_are_counted_apart_and_choose_identifies_one(fake, tmp_path):
    """An offline run used to tick every movie and call the queue done though none was
    identified. A movie done but not identified gets no tick, is counted apart, listed under
    what needs attention; the advice names a real candidate, and --choose takes it."""
    fake.add_movie("Kill Bill: Vol. 1", "2003-10-10", id=24)
    fake.add_movie("Kill Bill: Vol. 2", "2004-04-16", id=393)
    library = library_of(tmp_path / "Movies", ["Kill Bill/kb.mkv", "Heat (1995)/h.mkv"])
    home = tmp_path / "home"
    offline = run(fake, home, library, "--offline")
    assert offline.returncode == 1, offline.stdout + offline.stderr
    assert "✓" not in offline.stdout and "○ Kill Bill — completed" in offline.stdout
    assert "2 movies completed (2 not identified), 0 failed" in offline.stdout
    assert "(2 completed but not identified" in manager(home, "--show-summary")
    assert "○ not identified yet (offline)" in manager(home, "--list")
    board = render_text(dashboard_for(home, datetime.now(UTC)))
    # Kill Bill's missing year and its "unidentified", Heat's "unidentified" (issue 69: one
    # decision of its own for every movie not identified, whatever else it asks).
    assert "NEEDS ATTENTION  3 decisions · 0 failed, 0 skipped, 2 not identified" in board
    # Listed once, as a decision whose note says what looks it up, never again below as a
    # queue item to --reset-errors (issue 36: unidentified movies were told to reset errors).
    assert "warning  Kill Bill" in board and "not identified yet (offline)" in board
    assert "unidentified Kill Bill" not in " ".join(board.split()) and "--reset-errors" not in board

    enriched = run(fake, home, library, "--enrich", "-v")  # -v: a clean item's line too
    assert enriched.returncode == 1, enriched.stdout + enriched.stderr
    assert "✓ Heat (1995)" in enriched.stdout and "○ Kill Bill" in enriched.stdout
    assert "2 movies completed (1 not identified)" in enriched.stdout
    findings = output(home, "Kill Bill")["findings"]
    [no_match] = [f for f in findings if f["code"] == "no-match"]  # the title is longer
    assert "--choose 'Kill Bill' 24`" in no_match["message"]
    assert "[tmdbid-24]" in no_match["message"] and "tmdbid-N" not in no_match["message"]
    # What the index and the dashboard say to do names the command, for this movie.
    said = queue_of(home)["Kill Bill"]["details"]["unidentified"]
    assert f"`{queue_manager('movies', home)} --choose 'Kill Bill' ID`" in said, said

    chose = manager(home, "--choose", "kill bill", "24")
    assert "Chose TMDb id 24 for 'Kill Bill' (no file renamed); completed -> pending" in chose
    assert queue_of(home)["Kill Bill"]["choice"] == {"tmdb_id": 24}
    again = run(fake, home, library)
    assert again.returncode == 1, again.stdout + again.stderr  # its missing-year-in-name is left
    item = queue_of(home)["Kill Bill"]
    assert (item["details"]["tmdb_id"], item["details"]["unidentified"]) == (24, "")
    assert item["choice"] == {"tmdb_id": 24}  # kept: a reset and a new run honour it again
    assert nfo(library, "Kill Bill").findtext("title") == "Kill Bill: Vol. 1"
    assert sorted(p.name for p in (library / "Kill Bill").iterdir()) == ["kb.mkv", "movie.nfo"]
    assert "not identified" not in manager(home, "--show-summary")


def test_choose_takes_a_number_and_a_name_the_queue_holds(fake, tmp_path):
    library = library_of(tmp_path / "Movies", ["Kill Bill/kb.mkv"])
    home = tmp_path / "home"
    assert run(fake, home, library, "--offline").returncode == 1
    invoke = CliRunner().invoke
    # Past TMDb's 32-bit ids (stored, then carried by no page or script intact), or a digit
    # that is no number ("²": a traceback): refused as any other id that is none.
    for given in ("tt24", "99999999999999999999999", "2147483648", "²", "0"):
        bad = invoke(movie_queue_manager, ["--home", str(home), "--choose", "Kill Bill", given])
        assert bad.exit_code == 2, (given, bad.output)
        assert (f"a TMDb id (a number from 1 to 2,147,483,647), not {given!r}"
                in " ".join(bad.output.split())), bad.output  # fmt: skip
    unknown = invoke(movie_queue_manager, ["--home", str(home), "--choose", "Nope", "24"])
    assert unknown.exit_code == 2 and "Nope" in unknown.output  # a name not found
    assert "choice" not in queue_of(home)["Kill Bill"]


def test_decide_takes_a_tmdb_candidate_and_the_next_batch_identifies_it(fake, tmp_path):
    """``decide movies NAME --choose N`` (issue 36): the ambiguous movie's candidates listed
    with their TMDb ids, the one chosen kept in the queue item as --choose does."""
    library = library_of(tmp_path / "Movies", ["Solaris/solaris.mkv"])
    home = tmp_path / "home"
    assert run(fake, home, library).returncode == 1  # ambiguous: a decision
    decide = [sys.executable, "utilities/decide.py", "--home", str(home), "movies", "Solaris"]
    env = tmdb_env(fake)
    shown = subprocess.run(decide, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert "1) Solaris (1972), TMDb id 593" in shown.stdout, shown.stdout + shown.stderr
    assert "2) Solaris (2002), TMDb id 2103" in shown.stdout
    took = subprocess.run([*decide, "--code", "ambiguous-match", "--choose", "2"], cwd=REPO,
                          env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert took.returncode == 0, took.stderr
    assert "chose Solaris (2002), TMDb id 2103 for Solaris" in took.stdout
    assert queue_of(home)["Solaris"]["status"] == "pending"
    run(fake, home, library)
    assert queue_of(home)["Solaris"]["details"]["tmdb_id"] == 2103
    # Its report says where the id came from: the choice, not a tag its folder lacks.
    report = (home / "issues/movies" / f"{slugify('Solaris')}.md").read_text(encoding="utf-8")
    assert "(the TMDb id chosen for it with decide or --choose)." in report, report
    assert "[tmdbid] tag" not in report


def test_a_candidate_taken_closes_the_decisions_its_undo_opens_again_and_its_preview_says_so(
    fake, tmp_path
):
    """Solaris asks two questions (no year in its name, which Solaris): a candidate taken
    puts it back to pending, so both close; the dry run, the take and the undo count the
    same two (the preview said 0 would be closed)."""
    library = library_of(tmp_path / "Movies", ["Solaris/solaris.mkv"])
    home = tmp_path / "home"
    assert run(fake, home, library).returncode == 1
    decide = [sys.executable, "utilities/decide.py", "--home", str(home), "movies", "Solaris",
              "--code", "ambiguous-match", "--choose", "2"]  # fmt: skip

    def said(*args: str) -> str:
        done = subprocess.run([*decide, *args], cwd=REPO, env=tmdb_env(fake),
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "dry run: 2 decisions would be closed (Solaris (2002), TMDb id 2103)" in said(
        "--dry-run")  # fmt: skip
    assert queue_of(home)["Solaris"]["status"] == "completed"
    took = said()
    assert "for Solaris: the next batch identifies it so (2 decisions closed)" in took, took
    session = took.split("--session ")[1].split()[0]
    undone = subprocess.run([sys.executable, "utilities/undo_changes.py", "--home", str(home),
                             "--session", session], cwd=REPO, env=tmdb_env(fake),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "2 decisions open again" in undone.stdout, undone.stdout + undone.stderr


def test_one_candidate_is_said_as_one_and_the_choose_command_names_its_id(fake, tmp_path):
    """'TMDb offers 1 candidates.' and a usage line ending 'NAME ID_' (the argument's Python
    name) were what a person read."""
    fake.add_movie("Kill Bill: Vol. 1", "2003-10-10", id=24)
    library = library_of(tmp_path / "Movies", ["Kill Bill (2003)/kb.mkv"])
    home = tmp_path / "home"
    assert run(fake, home, library).returncode == 1
    shown = subprocess.run([sys.executable, "utilities/decide.py", "--home", str(home), "movies",
                            "Kill Bill"], cwd=REPO, env=tmdb_env(fake), capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert "Which movie is 'Kill Bill (2003)'? TMDb offers 1 candidate.\n" in shown.stdout, (
        shown.stdout + shown.stderr)  # fmt: skip
    usage = CliRunner().invoke(movie_queue_manager, ["choose", "--help"])
    assert usage.output.splitlines()[0].endswith(" choose [OPTIONS] NAME ID"), usage.output


def test_the_dry_run_says_the_artwork_a_run_adds_beside_the_nfo_it_keeps(fake, tmp_path):
    """A movie with its NFO, run again with --artwork: the run keeps the NFO and writes the
    artwork, which the dry run left out (it said only that the NFO would be kept), and with
    --overwrite said only that the NFO would be replaced."""
    library = library_of(tmp_path / "Movies", ["Heat (1995)/heat.mkv"])
    home = tmp_path / "home"
    assert run(fake, home, library).returncode == 0
    before = tree(library)
    dry = run(fake, home, library, "--movie", "Heat", "--artwork", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert ("would write poster.jpg, fanart.jpg on a match; would keep the existing movie.nfo"
            in dry.stdout), dry.stdout  # fmt: skip
    dry = run(fake, home, library, "--movie", "Heat", "--artwork", "--overwrite", "--dry-run")
    assert "would write poster.jpg, fanart.jpg and replace movie.nfo on a match" in dry.stdout
    assert tree(library) == before
    done = run(fake, home, library, "--movie", "Heat", "--artwork", "-v")
    assert "wrote poster.jpg, fanart.jpg, kept existing movie.nfo" in done.stdout, done.stdout
    assert tree(library)["Heat (1995)/movie.nfo"] == before["Heat (1995)/movie.nfo"]


def test_an_unreachable_image_host_leaves_artwork_for_enrich_and_the_batch_online(
    fake, tmp_path
):
    """TMDb answers but its image host does not: each movie gets its NFO, its artwork waits
    for --enrich, and the batch goes on looking movies up (issue 60)."""
    import socket

    names = ["The Matrix (1999)", "Heat (1995)", "Se7en (1995)"]
    library = library_of(tmp_path / "Movies", [f"{n}/f.mkv" for n in names])
    home = tmp_path / "home"
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/t/p/original"
    result = run(fake, home, library, "--artwork", MEDIAKEEPER_TMDB_IMAGES_URL=dead)
    assert "ran offline" not in result.stdout, result.stdout
    assert sorted(api_calls(fake)) == sorted(
        ["/3/search/movie"] * 3 + ["/3/movie/603", "/3/movie/949", "/3/movie/807"]
    )
    queue = queue_of(home)
    for name in names:
        assert queue[name]["status"] == "completed"
        assert queue[name]["details"]["files_written"] == ["movie.nfo"]
        assert queue[name]["details"]["enriched"] is False
        assert not (library / name / "poster.jpg").exists()
        assert "no-artwork" in codes(home, name)
    assert nfo(library, "Heat (1995)").findtext("title") == "Heat"

    enriched = run(fake, home, library, "--enrich", "--artwork")
    assert enriched.returncode == 0, enriched.stdout + enriched.stderr
    for name in names:
        assert (library / name / "poster.jpg").read_bytes()[:2] == b"\xff\xd8"
        assert queue_of(home)[name]["details"]["enriched"] is True


def test_an_enrich_batch_on_a_dead_address_tries_about_one_movie_per_worker(fake, tmp_path):
    """--enrich --workers 2 against a dead address: each worker began its second movie, and
    some a third, before three failures in a row were counted (five movies asked, in 25 s).
    Now the first movie that finds TMDb unreachable says so for the run, and each movie after
    it goes back unbegun: one asked per worker at most, the rest not tried."""
    names = [f"Movie {n} (200{n})" for n in range(8)]
    library = library_of(tmp_path / "Movies", [f"{n}/f.mkv" for n in names])
    home = tmp_path / "home"
    assert run(fake, home, library, "--offline").returncode in (0, 1)
    before = queue_of(home)
    with socket.socket() as probe:  # an address where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run(fake, home, library, "--enrich", "--workers", "2", MEDIAKEEPER_TMDB_URL=dead)
    assert result.returncode == 1, result.stdout + result.stderr
    asked = int(re.search(r"lookups: (\d+) requests? sent", result.stdout)[1])
    assert 1 <= asked <= 2, result.stdout
    assert (f"stopped early: TMDb unreachable: {8 - asked} movies not tried, left "
            "completed\n") in result.stdout, result.stdout  # fmt: skip
    queue = queue_of(home)
    for name in names:  # tried or not, each as it was
        assert (queue[name]["status"], queue[name]["attempts"]) == (
            "completed", before[name]["attempts"])


def test_a_movie_whose_video_is_empty_is_said_so(fake, tmp_path):
    """A video of 0 bytes (a copy that never came, a download that failed) was matched by
    its name, its movie.nfo written, and nothing said: the folder looked done."""
    library = library_of(tmp_path / "Movies", ["The Matrix (1999)/The Matrix (1999).mkv",
                                              "Heat (1995)/Heat (1995).mkv"])  # fmt: skip
    (library / "The Matrix (1999)" / "The Matrix (1999).mkv").write_bytes(b"")
    home = tmp_path / "home"
    ran = run(fake, home, library, "--offline")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert codes(home, "The Matrix (1999)") == ["empty-video-file"]
    [said] = [f for f in output(home, "The Matrix (1999)")["findings"]]
    assert said["severity"] == "error"
    assert said["message"] == ("the video file is empty (0 bytes): The Matrix (1999).mkv — copy "
                               "it again from where it came"), said  # fmt: skip
    assert codes(home, "Heat (1995)") == []


def test_a_fifo_named_like_a_video_does_not_hold_the_batch_up(fake, tmp_path):
    """A named pipe named like a video: the look at its headers opened it and waited for a
    writer that never came, and the batch with it, for good (an unattended batch, cron or
    watch, stuck). It is passed over: the batch goes on to its end."""
    library = library_of(tmp_path / "Movies", ["Heat (1995)/Heat (1995).mkv"])
    os.mkfifo(library / "Heat (1995)" / "Heat (1995) part2.mkv")
    home = tmp_path / "home"
    ran = run(fake, home, library, "--offline")  # (a run's timeout: 120 s)
    assert "1 movie completed" in ran.stdout, ran.stdout + ran.stderr
    assert queue_of(home)["Heat (1995)"]["status"] == "completed"


def test_a_movie_whose_video_is_cut_short_is_said_so(fake, tmp_path):
    """A real MP4 cut short (a copy that stopped half way): it was matched by its name, its
    movie.nfo written, and the folder looked done. Its mdat box says how much is missing."""
    library = library_of(tmp_path / "Movies", ["Heat (1995)/Heat (1995).mkv"])
    video = library / "The Matrix (1999)" / "The Matrix (1999).mp4"
    video.parent.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10",
                    "-t", "3", str(video)], check=True)  # fmt: skip
    whole = video.read_bytes()
    video.write_bytes(whole[: len(whole) // 2])
    home = tmp_path / "home"
    ran = run(fake, home, library, "--offline")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert codes(home, "The Matrix (1999)") == ["truncated-video-file"]
    [said] = output(home, "The Matrix (1999)")["findings"]
    assert said["severity"] == "error"
    assert re.fullmatch(
        r"the video file is cut short: The Matrix \(1999\)\.mp4 \([\d,]+ bytes? of its mdat box "
        rf"missing \(the file has {len(whole) // 2:,}\)\) — copy it again from where it came",
        said["message"]), said  # fmt: skip
    assert codes(home, "Heat (1995)") == []
