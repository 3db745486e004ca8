"""The data home's list of folders where a killed process may leave files behind, and the
sweep every command runs (mediakeeper.fs.left_behind, mediakeeper.fs.sweep): the temp copy
of a swap cut short by a kill is deleted by the next command, whatever it is."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.core import writemode
from mediakeeper.fs import left_behind
from mediakeeper.fs.names import TEMP_PREFIX, home_id
from mediakeeper.fs.sweep import Swept, sweep, sweep_home
from mediakeeper.system.processes import start_time
from mediakeeper.text.wording import format_size
from tests.helpers import leaves_decisions

HOME = "0123456789"  # a data home's id
STRACE = shutil.which("strace")


def copy_name(home: str, pid: int, suffix: str = ".flac") -> str:
    return f"{TEMP_PREFIX}{home}.{pid}-1.tmp{suffix}"


def test_a_folder_is_named_once_with_its_process_and_read_back(tmp_path):
    listed, album = tmp_path / "status" / "writes" / "list", str(tmp_path / "Artist" / "Album")
    for _ in range(3):
        left_behind.name_temps_folder(listed, album)
    assert listed.read_text() == f"temps {os.getpid()} {album}\n"
    assert left_behind.temps_line(f"temps {os.getpid()} {album}") == (os.getpid(), album)
    assert left_behind.temps_line(album) is None  # a folder of replaced originals
    assert left_behind.temps_line("temps x /a") is None
    left_behind.name_temps_folder(listed, "/a\nb")  # a name a line cannot hold: not listed
    assert listed.read_text().count("\n") == 1


def test_a_process_remembers_only_its_last_folders(tmp_path):
    """Memory stays flat over a library's thousands of albums; a folder met again after
    many others is named again, which costs a line, never a copy left unlisted."""
    listed = tmp_path / "list"
    folders = [str(tmp_path / f"Album {n}") for n in range(200)]
    for folder in folders + folders[:1]:
        left_behind.name_temps_folder(listed, folder)
    lines = listed.read_text().splitlines()
    assert len(lines) == 201 and lines[0] == lines[-1]
    assert len(left_behind._named) <= left_behind._RECENT


def test_sweep_deletes_ended_processes_copies_of_this_home_and_keeps_a_running_ones(
    tmp_path, dead_pid
):
    ended, busy, other = tmp_path / "Ended", tmp_path / "Busy", tmp_path / "Other home"
    for folder in (ended, busy, other):
        folder.mkdir()
        (folder / "01 - Song.flac").write_bytes(b"the user's track")
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (ended / copy_name(HOME, dead_pid)).write_bytes(b"x" * 5000)
        (ended / copy_name("9876543210", dead_pid)).write_bytes(b"another data home's")
        (busy / copy_name(HOME, running.pid)).write_bytes(b"being made")
        (other / copy_name(HOME, dead_pid)).write_bytes(b"listed by no line of this home")
        listed = tmp_path / "list"
        listed.write_text(f"temps {dead_pid} {ended}\ntemps {running.pid} {busy}\n"
                          f"temps {dead_pid} {tmp_path / 'Gone'}\n")  # fmt: skip
        assert sweep(listed, HOME) == Swept(temps=1, temps_size=5000)
        assert sorted(p.name for p in ended.iterdir()) == [
            copy_name("9876543210", dead_pid), "01 - Song.flac"]  # fmt: skip
        assert len(list(busy.iterdir())) == 2 and len(list(other.iterdir())) == 2
        assert listed.read_text() == f"temps {running.pid} {busy}\n"  # the ended ones forgotten
    finally:
        running.kill()
        running.wait()
    # Ended now: what it left is deleted, and nothing more can be left there.
    assert sweep(listed, HOME) == Swept(temps=1, temps_size=len(b"being made"))
    assert sorted(p.name for p in busy.iterdir()) == ["01 - Song.flac"]
    assert listed.read_text() == ""


def test_sweep_deletes_the_atomic_writes_temp_files_of_the_ended_process_a_line_names(
    tmp_path, dead_pid
):
    """An atomic write's temp name (a movie's .nfo, a cover) carries no data home: only the
    process that named the folder is known to have made it."""
    movie = tmp_path / "The Matrix (1999)"
    movie.mkdir()
    (movie / "movie.nfo").write_bytes(b"<movie/>")
    (movie / f".movie.nfo.{dead_pid}-3.tmp").write_bytes(b"<movie><ti")
    (movie / f".poster.jpg.{dead_pid + 1}-0.tmp").write_bytes(b"made by a process no line names")
    (movie / f".notes.txt.{dead_pid}-3.tmp.bak").write_bytes(b"not a temp file of ours")
    listed = tmp_path / "list"
    left_behind.name(listed, f"temps {dead_pid} {movie}")
    assert sweep(listed, HOME) == Swept(temps=1, temps_size=len(b"<movie><ti"))
    assert sorted(p.name for p in movie.iterdir()) == [
        f".notes.txt.{dead_pid}-3.tmp.bak", f".poster.jpg.{dead_pid + 1}-0.tmp", "movie.nfo"]
    assert listed.read_text() == ""


# One tag write in copy mode, as a batch's worker makes it: the track is copied beside
# itself, the copy changed and flushed, then swapped in.
_WRITES_ONE = """
import sys
from pathlib import Path
from mediakeeper import tags
from mediakeeper.core import writemode
from mediakeeper.fs.names import home_id
track, home = Path(sys.argv[1]), Path(sys.argv[2])
policy = writemode.policy_for(home / "status", writemode.Writing(writemode.COPY))
sys.exit(1 if tags.write_many([tags.FileWrite(track, {"title": "New"})], policy=policy,
                              owner=home_id(home)) else 0)
