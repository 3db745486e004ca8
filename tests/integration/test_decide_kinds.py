"""``decide`` takes every kind's decisions (issue 60): verify's damage, an audiobook's missing
author and a movie's questions dismissed a whole group at once, undone whole, and
remembered as a rule the kind's next batch applies; a kind's failed items retried or skipped
together as one session undo gives back (a retry counts attempts again from none). Real
files, real scripts, a fake TMDb over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from mediakeeper.demo import damage
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import slugify
from tests.helpers import REPO_ROOT, run_script
from tests.helpers.deciding import decide, groups_of, session_of
from tests.servers.tmdb import API_KEY, FakeTMDb

EXE = ffmpeg.find()


def undo(home, session: str):
    done = run_script("undo_changes.py", "--home", home, "--session", session)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def report(home, kind: str, key: str) -> str:
    return (home / "issues" / kind / f"{slugify(key)}.md").read_text(encoding="utf-8")


def queue(home, kind: str) -> dict[str, dict]:
    return {i["name"]: i for i in QueueStore(home / "status" / kind, kind).peek()["items"]}


def test_verify_damage_dismissed_as_a_group_undone_and_remembered(tmp_path):
    lib, home = tmp_path / "lib", tmp_path / "home"
    for album in ("Rotten", "Worse"):
        damage.flip_bytes(synth.tone(EXE, lib / "Band" / album / "01 Rot.flac", 20.0))
    synth.tone(EXE, lib / "Band" / "Whole" / "01.flac", 2.0)
    batch = ("process_verify_batch.py", "--home", home, "--library", lib, "--batch-size", "9")
    assert run_script(*batch).returncode == 1  # damage found: decisions
    assert groups_of(home)[("verify", "audio-md5-mismatch")] == 2
    listed = decide(home, "verify").stdout
    assert (
        "verify  audio-md5-mismatch  2 decisions in 2 albums  [accept as is | verify again | "
        "restore from the backup copy (where one is good)]"
    ) in listed

    took = decide(home, "verify", "--all", "--dismiss", "audio-md5-mismatch")
    assert "2 decisions in 2 albums closed (dismissed: left as it is)" in took.stdout
    assert groups_of(home) == {}  # one damaged file, one question (issue 69): none left
    assert "(dismissed: left as it is by " in report(home, "verify", "Band/Rotten")
    index = (home / "issues" / "verify" / "index.md").read_text(encoding="utf-8")
    assert "**2 decisions" not in index
    said = undo(home, session_of(took))
    assert "2 decisions in 2 items open again" in said
    assert groups_of(home)[("verify", "audio-md5-mismatch")] == 2
    assert "dismissed" not in report(home, "verify", "Band/Rotten")

    took = decide(home, "--all", "--dismiss", "audio-md5-mismatch", "--remember")
    session_of(took)
    assert 'audio-md5-mismatch = "dismiss"' in (home / "mediakeeper.toml").read_text(
        encoding="utf-8"
    )
    # Checked again, and a new damaged album: the rule settles every audio-md5-mismatch.
    damage.flip_bytes(synth.tone(EXE, lib / "Band" / "Worst" / "01 Rot.flac", 20.0))
    reset = run_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert reset.returncode == 0, reset.stderr
    refresh = run_script("verify_queue_manager.py", "--home", home, "--refresh")
    assert refresh.returncode == 0, refresh.stderr
    assert run_script(*batch).returncode == 0  # nothing asks: each file's one question settled
    assert groups_of(home) == {}
    assert 'by the rule audio-md5-mismatch = "dismiss"' in report(home, "verify", "Band/Worst")


def test_an_audiobooks_missing_author_dismissed_and_remembered(tmp_path):
    lib, home, out = tmp_path / "lib", tmp_path / "home", tmp_path / "out"
    for book in ("First Book", "Second Book"):  # no author in the tags nor the folder's name
        synth.tone(EXE, lib / book / "01.flac", 1.0)
    batch = ("process_audiobook_batch.py", "--home", home, "--library", lib, "--output", out)
    made = run_script(*batch)
    assert made.returncode == 1, made.stdout + made.stderr
    assert groups_of(home) == {("audiobooks", "missing-author"): 2}
    took = decide(home, "audiobooks", "--all", "--dismiss", "missing-author", "--remember")
    assert "2 decisions in 2 books closed" in took.stdout, took.stdout + took.stderr
    assert groups_of(home) == {}
    assert "(dismissed: left as it is by " in report(home, "audiobooks", "First Book")
    # A new book asking the same: its first batch settles it by the rule.
    synth.tone(EXE, lib / "Third Book" / "01.flac", 1.0)
    refresh = run_script("audiobook_queue_manager.py", "--home", home, "--refresh")
    assert refresh.returncode == 0, refresh.stderr
    again = run_script(*batch)
    assert again.returncode == 0, again.stdout + again.stderr
    assert 'by the rule missing-author = "dismiss"' in report(home, "audiobooks", "Third Book")


def movie_env(fake) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TMDB_API_KEY", "PYTHONPATH")}
    return {**env, "PYTHONPATH": str(REPO_ROOT), "MEDIAKEEPER_TMDB_URL": fake.url,
            "MEDIAKEEPER_TMDB_IMAGES_URL": fake.images_url, "MEDIAKEEPER_TMDB_RATE_LIMIT": "0",
            "MEDIAKEEPER_TMDB_RETRIES": "2", "TMDB_API_KEY": API_KEY}  # fmt: skip


def movie_batch(home, lib) -> None:
    """A movie batch over ``lib`` against a fake TMDb, leaving decisions (exit 1)."""
    with FakeTMDb() as fake:
        batch = [sys.executable, "utilities/process_movie_batch.py", "--home", str(home),
                 "--library", str(lib)]  # fmt: skip
        done = subprocess.run(batch, cwd=REPO_ROOT, env=movie_env(fake), capture_output=True,
                              text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr


def test_movies_questions_dismissed_whole_and_a_dismissed_match_is_no_longer_asked(tmp_path):
    lib, home = tmp_path / "Movies", tmp_path / "home"
    for rel in ("Solaris/solaris.mkv", "Kill Bill/kb.mkv"):
        (lib / rel).parent.mkdir(parents=True)
        (lib / rel).write_bytes(b"not really a video")
    movie_batch(home, lib)
    found = groups_of(home)
    assert found[("movies", "ambiguous-match")] == 1 and found[("movies", "missing-year-in-name")]
    listed = decide(home, "movies").stdout
    said = "ambiguous-match  1 decision in 1 movie  [one of its TMDb candidates | dismiss]"
    assert said in listed

    took = decide(home, "movies", "--all", "--dismiss", "ambiguous-match")
    session = session_of(took)
    assert ("movies", "ambiguous-match") not in groups_of(home)
    assert ("movies", "unidentified") not in groups_of(home)  # the question was the match
    assert not queue(home, "movies")["Solaris"]["details"]["unidentified"]
    board = run_script("media_dashboard.py", "--home", home).stdout
    before = groups_of(home)
    undo(home, session)
    assert groups_of(home)[("movies", "ambiguous-match")] == 1
    assert "several TMDb movies fit" in queue(home, "movies")["Solaris"]["details"]["unidentified"]
    assert sum(before.values()) + 1 == sum(groups_of(home).values())
    assert "NEEDS ATTENTION" in board

    took = decide(home, "movies", "--all", "--dismiss", "missing-year-in-name", "--remember")
    assert "2 decisions in 2 movies closed" in took.stdout, took.stdout + took.stderr
    assert "(dismissed: left as it is by " in report(home, "movies", "Kill Bill")
    (lib / "Heat" / "heat.mkv").parent.mkdir()
    (lib / "Heat" / "heat.mkv").write_bytes(b"not really a video")
    assert run_script("movie_queue_manager.py", "--home", home, "--refresh").returncode == 0
    run_script("process_movie_batch.py", "--home", home, "--offline")
    assert 'by the rule missing-year-in-name = "dismiss"' in report(home, "movies", "Heat")
    # A candidate is each movie's own: never taken for a whole group.
    for number in ("1", "3"):  # 3: past Solaris's two candidates, still each movie's own
        refused = decide(home, "movies", "--all", "--group", "ambiguous-match", "--choose",
                         number)  # fmt: skip
        assert refused.returncode == 2 and "are each item's own" in refused.stderr, refused.stderr


def failed_artists(tmp_path, music_library, *names):
    """A music home whose artists ``names`` failed (their folders went away), and one left."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    music_library(lib, {f"{a}/Album/01 - Song.flac": {"tags": {"title": "Song", "artist": a}}
                        for a in (*names, "Here")})  # fmt: skip
    init = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stdout + init.stderr
    for name in names:
        (lib / name).rename(tmp_path / name)
    run_script("process_music_batch.py", "--home", home, "--offline")
    return home, lib


