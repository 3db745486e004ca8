"""Every queue-manager action through Click's runner, and the user's view through a subprocess."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from mediakeeper.queue.store import QueueStore
from mediakeeper.text.commands import queue_manager
from tests.helpers import (
    REPO_ROOT,
    immutable,
    loaded_among,
    queue_manager_cli,
    refuse_scandir,
    run_pasted,
    script_env,
    wait_until,
)
from utilities.music_queue_manager import main

# Folder names a real library holds; every one is an ordinary artist.
ODD_NAMES = [
    "ABBA",
    "AC⧸DC",
    "..Baby",
    "-leading dash",
    "Sigur Rós",
    "Guns N' Roses",
    'The "Band"',
    "🎸 Emoji Band",
    "with  spaces ",
    "Beatles",
    unicodedata.normalize("NFD", "Beyoncé"),
    "Motörhead",
    "日本のバンド",
]
SESSION = "20240309_session_001"


@pytest.fixture
def home(tmp_path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def library(tmp_path) -> Path:
    root = tmp_path / "Music Library"
    root.mkdir()
    for name in ODD_NAMES:
        (root / name).mkdir()
    (root / "cover.jpg").write_bytes(b"not a folder")
    for junk in (".Trashes", "@eaDir", "lost+found", ".mediakeeper.spares"):
        (root / junk).mkdir()
    return root


@pytest.fixture
def cli(home):
    return queue_manager_cli(main, home)


def manager_for(home: Path) -> str:
    """The command a hint must name: with the data home, so it works pasted anywhere."""
    return queue_manager("music", home)


def no_checkpoint_hint(home: Path) -> str:
    """What a damaged queue with no checkpoint to restore points to: a new queue."""
    return f"there is no checkpoint to restore yet: `{manager_for(home)} --init --force --library "


@pytest.fixture
def store(home) -> QueueStore:
    return QueueStore(home / "status" / "music", "music")


@pytest.fixture
def queue(cli, library, store) -> QueueStore:
    """An initialised queue over ``library``."""
    result = cli("--init", "--library", str(library))
    assert result.exit_code == 0, result.output
    return store


def states(store: QueueStore) -> dict[str, str]:
    return {item["name"]: item["status"] for item in QueueStore(store.dir, "music").load()["items"]}


def work(store: QueueStore, name: str, outcome: str, **counts) -> None:
    """Take ``name`` through the real claim/record path to ``outcome``."""
    item = store.claim_next(SESSION, keys={name}, statuses=("pending", "error"))
    assert item is not None, name
    if outcome == "completed":
        store.record_success(name, SESSION, counts=counts)
    elif outcome in ("error", "skipped"):
        attempts = 1 if outcome == "skipped" else 3
        store.record_failure(
            name, SESSION, stage="scan", message="unreadable file", max_attempts=attempts
        )
    else:
        assert outcome == "in_progress"


def stale_claim(store: QueueStore, name: str, pid: int) -> None:
    work(store, name, "in_progress")

    def forge(data):
        item = next(i for i in data["items"] if i["name"] == name)
        item["claimed_by"].update(pid=pid, pid_started=None)
        return [item]

    store.update(forge, fold=True)


# ---- --init and --refresh --------------------------------------------------------------


def test_init_queues_every_folder_whatever_its_name(cli, library, store):
    result = cli("--init", "--library", str(library))
    assert result.exit_code == 0, result.output
    assert f"{len(ODD_NAMES)} pending artists" in result.output
    assert str(store.path) in result.output
    with open(store.path, encoding="utf-8") as f:
        data = json.load(f)
    assert sorted(i["name"] for i in data["items"]) == sorted(ODD_NAMES)
    assert {i["path"] for i in data["items"]} == {str(library / n) for n in ODD_NAMES}
    assert data["library"] == str(library)

    listed = cli("--list")
    assert listed.exit_code == 0
    rows = listed.output.splitlines()[1:-1]
    assert sorted(row.removeprefix("pending      ") for row in rows) == sorted(
        name.rstrip() for name in ODD_NAMES  # nothing after a pending item's name
    )
    assert f"{len(ODD_NAMES)} artists" in listed.output


def test_init_refuses_to_replace_a_queue_unless_forced(cli, queue, library):
    work(queue, "ABBA", "completed")
    before = queue.path.read_bytes()
    again = cli("--init", "--library", str(library))
    assert again.exit_code == 2
    assert "already exists" in again.output
    assert queue.path.read_bytes() == before
    forced = cli("--init", "--library", str(library), "--force")
    assert forced.exit_code == 0
    assert set(states(queue).values()) == {"pending"}


def test_init_takes_the_library_from_settings(cli, home, library, store):
    (home / "mediakeeper.toml").write_text(
        f"[music]\nlibrary = {json.dumps(str(library))}\n", encoding="utf-8"
    )
    result = cli("--init")
    assert result.exit_code == 0, result.output
    assert len(states(store)) == len(ODD_NAMES)


def test_init_without_a_library_says_how(cli):
    result = cli("--init")
    assert result.exit_code == 2
    assert "--init needs --library PATH" in result.output


def test_refresh_adds_new_folders_and_marks_vanished_ones(cli, queue, library):
    (library / "New Artist").mkdir()
    (library / "AC⧸DC").rmdir()
    result = cli("--refresh")
    assert result.exit_code == 0, result.output
    assert "1 added, 1 marked missing, 0 back on disk" in result.output
    assert "added   New Artist" in result.output
    assert "missing AC⧸DC" in result.output
    listed = cli("--list").output
    assert re.search(r"^pending +AC⧸DC +\(folder missing\)$", listed, re.M), listed
    assert re.search(r"^pending +New Artist$", listed, re.M), listed
    assert "1 artist folder missing on disk" in cli("--show-summary").output

    (library / "AC⧸DC").mkdir()
    back = cli("--refresh")
    assert "0 added, 0 marked missing, 1 back on disk" in back.output
    assert "back    AC⧸DC" in back.output
    assert "(folder missing)" not in cli("--list").output


def test_refresh_refuses_another_library(cli, queue, library, tmp_path, home):
    """It added the other library's folders and marked the queue's own missing, while the
    queue still named the first library: two libraries mixed in one queue."""
    other = tmp_path / "Other"
    (other / "Someone Else").mkdir(parents=True)
    before = queue.path.read_bytes()
    result = cli("--refresh", "--library", str(other))
    assert result.exit_code == 2, result.output
    assert f"is for the library {library}, not {other}" in result.output
    assert f"{manager_for(home)} --init --force --library {other}`" in result.output
    assert queue.path.read_bytes() == before
    assert not queue.journal_path.exists() or not queue.journal_path.read_bytes()
    (tmp_path / "link").symlink_to(library)
    same = cli("--refresh", "--library", str(tmp_path / "link"))
    assert same.exit_code == 0 and "0 added, 0 marked missing" in same.output


def test_init_of_a_library_without_artist_folders_warns(cli, tmp_path, store, home):
    empty = tmp_path / "Empty"
    empty.mkdir()
    result = cli("--init", "--library", str(empty))
    assert result.exit_code == 0
    assert "0 pending artists" in result.output
    assert (
        f"Warning: {empty} has no artist folders: each artist should be a folder directly "
        f"inside it ({empty}/<artist>); `{manager_for(home)} --refresh` adds them" in result.output
    )


def test_refresh_with_nothing_new_changes_nothing(cli, queue):
    items = QueueStore(queue.dir, "music").load()["items"]
    result = cli("--refresh")
    assert "0 added, 0 marked missing, 0 back on disk" in result.output
    assert QueueStore(queue.dir, "music").load()["items"] == items


# ---- --show-summary and --list ---------------------------------------------------------


@pytest.fixture
def worked(queue, dead_pid):
    """A queue part-way through: 3 completed, 1 error, 1 skipped, 1 stale claim."""
    work(queue, "ABBA", "completed", track_count=10, issues_found=4, issues_resolved=1)
    work(queue, "Beatles", "completed", track_count=5, issues_found=2, issues_resolved=2)
    work(queue, "Motörhead", "completed", track_count=7)
    work(queue, "Sigur Rós", "error")
    work(queue, "..Baby", "skipped")
    stale_claim(queue, "-leading dash", dead_pid)
    return queue


def test_show_summary_text(cli, worked):
    result = cli("--show-summary")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("music queue — ")
    figures = {line.split()[0]: line.split()[1] for line in lines[1:7]}
    assert figures == {
        "pending": "7",
        "in_progress": "1",
        "completed": "3",
        "error": "1",
        "skipped": "1",
        "total": "13",
    }
    assert "23.1% complete · 22 tracks · 6 findings, 3 resolved" in result.output
    assert cli().output == result.output  # no action: the summary


def test_show_summary_json(cli, worked, library):
    result = cli("--show-summary", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert summary["statuses"] == {
        "pending": 7,
        "in_progress": 1,
        "completed": 3,
        "error": 1,
        "skipped": 1,
    }
    assert (summary["total"], summary["tracks"]) == (13, 22)
    assert (summary["issues_found"], summary["issues_resolved"]) == (6, 3)
    assert summary["percent_complete"] == 23.1
    assert summary["library"] == str(library)
    assert summary["kind"] == "music"


def test_list_by_status(cli, worked):
    errors = cli("--list", "--status", "error")
    assert errors.exit_code == 0
    assert errors.output.splitlines() == [
        "STATUS       NAME       TRACKS  ISSUES  RESOLVED",
        "error        Sigur Rós                            ! unreadable file",
        "1 artist with status error",
    ]
    completed = cli("--list", "--status", "completed").output
    assert "completed    ABBA           10       4         1" in completed
    assert "3 artists with status completed" in completed
    as_json = json.loads(cli("--list", "--status", "skipped", "--json").output)
    assert [(i["name"], i["attempts"]) for i in as_json] == [("..Baby", 1)]
    assert "13 artists" in cli("--list").output


def test_an_error_is_listed_in_a_persons_words_and_whole_in_json(cli, queue, tmp_path):
    """As the page says it (``text.failures.plain_error``): a working folder's path as its
    file's name, a digest as its first 8 digits; ``--json`` keeps the error as it was."""
    said = (f"07 - Song.flac: does not decode: file:{tmp_path}/working/music/abba-1a2b/"
            "_source/07 - Song.flac: End of file; MD5 f1f62466079d50a485fc3a1182beab5a")
    queue.claim_next(SESSION, keys={"ABBA"}, statuses=("pending",))
    queue.record_failure("ABBA", SESSION, stage="scan", message=said)
    listed = cli("--list", "--status", "error").output.splitlines()
    assert listed[1].endswith("! 07 - Song.flac: does not decode: 07 - Song.flac: End of file; "
                              "MD5 f1f62466…"), listed  # fmt: skip
    as_json = json.loads(cli("--list", "--status", "error", "--json").output)
    assert as_json[0]["last_error"] == said


