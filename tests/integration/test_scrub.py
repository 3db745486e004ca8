"""``mediakeeper verify scrub``: real albums, the real verify batch, in real subprocesses.

Each run verifies the albums least recently verified, so runs of a quarter of the library
cover it in four, no album twice; bit rot is told against the audio checksum recorded when
the album was last found good, and makes the run end non-zero (fail closed)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time

from mediakeeper.demo import damage
from mediakeeper.watch.lock import ScrubLock
from tests.helpers import REPO_ROOT, script_env
from tests.integration.watching import home_for, library

ALBUMS = ("A", "B", "C", "D")


def scrub(home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(home), "verify", "scrub", *args],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def verified(run: subprocess.CompletedProcess) -> list[str]:
    return [line.split()[1].rstrip(":") for line in run.stdout.splitlines()
            if line.startswith("verified ")]  # fmt: skip


def test_runs_of_a_quarter_cover_the_library_each_album_once_then_start_over(tmp_path):
    albums = library(tmp_path / "Albums", *ALBUMS)
    home = home_for(tmp_path, verify=albums)
    seen = []
    for night in range(1, 5):
        run = scrub(home, "--percent", "25")
        assert run.returncode == 0, run.stdout + run.stderr
        [album] = verified(run)
        seen.append(album)
        assert f"Coverage: {night} of 4 albums verified within 30 days ({night * 25}%)" in (
            run.stdout
        )
    assert sorted(seen) == [f"{a}/Album" for a in ALBUMS]  # every album, none twice
    record = json.loads((home / "status" / "verify" / "scrub.json").read_text())
    assert set(record["albums"]) == set(seen) and record["last_scrub"]
    again = scrub(home, "--percent", "25")
    assert verified(again) == [seen[0]]  # the least recently verified: the first one


def sessions(home) -> list[dict]:
    listed = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(home), "sessions", "list", "--json"],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_one_scrub_is_one_session_of_all_the_albums_it_verified(tmp_path):
    """A scrub ran a batch per album: four sessions for one night's run, each of one album,
    where ``sessions`` (and a resume or undo by session) take one run as one session."""
    home = home_for(tmp_path, verify=library(tmp_path / "Albums", *ALBUMS))
    run = scrub(home, "--percent", "100")
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(verified(run)) == sorted(f"{a}/Album" for a in ALBUMS)
    [session] = sessions(home)
    assert (session["kind"], session["done"], session["failed"]) == ("verify", 4, 0), session
    half = scrub(home, "--percent", "50")
    assert len(verified(half)) == 2
    assert [s["done"] for s in sessions(home)] == [2, 4]  # newest first


def test_a_second_scrub_of_a_home_is_refused_while_one_runs_and_touches_nothing(tmp_path):
    """Two at once (a slow night's scrub still running when a cron line or a person starts
    another) verified every album twice, and the second counted the first's work as its
    own. The first holds the home's scrub lock as a running scrub does."""
    albums = library(tmp_path / "Albums", *ALBUMS)
    home = home_for(tmp_path, verify=albums)
    with ScrubLock(home / "status"):
        second = scrub(home, "--percent", "100")
        assert second.returncode == 1, second.stdout + second.stderr
        assert verified(second) == [] and second.stdout == ""
        errors = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(errors) == 1 and errors[0].startswith("Error: another scrub is verifying"), (
            second.stderr)
        assert f"pid {os.getpid()}" in errors[0]
        assert not (home / "status" / "verify" / "processing_queue.json").exists()
        assert not (home / "status" / "verify" / "scrub.json").exists()
    after = scrub(home, "--percent", "100")
    assert after.returncode == 0, after.stdout + after.stderr
    assert sorted(verified(after)) == [f"{a}/Album" for a in ALBUMS]


def test_never_verified_albums_come_first_and_older_than_takes_only_the_old(tmp_path):
    albums = library(tmp_path / "Albums", "Old", "Older")
    home = home_for(tmp_path, verify=albums)
    assert scrub(home, "--percent", "100").returncode == 0
    library(albums, "New")
    subprocess.run([sys.executable, "-m", "mediakeeper", "--home", str(home), "verify",
                    "queue", "--refresh"], cwd=REPO_ROOT, env=script_env(), check=True,
                   capture_output=True)  # fmt: skip
    first = scrub(home, "--percent", "1")  # one album: the one never verified
    assert verified(first) == ["New/Album"], first.stdout
    none = scrub(home, "--older-than", "1")  # all verified within a day: nothing to do
    assert none.returncode == 0 and verified(none) == [], none.stdout
    assert "Coverage: 3 of 3 albums verified within 1 days (100%)" in none.stdout


