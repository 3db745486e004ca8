"""sessions.py over real batches of two kinds, in real subprocesses: list, show, a resume after
SIGKILL that ends where the batch alone ends, and a clean that leaves every queue whole."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.batch.session_history import size_text
from mediakeeper.text.slug import slugify
from tests.helpers import leaves_decisions, loaded_among, wait_until

# A batch of 12: its worker's results arrive a few artists at a time (one queue transaction),
# so the first line of a batch of 6 could come with all but the last done, and a resume of the
# rest end before a Ctrl+C sent at its first line reached it (seen in CI under load).
N_ARTISTS, BATCH = 14, 12
# What reading the sessions has no use for: a pipeline's steps and the model layer that
# checks them (a pipeline session's `resume` alone imports them).
PIPELINES_ONLY = ("mediakeeper.pipelines.catalog", "mediakeeper.pipelines.steps", "pydantic")
BATCH_ARGS = ("--batch-size", BATCH, "--offline", "--workers", 1, "--checkpoint-every", 1)


def spec() -> dict[str, dict]:
    """Artists whose tags get fixes (so each keeps a work file), 200 tracks each: long enough
    for a kill to land in the middle of the batch. (Its one worker works beside the batch's
    own process and goes on with the artists in hand, whose results share one queue
    transaction: the first line may come with the last artist already in the works.)"""
    tracks = {}
    for a in range(N_ARTISTS):
        name = f"Artist {a}"
        for n in range(1, 201):
            tags = {"title": f"Song  {n} ", "artist": name, "album": "Record"}
            tracks[f"{name}/Record/{n:02d} - Song.mp3"] = {"tags": {**tags, "tracknumber": str(n)}}
    return tracks


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, music_library):
    return music_library(tmp_path_factory.mktemp("pristine") / "Music", spec())


@pytest.fixture(scope="module")
def reference(tmp_path_factory, pristine, music_script, music_queue, library_tags):
    """The end state of the batch run uninterrupted."""
    root = tmp_path_factory.mktemp("reference")
    lib, home = root / "Music", root / "home"
    shutil.copytree(pristine, lib)
    run = music_script("process_music_batch.py", "--home", home, "--library", lib, *BATCH_ARGS)
    assert run.returncode == 1, run.stdout + run.stderr  # done; its artists' decisions left
    return end_state(home, lib, music_queue, library_tags)


def end_state(home: Path, lib: Path, music_queue, library_tags) -> dict:
    items = {
        i["key"]: (i["status"], i["track_count"], i["issues_found"], i["issues_resolved"])
        for i in music_queue(home)["items"]
    }
    return {"items": items, "tags": library_tags(lib)}


def sessions(music_script, *args):
    return music_script("sessions.py", *args)


def killed_mid_batch(
    music_popen, home: Path, lib: Path, *, planned: int = 0, sig: int = signal.SIGKILL
) -> None:
    """The batch killed right after its first artist is recorded, the next one in hand (with
    ``planned``: once that many artists have their plan in a work file)."""
    proc = music_popen("--home", home, "--library", lib, *BATCH_ARGS, "-v")
    for line in proc.stdout:
        if line.startswith("✓"):
            break
    work = home / "status/music/work"
    assert wait_until(lambda: len(list(work.glob("*.json"))) >= planned)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    expected = 130 if sig == signal.SIGINT else -sig
    assert proc.returncode == expected, f"the batch ended before the signal: {out}{err}"


def session_ids(music_script, home: Path) -> list[dict]:
    listed = sessions(music_script, "list", "--home", home, "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


@pytest.mark.parametrize(
    ("sig", "outcome"), [(signal.SIGKILL, "unrecorded"), (signal.SIGINT, "interrupted")]
)
def test_a_killed_batch_and_its_resume_end_as_the_batch_alone(
    sig, outcome, tmp_path, pristine, reference, music_popen, music_script, music_queue,
    library_tags, child_env
):  # fmt: skip
    lib, home = tmp_path / "Music", tmp_path / "home"
    shutil.copytree(pristine, lib)
    killed_mid_batch(music_popen, home, lib, sig=sig)
    [crashed] = session_ids(music_script, home)
    assert crashed["outcome"] == outcome and crashed["done"] >= 1
    statuses = [i["status"] for i in music_queue(home)["items"]]
    assert statuses.count("completed") < BATCH

    shown = sessions(music_script, "show", "--home", home, crashed["id"])
    assert shown.returncode == 0, shown.stderr
    assert outcome in shown.stdout and re.search(r"^left unfinished: \d+ artists? ", shown.stdout,
                                                 re.M), shown.stdout  # fmt: skip
    as_json = json.loads(sessions(music_script, "show", "--home", home, crashed["id"],
                                  "--json").stdout)  # fmt: skip
    left = re.search(r"^left unfinished: (\d+) artists? \((.*)\)$", shown.stdout, re.M)
    assert len(as_json["left_unfinished"]) == int(left[1]) and as_json["outcome"] == outcome
    assert ", ".join(i["name"] for i in as_json["left_unfinished"]) == left[2]

    # The command `show` says runs them, pasted from anywhere: it named no data home, and a
    # `mediakeeper` that need not be on PATH.
    hint = re.search(r"^`([^`]+)` runs them$", shown.stdout, re.M)[1]
    resumed = subprocess.run(shlex.split(hint), cwd="/", env=child_env, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr  # the batch's: decisions
    assert f"Resuming session {crashed['id']} ({outcome})" in resumed.stdout
    [command] = [line for line in resumed.stdout.splitlines() if line.startswith("running: ")]
    for option in ("--offline", "--workers 1", "--checkpoint-every 1", f"--resume {crashed['id']}"):
        assert option in command  # run as the batch was
    assert end_state(home, lib, music_queue, library_tags) == reference

    # The crashed session is still crashed in its records, but it has nothing left to do;
    # the resume's own session completed, and resuming that says so.
    again = sessions(music_script, "resume", "--home", home, crashed["id"])
    assert again.returncode == 1
    assert "left nothing to do" in again.stderr
    latest = session_ids(music_script, home)[0]
    assert latest["outcome"] == "completed"
    # A kill alone loses none of the record's lines: its resume wrote none back to it.
    again_crashed = next(r for r in session_ids(music_script, home) if r["id"] == crashed["id"])
    assert again_crashed["done"] == crashed["done"]
    done = sessions(music_script, "resume", "--home", home, latest["id"])
    assert done.returncode == 1
    assert f"session {latest['id']} completed: it left nothing unfinished" in done.stderr
    assert "Traceback" not in done.stderr + again.stderr


def test_the_resume_of_a_batch_asked_for_by_key_takes_none_but_those_keys(
    tmp_path, pristine, music_popen, music_script, music_queue
):
    """A batch of the items asked for (--keys-from, as watch --run hands them; --artist
    NAME; a scrub's) recorded only its size: its resume took the rest of it from the queue's
    first pending items, artists never asked for (a named movie's resume re-made another,
    or met a skipped one and crashed). Its resume takes what is left of its keys alone, and
    none that a person skipped since."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    shutil.copytree(pristine, lib)
    made = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert made.returncode == 0, made.stdout + made.stderr
    # More keys than the one worker holds at once (six, offline): a group of four could all
    # finish before the signal landed on a busy host (seen in CI).
    asked = ["Artist 2", "Artist 3", "Artist 4", "Artist 5", "Artist 7", "Artist 8",
             "Artist 9", "Artist 10", "Artist 11", "Artist 12"]  # fmt: skip
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(asked), encoding="utf-8")
    proc = music_popen("--home", home, "--keys-from", keys, "--batch-size", 12, "--offline",
                       "--workers", 1, "-v")  # fmt: skip
    for line in proc.stdout:
        if line.startswith("✓"):
            break
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130, "the batch ended before the signal"
    [stopped] = session_ids(music_script, home)
    statuses = {i["key"]: i["status"] for i in music_queue(home)["items"]}
    left = [key for key in asked if statuses[key] != "completed"]
    assert left, "every key asked for was finished before the signal"
    skipped = left[-1]
    skip = music_script("music_queue_manager.py", "--home", home, "--skip-artist", skipped)
    assert skip.returncode == 0, skip.stdout + skip.stderr
    resumed = sessions(music_script, "resume", "--home", home, stopped["id"])
    assert resumed.returncode in (0, 1), resumed.stdout + resumed.stderr
    statuses = {i["key"]: i["status"] for i in music_queue(home)["items"]}
    completed = {key for key, status in statuses.items() if status == "completed"}
    assert completed == set(asked) - {skipped}
    assert statuses[skipped] == "skipped"