def test_list_with_an_unknown_status_is_a_usage_error(cli, queue):
    result = cli("--list", "--status", "done")
    assert result.exit_code == 2
    assert "'done' is not one of" in result.output


# ---- resets and skips ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("abba", "ABBA"),
        ("  ABBA ", "ABBA"),
        ("ac⧸dc", "AC⧸DC"),
        ("-leading dash", "-leading dash"),
        ("..BABY", "..Baby"),
        ('the "band"', 'The "Band"'),
        ("beyoncé", unicodedata.normalize("NFD", "Beyoncé")),  # typed NFC, folder NFD
        ("🎸 emoji band", "🎸 Emoji Band"),
        ("GUNS N' ROSES", "Guns N' Roses"),
    ],
)
def test_reset_artist_is_case_insensitive(cli, queue, typed, name):
    work(queue, name, "error")
    result = cli("--reset-artist", typed)
    assert result.exit_code == 0, result.output
    assert f"Reset {name!r}: error -> pending" in result.output
    item = next(i for i in QueueStore(queue.dir, "music").load()["items"] if i["name"] == name)
    assert (item["status"], item["last_error"]) == ("pending", None)
    assert item["failures"] == 0  # max_attempts counts afresh
    assert item["attempts"] == 1  # every try is counted, the one before the reset too
    assert item["error_history"]  # the history of what went wrong is kept


def test_subprocess_a_reset_artist_leaves_the_summary_s_tracks_and_issues(
    repo_root, home, library, child_env, store
):
    """A reset artist is pending: its last results stay in its item as history (docs/reference.md:
    a reset restarts failures, attempts count every try), but no longer in the summary."""
    assert (
        run_script(repo_root, home, child_env, "--init", "--library", str(library)).returncode == 0
    )
    work(store, "ABBA", "completed", track_count=10, issues_found=4, issues_resolved=1)
    work(store, "Beatles", "completed", track_count=5, issues_found=2, issues_resolved=2)
    work(store, "Motörhead", "error")
    before = run_script(repo_root, home, child_env, "--show-summary")
    assert "15.4% complete · 15 tracks · 6 findings, 3 resolved" in before.stdout

    for name in ("abba", "Motörhead"):
        reset = run_script(repo_root, home, child_env, "--reset-artist", name)
        assert reset.returncode == 0, reset.stderr
    after = run_script(repo_root, home, child_env, "--show-summary", "--json")
    summary = json.loads(after.stdout)
    assert summary["statuses"]["completed"] == 1 and summary["percent_complete"] == 7.7
    assert (summary["tracks"], summary["issues_found"], summary["issues_resolved"]) == (5, 2, 2)
    items = {i["name"]: i for i in QueueStore(store.dir, "music").load()["items"]}
    assert (items["ABBA"]["status"], items["ABBA"]["attempts"]) == ("pending", 1)
    assert items["ABBA"]["track_count"] == 10  # kept as history, not counted
    assert (items["Motörhead"]["attempts"], items["Motörhead"]["failures"]) == (1, 0)


def test_reset_artist_of_a_pending_one_changes_nothing(cli, queue):
    before = QueueStore(queue.dir, "music").load()["items"]
    result = cli("--reset-artist=ABBA")
    assert result.exit_code == 0
    assert "'ABBA' was already pending; nothing changed" in result.output
    assert QueueStore(queue.dir, "music").load()["items"] == before


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("Beatels", ["'Beatles'"]), ("AC-DC", ["'AC⧸DC'"]), ("Motrhead", ["'Motörhead'"])],
)
def test_reset_artist_not_found_suggests_the_closest_names(cli, queue, typed, suggested):
    before = queue.path.read_bytes()
    result = cli("--reset-artist", typed)
    assert result.exit_code == 2  # a name that matches nothing: the person's to mend
    assert f"no item named {typed!r} in the queue" in result.output
    hint = result.output.split("did you mean: ", 1)[1].rstrip(")\n")
    assert hint.split(", ") == suggested
    assert queue.path.read_bytes() == before


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("motorhead", "Motörhead"),  # accents aside
        ("SIGUR ROS", "Sigur Rós"),
        ("beyonce", unicodedata.normalize("NFD", "Beyoncé")),
        ("with spaces", "with  spaces "),  # spacing aside
        ("beatl", "Beatles"),  # the start of just one name
        ("日本", "日本のバンド"),
        ("ac⧸", "AC⧸DC"),
        ("AC/DC", "AC⧸DC"),  # the "/" the folder name's stand-in is, as every page shows it
    ],
)
def test_reset_artist_folds_accents_and_takes_a_unique_start(cli, queue, typed, name):
    work(queue, name, "error")
    result = cli("--reset-artist", typed)
    assert result.exit_code == 0, result.output
    assert f"Reset {name!r}: error -> pending" in result.output
    assert states(queue)[name] == "pending"


@pytest.mark.parametrize("flag", ["--reset-artist", "--skip-artist"])
def test_a_start_of_several_names_lists_them_and_changes_nothing(cli, queue, flag):
    """"Be" could be Beatles or Beyoncé: neither is chosen, both are named."""
    work(queue, "Beatles", "error")
    before = queue.path.read_bytes()
    result = cli(flag, "be")
    assert result.exit_code == 2, result.output
    beyonce = unicodedata.normalize("NFD", "Beyoncé")
    assert f"'be' could be any of 2 names: 'Beatles', {beyonce!r}" in result.output
    assert "give the whole name of the one you mean" in result.output
    assert queue.path.read_bytes() == before


