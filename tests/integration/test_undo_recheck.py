"""An undone artist is checked again (issue 36, "Undo and the closing loop"): real files, the
real batch, undo and queue-manager scripts in subprocesses.

Before: an undo recorded the artist's files as the undo left them, so ``--refresh`` said "0
changed" and the restored mojibake dropped out of sight. Now the undo is a change of the
files like any other: ``--refresh`` sends the artist back, and the next batch checks it,
keeping what the person took back as their decision (the fix is not made again: it is an
open decision, saying which undo took it back), while everything else about the artist is
checked and fixed as normal. A later change of an undone file by another program lifts that.
"""

from __future__ import annotations

import mutagen
import pytest

from mediakeeper.demo.tracks import make_track
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.slug import slugify
from tests.helpers import run_script, tag_by_hand

MOJIBAKE, REPAIRED = "JÃ³ga", "Jóga"
JOGA = "Björk/1997 - Homogenic/01 - Jóga.flac"
HUNTER = "Björk/1997 - Homogenic/02 - Hunter.flac"
NEW = "Björk/1997 - Homogenic/03 - Bachelorette.flac"


def track(title: str, n: int, artist: str = "Björk", album: str = "Homogenic") -> dict:
    return {
        "tags": {"title": title, "artist": artist, "albumartist": artist, "album": album,
                 "tracknumber": str(n), "date": "1997"},
        "picture": True,
    }  # fmt: skip


def library_spec() -> dict:
    return {
        JOGA: track(MOJIBAKE, 1),
        HUNTER: track("Hunter", 2),
        "Clean/2001 - Album/01 - Song 1.flac": track("Song 1", 1, "Clean", "Album"),
    }


def title(path) -> str:
    return mutagen.File(path)["title"][0]


def statuses(home) -> dict[str, str]:
    items = QueueStore(home / "status" / "music", "music").load()["items"]
    return {item["name"]: item["status"] for item in items}


def run(*args, code: int = 0):
    """A script run to its end with the exit code the README gives: 1 for a batch that
    leaves a decision, else 0."""
    done = run_script(*map(str, args))
    assert done.returncode == code, done.stdout + done.stderr
    return done


@pytest.fixture
def undone(tmp_path, music_library):
    """Björk's mojibake fixed by a batch, then taken back by an undo."""
    lib = music_library(tmp_path / "lib", library_spec())
    home = tmp_path / "home"
    home.mkdir()
    run("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert title(lib / JOGA) == REPAIRED
    took = run("undo_changes.py", "--home", home, "--artist", "Björk")
    assert took.returncode == 0 and f"restored title of {lib / JOGA}" in took.stdout
    assert title(lib / JOGA) == MOJIBAKE
    return home, lib


def report(home) -> str:
    return (home / "issues" / "music" / f"{slugify('Björk')}.md").read_text("utf-8")


def test_refresh_sends_the_undone_artist_back_and_the_batch_keeps_the_undo(undone):
    """Before: "0 changed since completed", and Björk never checked again."""
    home, lib = undone
    refreshed = run("music_queue_manager.py", "--home", home, "--refresh").stdout
    assert "1 changed since completed" in refreshed, refreshed
    assert "  changed Björk  (0 added, 0 removed, 1 modified)" in refreshed
    assert statuses(home) == {"Björk": "pending", "Clean": "completed"}
    dry = run("process_music_batch.py", "--home", home, "--offline", "--dry-run").stdout
    assert "mojibake" in dry and "would set title" not in dry, dry
    batch = run("process_music_batch.py", "--home", home, "--offline", code=1)  # a decision waits
    assert "Björk" in batch.stdout and "Clean" not in batch.stdout
    assert title(lib / JOGA) == MOJIBAKE  # the person's undo stands
    text = report(home)
    assert "**0 fixed**, **1 decision for you**" in text, text
    assert "`mojibake`" in text and "(its fix was taken back by undo session undo_" in text
    index = (home / "issues" / "music" / "index.md").read_text("utf-8")
    assert "| Björk | `mojibake` |" in index
    listed = run("decide.py", "--home", home, "music", "Björk").stdout
    assert "mojibake" in listed and "the fix it proposes" in listed


def test_the_undone_value_is_not_written_back_while_the_rest_is_fixed(undone):
    """A new track with its own finding, after the undo: the re-check fixes that one and
    leaves the undone title alone, then and on every later run of the artist."""
    home, lib = undone
    make_track(lib / NEW, "flac", track("Bachelorette  ", 3)["tags"], picture=True)
    before = (lib / JOGA).stat()
    run("music_queue_manager.py", "--home", home, "--refresh")
    run("process_music_batch.py", "--home", home, "--offline", code=1)  # the undone title's
    assert title(lib / NEW) == "Bachelorette"  # fixed as normal
    assert title(lib / JOGA) == MOJIBAKE
    assert "**1 fixed**, **1 decision for you**" in report(home)
    # The batch's own writes are no change, and a run asked for by name keeps the undo too.
    refreshed = run("music_queue_manager.py", "--home", home, "--refresh").stdout
    assert "0 changed since completed" in refreshed
    run("process_music_batch.py", "--home", home, "--offline", "--artist", "Björk", code=1)
    assert title(lib / JOGA) == MOJIBAKE
    after = (lib / JOGA).stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert "(its fix was taken back by undo session undo_" in report(home)
    # Left as it is by the person's dismissal: closed, and still not written on a next run.
    dismissed = run("decide.py", "--home", home, "music", "Björk", "--dismiss", "mojibake")
    assert "1 decision closed" in dismissed.stdout, dismissed.stdout + dismissed.stderr
    run("process_music_batch.py", "--home", home, "--offline", "--artist", "Björk")  # exit 0
    assert title(lib / JOGA) == MOJIBAKE
    assert "**0 fixed**, **0 decisions for you**" in report(home)  # its fixes: earlier


def test_a_file_changed_afterwards_by_another_program_is_fixed_as_normal(undone):
    home, lib = undone
    tag_by_hand(lib / JOGA, "genre", "Electronic")  # another tagger, after the undo
    run("music_queue_manager.py", "--home", home, "--refresh")
    run("process_music_batch.py", "--home", home, "--offline")
    assert title(lib / JOGA) == REPAIRED
    assert "**1 fixed**" in report(home) and "taken back by undo" not in report(home)
    items = QueueStore(home / "status" / "music", "music").load()["items"]
    bjork = next(i for i in items if i["name"] == "Björk")
    assert not bjork["details"].get("undone")  # the mark is gone with the change