def test_a_batch_killed_before_its_record_caught_up_with_the_queue_resumes_no_more_than_its_size(
    tmp_path, music_library, music_script, music_queue
):
    """A batch writes an item's result to the queue, then its line to the session's record
    (not flushed to disk). A kill or a power cut in between leaves a record that has not
    caught up: the resume counts what the queue says this session finished too, and does not
    take an item beyond the batch's size (seen in CI: one artist more than the batch alone)."""
    lib = music_library(
        tmp_path / "Music",
        {f"Artist {a}/Album/01 - Song.mp3": {"tags": {"title": "Song  1 "}} for a in range(6)},
    )
    home = tmp_path / "home"
    args = ("--home", home, "--library", lib, "--offline", "--batch-size", 3, "--workers", 1)
    done = music_script("process_music_batch.py", *args)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    events = home / "status/music/sessions.jsonl"
    lines = events.read_text("utf-8").splitlines()
    first_item = next(n for n, line in enumerate(lines) if json.loads(line)["event"] == "item")
    # As the kill leaves it: the queue holds the batch's three results, the record one.
    events.write_text("\n".join(lines[: first_item + 1]) + "\n", "utf-8")
    [killed] = session_ids(music_script, home)
    assert killed["outcome"] == "unrecorded" and killed["done"] == 1

    resumed = sessions(music_script, "resume", "--home", home)
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    assert "left nothing to do" in resumed.stderr
    statuses = [i["status"] for i in music_queue(home)["items"]]
    assert statuses.count("completed") == 3 and statuses.count("pending") == 3