def test_reset_artist_with_nothing_close(cli, queue):
    result = cli("--reset-artist", "Zzyzx Qwerty")
    assert result.exit_code == 2
    assert "--list shows every name" in result.output


@pytest.mark.parametrize("flag", ["--reset-artist", "--skip-artist"])
def test_reset_or_skip_refuses_one_being_processed(cli, queue, flag):
    """The running batch would find its artist taken from it when it records the result."""
    work(queue, "ABBA", "in_progress")  # claimed by this (live) process
    before = queue.path.read_bytes()
    result = cli(flag, "abba")
    assert result.exit_code == 2
    assert "being processed right now" in result.output
    assert states(queue)["ABBA"] == "in_progress"
    assert queue.path.read_bytes() == before


def test_reset_errors(cli, worked):
    result = cli("--reset-errors")
    assert result.exit_code == 0
    assert result.output.splitlines() == ["Reset 1 errored artist to pending: Sigur Rós"]
    after = states(worked)
    assert after["Sigur Rós"] == "pending"
    assert (after["ABBA"], after["..Baby"]) == ("completed", "skipped")


def test_reset_stale_releases_only_dead_claims(cli, worked):
    beyonce = unicodedata.normalize("NFD", "Beyoncé")
    work(worked, beyonce, "in_progress")  # a live claim (this process)
    result = cli("--reset-stale")
    assert result.exit_code == 0
    assert result.output.splitlines() == ["Reset 1 stale artist to pending: -leading dash"]
    after = states(worked)
    assert after["-leading dash"] == "pending"
    assert after[beyonce] == "in_progress"
    assert cli("--reset-stale").output.startswith("Reset 0 stale artists")


def _asking(tmp_path: Path, home: Path, *args: str):
    """The queue manager in a real terminal (tmux), where a question can be answered."""
    from tests.integration.test_batch_terminal import prompted_script

    return prompted_script(tmp_path, "music_queue_manager.py", "--home", str(home), *args)


def _queue_bytes(store: QueueStore) -> tuple[bytes, bytes]:
    journal = store.journal_path.read_bytes() if store.journal_path.exists() else b""
    return store.path.read_bytes(), journal


@pytest.mark.parametrize("answer", ["n", ""])  # a no, and Enter for the default (no)
def test_reset_all_asks_at_a_terminal_and_a_no_changes_nothing(tmp_path, home, worked, answer):
    before = _queue_bytes(worked)
    asked = _asking(tmp_path, home, "--reset-all")
    try:
        asked.answer("Put all 13 artists of the music queue back to pending? [y/N]", answer)
        assert asked.status() == 1, asked.screen()
        assert "Nothing changed." in asked.screen() and "Aborted" not in asked.screen()
    finally:
        asked.close()
    assert _queue_bytes(worked) == before


def test_reset_all_off_a_terminal_names_yes_and_changes_nothing(cli, worked):
    """A script that forgot --yes, its input closed: a usage error naming it, not a prompt
    nobody sees and Click's "Aborted!". A "n" piped in is a no."""
    before = _queue_bytes(worked)
    result = cli("--reset-all", input="")
    assert result.exit_code == 2, result.output
    assert ("Error: Put all 13 artists of the music queue back to pending? No answer to read "
            "(not a terminal): give --yes to go on.") in result.output  # fmt: skip
    assert "Aborted" not in result.output
    declined = cli("--reset-all", input="n\n")
    assert declined.exit_code == 1 and "Nothing changed." in declined.output
    assert _queue_bytes(worked) == before
    piped = cli("--reset-all", input="y\n")  # `yes | ...` answers as a person would
    assert piped.exit_code == 0, piped.output
    assert "Reset 6 artists to pending" in piped.output


def test_reset_all_after_yes_at_a_terminal(tmp_path, home, worked):
    asked = _asking(tmp_path, home, "--reset-all")
    try:
        asked.answer("Put all 13 artists of the music queue back to pending? [y/N]", "y")
        assert asked.status() == 0, asked.screen()
        assert "Reset 6 artists to pending" in asked.screen()
    finally:
        asked.close()
    assert set(states(worked).values()) == {"pending"}


def test_reset_all_with_yes_does_not_ask_and_spares_live_claims(cli, worked):
    work(worked, "Guns N' Roses", "in_progress")  # live: this process holds it
    result = cli("--reset-all", "--yes")
    assert result.exit_code == 1  # not all it was asked: the live claim is said, left
    assert "[y/N]" not in result.output
    assert "Reset 6 artists to pending" in result.output  # the live claim is not among them
    assert "Left 1 artist to the music batch working on them (pid " in result.output
    after = states(worked)
    assert after["Guns N' Roses"] == "in_progress"
    assert {s for n, s in after.items() if n != "Guns N' Roses"} == {"pending"}


def test_skip_artist(cli, worked):
    result = cli("--skip-artist", "sigur rós")
    assert result.exit_code == 0
    assert "Skipped 'Sigur Rós': error -> skipped" in result.output
    assert states(worked)["Sigur Rós"] == "skipped"
    assert "already skipped; nothing changed" in cli("--skip-artist", "Sigur Rós").output
    completed = cli("--skip-artist", "abba")
    assert completed.exit_code == 2
    assert "already completed" in completed.output
    assert states(worked)["ABBA"] == "completed"
    missing = cli("--skip-artist", "Nobody At All")
    assert missing.exit_code == 2 and "no item named" in missing.output


# ---- --validate-queue ------------------------------------------------------------------


def test_validate_a_clean_queue(cli, queue):
    work(queue, "ABBA", "completed", track_count=3)
    result = cli("--validate-queue")
    assert result.exit_code == 0
    assert "valid, no problems found" in result.output


def test_validate_lists_every_problem(cli, worked, library):
    (library / "Beatles").rmdir()
    data = json.loads(worked.path.read_text(encoding="utf-8"))
    for item in data["items"]:
        if item["name"] == "ABBA":
            item["issues_resolved"] = 9
        if item["name"] == "Motörhead":
            item["track_count"] = -3
    worked.path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = worked.path.read_bytes()

    result = cli("--validate-queue")
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("- ")]
    assert len(problems) == 4, result.output
    text = "\n".join(problems)
    assert "'ABBA': issues_resolved (9) exceeds issues_found (4)" in text
    assert "'Motörhead': track_count is -3" in text
    assert "'-leading dash': stale claim" in text
    assert "'Beatles': folder missing on disk" in text
    assert "4 problems in" in result.output
    assert worked.path.read_bytes() == before


def test_validate_a_queue_with_unknown_status_and_duplicates(cli, queue):
    data = json.loads(queue.path.read_text(encoding="utf-8"))
    data["items"][0]["status"] = "finished"
    data["items"][2]["key"] = data["items"][1]["key"]
    queue.path.write_text(json.dumps(data), encoding="utf-8")
    result = cli("--validate-queue")
    assert result.exit_code == 1
    assert "duplicate key" in result.output
    assert "unknown status 'finished'" in result.output


HAND_EDITS = {
    "no name": (lambda item: item.pop("name"), "the field 'name' is missing"),
    "no path": (lambda item: item.pop("path"), "the field 'path' is missing"),
    "no track_count": (lambda item: item.pop("track_count"), "the field 'track_count' is missing"),
    "no attempts": (lambda item: item.pop("attempts"), "the field 'attempts' is missing"),
    "text count": (
        lambda item: item.update(issues_found="4"),
        "issues_found is '4', expected a whole number",
    ),
    "name not text": (lambda item: item.update(name=7), "name is 7, expected text"),
    "history not a list": (
        lambda item: item.update(error_history={}),
        "error_history is {}, expected a list",
    ),
    "claim not an object": (
        lambda item: item.update(claimed_by="me"),
        "claimed_by is 'me', expected an object or null",
    ),
}


def hand_edit(queue: QueueStore, edit) -> bytes:
    """Edit the 'Beatles' item of the queue file as a person would, in place."""
    data = json.loads(queue.path.read_text(encoding="utf-8"))
    (item,) = [i for i in data["items"] if i["key"] == "Beatles"]
    edit(item)
    queue.path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return queue.path.read_bytes()


