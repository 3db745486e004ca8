"""``undo --session`` stopped half-way (Ctrl+C, kill -9), then run again: it ends as an undo
never stopped does, every fix it took back open again on every surface — those the stopped
run had put back too, which the run again finds at their old value. A Ctrl+C says that the
same undo finishes it (exit 130). Real files, the real command in a subprocess, the signal
sent once files have changed (the process held with SIGSTOP meanwhile, so that it cannot
finish first)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.helpers import batched_home, run_script, stopped_when

# 300 files: a stop lands half-way on a loaded host too (at 90 one came after the last)
ARTISTS = 100


def library_spec() -> dict:
    """Artists whose tracks' titles end in a space: a fix the batch makes in each."""
    spec = {}
    for a in range(ARTISTS):
        for n in (1, 2, 3):
            name = f"Artist {a:02}"
            tags = {"title": f"Song {n} ", "artist": name, "albumartist": name,
                    "album": "Album", "date": "2001", "tracknumber": str(n)}  # fmt: skip
            spec[f"Artist {a:02}/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags}
    return spec


@pytest.fixture
def fixed(tmp_path):
    """A data home whose batch fixed every title, its library, and the batch's session."""
    home, lib, batch = batched_home(tmp_path, library_spec(), "--batch-size", ARTISTS)
    assert batch.returncode in (0, 1), batch.stdout + batch.stderr
    assert still_fixed(home) == ARTISTS * 3
    listed = run_script("undo_changes.py", "--home", home, "--list", "--json")
    (session,) = json.loads(listed.stdout)["sessions"]
    return home, lib, session["session"]


def still_fixed(home: Path) -> int:
    """The findings the artists' documents count as fixed."""
    documents = (home / "outputs" / "music" / "artists").glob("*.json")
    return sum(bool(f.get("fixed")) for document in documents
               for f in json.loads(document.read_text())["findings"])  # fmt: skip


def titles(lib: Path) -> set[str]:
    import mutagen

    return {mutagen.File(track)["title"][0] for track in lib.rglob("*.flac")}


def changed_since(lib: Path, moment: float) -> int:
    return sum(track.stat().st_mtime > moment for track in lib.rglob("*.flac"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_undo_stopped_half_way_ends_as_one_never_stopped(fixed, sig):
    """Run again after the stop, the undo found the values the stopped run had put back at
    their old value and left their findings fixed: their reports said fixed what was undone,
    and `decide` did not ask them again."""
    home, lib, session = fixed
    moment = time.time()
    time.sleep(0.01)  # a file written from now on has a later time
    run = stopped_when("undo_changes.py", lambda: changed_since(lib, moment) >= 3, sig,
                       "--home", home, "--session", session)  # fmt: skip
    proc, out, err = run, run.stdout, run.stderr
    if sig == signal.SIGINT:
        assert proc.returncode == 130, out + err
        assert err.endswith("interrupted: what was put back stays; the same undo command "
                            "finishes it and opens their decisions again\n"), err  # fmt: skip
    else:
        assert proc.returncode == -signal.SIGKILL
    assert changed_since(lib, moment) < ARTISTS * 3  # stopped half-way
    # Its journal holds every change it planned, written before the files: undo --list said
    # "90 changes to 30 artists" of an undo that had written a few.
    listed = run_script("undo_changes.py", "--home", home, "--list", "--json")
    (stopped,) = [s for s in json.loads(listed.stdout)["sessions"] if s["session"] != session]
    assert stopped["stopped"] is True, stopped
    shown = run_script("undo_changes.py", "--home", home, "--list").stdout
    assert (f"{stopped['session']}  stopped before it finished: {ARTISTS * 3} changes to "
            f"{ARTISTS} artists planned, not all written") in shown, shown

    again = run_script("undo_changes.py", "--home", home, "--session", session)
    assert again.returncode == 0, again.stdout + again.stderr
    assert titles(lib) == {"Song 1 ", "Song 2 ", "Song 3 "}
    assert still_fixed(home) == 0, again.stdout
    assert f"To check these {ARTISTS} artists again" in again.stdout, again.stdout
    listed = run_script("undo_changes.py", "--home", home, "--list", "--json")
    finished = json.loads(listed.stdout)["sessions"][-1]
    assert finished["session"] not in (session, stopped["session"])
    assert finished["stopped"] is False  # the undo run to its end: what it wrote
