"""process_music_batch.py through the real command line, in real subprocesses, on real files.

Flags (--batch-size, --artist, --retry-errors, --no-fix, --dry-run, --library,
--checkpoint-every), exit codes, the outputs each artist leaves behind, odd folder names, and
an artist whose processing crashes while the batch goes on.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediakeeper import tags
from mediakeeper.batch.job import ItemResult
from mediakeeper.fs import left_behind
from mediakeeper.fs.names import home_id
from mediakeeper.fs.sweep import SPARES
from mediakeeper.music.job import MusicJob
from mediakeeper.music.model import Track
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.commands import kind_command, queue_manager, tool_command
from mediakeeper.text.slug import slugify
from tests.helpers import (
    REPO_ROOT,
    change_appends,
    immutable,
    refuse_scandir,
    run_pasted,
    run_script,
)
from utilities.process_music_batch import main as batch_main

FORMATS = ("mp3", "flac", "m4a", "ogg", "opus")


def artist_spec(name: str, n_tracks: int = 3, fmt: str = "mp3", album: str = "2000 - Album"):
    """One album of ``n_tracks`` with two safe fixes: a title with a trailing space on the
    first track and a missing album artist on the last."""
    spec = {}
    for n in range(1, n_tracks + 1):
        tags = {
            "title": f"Song {n}" + (" " if n == 1 else ""),
            "artist": name,
            "albumartist": name,
            "album": album.split(" - ", 1)[-1],
            "tracknumber": str(n),
            "date": "2000",
        }
        if n == n_tracks:
            del tags["albumartist"]
        spec[f"{name}/{album}/{n:02d} - Song {n}.{fmt}"] = {"tags": tags}
    return spec


def build(music_library, root: Path, names, n_tracks: int = 3) -> Path:
    spec = {}
    for i, name in enumerate(names):
        spec.update(artist_spec(name, n_tracks, FORMATS[i % len(FORMATS)]))
    return music_library(root, spec)


def statuses(queue) -> dict[str, str]:
    return {item["name"]: item["status"] for item in queue["items"]}


def audio_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def session_logs(home: Path) -> list[Path]:
    return sorted((home / "status" / "music" / "session_logs").glob("*.log"))


def is_aware_iso(stamp) -> bool:
    return isinstance(stamp, str) and datetime.fromisoformat(stamp).tzinfo is not None


NAMES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


# ---- --library, --batch-size, the queue items --------------------------------------------


def test_library_creates_the_queue_and_batches_take_the_next_artists(
    tmp_path, music_library, music_script, music_queue
):
    lib, home = build(music_library, tmp_path / "Music", NAMES), tmp_path / "home"

    first = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 2
    )
    assert first.returncode == 0, first.stderr
    assert "Created the music queue with 5 artists" in first.stdout
    # The closing summary: artists, errors, time; tracks, issues found and resolved.
    assert re.search(r"^2 artists completed, 0 failed, 0 skipped in \d+\.\ds$", first.stdout, re.M)
    assert "tracks 6 · findings 6 · resolved 4" in first.stdout
    assert statuses(music_queue(home)) == {
        "Alpha": "completed",
        "Bravo": "completed",
        "Charlie": "pending",
        "Delta": "pending",
        "Echo": "pending",
    }
    # The queue now exists: no --library needed, and it is not created again.
    second = music_script("process_music_batch.py", "--home", home, "--batch-size", 2, "-v")
    assert second.returncode == 0, second.stderr
    assert "Created" not in second.stdout
    finished = {line[2:].split(" — ")[0] for line in second.stdout.splitlines() if line[:1] == "✓"}
    assert finished == {"Charlie", "Delta"}  # two workers: in either order
    third = music_script("process_music_batch.py", "--home", home, "--batch-size", 2)
    assert third.returncode == 0
    assert set(statuses(music_queue(home)).values()) == {"completed"}
    queue_file = home / "status/music/processing_queue.json"
    before = queue_file.stat()
    nothing = music_script("process_music_batch.py", "--home", home)
    assert nothing.returncode == 0
    assert "Nothing to do" in nothing.stdout
    # The hint names this data home: it reaches it whatever the default home is, and it
    # works pasted where the person is (here the data home itself), checkout or not.
    hint = f"{queue_manager('music', home)} --show-summary"
    assert f"`{hint}`" in nothing.stdout
    pasted = run_pasted(hint, home)
    assert pasted.returncode == 0, pasted.stderr
    assert "100.0% complete" in pasted.stdout
    after = queue_file.stat()  # a batch that changed nothing rewrites nothing
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    for item in music_queue(home)["items"]:
        assert item["track_count"] == 3
        # 2 findings fixed (title whitespace, missing album artist) + missing-cover (info)
        assert item["issues_resolved"] == 2
        assert item["issues_found"] == 3
        assert is_aware_iso(item["completed_at"]) and is_aware_iso(item["started_at"])
        assert item["claimed_by"] is None and item["attempts"] == 1
    assert len(session_logs(home)) == 4  # one per run


def test_another_library_than_the_queue_s_is_refused_the_same_one_is_not(
    tmp_path, music_library, music_script, music_queue, tree_bytes
):
    """A queue belongs to one library: --library naming another was silently ignored ("Nothing
    to do", going on with the first). The same folder, spelled differently, still works."""
    lib = build(music_library, tmp_path / "Music", NAMES[:2])
    other = build(music_library, tmp_path / "Other Music", ["Zulu"])
    home = tmp_path / "home"
    first = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 1
    )
    assert first.returncode == 0, first.stderr
    before = tree_bytes(home)
    for extra in ([], ["--dry-run"], ["--artist", "Zulu"], ["--retry-errors"]):
        run = music_script("process_music_batch.py", "--home", home, "--library", other, *extra)
        assert run.returncode == 2, (extra, run.stdout + run.stderr)
        [line] = run.stderr.strip().splitlines()
        assert f"is for the library {lib}, not {other}" in line, line
        assert f"`{queue_manager('music', home)} --init --force --library '{other}'`" in line, line
        assert f"to go on with {lib}, leave out --library" in line
        assert tree_bytes(home) == before, extra  # no session, no queue change
    # A mistyped library is said to be missing, not offered as the queue's new library.
    mistyped = lib.parent / "Musc"
    missing = music_script("process_music_batch.py", "--home", home, "--library", mistyped)
    assert missing.returncode == 2, missing.stdout + missing.stderr
    assert missing.stderr.strip() == (
        f"Error: library folder does not exist: {mistyped} (the music queue is for "
        f"the library {lib}: to go on with it, leave out --library)"), missing.stderr  # fmt: skip
    (a_file := lib.parent / "notes.txt").write_text("not a library\n")
    not_folder = music_script("process_music_batch.py", "--home", home, "--library", a_file)
    assert not_folder.returncode == 2, not_folder.stdout + not_folder.stderr
    assert not_folder.stderr.startswith(f"Error: library path is not a folder: {a_file} (the "
                                        "music queue is for the library"), not_folder.stderr
    assert tree_bytes(home) == before
    # Settings name the library too: the message says which setting to change.
    (home / "mediakeeper.toml").write_text(f"[music]\nlibrary = {json.dumps(str(other))}\n")
    by_settings = music_script("process_music_batch.py", "--home", home)
    assert by_settings.returncode == 2
    assert f"set music.library in {home / 'mediakeeper.toml'} to it" in by_settings.stderr
    (home / "mediakeeper.toml").unlink()

    (tmp_path / "link").symlink_to(lib)
    for same in (f"{lib}/", tmp_path / "link", tmp_path / "Other Music" / ".." / "Music"):
        again = music_script(
            "process_music_batch.py", "--home", home, "--library", same, "--batch-size", 1
        )
        assert again.returncode == 0, (same, again.stderr)
    assert set(statuses(music_queue(home)).values()) == {"completed"}


def test_a_library_without_artist_folders_is_said_so(tmp_path, music_script, music_queue):
    flat = tmp_path / "Flat"
    flat.mkdir()
    (flat / "01 - Song.mp3").write_bytes(b"loose files, no artist folder")
    home = tmp_path / "home"
    run = music_script("process_music_batch.py", "--home", home, "--library", flat)
    assert run.returncode == 0, run.stderr
    assert "Created the music queue with 0 artists" in run.stdout
    [warning] = run.stderr.strip().splitlines()
    assert warning.startswith(f"Warning: {flat} has no artist folders: each artist should be a ")
    assert "folder directly inside it" in warning and f"--home {home} --refresh" in warning
    assert music_queue(home)["items"] == []


# ---- --artist -----------------------------------------------------------------------------


