"""``dupes set-aside`` under a kill, a full disk and edits (issue 69, points 4 and 17): real
files, the real command in a subprocess, SIGKILL at many instants, a holding folder on a
real small tmpfs (another file system: every move a copy), another program's edits.

- a kill at any instant leaves every file whole at one place or both (never neither, never
  a partial copy at a visible name); the next set-aside or undo finishes the move cut short,
  and then each file is at exactly one place, with no second copy `(2)`;
- a full holding disk leaves no partial copy, names the full file system, and what was moved
  is undone whole;
- a copy retagged with its size and time kept, or a group whose kept copy changed, is refused
  with one clear line;
- the session is listed by `undo --list` and `sessions list`;
- the folders the moves empty are removed, and made again by the undo."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.fs.checks import content_hash
from mediakeeper.text.commands import kind_command
from tests.helpers import REPO_ROOT, script_env, small_tmpfs, wait_until
from tests.helpers.dupes import mediakeeper, scanned
from tests.helpers.melody import encode, melody_wav

TRACKS = 4


def album_twice(root: Path) -> Path:
    """An album in FLAC and again as an MP3 rip in another artist folder (no tag the FLAC
    would gain: setting aside writes nothing into the kept files)."""
    lib = root / "Music"
    for n in range(1, TRACKS + 1):
        wav = melody_wav(root / f"{n}.wav", 20 + n, 12)
        encode(wav, lib / "Artist" / "Album" / f"0{n} - Song {n}.flac")
        encode(wav, lib / "Artist (rip)" / "Album (mp3)" / f"0{n} - Song {n}.mp3", "-b:a", "192k")
        wav.unlink()
    (lib / "Artist (rip)" / "Album (mp3)" / "folder.jpg").write_bytes(b"\xff\xd8 its cover")
    return lib


def holding_at(home: Path, holding: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "mediakeeper.toml").write_text(f'[dupes]\nholding = "{holding}"\n')


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}  # fmt: skip


def session_of(stdout: str) -> str:
    """The session whose undo the set-aside printed."""
    return stdout.split("To put them back: ")[1].split("--session ")[1].split()[0]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A scanned home, and its library's files kept aside under ``kept/`` to start each case
    from (linked back at the library's path: the inodes, sizes and times the scan saw)."""
    root = tmp_path_factory.mktemp("pristine")
    lib = album_twice(root)
    home = root / "home"
    holding_at(home, root / "unused")
    (group,) = scanned(home, lib)
    assert group["level"] == "album"
    lib.rename(root / "kept")
    return root, lib, home, group


def fresh(pristine, where: Path, holding: Path) -> tuple[Path, Path]:
    """The library linked back at its own path from ``kept/``, and a copy of the scanned
    home with ``holding`` as its holding folder."""
    root, lib, home, _ = pristine
    if lib.exists():
        shutil.rmtree(lib)
    shutil.copytree(root / "kept", lib, copy_function=os.link)
    copy = where / "home"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(home, copy)
    holding_at(copy, holding)
    return lib, copy


def original(pristine) -> dict[str, bytes]:
    return files_of(pristine[0] / "kept")


def assert_each_once(lib: Path, holding: Path, before: dict[str, bytes], *, moved: bool) -> None:
    """Each file whole at exactly one place: all MP3s in the holding folder (``moved``) or all
    back in the library; no temp or second copy anywhere; no empty folder left behind."""
    now_lib, now_held = files_of(lib), files_of(holding)
    rip = {k: v for k, v in before.items() if k.startswith("Artist (rip)/")}  # and its cover
    kept = {k: v for k, v in before.items() if k not in rip}
    assert now_held == (rip if moved else {}), sorted(now_held)
    assert now_lib == (kept if moved else before), sorted(now_lib)
    if moved:
        assert not (lib / "Artist (rip)").exists()  # the folders the moves emptied: removed


@pytest.fixture
def other_disk(tmp_path):
    with small_tmpfs(tmp_path / "held", "64m") as held:
        yield held