def test_failed_items_retried_or_skipped_together_and_undone_as_they_were(tmp_path, music_library):
    home, _ = failed_artists(tmp_path, music_library, "Gone", "Lost")
    was = {name: queue(home, "music")[name] for name in ("Gone", "Lost")}
    assert {i["status"] for i in was.values()} == {"error"} and was["Gone"]["attempts"] == 1
    listed = decide(home, "music", "--group", "failed").stdout
    assert "Gone: failed at stage scan after 1 attempt" in listed and "--choose N" in listed
    # A failed item named: its decisions as any item's are given (it was the bare decision).
    gone = json.loads(decide(home, "music", "Gone", "--json").stdout)
    assert (gone["kind"], gone["item"], gone["key"]) == ("music", "Gone", "Gone")
    assert [d["code"] for d in gone["decisions"]] == ["failed"]
    assert decide(home, "--id", gone["decisions"][0]["id"], "--json").stdout.startswith('{"id"')
    for dry in ((), ("--dry-run",)):  # failed items have two choices: a third is refused
        wrong = decide(home, "music", "--all", "--group", "failed", "--choose", "3", *dry)
        assert wrong.returncode == 2, wrong.stdout + wrong.stderr
        assert "failed items have no choice 3" in wrong.stderr, wrong.stderr
        assert "their choices: 1) retry; 2) skip" in wrong.stderr, wrong.stderr
    assert {name: queue(home, "music")[name] for name in was} == was

    skipped = decide(home, "music", "--all", "--group", "failed", "--choose", "2")
    assert "2 failed artists put to skip (Gone, Lost), as one session" in skipped.stdout
    assert {queue(home, "music")[n]["status"] for n in was} == {"skipped"}
    said = undo(home, session_of(skipped))
    assert "2 items back as they were, 2 decisions open again" in said  # as /api/undo counts
    assert {n: queue(home, "music")[n] for n in was} == was  # every field as it was

    retried = decide(home, "--all", "--group", "failed", "--choose", "1")
    session = session_of(retried)
    now = queue(home, "music")
    assert {(now[n]["status"], now[n]["attempts"], now[n]["failures"]) for n in was} == {
        ("pending", 0, 0)
    }  # attempts counted again from none
    undo(home, session)
    assert {n: queue(home, "music")[n] for n in was} == was

    # One item alone: its retry resets its attempts too.
    one = decide(home, "music", "Gone", "--choose", "1")
    assert one.returncode == 0 and "Gone: back to pending" in one.stdout
    assert (queue(home, "music")["Gone"]["status"], queue(home, "music")["Gone"]["attempts"]) == (
        "pending", 0)  # fmt: skip