def test_one_run_verifies_its_albums_never_verified_first_then_least_recently(tmp_path):
    """The albums chosen are verified in the order they were chosen in, so a run stopped
    part-way (Ctrl+C) has done the ones most in need: they went in the queue's order (a new
    album last, the one the last run had just verified first)."""
    albums = library(tmp_path / "Albums", "A", "B", "C")
    home = home_for(tmp_path, verify=albums)
    assert verified(scrub(home, "--percent", "100")) == ["A/Album", "B/Album", "C/Album"]
    time.sleep(1.1)  # the record keeps its times to the second
    assert verified(scrub(home, "--percent", "33")) == ["A/Album"]  # the least recent
    library(albums, "D")  # a new album: queued after the others
    run = scrub(home, "--older-than", "0")
    assert run.returncode == 0, run.stdout + run.stderr
    assert verified(run) == ["D/Album", "B/Album", "C/Album", "A/Album"], run.stdout


def test_bit_rot_is_told_and_the_run_ends_non_zero(tmp_path):
    albums = library(tmp_path / "Albums", "Sound", "Rotting")
    home = home_for(tmp_path, verify=albums)
    assert scrub(home, "--percent", "100").returncode == 0
    track = albums / "Rotting" / "Album" / "01 - One.flac"
    st = track.stat()
    damage.flip_bytes(track, at=0.95, count=8)  # in the frames, past the padding
    os.utime(track, ns=(st.st_atime_ns, st.st_mtime_ns))  # as a failing disk leaves it
    run = scrub(home, "--percent", "100")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "verified Sound/Album: fine" in run.stdout
    assert "verified Rotting/Album: needs you" in run.stdout
    # Where to see it, as a command that runs from anywhere (it named no home).
    hint = re.search(r"Rotting/Album: needs you: .* \(see `([^`]+)`\)", run.stdout)[1]
    shown = subprocess.run(shlex.split(hint), cwd="/", capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert shown.returncode == 0 and "1 decision in 1 album" in shown.stdout, shown.stderr


def test_no_scrub_recorded_when_none_ran_and_bad_input_is_one_line(tmp_path):
    albums = tmp_path / "Albums"
    albums.mkdir()
    home = home_for(tmp_path, verify=albums)
    empty = scrub(home)
    assert empty.returncode == 0, empty.stderr
    assert not (home / "status" / "verify" / "scrub.json").exists()
    refusals = ((["--percent", "0"], "--percent must be more than 0"),
                (["--older-than", "-2"], "--older-than must be 0 days or more"))  # fmt: skip
    for args, words in refusals:
        bad = scrub(home, *args)
        assert bad.returncode == 2 and words in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr


def test_a_window_no_date_can_hold_is_one_line_before_anything_is_written(tmp_path):
    """inf, nan or a million days went into a date: a traceback, exit 1; and every refusal
    came after the queue was made and the library looked at."""
    albums = library(tmp_path / "Albums", "A")
    home = home_for(tmp_path, verify=albums)
    for args in (["--older-than", "inf"], ["--older-than", "nan"], ["--older-than", "1e6"],
                 ["--older-than", "-2"], ["--percent", "0"]):  # fmt: skip
        bad = scrub(home, *args)
        assert bad.returncode == 2, bad.stdout + bad.stderr
        said = [line for line in bad.stderr.splitlines() if line.strip()]
        assert len(said) == 1 and said[0].startswith("Error: --"), bad.stderr
        assert not (home / "status" / "verify").exists()


def test_an_album_that_cannot_be_verified_is_no_coverage_and_raises_one_alert(tmp_path):
    import shutil
    import socket

    from tests.integration.serving import receiver

    albums = library(tmp_path / "Albums", "Sound", "Gone")
    hook, told = receiver(), receiver()
    port = told.server.server_address[1]
    home = home_for(tmp_path, f'[alerts]\nwebhook_url = "{hook.url}"\n'
                    f'apprise = ["json://127.0.0.1:{port}/n"]\n', verify=albums)  # fmt: skip
    fine = scrub(home, "--percent", "100")
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "ALERT" not in fine.stderr and hook.bodies == told.bodies == []  # no alert
    assert not (home / "status" / "verify" / "alerts.jsonl").exists()
    shutil.rmtree(albums / "Gone")  # still in the queue: its verify fails
    red = scrub(home, "--percent", "50")  # the least recently verified: Sound, then Gone
    red = red if "Gone" in red.stdout else scrub(home, "--percent", "50")
    assert red.returncode == 1, red.stdout + red.stderr
    assert "verified Gone/Album: could not be verified" in red.stdout
    assert "Coverage: 1 of 2 albums verified within 30 days (50%)" in red.stdout
    host = socket.gethostname()
    summary = (f"scrub on {host}: 1 of 1 albums with a problem (1 could not be verified); "
               "coverage 1 of 2 albums verified within 30 days (50%)")  # fmt: skip
    assert f"ALERT: {summary}" in red.stderr
    [sent] = hook.bodies
    assert sent["event"] == "scrub" and sent["host"] == host and sent["summary"] == summary
    assert sent["problems"] == [{"album": "Gone/Album", "problem": "could not be verified"}]
    [notified] = told.bodies  # through Apprise: a title and a few lines
    assert notified["title"] == f"mediakeeper: the scrub on {host} found problems"
    assert notified["message"].splitlines()[:2] == [summary, "Gone/Album: could not be verified"]
    kept = (home / "status" / "verify" / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line)["summary"] for line in kept] == [summary]
    assert "Warning" not in red.stderr
    hook.server.shutdown()
    told.server.shutdown()