@pytest.mark.parametrize("case", list(HAND_EDITS))
def test_an_item_with_a_missing_or_mistyped_field_is_named_by_every_command(cli, queue, case):
    """It passed --validate-queue and then --list, --reset-artist, --reset-all crashed with a
    KeyError traceback."""
    edit, problem = HAND_EDITS[case]
    work(queue, "Beatles", "error")
    raw = hand_edit(queue, edit)
    validated = cli("--validate-queue")
    assert validated.exit_code == 1, validated.output
    assert problem in validated.output and "item #" in validated.output
    for args in (
        ["--show-summary"],
        ["--list"],
        ["--list", "--status", "error"],
        ["--reset-artist", "Beatles"],
        ["--reset-artist", "ABBA"],
        ["--reset-errors"],
        ["--reset-all", "--yes"],
        ["--skip-artist", "ABBA"],
        ["--checkpoint"],
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        [line] = result.output.strip().splitlines()
        assert "item #" in line and problem in line, (args, line)
        assert "correct it in the file (one item per line)" in line
        assert queue.path.read_bytes() == raw  # never repaired behind the person's back


def test_subprocess_an_item_without_a_name(
    repo_root, home, library, child_env, queue, music_script
):
    hand_edit(queue, lambda item: item.pop("name"))
    raw = queue.path.read_bytes()
    for script, args in (
        ("music_queue_manager.py", ["--list"]),
        ("music_queue_manager.py", ["--reset-all", "--yes"]),
        ("process_music_batch.py", ["--offline"]),
    ):
        result = music_script(script, "--home", home, *args)
        assert result.returncode == 2, (script, result.stdout + result.stderr)
        assert "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"Error: {queue.path}: item #") and "Beatles" in line, line
        assert "the field 'name' is missing" in line
    assert queue.path.read_bytes() == raw
    validated = run_script(repo_root, home, child_env, "--validate-queue")
    assert validated.returncode == 1
    assert "the field 'name' is missing" in validated.stdout


# ---- checkpoints -----------------------------------------------------------------------


def test_checkpoint_list_restore_latest(cli, queue):
    work(queue, "ABBA", "completed", track_count=4)
    taken = cli("--checkpoint")
    assert taken.exit_code == 0
    assert "Checkpoint written:" in taken.output and "_artist_001.json" in taken.output
    (checkpoint,) = queue.checkpoints()
    assert checkpoint.name.startswith("checkpoint_") and checkpoint.name.endswith("_001.json")

    listed = cli("--list-checkpoints")
    assert listed.exit_code == 0
    assert checkpoint.name in listed.output
    assert "1 checkpoint in" in listed.output

    good = states(queue)
    work(queue, "Beatles", "completed")
    cli("--reset-artist", "abba")
    replaced = queue.path.read_bytes()
    restored = cli("--restore-checkpoint", "latest")
    assert restored.exit_code == 0, restored.output
    assert f"from {checkpoint.name}" in restored.output
    assert "The queue it replaced is kept as" in restored.output
    backup = Path(restored.output.split("kept as ", 1)[1].strip())
    assert backup.read_bytes() == replaced
    assert states(queue) == good
    assert cli("--validate-queue").exit_code == 0


def test_restore_a_named_checkpoint(cli, queue):
    cli("--checkpoint")
    (first,) = queue.checkpoints()
    work(queue, "ABBA", "completed")
    cli("--checkpoint")
    assert len(queue.checkpoints()) == 2
    by_name = cli("--restore-checkpoint", first.name)
    assert by_name.exit_code == 0, by_name.output
    assert states(queue)["ABBA"] == "pending"
    by_path = cli("--restore-checkpoint", str(queue.checkpoints()[-1]))
    assert by_path.exit_code == 0, by_path.output
    assert states(queue)["ABBA"] == "completed"


def test_a_checkpoint_never_replaces_one_taken_the_same_day_at_the_same_count(cli, queue):
    """Named by the day and the items completed: a second one of the same (a skip, or a
    reset and a re-run, between) wrote over the first, the one that could put the queue back."""
    work(queue, "ABBA", "completed")
    cli("--checkpoint")
    (first,) = queue.checkpoints()
    kept = first.read_bytes()
    cli("--skip-artist", "Beatles")
    taken = cli("--checkpoint")
    assert taken.exit_code == 0, taken.output
    assert len(queue.checkpoints()) == 2 and first.read_bytes() == kept
    assert queue.checkpoints()[-1].name in taken.output
    assert "2 checkpoints in" in cli("--list-checkpoints").output
    assert cli("--restore-checkpoint", first.name).exit_code == 0
    assert states(queue)["Beatles"] == "pending"
    assert cli("--restore-checkpoint", "latest").exit_code == 0
    assert states(queue)["Beatles"] == "skipped"


DAMAGED_CHECKPOINTS = [
    b"",
    b'{"version": 1, "items": [',
    b"\x00\xff\xfe",
    b"[]",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"version": 1, "kind": "music", "items": [], "n": ' + b"9" * 5000 + b"}",
]


@pytest.mark.parametrize("damage", DAMAGED_CHECKPOINTS, ids=range(len(DAMAGED_CHECKPOINTS)))
def test_a_corrupt_checkpoint_is_refused_and_the_queue_untouched(cli, queue, damage, home):
    work(queue, "ABBA", "completed")
    cli("--checkpoint")
    (checkpoint,) = queue.checkpoints()
    checkpoint.write_bytes(damage)
    work(queue, "Beatles", "completed")
    queue_bytes = queue.path.read_bytes()
    journal_bytes = queue.journal_path.read_bytes()
    for which in ("latest", checkpoint.name, str(checkpoint)):
        result = cli("--restore-checkpoint", which)
        assert result.exit_code == 2
        assert checkpoint.name in result.output
        # Not "restore the latest checkpoint": that is the one refused.
        assert "the queue was not touched" in result.output
        assert f"`{manager_for(home)} --list-checkpoints` shows the others" in result.output
        assert queue.path.read_bytes() == queue_bytes
        assert queue.journal_path.read_bytes() == journal_bytes
    assert states(queue)["Beatles"] == "completed"
    assert not [p for p in queue.dir.iterdir() if ".replaced-" in p.name]


def test_restore_a_checkpoint_that_does_not_exist(cli, queue):
    result = cli("--restore-checkpoint", "checkpoint_1999-01-01_artist_000.json")
    assert result.exit_code == 2
    assert "checkpoint not found" in result.output and "--list-checkpoints" in result.output
    none_yet = cli("--restore-checkpoint", "latest")
    assert none_yet.exit_code == 2 and "no checkpoints" in none_yet.output


def test_a_checkpoint_not_found_names_the_listing_of_the_form_typed(home, queue):
    """The flag's restore names --list-checkpoints, the command's `checkpoint list`, where each
    was typed: a whole command each, run pasted from anywhere."""
    missing = "checkpoint_1999-01-01_artist_000.json"
    music = [sys.executable, "-m", "mediakeeper", "music", "queue", "--home", str(home)]
    for typed, listing in (([*music, "--restore-checkpoint", missing], "--list-checkpoints"),
                           ([*music, "checkpoint", "restore", missing], "checkpoint list")):
        refused = subprocess.run(typed, cwd="/", env=script_env(), capture_output=True,
                                 text=True, timeout=120)  # fmt: skip
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"checkpoint not found: {missing}" in refused.stderr, refused.stderr
        pasted = refused.stderr.split("`")[1]
        assert pasted.endswith(f"--home {home} {listing}"), refused.stderr
        listed = subprocess.run(shlex.split(pasted), cwd="/", env=script_env(),
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert listed.returncode == 0 and "0 checkpoints in " in listed.stdout, listed.stdout


def test_prune_checkpoints_keeps_the_newest(cli, queue):
    names = ["ABBA", "Beatles", "Motörhead", "Sigur Rós"]
    for name in names:
        work(queue, name, "completed")
        cli("--checkpoint")
    before = [p.name for p in queue.checkpoints()]
    assert len(before) == 4
    result = cli("--prune-checkpoints", "--keep", "2")
    assert result.exit_code == 0
    assert "Deleted 2 checkpoints, kept the newest 2" in result.output
    assert [p.name for p in queue.checkpoints()] == before[2:]
    assert cli("--prune-checkpoints", "--keep", "5").output.startswith("Deleted 0")
    negative = cli("--prune-checkpoints", "--keep", "-1")
    assert negative.exit_code == 2
    assert len(queue.checkpoints()) == 2


# ---- usage -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "flags"),
    [
        (["--list", "--reset-errors"], "--list, --reset-errors"),
        (["--reset-artist", "ABBA", "--skip-artist", "ABBA"], "--reset-artist, --skip-artist"),
        (["--init", "--refresh"], "--init, --refresh"),
    ],
)
def test_two_actions_at_once_is_a_usage_error(cli, queue, args, flags):
    before = queue.path.read_bytes()
    result = cli(*args)
    assert result.exit_code == 2
    assert f"give one action at a time, not {flags}" in result.output
    assert queue.path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "error"], "--status only works with --list"),
        (["--keep", "2"], "--keep only works with --prune-checkpoints"),
        (["--list", "--keep", "2"], "--keep only works with --prune-checkpoints"),
        (["--reset-errors", "--status", "error"], "--status only works with --list"),
        (["--force"], "--force only works with --init"),
        (["--list", "--library", "/elsewhere"], "--library only works with --init or --refresh"),
        (["--reset-errors", "--json"], "--json only works with --show-summary or --list"),
        (["--list", "--yes"], "--yes only works with --reset-all"),
    ],
)
def test_an_option_the_action_does_not_use_is_a_usage_error(cli, queue, args, message):
    """Ignored, it would look obeyed: --status error alone showed the whole summary."""
    work(queue, "ABBA", "error")
    before = queue.path.read_bytes()
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert f"Error: {message}" in result.output
    assert "music queue —" not in result.output  # no summary shown as if it had been obeyed
    assert queue.path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "error"], "--status only works with --list"),
        (["--keep", "2"], "--keep only works with --prune-checkpoints"),
    ],
)
def test_subprocess_an_option_without_its_action(
    repo_root, home, library, child_env, args, message
):
    assert (
        run_script(repo_root, home, child_env, "--init", "--library", str(library)).returncode == 0
    )
    result = run_script(repo_root, home, child_env, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"Error: {message}"
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_options_with_their_action_still_work(cli, queue):
    """Each option with the action it belongs to is obeyed, not merely accepted."""
    summary = cli("--json")  # the default action is the summary
    assert summary.exit_code == 0 and json.loads(summary.output)["total"] == len(ODD_NAMES)
    work(queue, "ABBA", "error")
    listed = cli("--list", "--status", "error", "--json")
    assert listed.exit_code == 0
    assert [item["name"] for item in json.loads(listed.output)] == ["ABBA"]
    pruned = cli("--prune-checkpoints", "--keep", "2")
    assert pruned.exit_code == 0 and "kept the newest 2" in pruned.output
    reset = cli("--reset-all", "--yes")
    assert reset.exit_code == 0 and set(states(queue).values()) == {"pending"}
    refreshed = cli("--refresh", "--library", json.loads(summary.output)["library"])
    assert refreshed.exit_code == 0
    assert "Refreshed: 0 added, 0 marked missing, 0 back on disk" in refreshed.output


def test_help_names_every_action(cli):
    result = cli("--help", with_home=False)
    assert result.exit_code == 0
    for flag in (
        "--init", "--library", "--refresh", "--show-summary", "--json", "--list", "--status",
        "--reset-artist", "--reset-errors", "--reset-stale", "--reset-all", "--yes",
        "--skip-artist", "--validate-queue", "--checkpoint", "--list-checkpoints",
        "--restore-checkpoint", "--prune-checkpoints", "--keep",
    ):  # fmt: skip
        assert flag in result.output


# ---- bad input: a clear error, nothing lost --------------------------------------------

READING_ACTIONS = [
    ["--show-summary"],
    ["--show-summary", "--json"],
    ["--list"],
    ["--refresh"],
    ["--reset-artist", "ABBA"],
    ["--skip-artist", "ABBA"],
    ["--reset-errors"],
    ["--reset-stale"],
    ["--reset-all", "--yes"],
    ["--checkpoint"],
]


@pytest.mark.parametrize("args", READING_ACTIONS, ids=lambda a: " ".join(a))
def test_a_missing_queue_says_the_exact_init_command(cli, home, args):
    (home / "status").mkdir()  # a data home, without this queue
    result = cli(*args)
    assert result.exit_code == 2
    assert "no music queue at" in result.output
    assert f"--home {home} --init --library PATH" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (home / "status" / "music" / "processing_queue.json").exists()


BROKEN_QUEUES = {
    "empty": b"",
    "truncated": None,  # the first half of a real queue file
    "not json": b"<html>Not Found</html>\n",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe",
    "wrong shape": b'{"version": 1, "items": "none"}',
    # Both crashed every command, --restore-checkpoint too: RecursionError, and ValueError
    # ("exceeds the limit for integer string conversion").
    "nested deep": b"[" * 100_000 + b"]" * 100_000,
    "huge number": b'{"version": 1, "library": "/music", "items": [], "n": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("case", list(BROKEN_QUEUES))
@pytest.mark.parametrize("args", READING_ACTIONS, ids=lambda a: " ".join(a))
def test_a_broken_queue_is_never_overwritten(cli, queue, library, case, args, home):
    good = queue.path.read_bytes()
    raw = BROKEN_QUEUES[case]
    raw = good[: len(good) // 2] if raw is None else raw
    queue.path.write_bytes(raw)
    result = cli(*args)
    assert result.exit_code == 2
    assert no_checkpoint_hint(home) in result.output
    assert str(queue.path) in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert queue.path.read_bytes() == raw
    assert not queue.checkpoints()


@pytest.mark.parametrize("case", list(BROKEN_QUEUES))
def test_broken_queue_validate_init_and_restore(cli, queue, library, case):
    cli("--checkpoint")
    good = queue.path.read_bytes()
    raw = BROKEN_QUEUES[case]
    raw = good[: len(good) // 2] if raw is None else raw
    queue.path.write_bytes(raw)

    validated = cli("--validate-queue")
    assert validated.exit_code == 1
    assert str(queue.path) in validated.output

    init = cli("--init", "--library", str(library))
    assert init.exit_code == 2 and "already exists" in init.output
    assert queue.path.read_bytes() == raw

    restored = cli("--restore-checkpoint", "latest")
    assert restored.exit_code == 0, restored.output
    backup = Path(restored.output.split("kept as ", 1)[1].strip())
    assert backup.read_bytes() == raw  # the broken file is kept byte for byte
    assert len(states(queue)) == len(ODD_NAMES)


def test_a_damaged_journal_line_is_reported_not_replaced(cli, queue, home):
    work(queue, "ABBA", "completed")
    work(queue, "Beatles", "completed")
    lines = queue.journal_path.read_bytes().splitlines(keepends=True)
    damaged = lines[0] + b"{oops\n" + b"".join(lines[1:])
    queue.journal_path.write_bytes(damaged)
    result = cli("--show-summary")
    assert result.exit_code == 2
    assert "damaged line" in result.output
    assert no_checkpoint_hint(home) in result.output
    assert queue.journal_path.read_bytes() == damaged


def test_a_checkpoint_of_another_library_s_queue_is_refused(cli, queue, home, tmp_path):
    """Another home's queue given to --restore-checkpoint was restored (exit 0), binding this
    home to that library and its statuses; another kind's was refused. So is it now."""
    other_lib, other_home = tmp_path / "Other Library", tmp_path / "other home"
    (other_lib / "Zappa").mkdir(parents=True)
    other_home.mkdir()
    made = queue_manager_cli(main, other_home)("--init", "--library", str(other_lib))
    assert made.exit_code == 0, made.output
    theirs = other_home / "status" / "music" / "processing_queue.json"
    before = queue.path.read_bytes()
    refused = cli("--restore-checkpoint", str(theirs))
    assert refused.exit_code == 2, refused.output
    assert (f"{theirs} is the queue of another library ({other_lib}), not of this one"
            in " ".join(refused.output.split())), refused.output  # fmt: skip
    assert queue.path.read_bytes() == before
    # An unset variable ("$CP") names none: it was taken as not given (the summary, exit 0).
    empty = cli("--restore-checkpoint", "")
    assert empty.exit_code == 2 and "empty: it names nothing" in empty.output, empty.output
    assert queue.path.read_bytes() == before


def test_another_kind_s_queue_in_this_kind_s_place_is_refused_not_run(cli, queue, home):
    """A movie queue put at status/music/processing_queue.json (by hand, a restore from the
    wrong folder) passed --validate-queue, and the music batch took its items. Every reader
    refuses it, naming what it is and where it belongs; nothing is written."""
    work(queue, "ABBA", "completed")
    data = json.loads(queue.path.read_bytes())
    queue.path.write_text(json.dumps({**data, "kind": "movies"}), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in queue.dir.iterdir() if p.is_file()}
    what = f"{queue.path} is a 'movies' queue, not the music queue"
    said = f"{what} (nothing was changed; move it where its kind keeps its queue, status/movies/, or aside)"  # noqa: E501
    validated = cli("--validate-queue")
    assert validated.exit_code == 1 and f"- {what}\n" in validated.output, validated.output
    for args in (("--show-summary",), ("--reset-errors",), ("--list",)):
        refused = cli(*args)
        assert refused.exit_code == 2 and said in refused.output, (args, refused.output)
    batch = subprocess.run([sys.executable, "-m", "mediakeeper", "music", "batch", "--home",
                            str(home), "--offline", "--batch-size", "1"],
                           cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert batch.returncode == 2 and said in batch.stderr, batch.stdout + batch.stderr
    board = subprocess.run([sys.executable, "-m", "mediakeeper", "--home", str(home),
                            "dashboard"], cwd=REPO_ROOT, env=script_env(), capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert f"  music  cannot be read: {said}\n" in board.stdout, board.stdout
    assert {p.name: p.read_bytes() for p in queue.dir.iterdir() if p.is_file()} == before


def journal_line_of_the_wrong_shape(queue: QueueStore, case: str) -> bytes:
    """A journal line that is JSON, of the current generation where it has one, but not what
    the store writes; built from a real line of the queue's journal."""
    real = json.loads(queue.journal_path.read_bytes().splitlines()[-1])
    item = real["items"][0]
    if case == "a list":
        return b"[1, 2]"
    if case == "an item's key only":
        return b'{"key": 5}'
    if case == "no generation":
        real.pop("gen")
    elif case == "items not a list":
        real["items"] = {"ABBA": item}
    elif case == "an item without a name":
        item.pop("name")
    elif case == "an unknown status":
        item["status"] = "done"
    elif case == "a mistyped counter":
        item["track_count"] = "12"
    elif case == "nested deep":
        return b'{"gen": 1, "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    elif case == "a huge number":
        item["track_count"] = int("9" * 4000)  # written as is, read back it is too long
        return json.dumps(real).replace("9" * 4000, "9" * 5000).encode()
    return json.dumps(real).encode()


WRONG_SHAPES = [
    "a list",
    "an item's key only",
    "no generation",
    "items not a list",
    "an item without a name",
    "an unknown status",
    "a mistyped counter",
    "nested deep",
    "a huge number",
]


@pytest.mark.parametrize("case", WRONG_SHAPES)
def test_a_journal_line_of_the_wrong_shape_is_named_and_never_folded(cli, queue, home, case):
    """Valid JSON of the wrong shape crashed every command (AttributeError, KeyError), even
    --validate-queue, and a batch folded it into the queue file."""
    work(queue, "ABBA", "completed")  # a claim and a result: two lines
    queue.journal_path.write_bytes(
        queue.journal_path.read_bytes() + journal_line_of_the_wrong_shape(queue, case) + b"\n"
    )
    queue_bytes, journal_bytes = queue.path.read_bytes(), queue.journal_path.read_bytes()
    where = f"{queue.journal_path} has a damaged line (line 3): "
    validated = cli("--validate-queue")
    assert validated.exit_code == 1, validated.output
    assert where in validated.output
    for args in (
        ["--show-summary"],
        ["--list"],
        ["--reset-errors"],
        ["--reset-all", "--yes"],
        ["--refresh"],
        ["--checkpoint"],
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        [line] = result.output.strip().splitlines()
        assert line.startswith(f"Error: {where}"), line
        assert no_checkpoint_hint(home) in line
        assert queue.path.read_bytes() == queue_bytes
        assert queue.journal_path.read_bytes() == journal_bytes
    assert not queue.checkpoints()


def test_subprocess_a_batch_never_folds_a_journal_line_of_the_wrong_shape(
    queue, home, music_script
):
    work(queue, "ABBA", "completed")
    line = journal_line_of_the_wrong_shape(queue, "an unknown status")
    queue.journal_path.write_bytes(queue.journal_path.read_bytes() + line + b"\n")
    queue_bytes, journal_bytes = queue.path.read_bytes(), queue.journal_path.read_bytes()
    result = music_script("process_music_batch.py", "--home", home, "--offline")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {queue.journal_path} has a damaged line (line 3): "), line
    assert "unknown status 'done'" in line
    assert queue.path.read_bytes() == queue_bytes
    assert queue.journal_path.read_bytes() == journal_bytes
    restored = music_script("music_queue_manager.py", "--home", home, "--validate-queue")
    assert restored.returncode == 1 and "unknown status 'done'" in restored.stdout


@pytest.mark.parametrize("action", ["--init", "--refresh"])
def test_a_library_that_does_not_exist(cli, queue, library, tmp_path, action):
    gone = tmp_path / "No Such Library"
    if action == "--init":
        queue.path.unlink()
        result = cli(action, "--library", str(gone))
    else:  # the queue's own library is gone (an unplugged disk): another one is refused
        library.rename(gone)
        result = cli(action, "--library", str(library))
        gone = library
    assert result.exit_code == 2
    assert f"library folder does not exist: {gone}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    if action == "--refresh":
        assert "(folder missing)" not in cli("--list").output  # nothing marked missing


def test_a_library_that_is_a_file(cli, store, library):
    result = cli("--init", "--library", str(library / "cover.jpg"))
    assert result.exit_code == 2
    assert "library path is not a folder" in result.output and "cover.jpg" in result.output
    assert not store.path.exists()


def test_an_unreadable_library(cli, store, library, monkeypatch):
    library.chmod(0)
    try:
        if os.access(library, os.R_OK):  # root: have the OS refuse as it would anyone else
            refuse_scandir(monkeypatch, library)
        result = cli("--init", "--library", str(library))
    finally:
        library.chmod(0o755)
    assert result.exit_code == 2
    assert "cannot read library folder" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not store.path.exists()


def test_a_malformed_settings_file_is_one_line(cli, home, queue):
    (home / "mediakeeper.toml").write_text("[music]\nlibary = 'x'\n", encoding="utf-8")
    result = cli("--show-summary")
    assert result.exit_code == 2
    assert "mediakeeper.toml: unknown key 'music.libary'" in result.output
    assert len(result.output.strip().splitlines()) == 1


# ---- the real command in a real process ------------------------------------------------


def run_script(repo_root: Path, cwd: Path, env, *args: str) -> subprocess.CompletedProcess:
    """The script run in ``cwd``, its data home (named by MEDIAKEEPER_HOME: a folder that is
    not one yet is found from nowhere, and refused)."""
    script = repo_root / "utilities" / "music_queue_manager.py"
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env={**env, "MEDIAKEEPER_HOME": str(cwd)},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.mark.parametrize("args", [(), ("--help",), ("--show-summary",)])
def test_the_shared_module_run_by_mistake_names_the_commands(repo_root, home, child_env, args):
    """mediakeeper/cli/queue_manager.py is the queue managers' shared code, not a script."""
    result = subprocess.run(
        [sys.executable, "mediakeeper/cli/queue_manager.py", *args],
        cwd=repo_root,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "Error: queue_manager.py is the queue managers' shared code, not a command: run "
        "python utilities/music_queue_manager.py or python utilities/movie_queue_manager.py "
        "(each has --help)\n"
    )


@pytest.mark.parametrize(
    ("module", "commands"),
    [
        ("mediakeeper/cli/command.py", ("process_music_batch.py", "music_queue_manager.py")),
        ("mediakeeper/cli/batch_options.py", ("process_music_batch.py", "process_movie_batch.py")),
        ("mediakeeper/cli/progress_line.py", ("process_music_batch.py", "process_movie_batch.py")),
        ("mediakeeper/cli/batch.py", ("process_music_batch.py", "process_movie_batch.py")),
        ("mediakeeper/cli/startup.py", ("weekly_report.py", "process_music_batch.py")),
    ],
)  # fmt: skip
def test_every_shared_module_run_by_mistake_names_commands(repo_root, child_env, module, commands):
    """The command line's other modules, which are not commands, say so too (exit 2), and
    the scripts they name exist."""
    result = subprocess.run(
        [sys.executable, module, "--help"],
        cwd=repo_root, env=child_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    first, second = (f"python utilities/{name}" for name in commands)
    assert result.stderr.startswith(f"Error: {module.rsplit('/', 1)[-1]} is ")
    assert result.stderr.endswith(f", not a command: run {first} or {second} (each has --help)\n")
    assert all((repo_root / "utilities" / name).is_file() for name in commands)


# What a queue manager has no use for, each with the modules below it: the kind's batch (its
# plan and job), the batch's runner and the tag reader, a third of its start
# (docs/performance.md).
BATCH_ONLY = ("mediakeeper.music.batch", "mediakeeper.music.job", "mediakeeper.batch.runner",
              "mediakeeper.audiobooks.batch", "mutagen")  # fmt: skip


@pytest.mark.parametrize(
    ("script", "args", "said"),
    [
        ("music_queue_manager.py", ("--init",), "Created the music queue"),
        ("music_queue_manager.py", ("summary",), "total"),
        ("audiobook_queue_manager.py", ("--prune-backups",), "Deleted 0 backups"),
    ],
)  # fmt: skip
def test_a_queue_manager_imports_no_batch(repo_root, home, library, child_env, script, args, said):
    """A kind's queue manager, its own action (the audiobooks' --prune-backups) too, imports
    neither the kind's batch, nor the batch's runner, nor the tag reader."""
    queue = ("--home", home, "--init", "--library", library)
    if args != ("--init",):
        subprocess.run([sys.executable, f"utilities/{script}", *map(str, queue)],
                       cwd=repo_root, env=child_env, check=True, capture_output=True)  # fmt: skip
    output, loaded = loaded_among(script, BATCH_ONLY, *(queue if args == ("--init",) else
                                                        ("--home", home, *args)))  # fmt: skip
    assert said in output
    assert loaded == []


def test_subprocess_missing_queue_names_the_exact_command(repo_root, home, child_env):
    (home / "status").mkdir()
    result = run_script(repo_root, home, child_env, "--show-summary")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip() == (
        f"Error: no music queue at {home / 'status' / 'music' / 'processing_queue.json'} "
        f"(create it with: {manager_for(home)} --init --library PATH)"
    )


def test_subprocess_init_and_list_odd_names(repo_root, home, library, child_env):
    init = run_script(repo_root, home, child_env, "--init", "--library", str(library))
    assert init.returncode == 0, init.stderr
    assert f"{len(ODD_NAMES)} pending artists" in init.stdout
    assert (home / "status" / "music" / "processing_queue.json").is_file()  # cwd is the home

    listed = run_script(repo_root, home, child_env, "--list")
    assert listed.returncode == 0, listed.stderr
    shown = [line.removeprefix("pending      ") for line in listed.stdout.splitlines()[1:-1]]
    assert sorted(shown) == sorted(name.rstrip() for name in ODD_NAMES)

    reset = run_script(repo_root, home, child_env, "--skip-artist", "-leading dash")
    assert reset.returncode == 0, reset.stderr
    assert "Skipped '-leading dash': pending -> skipped" in reset.stdout


def test_subprocess_broken_queue(repo_root, home, library, child_env):
    assert (
        run_script(repo_root, home, child_env, "--init", "--library", str(library)).returncode == 0
    )
    path = home / "status" / "music" / "processing_queue.json"
    raw = path.read_bytes()[:-40]
    path.write_bytes(raw)
    result = run_script(repo_root, home, child_env, "--show-summary")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{no_checkpoint_hint(home)}{shlex.quote(str(library))}`" in result.stderr
    assert path.read_bytes() == raw


def test_subprocess_a_damaged_queue_points_to_a_checkpoint_only_when_there_is_one(
    repo_root, home, tmp_path, child_env, music_script, music_library
):
    """A library under checkpoint_every (50) artists has no checkpoint: the advice to restore
    the latest one failed with "no checkpoints". It names a new queue of the same library."""
    lib = music_library(
        tmp_path / "Small Library",
        {f"{n}/Album/01 - Song.mp3": {"tags": {"title": "Song"}} for n in ("Alpha", "Bravo")},
    )
    batch = music_script("process_music_batch.py", "--home", home, "--library", lib)
    assert batch.returncode == 1, batch.stdout  # no artist tag: decisions left (issue 36)
    path = home / "status" / "music" / "processing_queue.json"
    path.write_bytes(b"")
    result = run_script(repo_root, home, child_env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "--restore-checkpoint" not in line, line
    assert "Traceback" not in result.stderr
    assert no_checkpoint_hint(home) in line
    assert "the damaged file is kept beside it" in line
    assert "the undo journals, outputs and session logs are not touched" in line
    assert path.read_bytes() == b""

    # What it says works, pasted as it is in another folder (PATH: the library, unknown once
    # the file is empty).
    command = line.split("`", 2)[1].replace("PATH", shlex.quote(str(lib)))
    again = run_pasted(command, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "2 pending artists" in again.stdout
    kept = Path(again.stdout.split("kept as ", 1)[1].strip())
    assert kept.read_bytes() == b""  # the damaged file, kept

    # With a checkpoint, restoring it is the advice, and it works.
    assert run_script(repo_root, home, child_env, "--checkpoint").returncode == 0
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    result = run_script(repo_root, home, child_env, "--list")
    assert result.returncode == 2
    assert f"`{manager_for(home)} --restore-checkpoint latest`" in result.stderr
    restored = run_script(repo_root, home, child_env, "--restore-checkpoint", "latest")
    assert restored.returncode == 0, restored.stderr


def test_an_action_that_changes_nothing_leaves_the_file_alone(cli, queue):
    before = queue.path.stat()
    journal = queue.journal_path.read_bytes() if queue.journal_path.exists() else None
    for action in ("--reset-errors", "--reset-stale", "--reset-all"):
        result = cli(action, "--yes") if action == "--reset-all" else cli(action)
        assert result.exit_code == 0, result.output
        assert "Reset 0 " in result.output
    after = queue.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (queue.journal_path.read_bytes() if queue.journal_path.exists() else None) == journal


# ---- reading only: no lock file, no folder ----------------------------------------------

READ_ONLY_ACTIONS = [
    [],
    ["--show-summary", "--json"],
    ["--list"],
    ["--list", "--status", "error"],
    ["--validate-queue"],
    ["--list-checkpoints"],
]


def test_subprocess_reading_a_home_that_cannot_be_written(repo_root, home, library, child_env):
    """Summary and --list failed with "Permission denied: .../processing_queue.json.lock":
    reading took the lock, which creates its file."""
    assert (
        run_script(repo_root, home, child_env, "--init", "--library", str(library)).returncode == 0
    )
    folder = home / "status" / "music"
    (folder / "processing_queue.json.lock").unlink()
    with immutable(folder):  # nothing can be created in it, not even by root
        for args in READ_ONLY_ACTIONS:
            result = run_script(repo_root, home, child_env, *args)
            assert result.returncode == 0, (args, result.stderr)
            assert result.stderr == "", args
        assert (
            f"{len(ODD_NAMES)} artists" in run_script(repo_root, home, child_env, "--list").stdout
        )
        # Changing the queue does need the lock: one line saying so (exit 1: the system
        # refused, the command was well formed).
        reset = run_script(repo_root, home, child_env, "--reset-errors")
        assert reset.returncode == 1 and "Traceback" not in reset.stderr
        assert "processing_queue.json.lock" in reset.stderr
        assert len(reset.stderr.strip().splitlines()) == 1
    assert not (folder / "processing_queue.json.lock").exists()


@pytest.mark.parametrize("args", READ_ONLY_ACTIONS, ids=lambda a: " ".join(a) or "summary")
def test_subprocess_a_mistyped_home_is_left_as_it_was(repo_root, tmp_path, child_env, args):
    """It said "no music queue" but left status/music/processing_queue.json.lock behind; now
    a folder with no status/ is no data home, and that is what it says."""
    typo = tmp_path / "nohomeX"
    result = run_script(repo_root, tmp_path, child_env, "--home", str(typo), *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"Error: no data home at {typo} (no status/ folder): check --home, or run a batch "
        "there first\n"
    )
    assert not typo.exists()


# ---- never under a running batch ---------------------------------------------------------


@pytest.fixture
def slow_batch(tmp_path, home, music_library, fake_musicbrainz, child_env, repo_root):
    """``start()``: a real music batch, with a checkpoint of its queue taken first, that hangs
    in its first MusicBrainz lookup (the fake answers after a minute); returns it once the
    lookup has been asked, its artist claimed. Killed at teardown if still running."""
    lib = music_library(
        tmp_path / "Slow Library",
        {f"{n}/Album/01 - Song.mp3": {"tags": {"title": "Song"}} for n in ("Alpha", "Bravo")},
    )
    started = []

    def start() -> subprocess.Popen:
        for args in (("--init", "--library", str(lib)), ("--checkpoint",)):
            assert run_script(repo_root, home, child_env, *args).returncode == 0
        fake_musicbrainz.delay(60, times=None)
        env = {
            **child_env,
            "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
            "MEDIAKEEPER_MUSICBRAINZ_URL": fake_musicbrainz.url,
            "MEDIAKEEPER_MUSICBRAINZ_COVERART_URL": fake_musicbrainz.url,
            "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",
            "MEDIAKEEPER_MUSICBRAINZ_TIMEOUT": "120",
        }
        proc = subprocess.Popen(
            [sys.executable, str(repo_root / "utilities" / "process_music_batch.py"),
             "--home", str(home), "--workers", "1"],
            cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        started.append(proc)
        assert wait_until(lambda: fake_musicbrainz.requests or proc.poll() is not None)
        assert proc.poll() is None, proc.communicate()
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.mark.parametrize(
    "args",
    [("--restore-checkpoint", "latest"), ("--init", "--force")],
    ids=["restore", "init --force"],
)
def test_subprocess_replacing_the_queue_is_refused_while_a_batch_runs(
    repo_root, home, child_env, slow_batch, args
):
    """Both were done under a running batch, which then died without a summary."""
    batch = slow_batch()
    queue = QueueStore(home / "status" / "music", "music")
    before = (queue.path.read_bytes(), queue.journal_path.read_bytes())
    library = queue.peek()["library"]
    extra = ("--library", library) if "--init" in args else ()
    result = run_script(repo_root, home, child_env, *args, *extra)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: a music batch is working on {queue.path} right now "), line
    assert f"(pid {batch.pid}, session " in line
    assert "nothing was changed; wait for that batch to finish, or stop it" in line
    assert (queue.path.read_bytes(), queue.journal_path.read_bytes()) == before
    assert not [p for p in queue.dir.iterdir() if ".replaced-" in p.name]

    batch.send_signal(signal.SIGINT)  # the batch stops as it should, with its summary
    out, err = batch.communicate(timeout=60)
    assert batch.returncode == 130, out + err
    assert "interrupted:" in out and "put back to pending" in out
    again = run_script(repo_root, home, child_env, *args, *extra)  # no batch now: done
    assert again.returncode == 0, again.stdout + again.stderr


# ---- the list's layout, order and filter; what a reset of many says ---------------------

LONG_NAME = "The Incredibly Long-Named Orchestra of Everything That Was Ever Played " * 2


def test_subprocess_the_list_lines_up_whatever_the_names(repo_root, home, library, child_env):
    """A heading, then status, name and counts in columns: wide letters (日本, an emoji), a
    decomposed accent and a name wider than the terminal keep every column in line (cells
    counted by wcwidth, not by this toolkit). A pending item shows no counts; --json keeps
    every name whole."""
    from wcwidth import wcswidth

    (library / LONG_NAME).mkdir()
    init = run_script(repo_root, home, child_env, "--init", "--library", str(library))
    assert init.returncode == 0, init.stderr
    store = QueueStore(home / "status" / "music", "music")
    beyonce = unicodedata.normalize("NFD", "Beyoncé")
    for n, name in enumerate(("日本のバンド", "🎸 Emoji Band", beyonce, LONG_NAME, "ABBA")):
        work(store, name, "completed", track_count=10**n, issues_found=n, issues_resolved=1)

    listed = run_script(repo_root, home, {**child_env, "COLUMNS": "80"}, "--list")
    assert listed.returncode == 0, listed.stderr
    header, *rows, total = listed.stdout.splitlines()
    assert header.split() == ["STATUS", "NAME", "TRACKS", "ISSUES", "RESOLVED"]
    assert total == f"{len(ODD_NAMES) + 1} artists"
    completed = [row for row in rows if row.startswith("completed")]
    assert len(completed) == 5
    for row in [header, *completed]:  # every count ends where its heading ends
        assert wcswidth(row) == wcswidth(header) <= 80, row
        assert row.endswith(("RESOLVED", "1"))
    cut = next(row for row in completed if row.startswith("completed    The Incredibly"))
    assert "…" in cut and LONG_NAME.strip() not in cut
    assert cut.split("…")[1].split() == ["1,000", "3", "1"]
    for row in rows:
        if row.startswith("pending"):  # never looked at: nothing after the name
            assert not re.search(r"\d", row), row
    assert LONG_NAME in {i["name"] for i in json.loads(
        run_script(repo_root, home, child_env, "--list", "--json").stdout
    )}  # fmt: skip


def test_list_sorts_and_filters_by_name(cli, worked):
    def names(*args):
        result = cli("--list", *args)
        assert result.exit_code == 0, result.output
        return [row[13:].split("  ")[0] for row in result.output.splitlines()[1:-1]]

    by_name = names()
    assert by_name == sorted(by_name, key=str.casefold)  # the default
    assert names("--sort", "issues")[:3] == ["ABBA", "Beatles", "Motörhead"]  # 4, 2, 0
    assert names("--sort", "tracks")[:3] == ["ABBA", "Motörhead", "Beatles"]  # 10, 7, 5
    assert names("--sort", "status")[-2:] == ["Sigur Rós", "..Baby"]  # error, skipped
    # The name matcher's fold: case, accents and spacing aside; anywhere in the name.
    assert names("--name", "MOTORHEAD") == ["Motörhead"]
    assert names("--name", "band", "--sort", "name") == ['The "Band"', "🎸 Emoji Band"]
    filtered = cli("--list", "--name", "ros", "--status", "error")
    assert filtered.output.endswith("\n1 artist with status error whose name contains 'ros'\n")
    as_json = json.loads(cli("--list", "--json", "--name", "beat").output)
    assert [i["name"] for i in as_json] == ["Beatles"]
    unsorted = json.loads(cli("--list", "--json").output)  # scripts read it: queue order
    assert [i["name"] for i in unsorted] == [i["name"] for i in worked.load()["items"]]
    for args in (["--sort", "name"], ["--name", "x"]):
        refused = cli(*args)
        assert refused.exit_code == 2 and "only works with --list" in refused.output


def test_subprocess_reset_all_of_many_names_the_first_few(repo_root, tmp_path, home, child_env):
    library = tmp_path / "Big Library"
    names = [f"Artist {n:03}" for n in range(156)]
    for name in names:
        (library / name).mkdir(parents=True)
    init = run_script(repo_root, home, child_env, "--init", "--library", str(library))
    assert init.returncode == 0, init.stderr
    store = QueueStore(home / "status" / "music", "music")
    for item in store.claim_many(SESSION, len(names)):
        store.record_success(item["key"], SESSION)
    result = run_script(repo_root, home, child_env, "--reset-all", "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Reset 156 artists to pending: Artist 000, Artist 001, Artist 002, Artist 003, "
        "Artist 004 and 151 more"
    ]
    assert set(states(store).values()) == {"pending"}