def movie_batch(music_script, home: Path, movies: Path) -> None:
    for title in ("Heat (1995)", "Alien (1979)"):
        (movies / title).mkdir(parents=True)
        (movies / title / "movie.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * 64)
    args = ("--home", home, "--library", movies, "--offline", "--batch-size", 2)
    done = music_script("process_movie_batch.py", *args)
    assert leaves_decisions(done), done.stdout + done.stderr  # offline: not identified


@pytest.mark.parametrize("finder", ["the next batch", "--reset-stale"])
def test_the_lines_a_power_cut_takes_from_a_crashed_session_come_back_from_the_queue(
    finder, tmp_path, pristine, music_popen, music_script, music_queue
):
    """A session's record is not flushed as it goes (the queue is): a power cut takes its
    last lines, a kill -9 alone does not. Here the killed session's item lines are cut out
    of its record, as such a cut leaves it. The next run that finds the crash (a batch, or a
    person's --reset-stale) writes back what the queue says that session finished, once."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    shutil.copytree(pristine, lib)
    killed_mid_batch(music_popen, home, lib)
    [crashed] = session_ids(music_script, home)
    finished = [i["name"] for i in music_queue(home)["items"]
                if i.get("completed_by") == crashed["id"]]  # fmt: skip
    assert crashed["done"] == len(finished) >= 1

    record = home / "status" / "music" / "sessions.jsonl"
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    record.write_text("".join(line for line in lines if json.loads(line)["event"] != "item"))
    assert session_ids(music_script, home)[0]["done"] == 0  # the record alone falls short

    first = ("music_queue_manager.py", "--home", home, "--reset-stale")
    batch = ("process_music_batch.py", "--home", home, *BATCH_ARGS)
    for run in (first if finder == "--reset-stale" else batch, batch):  # the second: no crash
        after = music_script(*run)
        assert "Traceback" not in after.stderr
        row = next(r for r in session_ids(music_script, home) if r["id"] == crashed["id"])
        assert (row["outcome"], row["done"], row["failed"]) == ("unrecorded", len(finished), 0)
    shown = sessions(music_script, "show", "--home", home, crashed["id"]).stdout
    lost = [line.split()[1:3] for line in shown.splitlines() if "line never recorded" in line]
    assert lost == [name.split() for name in finished]


def test_list_and_show_read_every_kind(tmp_path, pristine, music_script):
    home, lib = tmp_path / "home", tmp_path / "Music"
    shutil.copytree(pristine, lib)
    args = ("--home", home, "--library", lib, "--offline", "--batch-size", 2)
    done = music_script("process_music_batch.py", *args)
    assert done.returncode == 1, done.stdout + done.stderr  # done; decisions left
    movie_batch(music_script, home, tmp_path / "Movies")

    rows = session_ids(music_script, home)
    # Latest first (the two may have started within the same second).
    assert rows[0]["started"] >= rows[1]["started"]
    assert sorted((r["kind"], r["outcome"]) for r in rows) == [
        ("movies", "completed"),
        ("music", "completed"),
    ]
    music = next(r for r in rows if r["kind"] == "music")
    assert music["done"] == 2 and music["failed"] == 0
    assert {"id", "kind", "started", "seconds", "outcome", "done", "failed"} == set(rows[0])

    table = sessions(music_script, "list", "--home", home).stdout.splitlines()
    assert table[0].split() == ["SESSION", "KIND", "STARTED", "DURATION", "OUTCOME", "DONE/FAILED"]
    assert [line.split()[0] for line in table[1:]] == [rows[0]["id"], rows[1]["id"]]
    only_music = sessions(music_script, "list", "--home", home, "--kind", "music", "--json")
    assert [r["id"] for r in json.loads(only_music.stdout)] == [music["id"]]
    for unknown in ("MUSIC", "bogus", ""):  # "No MUSIC sessions", as if there were none
        refused = sessions(music_script, "list", "--home", home, "--kind", unknown)
        assert refused.returncode == 2 and refused.stdout == "", refused.stdout
        assert f"Error: no kind {unknown!r}: one of music, movies, " in refused.stderr
    latest = sessions(music_script, "list", "--home", home, "--limit", 1, "--json")
    assert [r["id"] for r in json.loads(latest.stdout)] == [rows[0]["id"]]

    shown = sessions(music_script, "show", "--home", home, music["id"])
    assert shown.returncode == 0, shown.stderr
    assert "COMPLETED  Artist 0" in shown.stdout and "COMPLETED  Artist 1" in shown.stdout
    assert "options: --offline" in shown.stdout
    as_json = json.loads(sessions(music_script, "show", "--home", home, music["id"],
                                  "--json").stdout)  # fmt: skip
    assert {k: as_json[k] for k in music} == music  # the session as list gives it
    assert sorted((i["name"], i["outcome"]) for i in as_json["items"]) == [
        ("Artist 0", "completed"), ("Artist 1", "completed")]  # fmt: skip
    assert as_json["options"][0] == "--offline" and Path(as_json["log"]).is_file()
    assert as_json["left_unfinished"] == as_json["not_come_to"] == []
    for reading in (("list",), ("show", music["id"])):  # no pipeline's steps and checks
        said, loaded = loaded_among("sessions.py", PIPELINES_ONLY, *reading, "--home", home)
        assert music["id"] in said
        assert loaded == []
    missing = sessions(music_script, "show", "--home", home, "20990101_music_001")
    assert missing.returncode == 2 and "no session '20990101_music_001'" in missing.stderr
    typo = sessions(music_script, "show", "--home", home, music["id"][:-1])  # a digit short
    assert typo.returncode == 2 and f"did you mean {music['id']!r}" in typo.stderr, typo.stderr
    nothing = sessions(music_script, "resume", "--home", home)
    assert nothing.returncode == 1 and "no interrupted or unrecorded session" in nothing.stderr
    for refused in (missing, nothing):  # the hint lists this home's sessions, pasted anywhere
        hint = re.search(r"`([^`]+)` shows every session", refused.stderr)[1]
        listed = subprocess.run(shlex.split(hint), cwd="/", capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        assert listed.returncode == 0 and music["id"] in listed.stdout, listed.stderr


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_clean_deletes_logs_and_finished_work_files_and_nothing_a_queue_or_undo_needs(
    tmp_path, pristine, reference, music_popen, music_script, music_queue, library_tags
):
    # Killed while its workers held artists whose plans are in their work files (a worker
    # plans the artists waiting for it before it writes them, so one or several; the kill
    # may land between two artists: then again, on a fresh copy).
    for attempt in range(10):
        lib, home = tmp_path / f"Music{attempt}", tmp_path / f"home{attempt}"
        shutil.copytree(pristine, lib)
        killed_mid_batch(music_popen, home, lib, planned=BATCH)  # the last one's plan too
        status = home / "status" / "music"
        in_hand = [i for i in music_queue(home)["items"] if i["status"] == "in_progress"]
        work = [status / "work" / f"{slugify(i['key'])}.json" for i in in_hand]
        kept = [path for path in work if path.exists()]
        if kept:
            break
    else:
        pytest.fail("no kill landed while an artist with a plan was in hand")
    movie_batch(music_script, home, tmp_path / "Movies")
    logs = sorted((status / "session_logs").glob("*.log"))
    finished_work = sorted(set((status / "work").glob("*.json")) - set(kept))
    assert logs and finished_work
    untouchable = {name: tree(status / name) for name in ("changes", "checkpoints")} | {
        f: (status / f).read_bytes() for f in ("processing_queue.json", "sessions.jsonl")
    }
    assert untouchable["changes"] and untouchable["checkpoints"]

    movies = home / "status/movies"  # its movies are all finished
    movie_logs = sorted((movies / "session_logs").glob("*.log"))
    assert movie_logs
    movie_logs += sorted((movies / "work").glob("*.json"))
    size = sum(p.stat().st_size for p in (*logs, *finished_work, *movie_logs))

    checked = validated(music_script, home)
    assert checked["movie_queue_manager.py"][0] == 0

    earlier = {r["id"] for r in session_ids(music_script, home)}
    asked = sessions(music_script, "clean", "--home", home, "--older-than", "0d")
    assert asked.returncode == 0, asked.stderr
    assert "nothing was deleted: add --yes" in asked.stdout
    assert all(p.exists() for p in (*logs, *finished_work, *kept))

    cleaned = sessions(music_script, "clean", "--home", home, "--older-than", "0d", "--yes")
    assert cleaned.returncode == 0, cleaned.stderr
    n = len(logs) + len(finished_work) + len(movie_logs)
    assert f"Deleted {n} files, freed {size_text(size)}." in cleaned.stdout
    for path in (*logs, *finished_work, *movie_logs):
        assert f"deleting {path.relative_to(home)}" in cleaned.stdout
        assert not path.exists()
    assert all(p.exists() for p in kept)  # their artists are not finished: a resume's
    assert "change journal(s) of music: `" in cleaned.stdout
    assert " undo` reads them" in cleaned.stdout
    assert "work file(s) of music: their items are not finished" in cleaned.stdout
    after = {name: tree(status / name) for name in ("changes", "checkpoints")} | {
        f: (status / f).read_bytes() for f in ("processing_queue.json", "sessions.jsonl")
    }
    assert after == untouchable
    # The killed batch's stale claim is the only problem either queue has, before and after.
    assert validated(music_script, home) == checked
    assert "stale claim" in checked["music_queue_manager.py"][1]

    # What clean kept is all a resume needs: it still ends where the batch alone ends.
    resumed = sessions(music_script, "resume", "--home", home)
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr  # the batch's: decisions
    assert end_state(home, lib, music_queue, library_tags) == reference
    # Its session is a new one: the killed one's log was deleted, not its id.
    listed = [r["id"] for r in session_ids(music_script, home)]
    assert listed[0] not in earlier and set(listed) == earlier | {listed[0]}
    assert {code for code, _ in validated(music_script, home).values()} == {0}
    assert sessions(music_script, "clean", "--home", home, "--older-than", "30d").stdout.endswith(
        "Nothing to delete.\n"
    )


def validated(music_script, home: Path) -> dict[str, tuple[int, str]]:
    found = {}
    for manager in ("music_queue_manager.py", "movie_queue_manager.py"):
        done = music_script(manager, "--home", home, "--validate-queue")
        found[manager] = (done.returncode, done.stdout + done.stderr)
    return found


@pytest.mark.parametrize(("age", "said"), [
    ("soon", "'soon' is no age"),
    # Past a century: it reached before year 1 and ended in an OverflowError's traceback.
    ("99999999d", "'99999999d' is older than anything: give at most 36525d"),
    ("99999999999999999999999m", "is older than anything"),
])  # fmt: skip
def test_a_bad_age_is_a_usage_error(tmp_path, music_script, age, said):
    (tmp_path / "status").mkdir()
    bad = sessions(music_script, "clean", "--home", tmp_path, "--older-than", age)
    assert bad.returncode == 2
    assert said in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def test_ctrl_c_during_a_resume_lets_the_batch_stop_well(
    tmp_path, pristine, music_popen, music_script, child_env, repo_root
):
    """Ctrl+C reaches the whole process group: the resumed batch records what finished and
    gives the rest back (its session "interrupted", no claim left), and 130 is passed on."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    shutil.copytree(pristine, lib)
    killed_mid_batch(music_popen, home, lib)
    resume = subprocess.Popen(
        [sys.executable, "utilities/sessions.py", "resume", "--home", str(home)],
        cwd=repo_root,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal gives a command
    )
    try:
        for line in resume.stdout:
            if line.startswith("✓"):
                break
        os.killpg(resume.pid, signal.SIGINT)
        out, err = resume.communicate(timeout=60)
    finally:
        if resume.poll() is None:
            os.killpg(resume.pid, signal.SIGKILL)
    assert resume.returncode == 130, out + err
    assert "Traceback" not in err
    resumed = session_ids(music_script, home)[0]
    assert resumed["outcome"] == "interrupted"
    validate = music_script("music_queue_manager.py", "--home", home, "--validate-queue")
    assert validate.returncode == 0, validate.stdout + validate.stderr  # no stale claim


def processed_by(home: Path) -> dict[str, set[str]]:
    """Each session's items finished (completed, failed or skipped), from its records."""
    done: dict[str, set[str]] = {}
    for line in (home / "status/music/sessions.jsonl").read_text("utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "item" and event.get("outcome") in ("completed", "error",
                                                                       "skipped"):  # fmt: skip
            done.setdefault(event["session"], set()).add(event["key"])
    return done


def test_a_resume_leaves_alone_what_another_batch_finished_while_it_ran(
    tmp_path, pristine, music_popen, music_script, music_queue, child_env, repo_root
):
    """The rest of an interrupted batch, chosen as its resume starts, is taken item by item:
    an item another batch finished meanwhile (pending when chosen) is that batch's, not done
    again (a conversion done twice fails on its own output)."""
    from filelock import FileLock, Timeout

    from tests.helpers import held_when, resume

    def holds_some_outside_the_lock() -> bool:
        # The lock first: reading the queue takes it, and waited a minute for a resume held
        # in it (most looks on a loaded host: all three attempts lost in one CI run). Free,
        # it stays free while the resume is held.
        try:
            with FileLock(str(home / "status/music/processing_queue.json.lock"), timeout=0):
                pass
        except Timeout:
            return False
        items = music_queue(home)["items"]
        return any((i.get("claimed_by") or {}).get("pid") == resumed.pid for i in items)

    # The resume is stopped while it holds an item outside the queue's lock; on a loaded host
    # it may end before it is seen so: the whole set-up again, a few times at most.
    for attempt in range(3):
        lib, home = tmp_path / f"Music-{attempt}", tmp_path / f"home-{attempt}"
        shutil.copytree(pristine, lib)
        killed_mid_batch(music_popen, home, lib, sig=signal.SIGINT)
        [stopped] = session_ids(music_script, home)
        resumed = subprocess.Popen(
            [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
             "--offline", "--workers", "1", "--resume", stopped["id"]],
            cwd=repo_root, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True)  # fmt: skip
        if held_when(resumed, holds_some_outside_the_lock, group=True):
            break
        resumed.communicate(timeout=300)
    else:
        raise AssertionError("the resume ended first, three times")
    try:
        other = music_script("process_music_batch.py", "--home", home, "--offline",
                             "--batch-size", N_ARTISTS)  # fmt: skip
        assert other.returncode == 1, other.stdout + other.stderr  # done; decisions left
    finally:
        resume(resumed, group=True)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode in (0, 1) and "Traceback" not in err, out + err

    done = processed_by(home)
    del done[stopped["id"]]
    assert len(done) == 2, done  # the resume's and the other batch's, each with items
    first, second = done.values()
    assert not first & second, f"done twice: {sorted(first & second)}"