def test_last_scrub_is_not_written_by_a_run_that_verified_nothing(tmp_path):
    import shutil

    albums = library(tmp_path / "Albums", "Gone")
    home = home_for(tmp_path, verify=albums)
    subprocess.run([sys.executable, "-m", "mediakeeper", "--home", str(home), "verify",
                    "queue", "--init"], cwd=REPO_ROOT, env=script_env(), check=True,
                   capture_output=True)  # fmt: skip
    shutil.rmtree(albums / "Gone" / "Album")
    run = scrub(home, "--percent", "100")
    assert run.returncode == 1, run.stdout + run.stderr
    record = json.loads((home / "status" / "verify" / "scrub.json").read_text())
    assert record["last_scrub"] is None and record["albums"] == {}
    assert set(record["unverified"]) == {"Gone/Album"}


def test_a_new_album_is_verified_by_the_next_scrub_without_a_refresh(tmp_path):
    """The scrub looks for albums new to the library first: one added since is queued,
    never verified, so it comes first (issue 62)."""
    albums = library(tmp_path / "Albums", "Old", "Older")
    home = home_for(tmp_path, verify=albums)
    assert scrub(home, "--percent", "100").returncode == 0
    library(albums, "New")
    first = scrub(home, "--percent", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "new: New/Album" in first.stdout
    assert verified(first) == ["New/Album"]


def test_a_rate_too_slow_for_the_window_is_said_with_the_rate_that_keeps_up(tmp_path):
    """Coverage stays reachable: at 1% a night the library takes 100 nights, more than the
    30-day window the coverage is told over; the run says so and what rate keeps up."""
    albums = library(tmp_path / "Albums", "A")
    home = home_for(tmp_path, verify=albums)
    slow = scrub(home, "--percent", "1")
    assert slow.returncode == 0, slow.stdout + slow.stderr
    assert "takes 100 nights, more than 30 days: run --percent 4 or more" in slow.stderr
    fine = scrub(home, "--percent", "5")
    assert "nights" not in fine.stderr
    window = scrub(home, "--percent", "5", "--older-than", "7")
    assert "run --percent 15 or more" in window.stderr


def test_older_than_zero_verifies_every_album_and_counts_what_it_verified(tmp_path):
    """``--older-than 0``: every album, however recently verified; the coverage it ends with
    counts what this run verified, never "0 of 4 ... (0%)" right after verifying all four,
    and a run without a problem raises no alert (issue 69, point 10)."""
    home = home_for(tmp_path, verify=library(tmp_path / "Albums", *ALBUMS))
    first = scrub(home, "--older-than", "0")
    assert first.returncode == 0, first.stdout + first.stderr
    assert sorted(verified(first)) == sorted(f"{a}/Album" for a in ALBUMS)
    assert "Coverage: 4 of 4 albums verified by this run (100%)" in first.stdout, first.stdout
    assert "ALERT" not in first.stderr
    again = scrub(home, "--older-than", "0")  # all four again, though verified a moment ago
    assert sorted(verified(again)) == sorted(f"{a}/Album" for a in ALBUMS)
    assert "Coverage: 4 of 4 albums verified by this run (100%)" in again.stdout, again.stdout
    # A short window that a run outlasts still counts what the run itself verified.
    short = scrub(home, "--older-than", "0.000001")
    assert "Coverage: 4 of 4 albums verified within 1e-06 days (100%)" in short.stdout, (
        short.stdout)


def test_json_gives_the_window_in_days_as_typed_a_whole_number_where_it_is_one(tmp_path):
    """``"days": 30.0`` (and 7.0 for ``--older-than 7``): a whole number of days came as a
    float a script had to round. A fraction, which --older-than takes, stays one."""
    home = home_for(tmp_path, verify=library(tmp_path / "Albums", "A"))
    for args, days in (((), 30), (("--older-than", "7"), 7), (("--older-than", "0.5"), 0.5)):
        run = scrub(home, "--percent", "100", *args, "--json")
        assert run.returncode == 0, run.stdout + run.stderr
        given = json.loads(run.stdout)["coverage"]["days"]
        assert (given, type(given)) == (days, type(days)), run.stdout
