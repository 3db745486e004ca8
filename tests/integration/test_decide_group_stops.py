"""``decide --all`` stopped half-way (Ctrl+C, kill -9): what it decided before the stop is one
session that ``undo --session`` takes back whole, its id said on a Ctrl+C with the line that
the same command decides the rest (exit 130); each item is decided whole or not at all (its
tags written and its decision closed together). Real files, the real command in a
subprocess, the signal sent once the first item is decided (the process held with SIGSTOP
meanwhile, so that it cannot finish first)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers import batched_home, run_script, stopped_when

ARTISTS = 30


def library_spec() -> dict:
    """Artists whose album's first two tracks have their tag numbers swapped (the file names
    say 1 and 2, the tags 2 and 1): one filename-mismatch decision each."""
    spec = {}
    for a in range(ARTISTS):
        for n in (1, 2, 3):
            tags = {"title": f"Song {n}", "artist": f"Artist {a:02}", "album": "Album",
                    "date": "2001", "tracknumber": str({1: 2, 2: 1}.get(n, n))}  # fmt: skip
            spec[f"Artist {a:02}/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags}
    return spec


@pytest.fixture
def fresh(tmp_path):
    """A data home whose offline batch left each artist's decision open, and its library."""
    home, lib, batch = batched_home(tmp_path, library_spec(), "--batch-size", ARTISTS)
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home, lib


def decide(home: Path, *args) -> subprocess.CompletedProcess:
    return run_script("decide.py", "--home", home, *args)


def open_in(home: Path) -> int:
    shown = decide(home, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["total"]


def decided_sessions(home: Path) -> dict[str, str]:
    """Each artist's filename-mismatch decision: the session that decided it ("": open)."""
    found = {}
    for document in (home / "outputs" / "music" / "artists").glob("*.json"):
        data = json.loads(document.read_text())
        (session,) = {(f.get("decided") or {}).get("session", "")
                      for f in data["findings"] if f["code"] == "filename-mismatch"}  # fmt: skip
        found[data["name"]] = session
    return found


def numbers(lib: Path) -> dict[str, tuple[str, str]]:
    """Each artist's first two tracks' tag numbers."""
    import mutagen

    def number(track: Path) -> str:
        return mutagen.File(track)["tracknumber"][0]

    return {a.name: tuple(number(a / "2001 - Album" / f"0{n} - Song {n}.flac") for n in (1, 2))
            for a in sorted(lib.iterdir())}  # fmt: skip


def stopped(home: Path, sig: int, *args) -> subprocess.CompletedProcess:
    """``decide music --all ARGS`` sent ``sig`` once it has decided its first artist: held
    (SIGSTOP) as soon as that is seen, signalled, then let go."""
    return stopped_when("decide.py", lambda: any(decided_sessions(home).values()), sig,
                        "--home", home, "music", "--all", *args)  # fmt: skip


@pytest.mark.parametrize("args", [("--dismiss", "filename-mismatch"),
                                  ("--group", "filename-mismatch", "--choose", "1")])  # fmt: skip
def test_a_ctrl_c_says_the_session_it_decided_and_the_same_command_decides_the_rest(fresh, args):
    """A Ctrl+C printed only "interrupted": the session of what it had decided was never
    said, and a dismissal's could not be undone at all ("no journaled changes")."""
    home, lib = fresh
    before = numbers(lib)
    done = stopped(home, signal.SIGINT, *args)
    assert done.returncode == 130, done.stdout + done.stderr
    said = re.search(r"interrupted: (\d+) decisions? in (\d+) artists? closed .* before the stop, "
                     r"as one session; to take them back:\n  .* undo --home .* --session (\S+)\n"
                     r"the decisions of (\d+) more artists? are still open: the same command "
                     r"decides them", done.stderr)  # fmt: skip
    assert said, done.stderr
    closed, _, session, rest = said.groups()
    assert 1 <= int(closed) < ARTISTS and int(closed) + int(rest) == ARTISTS
    assert "Traceback" not in done.stderr
    decided = decided_sessions(home)
    assert set(decided.values()) <= {"", session}
    assert sum(1 for s in decided.values() if s == session) == int(closed)
    assert open_in(home) == int(rest)
    if "--choose" in args:  # an artist's tags are written just where its decision was closed
        now = numbers(lib)
        for artist, s in decided.items():
            assert now[artist] == (("1", "2") if s else before[artist]), artist

    undone = run_script("undo_changes.py", "--home", home, "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert open_in(home) == ARTISTS
    assert numbers(lib) == before

    again = decide(home, "music", "--all", *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{ARTISTS} decisions in {ARTISTS} artists closed" in again.stdout
    assert open_in(home) == 0


def test_a_kill_half_way_is_finished_by_the_same_command_and_undone_whole(fresh):
    """kill -9 half-way through a dismissal (as its first item was written): that artist's
    document said dismissed while its queue counts still asked, so `decide` listed a decision
    that `decide music NAME` said was not there, for good; and the session had no record,
    so `undo --session` said "no journaled changes" and its dismissals stayed."""
    home, _ = fresh
    done = stopped(home, signal.SIGKILL, "--dismiss", "filename-mismatch")
    assert done.returncode == -signal.SIGKILL
    (killed,) = {s for s in decided_sessions(home).values() if s}

    again = decide(home, "music", "--all", "--dismiss", "filename-mismatch")
    assert again.returncode == 0, again.stdout + again.stderr
    assert open_in(home) == 0
    assert set(decided_sessions(home).values()) <= {killed, session_of(again.stdout)}

    for session in (killed, session_of(again.stdout)):
        undone = run_script("undo_changes.py", "--home", home, "--session", session)
        assert undone.returncode == 0, undone.stdout + undone.stderr
    assert open_in(home) == ARTISTS
    assert set(decided_sessions(home).values()) == {""}


def session_of(stdout: str) -> str:
    """The session whose undo a group's decision printed."""
    return stdout.rsplit("--session ", 1)[1].split()[0]


def test_a_group_again_after_a_kill_says_a_value_the_file_holds_already_as_such(fresh):
    """A kill after an artist's tags were written but before its decision was closed left
    that artist asked; the group again printed "set tracknumber of ...: '2' -> '1'" for
    files that held 1 already, a write it did not make. Made exactly: the values the stopped
    run wrote are written to Artist 00's files before the group runs."""
    import mutagen

    home, lib = fresh
    album = lib / "Artist 00" / "2001 - Album"
    for n in (1, 2):  # as choice 1 (the file name's number) writes them
        track = mutagen.File(album / f"0{n} - Song {n}.flac")
        track["tracknumber"] = str(n)
        track.save()

    again = decide(home, "music", "--all", "--group", "filename-mismatch", "--choose", "1")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "tracknumber of Artist 00/2001 - Album/01 - Song 1.flac: already '1'" in again.stdout
    assert "set tracknumber of Artist 00/" not in again.stdout  # no write said
    assert "set tracknumber of Artist 01/2001 - Album/01 - Song 1.flac: '2' -> '1'" in again.stdout
    assert f"{ARTISTS} decisions in {ARTISTS} artists closed" in again.stdout
    assert numbers(lib)["Artist 00"] == ("1", "2")