def kill_at(home: Path, lines: int, delay: float) -> subprocess.CompletedProcess | None:
    """``set-aside --all`` killed with SIGKILL once its journal holds ``lines`` lines and
    ``delay`` seconds more; None when it finished first."""
    journals = home / "status" / "dupes" / "moves"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediakeeper", "dupes", "set-aside", "--all", "--home", str(home)],
        cwd=REPO_ROOT, env=script_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)  # fmt: skip

    def reached() -> bool:
        if proc.poll() is not None:
            return True
        written = [p for p in journals.glob("*.jsonl")] if journals.exists() else []
        return any(p.read_bytes().count(b"\n") >= lines for p in written) or lines == 0

    assert wait_until(reached, limit=120), f"the journal never reached {lines} lines"
    if delay:
        wait_until(lambda: proc.poll() is not None, limit=delay)
    if proc.poll() is not None:
        out, err = proc.communicate()
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return None


def killed_session(home: Path) -> str | None:
    journals = sorted((home / "status" / "dupes" / "moves").glob("*.jsonl"))
    made = [p.stem for p in journals if b'"from"' in p.read_bytes()]
    return made[-1] if made else None


# (journal lines reached, then seconds) at which the kill comes: before the first move,
# during each file's move (the copy, the rename, the removal), between moves, at the end.
INSTANTS = [(0, 0.0), (0, 0.4), *((n, d) for n in range(1, 2 * TRACKS + 2)
                                   for d in (0.0, 0.003, 0.02))]  # fmt: skip


@pytest.mark.parametrize(("lines", "delay"), INSTANTS)
def test_a_kill_at_any_instant_is_finished_by_the_next_command(pristine, tmp_path, other_disk,
                                                                lines, delay):  # fmt: skip
    """A kill -9 left a file in the library and in the holding folder; undo then left it
    there ("another file is at its own path"), and a new set-aside made `02 S1 (2).mp3`."""
    before = original(pristine)
    lib, home = fresh(pristine, tmp_path, other_disk)
    finished = kill_at(home, lines, delay)
    if finished is not None:
        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert_each_once(lib, other_disk, before, moved=True)
        return
    # right after the kill: every file whole somewhere, nothing partial at a visible name
    lib_now, held_now = files_of(lib), files_of(other_disk)
    for name, data in before.items():
        assert lib_now.get(name) == data or held_now.get(name) == data, name
    assert all(before[k] == v for k, v in held_now.items() if not Path(k).name.startswith("."))
    session = killed_session(home)
    journal = home / "status" / "dupes" / "moves" / f"{session}.jsonl"
    cut = bool(session) and b'"end"' not in journal.read_bytes()
    made = []
    if lines % 2 and session:  # undo the killed session first: everything back, once
        undone = mediakeeper(home, "undo", "--session", session)
        assert undone.returncode == 0, undone.stdout + undone.stderr
        assert "another file is at its own path" not in undone.stdout
        assert_each_once(lib, other_disk, before, moved=False)
    elif session:
        made.append(session)
    again = mediakeeper(home, "dupes", "set-aside", "--all")
    assert again.returncode == 0, again.stdout + again.stderr
    assert " (2)" not in again.stdout
    assert_each_once(lib, other_disk, before, moved=True)
    if cut and not lines % 2:
        assert f"finished set-aside session {session}" in again.stdout
    if "To put them back: " in again.stdout:
        made.append(session_of(again.stdout))
    for each in reversed(made):  # newest first
        undone = mediakeeper(home, "undo", "--session", each)
        assert undone.returncode == 0, undone.stdout + undone.stderr
    assert_each_once(lib, other_disk, before, moved=False)


def fill(where: Path, leave: int) -> Path:
    """Write to ``where`` until the file system refuses, then give back ``leave`` bytes."""
    path = where / "filler"
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as err:
            assert err.errno == 28, err
    os.truncate(path, max(0, path.stat().st_size - leave))
    return path


