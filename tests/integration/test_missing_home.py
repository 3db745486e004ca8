"""A mistyped --home: every command that reads a data home says there is none there, exits 2
and creates nothing (it used to create the folder and, for the weekly report, an empty
report in it)."""

from __future__ import annotations

import pytest

READING_COMMANDS = [
    ["weekly_report.py"],
    ["weekly_report.py", "--all"],
    ["weekly_report.py", "--week", "2026-W47"],
    ["media_dashboard.py"],
    ["media_dashboard.py", "--html", "{tmp}/dashboard.html"],
    ["music_queue_manager.py"],
    ["music_queue_manager.py", "--show-summary", "--json"],
    ["music_queue_manager.py", "--list"],
    ["music_queue_manager.py", "--validate-queue"],
    ["music_queue_manager.py", "--list-checkpoints"],
    ["movie_queue_manager.py", "--show-summary"],
    ["movie_queue_manager.py", "--list"],
    ["movie_queue_manager.py", "--validate-queue"],
    ["undo_changes.py", "--list"],
    ["undo_changes.py"],
]


def no_home_line(path) -> str:
    return (
        f"Error: no data home at {path} (no status/ folder): check --home, or run a batch "
        "there first\n"
    )


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_a_mistyped_home_is_refused_and_nothing_is_created(music_script, tmp_path, command):
    typo = tmp_path / "mediakeper-typo"
    script, *args = (arg.replace("{tmp}", str(tmp_path)) for arg in command)
    done = music_script(script, "--home", typo, *args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", no_home_line(typo))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("script", ["weekly_report.py", "media_dashboard.py"])
def test_a_folder_with_no_status_is_no_home_either_and_stays_as_it_was(
    music_script, tmp_path, script
):
    """(MEDIAKEEPER_HOME, or the current folder, are resolved the same way as --home.)"""
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    done = music_script(script, "--home", tmp_path)
    assert (done.returncode, done.stderr) == (2, no_home_line(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_command_that_creates_the_home_still_does(music_script, tmp_path):
    """--init makes a new data home: only the commands that read one refuse a new folder."""
    library = tmp_path / "Music"
    (library / "Alpha").mkdir(parents=True)
    home = tmp_path / "new home"
    done = music_script("music_queue_manager.py", "--home", home, "--init", "--library", library)
    assert done.returncode == 0, done.stderr
    assert (home / "status" / "music" / "processing_queue.json").is_file()