"""


def tracing_the_list(*calls: str) -> list[str]:
    """strace's options to show every write with its bytes and every flush (what
    ``flushed_after_naming`` reads), and ``calls``."""
    return ["-f", "-y", "-s", "4096", "-e", "trace=" + ",".join(("write", "fsync", *calls))]


def flushed_after_naming(calls: list[str], line: str) -> int:
    """Where, in a trace made with ``tracing_the_list``, the list was first flushed after
    ``line`` was written into it (-1: never): the line is on disk from there."""
    listed = f"{writemode.LEFT_BEHIND_LIST}>"
    wrote = [i for i, c in enumerate(calls)
             if c.split(maxsplit=1)[-1].startswith("write(") and listed in c
             and f'"{line}\\n"' in c]  # fmt: skip
    if not wrote:
        return -1
    return next((i for i, c in enumerate(calls)
                 if i > wrote[0] and "fsync(" in c and listed in c), -1)  # fmt: skip


def killed_while_copying(track: Path, home: Path, trace: Path) -> None:
    """The write above, killed (SIGKILL, by strace) as its copy's flush begins: the copy is
    whole beside the track, not yet swapped in."""
    command = [STRACE, *tracing_the_list("openat", "sync_file_range"), "-o", str(trace),
               "-e", "inject=sync_file_range:signal=SIGKILL:when=1",
               sys.executable, "-c", _WRITES_ONE, str(track), str(home)]  # fmt: skip
    child = subprocess.run(command, capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr  # strace dies of its signal


@pytest.mark.skipif(STRACE is None, reason="needs strace, to kill the write at its instant")
def test_a_copy_a_killed_write_left_is_deleted_by_the_next_command_which_says_so(
    tmp_path, one_track_done, music_script
):
    _library, home, track = one_track_done
    album = track.parent
    original = track.read_bytes()
    killed_while_copying(track, home, tmp_path / "trace")
    copies = [p for p in album.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert len(copies) == 1, sorted(p.name for p in album.iterdir())
    size = copies[0].stat().st_size
    # The folder was named, with the process, and flushed before the copy was made.
    calls = (tmp_path / "trace").read_text().splitlines()
    made = [(i, int(c.split()[0])) for i, c in enumerate(calls)
            if "openat(" in c and re.search(re.escape(TEMP_PREFIX + home_id(home)), c)]  # fmt: skip
    assert made, calls
    flushed = flushed_after_naming(calls, f"temps {made[0][1]} {album}")
    assert 0 <= flushed < made[0][0], calls

    listed = music_script("undo_changes.py", "--home", home, "--list")
    assert (f"deleted 1 temp file ({format_size(size)}) that a killed write had left in "
            "the library") in listed.stderr  # fmt: skip
    assert sorted(p.name for p in album.iterdir()) == ["01 - One.flac"]
    assert track.read_bytes() == original
    assert tags.read(track).tags["title"] == "One"
    again = music_script("undo_changes.py", "--home", home, "--list")
    assert "temp file" not in again.stderr
    assert left_behind.list_of(home / "status").read_text() == ""


def test_a_batch_forgets_the_folders_its_workers_named_when_it_ends(
    tmp_path, music_library, music_script, monkeypatch
):
    """Else the next command would read every album folder a copy was made in again."""
    library, home = tmp_path / "Music", tmp_path / "home"
    music_library(library, {f"Artist/Album {n}/01 - One.flac": {"tags": {"title": " One"}}
                            for n in range(3)})  # fmt: skip
    monkeypatch.setenv("MEDIAKEEPER_MUSIC_WRITE_MODE", writemode.COPY)  # a copy for each fix
    run = music_script("process_music_batch.py", "--home", home, "--library", library)
    assert leaves_decisions(run), run.stdout + run.stderr  # the tracks' missing tags
    assert all(tags.read(p).tags["title"] == "One" for p in library.rglob("*.flac"))
    listed = left_behind.list_of(home / "status")
    assert listed.read_text().splitlines() == []


# A command writing into its data home, in the middle of an atomic write of an output; a
# worker it forked, in the middle of one of its own. argv: the data home's status/, then
# "kill" (both are killed with SIGKILL, as a batch's workers die with it), "lost" (the worker
# is killed, the command ends) or "end" (both end normally). It prints its pid, and whether
# its line was still in the list once the worker had ended.
_WRITES_THE_HOME = """
import os, signal, sys
from pathlib import Path
from mediakeeper.fs import left_behind
from mediakeeper.fs.atomic import create_temp
status, how = Path(sys.argv[1]), sys.argv[2]
left_behind.writing_home(status)  # as the command opens a new data home: no list to name it in
left_behind.writing_home(status, create=True)  # its batch makes the list
left_behind.writing_home(status, create=True)  # named once
fd, temp = create_temp(status.parent / "outputs" / "music" / "artists", ".a1.json.", ".tmp")
os.write(fd, b'{"name": "Art')
if os.fork() == 0:
    fd, its_temp = create_temp(status / "music" / "work", ".a2.json.", ".tmp")
    os.write(fd, b"worker's")
    if how == "end":
        os.unlink(its_temp)
        sys.exit(0)  # runs the exit handlers it was forked with
    os.kill(os.getpid(), signal.SIGKILL)