def test_artist_takes_just_that_one_case_insensitively(
    tmp_path, music_library, music_script, music_queue, tree_bytes
):
    lib, home = build(music_library, tmp_path / "Music", NAMES), tmp_path / "home"
    run = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--artist", "dELTA"
    )
    assert run.returncode == 0, run.stderr
    assert statuses(music_queue(home)) == {
        "Alpha": "pending",
        "Bravo": "pending",
        "Charlie": "pending",
        "Delta": "completed",
        "Echo": "pending",
    }
    # Asking again re-processes a completed artist (the fixes are in, so none are left).
    again = music_script("process_music_batch.py", "--home", home, "--artist", "delta")
    assert again.returncode == 0, again.stderr
    delta = next(i for i in music_queue(home)["items"] if i["name"] == "Delta")
    assert delta["status"] == "completed"
    assert (delta["issues_found"], delta["issues_resolved"]) == (1, 0)  # missing-cover only

    # An unknown name is a usage error: exit 2, the closest names suggested, nothing written.
    before = tree_bytes(home)
    unknown = music_script("process_music_batch.py", "--home", home, "--artist", "Detla")
    assert unknown.returncode == 2
    assert "no item named 'Detla'" in unknown.stderr
    assert "did you mean" in unknown.stderr and "'Delta'" in unknown.stderr
    assert tree_bytes(home) == before


def test_an_unknown_artist_with_no_close_name_names_the_command_that_lists_them(
    tmp_path, music_library, music_script
):
    """--list belongs to the queue manager, not to the batch: the hint names that command."""
    lib, home = build(music_library, tmp_path / "Music", NAMES[:2]), tmp_path / "home"
    home.mkdir()
    dry = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--dry-run", "--artist", "Zzyzx"
    )
    assert dry.returncode == 2, dry.stdout + dry.stderr
    assert dry.stderr == (  # no queue yet: not "in the queue"
        f"Error: no item named 'Zzyzx' in the library {lib} "
        "(each folder directly inside it is one artist)\n"
    )
    assert list(home.iterdir()) == []  # a dry run creates no queue
    run = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--artist", "Zzyzx"
    )
    assert run.returncode == 2, run.stdout + run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.endswith(f"(`{queue_manager('music', home)} --list` shows every name)"), line
    assert "Traceback" not in run.stderr


# ---- errors: a folder that vanished, --retry-errors, exit code 1 ----------------------------


def test_vanished_folder_is_an_error_the_batch_goes_on_and_retry_errors_takes_it_again(
    tmp_path, music_library, music_script, music_queue
):
    lib, home = build(music_library, tmp_path / "Music", NAMES), tmp_path / "home"
    init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stderr
    shutil.move(lib / "Bravo", tmp_path / "Bravo-away")

    run = music_script("process_music_batch.py", "--home", home)
    assert run.returncode == 1, run.stdout + run.stderr
    queue = music_queue(home)
    assert statuses(queue) == {
        "Alpha": "completed",
        "Bravo": "error",
        "Charlie": "completed",
        "Delta": "completed",
        "Echo": "completed",
    }
    bravo = next(i for i in queue["items"] if i["name"] == "Bravo")
    assert "artist folder not found" in bravo["last_error"]
    assert len(bravo["error_history"]) == 1 and bravo["claimed_by"] is None
    assert re.search(r"^✗ Bravo — error: artist folder not found", run.stdout, re.M)
    assert "4 artists completed, 1 failed, 0 skipped" in run.stdout
    log = session_logs(home)[-1].read_text(encoding="utf-8")
    assert "ERROR      Bravo" in log and "artist folder not found" in log
    assert "END completed" in log

    shutil.move(tmp_path / "Bravo-away", lib / "Bravo")
    plain = music_script("process_music_batch.py", "--home", home)
    assert plain.returncode == 0 and "Nothing to do" in plain.stdout
    assert statuses(music_queue(home))["Bravo"] == "error"

    retry = music_script("process_music_batch.py", "--home", home, "--retry-errors")
    assert retry.returncode == 0, retry.stdout + retry.stderr
    bravo = next(i for i in music_queue(home)["items"] if i["name"] == "Bravo")
    assert bravo["status"] == "completed" and bravo["last_error"] is None
    assert (bravo["track_count"], bravo["issues_resolved"]) == (3, 2)
    assert len(bravo["error_history"]) == 1  # the history is kept


def test_after_three_failed_attempts_an_artist_is_skipped_and_retries_stop(
    tmp_path, music_library, music_script, music_queue
):
    lib, home = build(music_library, tmp_path / "Music", ["Alpha", "Bravo"]), tmp_path / "home"
    init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stderr
    shutil.rmtree(lib / "Bravo")  # gone for good: every attempt fails
    first = music_script("process_music_batch.py", "--home", home)
    assert first.returncode == 1
    for attempt, status in ((2, "error"), (3, "skipped")):
        retry = music_script("process_music_batch.py", "--home", home, "--retry-errors")
        assert retry.returncode == 1, retry.stdout + retry.stderr
        bravo = next(i for i in music_queue(home)["items"] if i["name"] == "Bravo")
        assert (bravo["status"], bravo["attempts"]) == (status, attempt)
    assert re.search(r"^⤼ Bravo — skipped", retry.stdout, re.M)
    last = music_script("process_music_batch.py", "--home", home, "--retry-errors")
    assert last.returncode == 0 and "Nothing to do" in last.stdout  # skipped is not retried
    assert (
        len(next(i for i in music_queue(home)["items"] if i["name"] == "Bravo")["error_history"])
        == 3
    )


# ---- --no-fix and --dry-run ---------------------------------------------------------------


def test_no_fix_changes_no_file_and_reports_every_finding(
    tmp_path, music_library, music_script, music_queue
):
    lib, home = build(music_library, tmp_path / "Music", NAMES[:3]), tmp_path / "home"
    before = audio_bytes(lib)
    run = music_script("process_music_batch.py", "--home", home, "--library", lib, "--no-fix")
    assert run.returncode == 1, run.stderr  # every finding left open: decisions
    assert audio_bytes(lib) == before
    assert not (home / "status" / "music" / "changes").exists()  # nothing to undo
    for item in music_queue(home)["items"]:
        assert item["status"] == "completed"
        assert (item["issues_found"], item["issues_resolved"]) == (3, 0)
        doc = json.loads(
            (home / "outputs/music/artists" / f"{slugify(item['key'])}.json").read_text("utf-8")
        )
        codes = sorted(f["code"] for f in doc["findings"])
        assert codes == ["missing-albumartist", "missing-cover", "whitespace"]
        assert all(not f["fixed"] for f in doc["findings"])
        assert sum(f["fixable"] for f in doc["findings"]) == 2
        report = (home / "issues/music" / f"{slugify(item['key'])}.md").read_text("utf-8")
        assert "**0 fixed**" in report and report.count("a fix was planned but not applied") == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the batch as another user")