def test_a_full_holding_disk_is_named_and_leaves_no_partial_copy(pristine, tmp_path):
    """A full holding disk left a partial file there (undo left it too), and the message
    named the library's disk instead of the full one."""
    before = original(pristine)
    mp3s = sorted(k for k in before if k.endswith(".mp3"))
    need = sum(len(before[k]) for k in mp3s)
    with small_tmpfs(tmp_path / "held", "8m") as held:
        lib, home = fresh(pristine, tmp_path, held)
        # not room enough for all: refused before anything moves, the full disk named
        filler = fill(held, need // 2)
        refused = mediakeeper(home, "dupes", "set-aside", "--all")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        said = refused.stderr.strip().splitlines()[-1]
        assert said.startswith("Error: disk full: ") and f"mounted at {held};" in said, said
        assert "nothing was moved" in said
        assert files_of(lib) == before and files_of(held) == {"filler": files_of(held)["filler"]}
        # room by the sizes, not by the blocks each file takes: the last copy finds it full
        filler.unlink()
        fill(held, need + 4096 - need % 4096)
        stopped = mediakeeper(home, "dupes", "set-aside", "--all")
        assert stopped.returncode == 1, stopped.stdout + stopped.stderr
        said = stopped.stderr.strip().splitlines()[-1]
        assert said.startswith("Error: disk full: could not write ") and str(held) in said, said
        assert f"(no space left on the file system mounted at {held})" in said, said
        held_now = {k: v for k, v in files_of(held).items() if k != "filler"}
        assert held_now and all(before[k] == v for k, v in held_now.items())  # whole, or none
        assert not [k for k in held_now if Path(k).name.startswith(".")]  # no temp left
        assert all(k in files_of(lib) for k in mp3s if k not in held_now)
        undone = mediakeeper(home, "undo", "--session", session_of(stopped.stdout))
        assert undone.returncode == 0, undone.stdout + undone.stderr
        assert files_of(lib) == before


def test_a_retagged_copy_with_its_time_kept_and_a_changed_kept_copy_are_refused(
    pristine, tmp_path
):
    """A copy retagged by another program between the scan and the set-aside (its mtime
    kept) was moved all the same, and so was a group whose kept copy changed."""
    import mutagen

    lib, home = fresh(pristine, tmp_path, tmp_path / "held")
    group = pristine[3]
    mp3 = lib / "Artist (rip)" / "Album (mp3)" / "02 - Song 2.mp3"
    os.unlink(mp3)  # its own inode: the file kept aside stays as the scan saw it
    shutil.copy2(pristine[0] / "kept" / "Artist (rip)" / "Album (mp3)" / mp3.name, mp3)
    st = mp3.stat()
    data = mp3.read_bytes()
    at = data.index(b"Lavf") + 4  # the encoder's tag (ID3 TSSE): one character retagged
    with open(mp3, "r+b") as f:
        f.seek(at)
        f.write(b"9" if data[at : at + 1] != b"9" else b"8")
    os.utime(mp3, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert mp3.stat().st_size == st.st_size and mp3.stat().st_mtime_ns == st.st_mtime_ns
    done = mediakeeper(home, "dupes", "set-aside", group["id"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert (f"left alone {mp3}: changed since the scan (its size and time are the same, its "
            "bytes are not)") in done.stdout  # fmt: skip
    assert mp3.exists() and not (tmp_path / "held" / "Artist (rip)" / "Album (mp3)" /
                                 mp3.name).exists()  # fmt: skip
    # the kept copy changed: nothing of its group moves, said in one line
    (tmp_path / "second").mkdir()
    lib, home = fresh(pristine, tmp_path / "second", tmp_path / "held2")
    kept = lib / "Artist" / "Album" / "03 - Song 3.flac"
    os.unlink(kept)
    shutil.copy2(pristine[0] / "kept" / "Artist" / "Album" / kept.name, kept)
    audio = mutagen.File(kept)
    audio["title"] = "edited"
    audio.save()
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("left alone")]
    assert lines == [f"left alone {kept}: the copy kept was changed since the scan: nothing of "
                     f"group {group['id']} moved; run `{kind_command('dupes', 'scan', home)}` "
                     "again"], lines
    assert not (tmp_path / "held2").exists() or not files_of(tmp_path / "held2")
    assert content_hash(kept) != content_hash(pristine[0] / "kept" / "Artist" / "Album" /
                                              kept.name)  # fmt: skip


def test_the_session_is_listed_and_emptied_folders_go_and_come_back(pristine, tmp_path):
    """A set-aside session was found only by its journal's file name; set-aside left empty
    album folders in the library."""
    held = tmp_path / "held"
    lib, home = fresh(pristine, tmp_path, held)
    rip = lib / "Artist (rip)" / "Album (mp3)"
    (rip / "cover.jpg").write_bytes(b"\xff\xd8 a picture")  # what comes with the album
    (rip / "Thumbs.db").write_bytes(b"a file manager's")
    before = files_of(lib)
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (held / "Artist (rip)" / "Album (mp3)" / "cover.jpg").exists()
    session = session_of(done.stdout)
    assert f"removed the folder it emptied {lib / 'Artist (rip)' / 'Album (mp3)'}" in done.stdout
    assert f"removed the folder it emptied {lib / 'Artist (rip)'}" in done.stdout
    assert sorted(p.name for p in lib.iterdir()) == ["Artist"]
    listed = mediakeeper(home, "undo", "--list")
    assert f"{session}  {TRACKS + 3} files set aside (dupes)" in listed.stdout, listed.stdout
    as_json = json.loads(mediakeeper(home, "undo", "--list", "--json").stdout)["sessions"]
    assert {"session": session, "what": "set-aside", "files": TRACKS + 3, "undo_of": None,
            "undone": None} in as_json  # fmt: skip
    sessions = mediakeeper(home, "sessions", "list", "--json")
    (row,) = [r for r in json.loads(sessions.stdout) if r["id"] == session]
    assert row["kind"] == "dupes" and row["outcome"] == "completed"
    undone = mediakeeper(home, "undo", "--session", session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert files_of(lib) == before
    assert (lib / "Artist (rip)" / "Album (mp3)").is_dir()


def test_a_track_copy_set_aside_takes_its_folder_s_pictures_once_it_holds_no_audio(tmp_path):
    """A loose copy of one track, in a download's folder with its cover: the track went,
    the cover stayed, alone in the library, where an album copy's go with it. A folder still
    holding audio keeps its pictures, and the library's own top keeps its own."""
    lib, home = tmp_path / "Music", tmp_path / "home"
    wav = melody_wav(tmp_path / "1.wav", 31, 12)
    encode(wav, lib / "Artist" / "Album" / "01 - Song.flac")
    for n in (2, 3):  # the album's other tracks: it is an album, the download one track
        encode(melody_wav(tmp_path / f"{n}.wav", 31 + n, 12), lib / "Artist" / "Album" /
               f"0{n} - Song {n}.flac")  # fmt: skip
    encode(wav, lib / "Downloads" / "Song" / "01 - Song.mp3", "-b:a", "192k")
    (lib / "Downloads" / "Song" / "cover.jpg").write_bytes(b"\xff\xd8 the download's cover")
    (lib / "folder.jpg").write_bytes(b"\xff\xd8 the library's own")
    encode(wav, lib / "loose.mp3", "-b:a", "128k")  # at the top: a copy of the same track
    before = files_of(lib)
    groups = scanned(home, lib)
    assert [g["level"] for g in groups] == ["track"], groups
    dry = mediakeeper(home, "decide", "--all", "--group", "duplicate-track", "--choose", "1",
                      "--dry-run")  # fmt: skip
    assert "cover.jpg" in dry.stdout, dry.stdout + dry.stderr  # (its preview says it too)
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    held = home / "set-aside"
    assert sorted(files_of(held)) == ["Downloads/Song/01 - Song.mp3", "Downloads/Song/cover.jpg",
                                      "loose.mp3"], dry.stdout + done.stdout  # fmt: skip
    assert not (lib / "Downloads").exists() and (lib / "folder.jpg").exists()
    undone = mediakeeper(home, "undo", "--session", session_of(done.stdout))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert files_of(lib) == before


def test_verify_decisions_of_an_album_set_aside_follow_its_files(tmp_path):
    """Set-aside left the album folders in the library, verify counted them as missing on
    disk, and verify's decisions about the albums set aside stayed open."""
    from mediakeeper.demo import damage
    from tests.helpers.deciding import groups_of

    lib, home = album_twice(tmp_path), tmp_path / "home"
    holding_at(home, tmp_path / "held")
    damage.cut(lib / "Artist (rip)" / "Album (mp3)" / "02 - Song 2.mp3", keep=0.9)
    checked = mediakeeper(home, "verify", "batch", "--library", lib)
    assert checked.returncode == 1, checked.stdout + checked.stderr  # damage: a decision
    asked = {k: n for k, n in groups_of(home).items() if k[0] == "verify"}
    assert asked, groups_of(home)
    assert [g["level"] for g in scanned(home, lib)] == ["album"]
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (lib / "Artist (rip)").exists()
    assert not [k for k in groups_of(home) if k[0] == "verify"]  # gone with the files
    undone = mediakeeper(home, "undo", "--session", session_of(done.stdout))
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert {k: n for k, n in groups_of(home).items() if k[0] == "verify"} == asked  # back


def test_an_undo_never_takes_back_what_a_later_session_set_aside(pristine, tmp_path):
    """The undo of a set-aside undone already, or of one whose files a later session set aside
    again, put that later session's files back and left it listed as standing with nothing
    of its own to undo: an undone session is said undone, a file moved again is left alone."""
    held = tmp_path / "held"
    lib, home = fresh(pristine, tmp_path, held)
    rip = files_of(lib / "Artist (rip)")
    first = session_of(mediakeeper(home, "dupes", "set-aside", "--all").stdout)
    assert mediakeeper(home, "undo", "--session", first).returncode == 0
    assert mediakeeper(home, "dupes", "scan").returncode == 0
    second = session_of(mediakeeper(home, "dupes", "set-aside", "--all").stdout)
    again = mediakeeper(home, "undo", "--session", first)  # refused, as any session undone
    assert again.returncode == 2, again.stdout + again.stderr
    assert f"session {first} was undone already (" in again.stderr, again.stderr
    assert "put back" not in again.stdout, again.stdout
    assert files_of(held / "Artist (rip)") == rip  # the second session's, where it put them
    listed = mediakeeper(home, "undo", "--list").stdout.splitlines()
    assert f"{second}  {TRACKS + 1} files set aside (dupes)" in listed, listed
    # Put back by hand instead of by its undo, then set aside again: the first session's
    # undo leaves the second's files alone, each said, and the second's puts them back.
    assert mediakeeper(home, "undo", "--session", second).returncode == 0
    third = session_of(mediakeeper(home, "dupes", "set-aside", "--all").stdout)
    (held / "Artist (rip)").rename(lib / "Artist (rip)")
    assert mediakeeper(home, "dupes", "scan").returncode == 0
    fourth = session_of(mediakeeper(home, "dupes", "set-aside", "--all").stdout)
    third_undone = mediakeeper(home, "undo", "--session", third)
    assert third_undone.returncode == 1, third_undone.stdout + third_undone.stderr
    mp3 = lib / "Artist (rip)" / "Album (mp3)" / "01 - Song 1.mp3"
    assert f"left alone {mp3}: moved again by session {fourth} since" in third_undone.stdout
    assert f"0 files put back, {TRACKS + 1} left alone" in third_undone.stdout
    assert files_of(held / "Artist (rip)") == rip
    assert mediakeeper(home, "undo", "--session", fourth).returncode == 0
    assert files_of(lib / "Artist (rip)") == rip and files_of(held) == {}


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.6, 0.9, 1.2, 1.5])
def test_an_undo_killed_at_any_instant_is_finished_by_the_next_undo(pristine, tmp_path,
                                                                    other_disk, delay):  # fmt: skip
    """The undo's own moves (back from another disk: a copy, then the holding one removed)
    cut by a kill: the next undo puts back what is left, each file once."""
    before = original(pristine)
    lib, home = fresh(pristine, tmp_path, other_disk)
    done = mediakeeper(home, "dupes", "set-aside", "--all")
    assert done.returncode == 0, done.stdout + done.stderr
    session = session_of(done.stdout)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediakeeper", "undo", "--session", session, "--home", str(home)],
        cwd=REPO_ROOT, env=script_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)  # fmt: skip
    if not wait_until(lambda: proc.poll() is not None, limit=delay):
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    lib_now, held_now = files_of(lib), files_of(other_disk)
    for name, data in before.items():  # whole somewhere, at every instant
        assert lib_now.get(name) == data or held_now.get(name) == data, name
    again = mediakeeper(home, "undo", "--session", session)
    if again.returncode == 2:  # the kill came once the undo had finished and noted it: said
        assert f"session {session} was undone already (" in again.stderr, again.stderr
    else:  # cut short: the next undo finishes it
        assert again.returncode == 0, again.stdout + again.stderr
    assert "another file is at its own path" not in again.stdout, again.stdout
    assert_each_once(lib, other_disk, before, moved=False)


def test_an_undo_onto_a_full_library_disk_names_it_and_finishes_once_there_is_room(
    pristine, tmp_path
):
    """The library on a small file system, the holding folder on another: the undo copies
    each file back, and finds the library's disk full. One line names it, exit 1, no file
    lost nor cut (each whole at one place), and the same undo finishes once there is room."""
    before = original(pristine)
    root, lib, scanned_home, _ = pristine
    if lib.exists():
        shutil.rmtree(lib)
    held = tmp_path / "held"
    with small_tmpfs(lib, "16m"):
        # The files as the scan saw them (sizes, times, bytes), on the small disk.
        shutil.copytree(root / "kept", lib, copy_function=shutil.copy2, dirs_exist_ok=True)
        home = tmp_path / "home"
        shutil.copytree(scanned_home, home)
        holding_at(home, held)
        done = mediakeeper(home, "dupes", "set-aside", "--all")
        assert done.returncode == 0, done.stdout + done.stderr
        session = session_of(done.stdout)
        filler = fill(lib, 0)
        full = mediakeeper(home, "undo", "--session", session)
        assert full.returncode == 1, full.stdout + full.stderr
        said = full.stderr.strip().splitlines()
        assert len(said) == 1 and said[0].startswith("Error: disk full: "), full.stderr
        assert f"mounted at {lib}" in said[0] and "Traceback" not in full.stderr, said
        lib_now, held_now = files_of(lib), files_of(held)
        for name, data in before.items():  # whole at one place at least
            assert lib_now.get(name) == data or held_now.get(name) == data, name
        assert not [k for k in (*lib_now, *held_now) if Path(k).name.startswith(".")]
        # What the full disk stopped is said left alone, and the session partly undone (it
        # was listed as undone, whole, with its files still set aside).
        assert "not tried: the undo stopped at a full disk" in full.stdout, full.stdout
        listed = mediakeeper(home, "undo", "--list").stdout
        assert f"{session}  {TRACKS + 1} files set aside (dupes)  (partly undone " in listed
        filler.unlink()
        again = mediakeeper(home, "undo", "--session", session)
        assert again.returncode == 0, again.stdout + again.stderr
        assert files_of(lib) == before and files_of(held) == {}