os.wait()
print(os.getpid(), f"home {os.getpid()} " in left_behind.list_of(status).read_text())
if how == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
os.unlink(temp)  # its write ends
if how == "lost":
    left_behind.lost_a_worker()
"""


def home_temps(home: Path) -> list[str]:
    return sorted(p.name for p in home.rglob(".*.tmp"))


def writing_the_home(home: Path, how: str, child_env) -> int:
    run = subprocess.run([sys.executable, "-c", _WRITES_THE_HOME, str(home / "status"), how],
                         env=child_env, capture_output=True, text=True)  # fmt: skip
    assert run.stderr == "", run.stderr
    pid, named = run.stdout.split()
    assert named == "True"  # a forked worker's end takes nothing away
    return int(pid)


def test_the_temp_files_a_killed_command_left_in_its_data_home_are_deleted_by_the_next(
    tmp_path, child_env
):
    home = tmp_path / "home"
    pid = writing_the_home(home, "kill", child_env)
    listed = left_behind.list_of(home / "status")
    assert listed.read_text().startswith(f"home {pid} ") and listed.read_text().count("\n") == 1
    assert len(home_temps(home)) == 2
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a running command's write in progress is its own
        (home / "outputs" / f".tracks.csv.{running.pid}-0.tmp").write_bytes(b"being made")
        (home / "outputs" / f".index.md.{os.getpid()}-0.tmp").write_bytes(b"the sweeper's own")
        (home / "outputs" / f".notes.{pid}-0.tmp.txt").write_bytes(b"not a temp file of ours")
        its_line = f"home {running.pid} {start_time(running.pid)} {home}"
        left_behind.name(listed, its_line, durable=False)
        swept = sweep_home(home / "status")
        written = len(b'{"name": "Art') + len(b"worker's")
        assert (swept.home_temps, swept.home_temps_size) == (2, written)
        assert home_temps(home) == sorted(
            [f".index.md.{os.getpid()}-0.tmp", f".tracks.csv.{running.pid}-0.tmp"])  # fmt: skip
        assert (home / "outputs" / f".notes.{pid}-0.tmp.txt").exists()
        assert listed.read_text() == its_line + "\n"  # the data home is walked once
    finally:
        running.kill()
        running.wait()


def test_a_command_that_ends_takes_its_line_away_unless_it_lost_a_worker(tmp_path, child_env):
    """A command that ends has no temp file left (each atomic write ends whole, or removes
    its own): nothing to walk the data home for. A worker that died may have left one: then
    the line stays, and the next command looks."""
    home = tmp_path / "home"
    writing_the_home(home, "end", child_env)
    listed = left_behind.list_of(home / "status")
    assert listed.read_text() == "" and home_temps(home) == []
    pid = writing_the_home(home, "lost", child_env)
    assert listed.read_text().startswith(f"home {pid} ")
    assert len(home_temps(home)) == 1  # the worker's
    assert sweep_home(home / "status").home_temps == 1
    assert home_temps(home) == [] and listed.read_text() == ""


def test_any_command_says_what_it_deleted_in_the_data_home(tmp_path, child_env, music_script):
    home = tmp_path / "home"
    writing_the_home(home, "kill", child_env)
    listed = music_script("undo_changes.py", "--home", home, "--list")
    assert ("deleted 2 temp files (21 bytes) that a killed command had left in the data home"
            in listed.stderr), listed.stderr  # fmt: skip
    assert home_temps(home) == []
    again = music_script("undo_changes.py", "--home", home, "--list")
    assert "temp file" not in again.stderr
    assert left_behind.list_of(home / "status").read_text() == ""  # its own line gone too


# A command that names its data home and runs one worker, which dies (SIGKILL: out of memory,
# or killed by a person) on its item; the command goes on and ends normally.
_LOSES_A_WORKER = """
import os, signal, sys
from pathlib import Path
from mediakeeper.batch.workers import Workers
from mediakeeper.fs import left_behind
left_behind.writing_home(Path(sys.argv[1]), create=True)
def dies(item):
    os.kill(os.getpid(), signal.SIGKILL)