@pytest.mark.parametrize("write_mode", ["copy", "swap", "in-place"])
def test_fixes_that_cannot_be_written_are_said_and_the_batch_exits_1(
    music_library, music_queue, child_env, write_mode
):
    """A user who may read an album but not write into its folder: the fixes are planned and
    refused by the file system. The artist is done and counted as it stands (its other work
    is real), but that is no quiet success: its line and the summary say what to mend, the
    batch exits 1, and the report says why each fix is missing. In place a fix needs no new
    file in the folder: written into the user's own files, the batch a success."""
    child_env = {**child_env, "MEDIAKEEPER_MUSIC_WRITE_MODE": write_mode}
    with tempfile.TemporaryDirectory() as where:  # pytest's own folders are root's alone
        root = Path(where)
        lib, home = build(music_library, root / "Music", ["Alpha"]), root / "home"
        home.mkdir()
        subprocess.run(["chown", "-R", "65534:65534", str(root)], check=True)
        root.chmod(0o755)
        album = lib / "Alpha" / "2000 - Album"
        album.chmod(0o555)  # nobody may not create the fixed copies here
        before = audio_bytes(lib)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        command = [*nobody, sys.executable, "utilities/process_music_batch.py", "--home",
                   str(home), "--library", str(lib), "--offline"]  # fmt: skip
        run = subprocess.run(
            command, cwd=REPO_ROOT, env=child_env, capture_output=True, text=True, timeout=120
        )
        if write_mode == "in-place":
            assert run.returncode == 0, run.stdout + run.stderr
            assert sorted(audio_bytes(lib)) == sorted(before)  # the same files, no copies
            assert music_queue(home)["items"][0]["issues_resolved"] == 2
            return

        assert run.returncode == 1, run.stderr
        assert audio_bytes(lib) == before
        (item,) = music_queue(home)["items"]
        assert item["status"] == "completed"
        assert (item["issues_found"], item["issues_resolved"]) == (3, 0)
        report = home / "issues" / "music" / f"{slugify(item['key'])}.md"
        problem = (
            "2 tag fixes could not be written "
            "(2000 - Album/01 - Song 1.mp3: permission denied: cannot write in its folder as "
            f"nobody); see {report}"
        )
        assert f"✓ Alpha — completed: 3 tracks, 3 findings, 0 fixed\n  ! {problem}\n" in run.stdout
        assert "needs you: 1 artist with fixes that could not be written (Alpha)" in run.stdout
        text = report.read_text("utf-8")
        assert "**0 fixed**" in text
        why = "permission denied: cannot write in its folder as nobody"
        assert text.count(f"(its fix could not be written: {why})") == 2
        # Mended, the artist is run again by name and its fixes are written.
        album.chmod(0o755)
        again = subprocess.run(
            [*command, "--artist", "Alpha"],
            cwd=REPO_ROOT, env=child_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert again.returncode == 0, again.stdout + again.stderr
        assert music_queue(home)["items"][0]["issues_resolved"] == 2


@pytest.mark.parametrize(
    "situation",
    [
        "no queue yet",
        "queue exists",
        "artist, no queue yet",
        "no-fix",
        "a folder vanished",
        "a killed batch's claim",
        "enrich",
        "enrich, no queue yet",
    ],
)
def test_dry_run_changes_nothing_anywhere(
    situation, tmp_path, music_library, music_script, tree_bytes, dead_pid, child_env
):
    """Nothing written, and the artists previewed are those the real run would take."""
    lib, home = build(music_library, tmp_path / "Music", NAMES), tmp_path / "home"
    home.mkdir()
    if situation in ("queue exists", "no-fix", "enrich"):
        first = music_script(
            "process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 1,
            *(["--offline"] if situation == "enrich" else []),
        )  # fmt: skip
        assert first.returncode == 0, first.stderr
    if situation == "a killed batch's claim":  # the real run gives it back, then takes it
        store = QueueStore(home / "status" / "music", "music")
        init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
        assert init.returncode == 0
        assert store.claim_next("20260101_session_001", keys={"Alpha"})["name"] == "Alpha"

        def killed(data):
            data["items"][0]["claimed_by"].update(pid=dead_pid, pid_started=None)
            return [data["items"][0]]

        store.update(killed, fold=True)
    if situation == "a folder vanished":
        init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
        assert init.returncode == 0
        shutil.rmtree(lib / "Charlie")
    args = ["--home", home, "--library", lib, "--dry-run"]
    args += {
        "artist, no queue yet": ["--artist", "echo"],
        "no-fix": ["--no-fix"],
        "enrich": ["--enrich"],
        "enrich, no queue yet": ["--enrich"],
    }.get(situation, [])
    before_lib, before_home = tree_bytes(lib), tree_bytes(home)
    before_top = sorted(p.name for p in tmp_path.iterdir())

    if situation.startswith("enrich"):  # the suite's lookups are off; a dry run asks nothing
        run = subprocess.run(
            [sys.executable, "utilities/process_music_batch.py", *map(str, args)],
            cwd=REPO_ROOT, env={**child_env, "MEDIAKEEPER_MUSIC_LOOKUPS": "true"},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    else:
        run = music_script("process_music_batch.py", *args)

    assert run.returncode == 0, run.stdout + run.stderr
    assert tree_bytes(lib) == before_lib
    assert tree_bytes(home) == before_home  # status/ (queue, lock, logs), outputs/, issues/
    assert sorted(p.name for p in tmp_path.iterdir()) == before_top
    assert "nothing was written" in run.stdout
    would = [line for line in run.stdout.splitlines() if line.strip().startswith("would set")]
    if situation == "no-fix":  # every finding is listed, the fixable ones too
        assert would == []
        for code in ("missing-cover", "whitespace", "missing-albumartist"):
            assert run.stdout.count(f"[{code}]") == 4, run.stdout
    elif situation == "enrich, no queue yet":  # nothing was processed offline yet
        assert run.stdout.startswith("dry run: 0 artists, 0 tag changes would be made")
    elif situation == "enrich":  # the artist the offline batch completed, not the others
        assert run.stdout.startswith("Alpha: 3 tracks")
        assert "dry run: 1 artist, 0 tag changes would be made" in run.stdout
        assert "lookups are not previewed" in run.stdout
    elif situation == "a folder vanished":  # reported, and the others still previewed
        assert re.search(
            r"^Charlie: would fail \(scan\): artist folder not found", run.stdout, re.M
        )
        assert len(would) == 2 * 4
    elif situation == "artist, no queue yet":
        assert len(would) == 2 and all("Song" in line for line in would)
        assert run.stdout.startswith("Echo: 3 tracks")
    else:  # "a killed batch's claim": Alpha is taken again, as by the real run
        artists = 4 if situation == "queue exists" else 5
        assert len(would) == 2 * artists
        assert "would set title of '2000 - Album/01 - Song 1." in run.stdout
        assert f"dry run: {artists} artists, {2 * artists} tag changes" in run.stdout


# ---- --checkpoint-every -------------------------------------------------------------------


def test_counts_of_one_are_said_in_the_singular(tmp_path, music_library, music_script):
    """One artist of one track with one issue: every line says "1 artist", "1 issue", never
    "1 issues" or "1 tag change(s)"."""
    tags = {"title": "Song 1 ", "artist": "Solo", "albumartist": "Solo", "album": "Album"}
    tags |= {"tracknumber": "1", "date": "2000"}
    spec = {"Solo/2000 - Album/01 - Song 1.mp3": {"tags": tags, "picture": True}}
    lib, home = music_library(tmp_path / "Music", spec), tmp_path / "home"

    dry = music_script("process_music_batch.py", "--home", home, "--library", lib, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout.splitlines()[0] == "Solo: 1 track, 1 finding, 1 tag change would be made"
    assert dry.stdout.splitlines()[-1] == (
        "dry run: 1 artist, 1 tag change would be made; nothing was written"
    )

    run = music_script("process_music_batch.py", "--home", home, "--library", lib, "--verbose")
    assert run.returncode == 0, run.stdout + run.stderr
    queue_file = home / "status" / "music" / "processing_queue.json"
    assert f"Created the music queue with 1 artist: {queue_file}" in run.stdout
    assert "✓ Solo — completed: 1 track, 1 finding, 1 fixed" in run.stdout
    assert re.search(r"^1 artist completed, 0 failed, 0 skipped in ", run.stdout, re.M)

    listed = music_script("music_queue_manager.py", "--home", home, "--list")
    assert listed.stdout.splitlines() == [  # the counts in columns, under their headings
        "STATUS       NAME  TRACKS  ISSUES  RESOLVED",
        "completed    Solo       1       1         1",
        "1 artist",
    ]
    summary = music_script("music_queue_manager.py", "--home", home, "--show-summary")
    assert "100.0% complete · 1 track · 1 finding, 1 resolved" in summary.stdout


def test_checkpoint_every_n_completions(tmp_path, music_library, music_script, music_queue):
    names = [f"Artist {i}" for i in range(7)]
    lib, home = build(music_library, tmp_path / "Music", names), tmp_path / "home"
    run = music_script(
        "process_music_batch.py",
        "--home",
        home,
        "--library",
        lib,
        "--batch-size",
        7,
        "--checkpoint-every",
        3,
    )
    assert run.returncode == 0, run.stderr
    checkpoints = sorted((home / "status/music/checkpoints").glob("*.json"))
    assert [re.sub(r"_\d{4}-\d\d-\d\d_", "_DATE_", p.name) for p in checkpoints] == [
        "checkpoint_DATE_artist_003.json",
        "checkpoint_DATE_artist_006.json",
    ]
    for path, done in zip(checkpoints, (3, 6), strict=True):
        data = json.loads(path.read_text("utf-8"))
        assert sum(i["status"] == "completed" for i in data["items"]) == done
    assert f"2 checkpoints, the latest: {checkpoints[-1]}\n" in run.stdout


def test_the_default_checkpoint_comes_at_the_fiftieth_artist(tmp_path, music_library, music_script):
    spec = {}
    for n in range(51):
        spec.update(artist_spec(f"Artist {n:02d}", n_tracks=1))
    lib, home = music_library(tmp_path / "Music", spec), tmp_path / "home"
    run = music_script("process_music_batch.py", "--home", home, "--library", lib,
                       "--batch-size", 100)  # fmt: skip
    assert run.returncode == 0, run.stderr
    paths = list((home / "status/music/checkpoints").glob("*.json"))
    assert [re.sub(r"_\d{4}-\d\d-\d\d_", "_DATE_", p.name) for p in paths] == [
        "checkpoint_DATE_artist_050.json"
    ]
    assert f"checkpoint: {paths[0]}\n" in run.stdout


# ---- exit code 2: usage and configuration errors ------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "Invalid value for '--batch-size'"),
        (["--checkpoint-every", "0"], "Invalid value for '--checkpoint-every'"),
        (["--no-such-flag"], "No such option"),
        (["--library", "{tmp}/does-not-exist"], "library folder does not exist"),
        ([], "no music queue"),
        (["--dry-run"], "no music queue"),
        (["--artist", "Alpha"], "no music queue"),
    ],
)
def test_usage_and_configuration_errors_exit_2_and_write_nothing(
    args, message, tmp_path, music_script
):
    home = tmp_path / "home"
    home.mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    run = music_script("process_music_batch.py", "--home", home, *args)
    assert run.returncode == 2, run.stdout + run.stderr
    assert message in run.stderr
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[{section}\nbatch_size = 3\n", "mediakeeper.toml"),  # not TOML
        ("[{section}]\nno_such_key = 1\n", "no_such_key"),
        ('[{section}]\ncheckpoint_every = "two"\n', "checkpoint_every"),  # a wrong type
    ],
)
@pytest.mark.parametrize("script", ["process_music_batch.py", "process_movie_batch.py"])
def test_a_bad_settings_file_exits_2_with_one_line_and_writes_nothing(
    script, toml, message, tmp_path, music_script
):
    home = tmp_path / "home"
    home.mkdir()
    section = "music" if "music" in script else "movies"
    (home / "mediakeeper.toml").write_text(toml.format(section=section))
    run = music_script(script, "--home", home, "--offline", "--library", tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    [line] = run.stderr.strip().splitlines()
    assert message in line and "Traceback" not in run.stderr
    assert [p.name for p in home.iterdir()] == ["mediakeeper.toml"]


def test_corrupt_queue_exits_2_and_is_never_overwritten(
    tmp_path, music_library, music_script, tree_bytes
):
    lib, home = build(music_library, tmp_path / "Music", NAMES), tmp_path / "home"
    first = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 2
    )
    assert first.returncode == 0
    queue_file = home / "status/music/processing_queue.json"
    text = queue_file.read_text("utf-8")
    queue_file.write_text(text[: len(text) // 2], encoding="utf-8")  # a torn copy, say
    before_home, before_lib = tree_bytes(home), tree_bytes(lib)

    for extra in ([], ["--dry-run"], ["--artist", "Echo"], ["--retry-errors"]):
        run = music_script("process_music_batch.py", "--home", home, *extra)
        assert run.returncode == 2, (extra, run.stdout + run.stderr)
        assert "is not valid JSON" in run.stderr
        # 5 artists, no checkpoint yet (every 50): the way back is a new queue of the library.
        assert f"--init --force --library {lib}`" in run.stderr, run.stderr
        # Not a byte changed: not the queue, not its journal, no session log started.
        assert tree_bytes(home) == before_home, extra
        assert tree_bytes(lib) == before_lib


# ---- outputs ------------------------------------------------------------------------------


def test_outputs_of_each_artist(tmp_path, music_library, music_script, music_queue):
    spec = {}
    spec.update(artist_spec("Alpha", 3, "flac", "1999 - First"))
    spec.update(artist_spec("Alpha", 2, "ogg", "2001 - Second"))
    spec.update(artist_spec("Bravo", 4, "m4a", "2005 - Only"))
    spec.update(artist_spec("Charlie", 2, "opus", "2010 - Third"))
    spec["Charlie/Loose - Track.mp3"] = {"tags": {"title": "Loose", "artist": "Charlie"}}
    lib, home = music_library(tmp_path / "Music", spec), tmp_path / "home"

    runs = [
        music_script("process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 2),
        music_script("process_music_batch.py", "--home", home),
    ]
    assert [r.returncode for r in runs] == [0, 1]  # the second leaves Charlie's decisions
    queue = music_queue(home)
    files_by_artist: dict[str, set[str]] = {}
    for rel in spec:
        artist, _, inner = rel.partition("/")
        files_by_artist.setdefault(artist, set()).add(inner)

    for item in queue["items"]:
        slug = slugify(item["key"])
        doc = json.loads((home / "outputs/music/artists" / f"{slug}.json").read_text("utf-8"))
        assert doc["name"] == item["name"] and doc["folder_name"] == item["key"]
        assert {t["path"] for t in doc["tracks"]} == files_by_artist[item["name"]]
        for track in doc["tracks"]:
            assert track["duration"] > 0.5 and track["format"] in FORMATS
            assert track["tags"]["title"] == track["tags"]["title"].strip()
        assert doc["findings"], item["name"]
        for finding in doc["findings"]:
            assert {"code", "severity", "path", "message", "fixable", "fixed"} <= set(finding)
            assert finding["severity"] in ("error", "warning", "info")
            assert re.fullmatch(r"[a-z]+(-[a-z]+)*", finding["code"])
            assert finding["message"]
            assert finding["fixed"] is False or finding["fixable"] is True
        assert item["track_count"] == len(doc["tracks"]) == doc["summary"]["tracks"]
        assert item["issues_found"] == len(doc["findings"]) == doc["summary"]["issues_found"]
        assert item["issues_resolved"] == sum(f["fixed"] for f in doc["findings"])
        assert item["issues_resolved"] > 0 and is_aware_iso(item["completed_at"])

        # The person's report: findings grouped under one heading per album.
        report = (home / "issues/music" / f"{slug}.md").read_text("utf-8")
        sections = dict(
            (m.group(1), m.group(2))
            for m in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", report, re.M | re.S)
        )
        for finding in doc["findings"]:
            heading = finding["album"] or "Loose tracks and artist-wide"
            assert heading in sections, (heading, list(sections))
            assert f"`{finding['code']}`" in sections[heading]
        assert set(sections) == {
            f["album"] or "Loose tracks and artist-wide" for f in doc["findings"]
        }

    # One CSV row per track of every processed artist, across both runs.
    rows = list(csv.DictReader(io.StringIO((home / "outputs/music/tracks.csv").read_text("utf-8"))))
    assert sorted((r["artist_folder"], r["path"]) for r in rows) == sorted(
        (artist, inner) for artist, inner in (rel.split("/", 1) for rel in spec)
    )
    assert all(float(r["duration"]) > 0.5 for r in rows)

    # One session log per run, each saying how it ended.
    logs = session_logs(home)
    assert len(logs) == 2
    for log, run in zip(logs, runs, strict=True):
        text = log.read_text("utf-8")
        assert text.splitlines()[-1].split("  ", 1)[1].startswith("END completed")
        assert f"session log: {log}" in run.stdout


# ---- odd folder names ---------------------------------------------------------------------

ODD_NAMES = [
    "..Dots..",
    "...",  # no folder can be named "..", but this one reads like a way up
    'Say "Hello"',
    "It's Quoted",
    "AC⧸DC",
    "AC DC",
    "-Dash Start",
    "🎸 Emoji Band 🥁",
    "Back\\slash",
    "Ünïcödé Ñame",
]


def test_an_older_homes_csv_parts_are_taken_into_tracks_csv_once(
    tmp_path, music_library, music_script
):
    """Before csv_rows.jsonl an artist's rows were a file of their own in outputs/music/
    tracks/: a batch takes those of artists it has no rows for, the newer rows stand, and
    the parts are gone after."""
    lib = build(music_library, tmp_path / "Music", ["Alpha", "Beta"], n_tracks=2)
    home = tmp_path / "home"
    first = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 1
    )
    assert first.returncode in (0, 1), first.stdout + first.stderr
    parts = home / "outputs/music/tracks"
    parts.mkdir()
    (parts / f"{slugify('Alpha')}.csv").write_text("Alpha,stale.mp3\n")  # processed since
    (parts / "gone-artist-0123abcd.csv").write_text("Gone Artist,Ça.mp3\n")
    second = music_script("process_music_batch.py", "--home", home)
    assert second.returncode in (0, 1), second.stdout + second.stderr
    rows = list(csv.reader(io.StringIO((home / "outputs/music/tracks.csv").read_text("utf-8"))))
    assert sorted((r[0], r[1]) for r in rows[1:]) == [
        ("Alpha", "2000 - Album/01 - Song 1.mp3"),
        ("Alpha", "2000 - Album/02 - Song 2.mp3"),
        ("Beta", "2000 - Album/01 - Song 1.flac"),
        ("Beta", "2000 - Album/02 - Song 2.flac"),
        ("Gone Artist", "Ça.mp3"),
    ]
    assert not parts.exists()


def test_odd_folder_names_are_processed_and_outputs_stay_inside_the_data_home(
    tmp_path, music_library, music_script, music_queue
):
    names = ODD_NAMES
    sandbox = tmp_path / "sandbox"
    lib, home = build(music_library, sandbox / "Music", names), sandbox / "home"
    before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(lib)}

    run = music_script(
        "process_music_batch.py", "--home", home, "--library", lib, "--batch-size", 20
    )
    assert run.returncode == 0, run.stdout + run.stderr
    queue = music_queue(home)
    assert sorted(statuses(queue)) == sorted(names)
    assert set(statuses(queue).values()) == {"completed"}
    for item in queue["items"]:
        assert (item["track_count"], item["issues_resolved"]) == (3, 2), item["name"]

    written = {p for p in tmp_path.rglob("*") if not p.is_relative_to(lib)} - before
    assert written and all(p.resolve().is_relative_to(home.resolve()) for p in written)
    artists_dir = home / "outputs/music/artists"
    docs = [json.loads(p.read_text("utf-8")) for p in artists_dir.glob("*.json")]
    assert sorted(d["folder_name"] for d in docs) == sorted(names)  # no two share a file
    for path in [*artists_dir.iterdir(), *(home / "issues/music").iterdir()]:
        assert re.fullmatch(r"[\w-]+\.(json|md|html)", path.name), path.name
    # A name that looks like an option is still a name.
    dash = music_script("process_music_batch.py", "--home", home, "--artist=-dash start", "-v")
    assert dash.returncode == 0, dash.stderr
    assert "✓ -Dash Start — completed" in dash.stdout


# ---- a crash inside one artist's processing ----------------------------------------------


def test_crash_inside_one_artist_marks_it_error_and_the_batch_goes_on(
    tmp_path, music_library, music_script, music_queue
):
    lib, home = build(music_library, tmp_path / "Music", NAMES[:3]), tmp_path / "home"
    music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    # Where the job keeps Bravo's work file there is a folder: writing it raises mid-artist,
    # an error no job code expects (an OSError from os.replace).
    blocker = home / "status/music/work" / f"{slugify('Bravo')}.json"
    (blocker / "in-the-way").mkdir(parents=True)
    bravo_files = audio_bytes(lib / "Bravo")

    run = music_script("process_music_batch.py", "--home", home)
    assert run.returncode == 1, run.stdout + run.stderr
    queue = music_queue(home)
    assert statuses(queue) == {"Alpha": "completed", "Bravo": "error", "Charlie": "completed"}
    bravo = next(i for i in queue["items"] if i["name"] == "Bravo")
    assert "Is a directory" in bravo["last_error"], bravo["last_error"]  # rename(2): EISDIR
    assert bravo["error_history"][-1]["message"] == bravo["last_error"]
    assert audio_bytes(lib / "Bravo") == bravo_files  # it crashed before changing a tag
    assert "✗ Bravo — error" in run.stdout
    assert "ERROR      Bravo" in session_logs(home)[-1].read_text("utf-8")

    shutil.rmtree(blocker)
    retry = music_script("process_music_batch.py", "--home", home, "--retry-errors")
    assert retry.returncode == 0
    assert statuses(music_queue(home))["Bravo"] == "completed"


def test_unreadable_artist_folder_is_an_error_and_the_batch_goes_on(
    tmp_path, music_library, music_script, music_queue, monkeypatch
):
    lib, home = build(music_library, tmp_path / "Music", NAMES[:3]), tmp_path / "home"
    music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    locked = lib / "Bravo"
    locked.chmod(0)
    try:
        try:
            os.listdir(locked)
        except PermissionError:
            pass
        else:  # root: mode 000 stops nothing, so the refusal the OS would give is made for it
            refuse_scandir(monkeypatch, locked)
        # In this process, so that the refusal reaches the workers it forks.
        run = CliRunner().invoke(batch_main, ["--home", str(home)])
    finally:
        locked.chmod(0o755)
    assert run.exit_code == 1, run.output
    queue = music_queue(home)
    assert statuses(queue) == {"Alpha": "completed", "Bravo": "error", "Charlie": "completed"}
    bravo = queue["items"][1]
    assert bravo["error_history"][-1]["stage"] == "scan"
    assert bravo["last_error"] == f"cannot read artist folder {locked}: Permission denied"


def test_a_batch_takes_ten_artists_unless_told(tmp_path, music_library, music_script, music_queue):
    spec = {}
    for n in range(11):
        spec.update(artist_spec(f"Artist {n:02d}", n_tracks=1))
    lib, home = music_library(tmp_path / "Music", spec), tmp_path / "home"
    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert run.returncode == 0, run.stderr
    assert sorted(statuses(music_queue(home)).values()) == ["completed"] * 10 + ["pending"]


def test_a_damaged_file_the_parser_recurses_on_is_one_unreadable_file(
    tmp_path, music_library, music_script, music_queue
):
    import struct

    lib, home = build(music_library, tmp_path / "Music", ["Alpha"]), tmp_path / "home"

    def atom(name: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + name + body

    nested = b""
    for _ in range(3000):
        nested = atom(b"moov", nested)
    (lib / "Alpha/2000 - Album/03 - Damaged.m4a").write_bytes(
        atom(b"ftyp", b"M4A \x00\x00\x00\x00") + nested
    )
    run = music_script("process_music_batch.py", "--home", home, "--library", lib)
    item = music_queue(home)["items"][0]
    assert (run.returncode, item["status"]) == (1, "completed"), item["last_error"]
    doc = json.loads(
        (home / "outputs/music/artists" / f"{slugify('Alpha')}.json").read_text("utf-8")
    )
    assert [f["path"] for f in doc["findings"] if f["code"] == "unreadable-file"] == [
        "2000 - Album/03 - Damaged.m4a"
    ]


def test_names_that_are_not_utf8_are_processed_and_round_trip(tmp_path, music_script):
    # Old Latin-1 rips: the folder and file names are bytes that do not decode as UTF-8.
    from mediakeeper.demo import tracks as synth

    library = tmp_path / "Music"
    artist = os.fsdecode(b"Bj\xf6rk")
    track = synth.make_track(
        library / artist / "1997 - Homogenic" / os.fsdecode(b"01 - J\xf3ga.mp3"),
        "mp3",
        {"title": "Jóga  ", "artist": "Björk", "albumartist": "Björk", "album": "Homogenic",
         "tracknumber": "1", "date": "1997"},
    )  # fmt: skip
    home = tmp_path / "home"
    run = music_script("process_music_batch.py", "--home", home, "--library", library)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    [item] = QueueStore(home / "status/music", "music").load()["items"]
    assert (item["key"], item["status"], item["issues_resolved"]) == (artist, "completed", 1)
    assert item["path"] == str(library / artist)  # the exact bytes come back from the JSON
    assert tags_of(track)["title"] == "Jóga"
    listing = music_script("music_queue_manager.py", "--home", home, "--list")
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    undo = music_script("undo_changes.py", "--home", home, "--artist", artist)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert tags_of(track)["title"] == "Jóga  "
    # The undo, kept in the queue under the file's name, holds when the artist is checked again.
    refreshed = music_script("music_queue_manager.py", "--home", home, "--refresh")
    assert "1 changed since completed" in refreshed.stdout, refreshed.stdout + refreshed.stderr
    again = music_script("process_music_batch.py", "--home", home)
    assert again.returncode == 1 and "Traceback" not in again.stderr, again.stdout + again.stderr
    assert tags_of(track)["title"] == "Jóga  "


def tags_of(path: Path) -> dict[str, str]:
    return tags.read(path).tags


def weekly_report(stdout: str) -> Path:
    """The weekly report a batch says it wrote (a week may turn between two batches)."""
    [path] = re.findall(r"weekly report: (\S+\.md)", stdout)
    return Path(path)


def test_every_batch_rewrites_this_weeks_report(tmp_path, music_library, music_script):
    lib, home = (
        build(music_library, tmp_path / "Music", ["Alpha", "Beta", "Gamma"]),
        tmp_path / "home",
    )
    first = music_script("process_music_batch.py", "--home", home, "--library", lib,
                         "--batch-size", 2)  # fmt: skip
    assert first.returncode == 0, first.stderr
    report = weekly_report(first.stdout)
    assert report.parent == home / "status/reports"
    assert report.name.endswith("_weekly_progress.md")
    monday = datetime.fromisoformat(report.name[:10]).replace(tzinfo=UTC)
    assert monday.weekday() == 0  # named after the Monday of the ISO week
    assert timedelta(0) <= datetime.now(UTC) - monday < timedelta(days=7, minutes=5)
    assert report.with_suffix(".html").exists()
    text = report.read_text("utf-8")
    assert "Alpha" in text and "Beta" in text and "Gamma" not in text
    assert "| Artists completed | 2 |" in text and "| music | 2 | 3 | 66.6% |" in text
    # The next batch brings the same week's report up to date.
    second = music_script("process_music_batch.py", "--home", home, "--batch-size", 2, "-v")
    assert second.returncode == 0, second.stderr
    if weekly_report(second.stdout) != report:
        pytest.skip("a new week began between the two batches")
    text = report.read_text("utf-8")
    assert "Gamma" in text and "| Artists completed | 3 |" in text
    assert "| music | 3 | 3 | 100.0% |" in text
    assert "Gamma" in report.with_suffix(".html").read_text("utf-8")  # the page too


def test_the_report_counts_findings_from_the_queue_not_the_output_files(
    tmp_path, music_library, music_script
):
    """Each artist's findings travel in its queue details, counted by code, so a report need
    not open every artist's document; they agree with the documents."""
    lib = build(music_library, tmp_path / "Music", ["Alpha", "Beta"])
    home = tmp_path / "home"
    done = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert done.returncode == 0, done.stderr
    documents = sorted((home / "outputs/music/artists").glob("*.json"))
    expected: dict[str, list[int]] = {}
    for doc in documents:
        for finding in json.loads(doc.read_text("utf-8"))["findings"]:
            tally = expected.setdefault(finding["code"], [0, 0])
            tally[0] += 1
            tally[1] += finding["fixed"]
    assert expected["whitespace"] == [2, 2]  # one trailing space per artist, fixed

    def code_rows(path: Path) -> dict[str, list[int]]:
        text = path.read_text("utf-8")
        rows = re.findall(r"^\| `([a-z-]+)` \| (\d+) \| (\d+) \|", text, re.M)
        return {code: [int(found), int(fixed)] for code, found, fixed in rows}

    assert code_rows(weekly_report(done.stdout)) == expected
    for doc in documents:
        doc.unlink()
    again = music_script("weekly_report.py", "--home", home)
    assert again.returncode == 0, again.stderr
    assert code_rows(Path(again.stdout.splitlines()[0])) == expected  # it prints the path


def test_a_fix_to_an_id3v1_file_resolves_its_legacy_tag_finding(tmp_path, music_script):
    """Any write stores the tags as ID3v2.4, so the legacy-tag finding of a file that got a
    fix is resolved by it; an ID3v1 file that needed nothing is left as it was, still open."""
    from mediakeeper.demo import tracks as synth

    album = tmp_path / "Music" / "Oldie" / "1980 - Record"
    base = {"artist": "Oldie", "album": "Record"}
    # The first lacks its year: filled from the folder name, a fix that rewrites the file.
    synth.make_id3v1_only(album / "01 - One.mp3", {**base, "title": "One", "tracknumber": "1"})
    # The second needs nothing: a loose single (an album track now takes its album artist,
    # which ID3v1 cannot hold, from its artist).
    two = {**base, "title": "Two", "date": "1980"}
    synth.make_id3v1_only(album.parent / "Two.mp3", two)
    home = tmp_path / "home"
    done = music_script("process_music_batch.py", "--home", home, "--library", tmp_path / "Music")
    assert done.returncode == 1, done.stderr  # the loose single's open findings
    [doc] = (home / "outputs/music/artists").glob("*.json")
    document = json.loads(doc.read_text("utf-8"))
    legacy = {f["path"]: f["fixed"] for f in document["findings"] if f["code"] == "legacy-tag"}
    assert legacy == {"1980 - Record/01 - One.mp3": True, "Two.mp3": False}
    versions = {t["path"]: t["tag_version"] for t in document["tracks"]}
    assert versions == {"1980 - Record/01 - One.mp3": "ID3v2.4", "Two.mp3": "ID3v1"}
    assert tags.read(album / "01 - One.mp3").tag_version == "ID3v2.4"
    assert tags.read(album.parent / "Two.mp3").tag_version == "ID3v1"


def test_artist_flag_refuses_an_artist_another_batch_is_working_on(
    tmp_path, music_library, music_script
):
    lib = build(music_library, tmp_path / "Music", ["Alpha", "Beta"])
    home = tmp_path / "home"
    init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stderr
    store = QueueStore(home / "status/music", "music")
    store.claim_many("another-batch", 1, keys={"Alpha"})  # held by this live test process
    before = store.path.read_bytes(), store.journal_path.read_bytes()
    result = music_script("process_music_batch.py", "--home", home, "--artist", "alpha")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'Alpha' is being processed right now" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (store.path.read_bytes(), store.journal_path.read_bytes()) == before


def but_writes(result: ItemResult) -> ItemResult:
    """The result but what this run wrote (a resumed run finds the fixes in: it writes none)."""
    return dataclasses.replace(result, details=_details_but_writes(result.details))


def kept_but_writes(line: bytes) -> dict:
    """A work file's kept result but what its run wrote."""
    kept = json.loads(line)
    kept["result"]["details"] = _details_but_writes(kept["result"]["details"])
    return kept


def _details_but_writes(details: dict) -> dict:
    return {k: v for k, v in details.items() if k not in ("files_written", "files_rewritten")}


def test_an_artist_killed_after_its_writes_resumes_its_plan_to_the_same_end(
    tmp_path, music_library
):
    """Killed after its tag writes, before its result was kept (the work file holds only the
    plan) and with a tag write's temp copy left behind: the next job (same claim token)
    removes the copy, re-checks each planned change, finds it in, writes and journals
    nothing, and returns the same result."""
    lib = build(music_library, tmp_path / "Music", ["Resumed"])
    home = tmp_path / "home"
    item = {"key": "Resumed", "name": "Resumed", "path": str(lib / "Resumed"), "run_token": "t"}
    first = MusicJob(home, "session_1").process(item)
    assert first.counts == {"track_count": 3, "issues_found": 3, "issues_resolved": 2}
    library_after = audio_bytes(lib)
    work = home / "status/music/work" / f"{slugify('Resumed')}.json"
    plan, result = work.read_bytes().splitlines(keepends=True)
    work.write_bytes(plan)  # the result was never written
    leftover = lib / "Resumed/2000 - Album/.mediakeeper.123-4.tmp.mp3"
    leftover.write_bytes(b"half a copy")

    again = MusicJob(home, "session_2").process(item)

    assert (again.details["files_written"], first.details["files_written"]) == (0, 2)
    assert but_writes(again) == but_writes(first)
    assert not leftover.exists()
    assert audio_bytes(lib) == library_after
    assert not (home / "status/music/changes/session_2.jsonl").exists()  # nothing journaled
    kept_plan, kept = work.read_bytes().splitlines(keepends=True)
    assert kept_plan == plan  # the same result, kept again after the plan
    assert kept_but_writes(kept) == kept_but_writes(result)


def test_a_plan_with_tracks_as_records_resumes_like_one_with_rows(tmp_path, music_library):
    """The work file keeps tracks as rows of their fields; one written before that (a record
    per track), resumed after an upgrade, ends the same: same result, same artist document."""
    lib = build(music_library, tmp_path / "Music", ["Resumed"])
    home = tmp_path / "home"
    item = {"key": "Resumed", "name": "Resumed", "path": str(lib / "Resumed"), "run_token": "t"}
    first = MusicJob(home, "session_1").process(item)
    document = home / "outputs/music/artists" / f"{slugify('Resumed')}.json"
    written = json.loads(document.read_text("utf-8"))
    work = home / "status/music/work" / f"{slugify('Resumed')}.json"
    plan = json.loads(work.read_bytes().splitlines()[0])
    names = [f.name for f in dataclasses.fields(Track)]
    assert all(isinstance(row, list) and len(row) == len(names) for row in plan["tracks"])
    plan["tracks"] = [dict(zip(names, row, strict=True)) for row in plan["tracks"]]
    work.write_text(json.dumps(plan) + "\n", "utf-8")  # the plan alone, as records

    again = MusicJob(home, "session_2").process(item)

    assert but_writes(again) == but_writes(first)  # its writes are the first run's
    resumed = json.loads(document.read_text("utf-8"))
    for doc in (written, resumed):
        del doc["processed_at"], doc["session"]
    assert resumed == written


def test_an_artist_done_but_not_recorded_keeps_the_result_it_had(tmp_path, music_library):
    """The result itself is kept, not made again: here a fix that could not be written the
    first time (its file immutable, chattr +i) could be written now, and is not."""
    lib = build(music_library, tmp_path / "Music", ["Resumed"])
    home = tmp_path / "home"
    stuck = lib / "Resumed/2000 - Album/01 - Song 1.mp3"  # its title's trailing space
    item = {"key": "Resumed", "name": "Resumed", "path": str(lib / "Resumed"), "run_token": "t"}
    with immutable(stuck):
        first = MusicJob(home, "session_1").process(item)
    assert first.counts["issues_resolved"] == 1  # of 2 fixes
    library_after = audio_bytes(lib)

    assert MusicJob(home, "session_2").process(item) == first
    assert audio_bytes(lib) == library_after


def test_artists_committed_together_end_as_each_would_alone(tmp_path, music_library):
    """Planned one by one, their fixes written at once (``MusicJob.commit``): one change
    journal append for the fresh plans, a resumed plan's files read again first, and an
    artist finished by a killed run keeping its result; each artist ends byte for byte, and
    with the same result, as when it is processed alone."""
    names = ["Fresh A", "Fresh B", "Resumed", "Done"]
    alone_lib = build(music_library, tmp_path / "Alone", names)
    lib = build(music_library, tmp_path / "Music", names)
    alone, home = tmp_path / "alone-home", tmp_path / "home"

    def item(root: Path, name: str) -> dict:
        return {"key": name, "name": name, "path": str(root / name), "run_token": "t"}

    results_alone = {n: MusicJob(alone, "s1").process(item(alone_lib, n)) for n in names}
    # Resumed: killed after its writes, before its result was kept; Done: killed after it.
    for name in ("Resumed", "Done"):
        MusicJob(home, "s0").process(item(lib, name))
    work = home / "status/music/work" / f"{slugify('Resumed')}.json"
    work.write_bytes(work.read_bytes().splitlines(keepends=True)[0])

    job = MusicJob(home, "s1")
    plans = [job.plan(item(lib, name)) for name in names]
    assert [p.resumed for p in plans] == [False, False, True, True]
    job.commit(plans)
    results = {name: job.finish(plan) for name, plan in zip(names, plans, strict=True)}

    assert audio_bytes(lib) == audio_bytes(alone_lib)
    for name in names:
        assert but_writes(results[name]) == but_writes(results_alone[name]), name
    assert results["Done"].details["files_written"] == 2  # its run's result, kept
    assert results["Resumed"].details["files_written"] == 0  # in already: none written now
    assert results["Fresh A"].details["files_written"] == 2
    assert change_appends(home, "s1") == [{"Fresh A", "Fresh B"}]
    assert job._held == 0  # the kept parses are let go once written


def test_a_worker_writes_the_fixes_of_the_artists_waiting_for_it_together(
    tmp_path, music_library, music_script, music_queue
):
    """A batch's worker plans each artist waiting in its pipe, then journals and writes all
    their fixes at once; an artist whose plan fails fails alone, the others are done."""
    names = [f"Artist {n:02d}" for n in range(12)]
    lib, home = build(music_library, tmp_path / "Music", names), tmp_path / "home"
    init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stderr
    shutil.move(lib / "Artist 03", tmp_path / "away")

    run = music_script("process_music_batch.py", "--home", home, "--batch-size", "12",
                       "--workers", "1")  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert statuses(music_queue(home)) == {
        name: "error" if name == "Artist 03" else "completed" for name in names
    }
    session = session_logs(home)[-1].stem
    appends = change_appends(home, session)
    assert set().union(*appends) == set(names) - {"Artist 03"}
    assert max(map(len, appends)) > 1, appends  # artists sharing an append
    for name in set(names) - {"Artist 03"}:  # each one's fixes in its files
        album = lib / name / "2000 - Album"
        values = [tags.read(path).tags for path in sorted(album.iterdir())]
        assert values[0]["title"] == "Song 1" and values[-1]["albumartist"] == name


def test_a_batch_removes_the_temp_copy_a_killed_tag_write_left(
    tmp_path, music_library, music_script
):
    """Found by the scan (the work file that would have said so may be lost with a power
    cut, it is not fsync'd): removed, never counted as a track. Only this data home's: the
    copy of another data home working on the same library (its process may run where this
    one cannot see it) is its own to remove."""
    lib = build(music_library, tmp_path / "Music", ["Alpha"])
    album = lib / "Alpha" / "2000 - Album"
    home, other_home = tmp_path / "home", tmp_path / "other"
    ended = _ended_pid()
    leftover = album / f".mediakeeper.{home_id(home)}.{ended}-1.tmp.mp3"
    theirs = album / f".mediakeeper.{home_id(other_home)}.{ended}-2.tmp.mp3"
    for copy in (leftover, theirs):
        copy.write_bytes((album / "01 - Song 1.mp3").read_bytes()[:100])
    done = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert done.returncode == 0, done.stderr
    assert not leftover.exists()
    assert theirs.exists()
    assert QueueStore(home / "status/music", "music").load()["items"][0]["track_count"] == 3


def test_a_batch_deletes_the_originals_a_killed_batch_set_aside(
    tmp_path, music_library, music_script
):
    """Originals that copy-and-swap writes of earlier versions set aside beside the artist
    folders until their batch ended, in a folder named in the data home's list: a killed
    batch left them, and the next batch of the same data home deletes them. Another data
    home's are its own."""
    lib = build(music_library, tmp_path / "Music", ["Alpha"])
    home, ended = tmp_path / "home", _ended_pid()
    left_behind.name(left_behind.list_of(home / "status"), str(lib / SPARES))
    (lib / SPARES).mkdir()
    ours = lib / SPARES / f"{home_id(home)}.{ended}-1"
    theirs = lib / SPARES / f"{home_id(tmp_path / 'other')}.{ended}-2"
    for spare in (ours, theirs):
        spare.write_bytes(b"an original a copy replaced")
    done = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert done.returncode == 0, done.stderr
    assert sorted((lib / SPARES).iterdir()) == [theirs]


def test_another_data_homes_temp_copies_are_left_and_said_once_at_the_batchs_end(
    tmp_path, music_library, music_script
):
    """Another data home's stale copies are not this batch's to remove; the person hears of
    them once, in the batch's closing lines and its session log (not as a problem: the
    batch did its work), with what to do."""
    lib = build(music_library, tmp_path / "Music", ["Alpha", "Beta"])
    album = lib / "Alpha" / "2000 - Album"
    home, other = tmp_path / "home", home_id(tmp_path / "other")
    ended = _ended_pid()
    theirs = [album / f".mediakeeper.{other}.{ended}-{n}.tmp.mp3" for n in (1, 2)]
    for copy in theirs:
        copy.write_bytes((album / "01 - Song 1.mp3").read_bytes()[:100])
    done = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert done.returncode == 0, done.stderr
    assert all(copy.exists() for copy in theirs)
    said = (
        f"2 temporary copies of another data home left in {album} (data home id {other}): "
        "remove them with that home's next batch, or delete them if that home is gone"
    )
    assert done.stdout.splitlines().count(said) == 1, done.stdout
    assert done.stdout.count("temporary cop") == 1
    log = session_logs(home)[-1].read_text(encoding="utf-8")
    assert [line.split("  ", 1)[1] for line in log.splitlines() if "NOTICE" in line] == [
        f"NOTICE {said}"
    ]


def _ended_pid() -> int:
    """The pid of a process that has ended (and been waited for)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_on_a_terminal_a_progress_bar_names_the_artist_in_hand(tmp_path, music_library):
    """A real pseudo-terminal: the bar (position of the total, the labelled ETA, the artist
    being worked on) is drawn, and with -v each finished artist's line replaces it."""
    import pty
    import select
    import sys

    from tests.helpers import REPO_ROOT, script_env

    lib, home = build(music_library, tmp_path / "Music", NAMES), tmp_path / "home"
    leader, follower = pty.openpty()
    command = [sys.executable, "utilities/process_music_batch.py", "--home", str(home),
               "--library", str(lib), "--workers", "1", "-v"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=REPO_ROOT, env=script_env(), stdin=follower,
                            stdout=follower, stderr=follower, close_fds=True)  # fmt: skip
    os.close(follower)
    out = b""
    while select.select([leader], [], [], 60)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the batch has ended
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    text = out.decode("utf-8", "replace")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    # (the ETA reads -:--:-- until the pace is known)
    bars = re.findall(r"artists [━╸╺ ]+ (\d)/5 ETA (?:-|\d+):[-\d]{2}:[-\d]{2} ([A-Za-z]+)", plain)
    assert {name for _, name in bars} == set(NAMES)  # every artist shown while in hand
    assert next(pos for pos, name in bars if name == "Alpha") == "0"
    for name in NAMES:
        assert f"\r✓ {name} — completed" in plain  # the line replaces the bar


def test_the_undo_command_in_a_report_works_for_any_artist_name(
    tmp_path, music_library, music_script
):
    """Quotes, $ and backticks in a folder name neither break the Markdown code span nor
    the shell command it shows."""
    import shlex

    name = 'Sly "Family" $tone `n` Co'
    lib = music_library(tmp_path / "Music", artist_spec(name))
    home = tmp_path / "home"
    assert music_script("process_music_batch.py", "--home", home, "--library", lib).returncode == 0
    [report] = (p for p in (home / "issues/music").glob("*.md") if p.name != "index.md")
    line = next(x for x in report.read_text("utf-8").splitlines() if "Undo this artist" in x)
    fence = re.match(r".*? (`+) ?(.*?) ?\1\.$", line)
    assert fence, line
    # It names the data home: it undoes this home's changes, whatever the default home.
    command = [*shlex.split(tool_command("undo", home)), "--artist", name]
    assert shlex.split(fence.group(2)) == command
    # Pasted in the data home, it runs and puts the artist's values back.
    undone = run_pasted(fence.group(2), home)
    assert undone.returncode == 0, undone.stderr
    assert " restored" in undone.stdout


def test_a_track_open_in_a_player_keeps_its_own_bytes_through_a_batch(
    tmp_path, music_library, music_script
):
    """A player holding a track open reads that track to its end, whatever the batch fixes:
    a replaced original is never written into (it used to take a later file's copy, and the
    player read another track's bytes). The originals set aside meanwhile are gone once the
    batch ends."""
    spec = {}
    for name in ("Alpha", "Beta", "Gamma", "Delta"):
        spec.update(artist_spec(name, 3, "flac"))  # two fixes each, files of one size
    lib = music_library(tmp_path / "Music", spec)
    players = {path: open(path, "rb") for path in sorted(lib.rglob("*.flac"))}  # noqa: SIM115
    try:
        heard = {path: (player.read(), player.seek(0))[0] for path, player in players.items()}
        home = tmp_path / "home"
        done = music_script(
            "process_music_batch.py", "--home", home, "--library", lib, "--workers", 1
        )
        assert done.returncode == 0, done.stderr
        changes = (home / "status/music/changes").glob("*.jsonl")
        assert sum(len(p.read_text().splitlines()) for p in changes) == 8
        for path, player in players.items():
            assert player.read() == heard[path], path
        assert sum(path.read_bytes() != heard[path] for path in players) == 8  # fixed
    finally:
        for player in players.values():
            player.close()
    assert sorted(p.name for p in lib.iterdir()) == ["Alpha", "Beta", "Delta", "Gamma"]
    for path in lib.rglob("*.flac"):
        assert tags.read(path).duration > 0.5, path


def test_files_left_alone_by_their_fix_are_findings_that_say_why(tmp_path, music_library):
    """A read-only track and a link to a track outside the library keep their bytes, and the
    report says of each why it was not fixed: the read-only one in a finding of its own (the
    write refused it), the link in its fix's finding and in a link-outside-library finding
    (the scan saw where it leads, so no fix of it was planned; a link made after the scan is
    the write's to find: test_fixes.py)."""
    lib = build(music_library, tmp_path / "Music", ["Alpha"])
    album = lib / "Alpha" / "2000 - Album"
    read_only, linked = album / "01 - Song 1.mp3", album / "03 - Song 3.mp3"
    read_only.chmod(0o444)
    outside = tmp_path / "Elsewhere" / linked.name
    outside.parent.mkdir()
    linked.rename(outside)
    linked.symlink_to(outside)
    before = {p: p.read_bytes() for p in (read_only, outside)}
    home = tmp_path / "home"
    item = {"key": "Alpha", "name": "Alpha", "path": str(lib / "Alpha")}
    result = MusicJob(home, "session_1").process(item)
    assert result.counts["issues_resolved"] == 0
    assert {p: p.read_bytes() for p in (read_only, outside)} == before
    assert linked.is_symlink()
    doc = json.loads((home / "outputs/music/artists" / f"{slugify('Alpha')}.json").read_text())
    left = {f["code"]: f for f in doc["findings"] if f["code"] in SEVERITY_OF_LEFT_ALONE}
    assert set(left) == {"read-only-file", "link-outside-library"}
    assert left["link-outside-library"]["path"] == "2000 - Album/03 - Song 3.mp3"
    assert left["link-outside-library"]["message"].startswith(
        f"A link to {outside}, outside the library: left alone"
    )
    assert left["read-only-file"]["path"] == "2000 - Album/01 - Song 1.mp3"
    assert left["read-only-file"]["message"].startswith("Read-only (mode 444): left alone")
    assert left["read-only-file"]["severity"] == "info"
    [link_fix] = [f for f in doc["findings"] if f["details"].get("not_fixed")]
    assert link_fix["message"].endswith(
        f"Not fixed: 2000 - Album/03 - Song 3.mp3 is a link to a file outside the library "
        f"({outside}), and nothing outside it is written."
    )


def test_an_artist_s_record_is_the_same_bytes_whatever_the_process_s_string_hashes(
    tmp_path, music_library
):
    """Two tags added to one track are written to its record in the same order by every run:
    with the order of a set, two runs of the same code on the same files wrote records whose
    bytes differed (seeds 0 and 1 put "albumartist" and "date" either way round)."""
    spec = artist_spec("Alpha", 3, "flac")
    last = spec["Alpha/2000 - Album/03 - Song 3.flac"]["tags"]
    del last["date"]  # the album's date is added, with its album artist
    last["album"] += " "
    records = []
    lib, home = tmp_path / "Music", tmp_path / "home"
    for seed in ("0", "1"):
        for made in (lib, home):  # the same paths, so that only the order can differ
            shutil.rmtree(made, ignore_errors=True)
        music_library(lib, spec)
        run = run_script("process_music_batch.py", "--home", home, "--library", lib,
                         "--offline", env={"PYTHONHASHSEED": seed})  # fmt: skip
        assert run.returncode == 0, run.stderr
        [record] = (home / "outputs/music/artists").glob("*.json")
        doc = json.loads(record.read_text("utf-8"))
        assert list(doc["tracks"][-1]["tags"])[-2:] in (["albumartist", "date"],
                                                         ["date", "albumartist"])  # fmt: skip
        records.append(record.read_text("utf-8").replace(doc["processed_at"], "AT"))
    assert records[0] == records[1]


SEVERITY_OF_LEFT_ALONE = ("read-only-file", "link-outside-library", "changed-during-fix")


def test_nothing_to_do_names_the_failed_and_skipped_artists_and_what_takes_them(
    tmp_path, music_library, music_script, music_queue
):
    """"Nothing to do: no pending artists" said nothing of a failed artist and a skipped
    one waiting: it names them and what takes them again (the dashboard's hints, this batch's
    own --retry-errors for the failed one), each command working pasted; exit 0 as before."""
    lib, home = build(music_library, tmp_path / "Music", NAMES), tmp_path / "home"
    init = music_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stderr
    skip = music_script("music_queue_manager.py", "--home", home, "--skip-artist", "Echo")
    assert skip.returncode == 0, skip.stdout + skip.stderr
    shutil.move(lib / "Bravo", tmp_path / "Bravo-away")
    assert music_script("process_music_batch.py", "--home", home, "--offline").returncode == 1
    shutil.move(tmp_path / "Bravo-away", lib / "Bravo")
    plain = music_script("process_music_batch.py", "--home", home, "--offline")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    lines = plain.stdout.splitlines()
    at = lines.index("Still waiting, 1 failed artist and 1 skipped artist: Bravo, Echo")
    assert lines[at - 1].startswith("Nothing to do: no pending artists. `")
    manager = queue_manager("music", home)
    batch = kind_command("music", "batch", home)
    assert lines[at + 1 : at + 4] == [
        f"  {manager} --list --status error (or skipped) lists them",
        f"  {batch} --offline --retry-errors retries the errors",
        f"  {manager} --reset-artist NAME retries one, skipped ones too",
    ]
    listed = run_pasted(lines[at + 1].removesuffix(" (or skipped) lists them"), tmp_path)
    assert listed.returncode == 0 and "Bravo" in listed.stdout, listed.stdout + listed.stderr
    retry = run_pasted(lines[at + 2].removesuffix(" retries the errors"), tmp_path)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert statuses(music_queue(home))["Bravo"] == "completed"
    again = music_script("process_music_batch.py", "--home", home, "--offline")
    assert "Still waiting, 1 skipped artist: Echo" in again.stdout, again.stdout
    assert "--list --status skipped lists them" in again.stdout and "errors" not in again.stdout
