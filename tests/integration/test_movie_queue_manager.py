"""movie_queue_manager.py: the shared queue-manager command, worded for movies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mediakeeper.queue.store import QueueStore
from tests.helpers import queue_manager_cli
from utilities.movie_queue_manager import main

MOVIES = ["The Matrix (1999)", "Heat.1995.1080p.BluRay.x264", "Amélie (2001)", "Solaris"]


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def library(tmp_path) -> Path:
    root = tmp_path / "Movies"
    for name in MOVIES:
        (root / name).mkdir(parents=True)
        (root / name / "movie.mkv").write_bytes(b"x")
    (root / "@eaDir").mkdir()
    (root / "loose file.mkv").write_bytes(b"x")
    return root


@pytest.fixture
def cli(home):
    return queue_manager_cli(main, home)


@pytest.fixture
def store(home) -> QueueStore:
    return QueueStore(home / "status" / "movies", "movies")


def test_init_summary_and_list_speak_of_movies(cli, library, store):
    created = cli("--init", "--library", str(library))
    assert created.exit_code == 0, created.output
    assert "Created the movie queue" in created.output and "4 pending movies" in created.output
    assert store.path == store.dir / "processing_queue.json" and store.exists()

    summary = cli()  # the default action
    assert summary.exit_code == 0
    assert "movie queue" in summary.output and "pending            4" in summary.output
    assert "0.0% complete · 0 findings, 0 resolved" in summary.output
    assert "tracks" not in summary.output
    as_json = json.loads(cli("--show-summary", "--json").output)
    assert (as_json["kind"], as_json["total"]) == ("movies", 4)

    listed = cli("--list")
    assert listed.output.splitlines()[0].split() == ["STATUS", "NAME", "ISSUES", "RESOLVED"]
    assert "pending      The Matrix (1999)\n" in listed.output  # not looked at: no counts
    assert "4 movies" in listed.output and "TRACKS" not in listed.output
    assert "--reset-movie" in cli("--help").output and "--reset-artist" not in cli("--help").output


def test_reset_skip_and_errors(cli, library, store):
    cli("--init", "--library", str(library))
    skipped = cli("--skip-movie", "solaris")
    assert skipped.exit_code == 0 and "Skipped 'Solaris': pending -> skipped" in skipped.output
    reset = cli("--reset-movie", "SOLARIS")
    assert reset.exit_code == 0 and "Reset 'Solaris': skipped -> pending" in reset.output
    unknown = cli("--reset-movie", "The Matrx (1999)")
    assert unknown.exit_code == 2 and "did you mean" in unknown.output
    assert "The Matrix (1999)" in unknown.output

    session = "20240309_session_001"
    [item] = store.claim_many(session, 1)
    store.record_failure(item["key"], session, stage="lookup", message="tmdb: no answer")
    assert "error        Amélie (2001)" in cli("--list", "--status", "error").output
    errors = cli("--reset-errors")
    assert "Reset 1 errored movie to pending" in errors.output
    assert {i["status"] for i in store.load()["items"]} == {"pending"}


def test_validate_and_checkpoints(cli, library, store):
    cli("--init", "--library", str(library))
    valid = cli("--validate-queue")
    assert valid.exit_code == 0 and "valid, no problems found" in valid.output
    shutil.rmtree(library / "Heat.1995.1080p.BluRay.x264")
    invalid = cli("--validate-queue")
    assert invalid.exit_code == 1
    assert "'Heat.1995.1080p.BluRay.x264': folder missing on disk" in invalid.output
    taken = cli("--checkpoint")
    assert taken.exit_code == 0 and "checkpoint_" in taken.output and "movie" in taken.output
    assert "1 checkpoint in" in cli("--list-checkpoints").output
    refreshed = cli("--refresh")
    assert "1 marked missing" in refreshed.output


def test_a_missing_queue_names_the_command(cli, home):
    (home / "status").mkdir(parents=True)  # a data home, without the movies queue
    result = cli("--list")
    assert result.exit_code == 2
    assert "no movie queue" in result.output and "--init --library PATH" in result.output


def test_a_movie_is_found_by_the_start_of_its_name_in_a_real_process(
    tmp_path, home, music_script, store
):
    """"kill bill" is "Kill Bill (2003)", "amelie" is "Amélie (2001)"; "the" could be two
    movies, so it lists them and changes nothing."""
    library = tmp_path / "Films"
    for name in ("Kill Bill (2003)", "The Matrix (1999)", "The Thing (1982)", "Amélie (2001)"):
        (library / name).mkdir(parents=True)
    manager = ("movie_queue_manager.py", "--home", home)
    assert music_script(*manager, "--init", "--library", library).returncode == 0

    skipped = music_script(*manager, "--skip-movie", "Kill B")
    assert skipped.returncode == 0, skipped.stderr
    assert "Skipped 'Kill Bill (2003)': pending -> skipped" in skipped.stdout
    reset = music_script(*manager, "--reset-movie", "kill bill")
    assert reset.returncode == 0, reset.stderr
    assert "Reset 'Kill Bill (2003)': skipped -> pending" in reset.stdout
    assert music_script(*manager, "--skip-movie", "amelie").returncode == 0
    assert {i["name"]: i["status"] for i in store.load()["items"]}["Amélie (2001)"] == "skipped"

    before = store.path.read_bytes()
    for flag in ("--skip-movie", "--reset-movie"):
        several = music_script(*manager, flag, "the")
        assert several.returncode == 2
        assert several.stderr == (
            "Error: 'the' could be any of 2 names: 'The Matrix (1999)', 'The Thing (1982)' "
            "(give the whole name of the one you mean)\n"
        )
    assert store.path.read_bytes() == before