workers = Workers(1, run=dies, lost=lambda item: "lost")
workers.submit(1)
assert workers.next_result() == (1, "lost")
workers.stop(at_once=False)
print(os.getpid())
"""


def test_a_command_whose_worker_died_keeps_its_line_for_the_next_command(tmp_path, child_env):
    """The worker set itself says a worker was lost: its temp file in the data home, if it
    left one, is looked for by the next command."""
    status = tmp_path / "home" / "status"
    run = subprocess.run([sys.executable, "-c", _LOSES_A_WORKER, str(status)],
                         env=child_env, capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert left_behind.list_of(status).read_text().startswith(f"home {run.stdout.strip()} ")


_SWEEPS = """
import sys
from pathlib import Path
from mediakeeper.fs import left_behind
left_behind.sweep(Path(sys.argv[1]), lambda line: line.startswith("keep"))
"""


@pytest.mark.skipif(STRACE is None, reason="needs strace, to kill the sweep at its instant")
@pytest.mark.parametrize("call", ["write", "ftruncate"])
def test_a_sweep_killed_while_it_rewrites_the_list_loses_no_line_still_needed(tmp_path, call):
    """The list is rewritten in place (a process may be waiting on its lock): killed at any
    step of that, every line it keeps is still there, and the next sweep forgets the rest."""
    listed = tmp_path / "list"
    listed.write_text("gone 1\nkeep 2\ngone 3\nkeep 4\n")
    killed = subprocess.run(
        [STRACE, "-f", "-qq", "-o", "/dev/null", "-P", str(listed), "-e", f"trace={call}",
         "-e", f"inject={call}:signal=SIGKILL:when=1", sys.executable, "-c", _SWEEPS,
         str(listed)], capture_output=True, text=True,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # strace dies of its signal
    lines = listed.read_text().splitlines()
    assert {"keep 2", "keep 4"} <= set(lines), lines
    left_behind.sweep(listed, lambda line: line.startswith("keep"))
    assert listed.read_text() == "keep 2\nkeep 4\n"


@pytest.mark.skipif(STRACE is None, reason="needs strace, to kill the batch at its instant")
def test_a_first_batch_killed_as_it_puts_its_new_queue_in_place_leaves_nothing_behind(
    tmp_path, music_library, music_script
):
    """Creating the queue is the data home's first write: the temp file of the new queue
    that a kill leaves is found by the next command, as every later write's is."""
    library, home = tmp_path / "Music", tmp_path / "home"
    music_library(library, {"Artist/Album/01 - One.flac": {"tags": {"title": "One"}}})
    killed = subprocess.run(
        [STRACE, "-f", "-qq", "-o", "/dev/null", "-e", "trace=rename",
         "-e", "inject=rename:signal=SIGKILL:when=1", sys.executable,
         "utilities/process_music_batch.py", "--home", str(home), "--library", str(library)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # strace dies of its signal
    left = home_temps(home)
    assert [re.sub(r"\d+-\d+", "N", name) for name in left] == [".processing_queue.json.N.tmp"]
    size = next(home.rglob(left[0])).stat().st_size
    listed = music_script("undo_changes.py", "--home", home, "--list")
    assert (f"deleted 1 temp file ({format_size(size)}) that a killed command had left in the "
            "data home") in listed.stderr, listed.stderr  # fmt: skip
    assert home_temps(home) == []