def test_a_failed_retry_taken_by_a_batch_since_is_left_to_it_by_the_undo(tmp_path, music_library):
    home, lib = failed_artists(tmp_path, music_library, "Gone")
    retried = decide(home, "--all", "--group", "failed", "--choose", "1")
    (tmp_path / "Gone").rename(lib / "Gone")
    batch = run_script("process_music_batch.py", "--home", home, "--offline")
    assert "1 artist completed" in batch.stdout, batch.stdout
    said = undo(home, session_of(retried))
    assert "0 items back as they were, 0 decisions open again; 1 item a batch took since, " \
        "left to it" in said  # fmt: skip
    assert queue(home, "music")["Gone"]["status"] == "completed"


def test_a_queue_that_cannot_be_read_is_said_not_left_out_of_the_listing(tmp_path, demo_home):
    """The demo's music queue damaged: ``decide`` lists the other kinds' decisions as before,
    then names the music queue it could not read and how to restore it, exit 2 (it listed
    the rest as though music asked nothing, exit 0). A kind whose queue reads is listed as
    ever."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, symlinks=True)  # reading only: its paths are the demo's
    (home / "status" / "music" / "processing_queue.json").write_text('{"items": [\n', "utf-8")
    for args in ((), ("--json",), ("music",)):
        listed = decide(home, *args)
        assert listed.returncode == 2, (args, listed.stdout, listed.stderr)
        [said] = listed.stderr.splitlines()
        assert said.startswith("music: its decisions are not listed: the queue cannot be read: ")
        assert "processing_queue.json is not valid JSON" in said and "--init --force" in said
    assert "verify  decode-error" in decide(home).stdout
    kinds = {group["kind"] for group in json.loads(decide(home, "--json").stdout)["groups"]}
    assert kinds == {"verify"}
    verify = decide(home, "verify")
    assert verify.returncode == 0 and not verify.stderr and "decode-error" in verify.stdout
