"""Crash-safe replacement of a user's file (mediakeeper.fs.safewrite), with real files, real
other processes changing them, and real file systems."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.core import writemode
from mediakeeper.core.errors import AudioError, FileError
from mediakeeper.demo import tracks as synth
from mediakeeper.fs import safewrite
from mediakeeper.fs.names import home_id, stale_copies
from mediakeeper.tags import FileWrite

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, params=writemode.MODES)
def write_mode(request, tmp_path_factory, monkeypatch) -> str:
    """Every test here in every write mode: a write that names no policy takes this one."""
    journal = writemode.journal_dir(tmp_path_factory.mktemp("home") / "status")
    monkeypatch.setattr(writemode, "fallback", writemode.WritePolicy(request.param, journal))
    return request.param


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def song(folder: Path, name: str = "01 - Song", fmt: str = "flac") -> Path:
    return synth.make_track(folder / f"{name}.{fmt}", fmt, {"title": name, "date": "1999"})


def copies_left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".mediakeeper.*"))


def by_another_program(*command: str) -> None:
    subprocess.run(command, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


# Another tagger: sets a copyright in place (the inode stays), in its own process.
TAGGER = (
    "import sys\nfrom mutagen.flac import FLAC\n"
    "for path in sys.argv[1:]:\n    audio = FLAC(path)\n"
    "    audio['COPYRIGHT'] = ['(c) Me']\n    audio.save()\n"
)


def tagged_elsewhere(path: Path) -> None:
    by_another_program(sys.executable, "-c", TAGGER, str(path))


def tagging_elsewhere(path: Path, started: list[subprocess.Popen]) -> None:
    """Another tagger started on ``path``; returns once it has saved, or once its open waits
    on a lease this process holds (the kernel then says ``__break_lease`` of it)."""
    tagger = subprocess.Popen([sys.executable, "-c", TAGGER, str(path)], cwd=REPO)
    started.append(tagger)
    while tagger.poll() is None:
        try:
            waiting = "break_lease" in Path(f"/proc/{tagger.pid}/wchan").read_text()
        except OSError:
            waiting = False
        if waiting:
            return
        time.sleep(0.001)
    assert tagger.returncode == 0


def year_fix_while(act):
    """A change that fixes the year, and does ``act`` (another program at work) once the
    file's bytes were read and before the copy is put in place."""

    def change(work, st):
        audio = tags._load(work, ".flac")
        audio["DATE"] = ["2001"]
        work.seek(0)
        audio.save(work)
        act()

    return change


def test_an_edit_by_another_program_while_the_file_is_fixed_is_never_written_over(
    tmp_path, write_mode
):
    """The copy is made from the bytes read; another tagger writes its copyright into the
    file before the copy is put in place: the file keeps the tagger's edit, and the refusal
    says so (a finding of its own). The tagger's open waits on the read lease, which the
    write sees broken: it refuses and lets go, and the tagger's open goes on. In place the
    change is computed before the write lease is taken: the tagger does not wait, and the
    identity check before the write refuses."""
    path = song(tmp_path)
    taggers: list[subprocess.Popen] = []
    change = year_fix_while(lambda: tagging_elsewhere(path, taggers))
    with pytest.raises(FileError) as refused:
        safewrite.replace(path, change)
    assert [tagger.wait(timeout=60) for tagger in taggers] == [0]
    assert refused.value.code == safewrite.CHANGED
    # With a read lease its open told; in place it had saved before the identity check.
    what = "changed" if write_mode == writemode.IN_PLACE else "opened for writing"
    assert f"{what} by another program while being fixed: left alone" in refused.value.reason
    audio = tags._load(str(path), ".flac")
    assert audio["COPYRIGHT"] == ["(c) Me"] and audio["DATE"] == ["1999"]
    assert copies_left(tmp_path) == []


# The tagger waits until the write group has saved its first copy (so it edits files whose
# bytes were read already), then sets its copyright on every track, in order, saying the
# year it read in each.
WAITING_TAGGER = (
    "import os, sys, time\nfolder, journal = sys.argv[1], sys.argv[2]\n"
    "def entry():\n"  # in place: the journal holds the group's entry while it is written
    "    names = os.listdir(journal) if os.path.isdir(journal) else []\n"
    "    return any(open(os.path.join(journal, n), 'rb').read(11) == b'mediakeeper'\n"
    "               for n in names if n.endswith('.journal'))\n"  # a retired one is blanked
    "give_up = time.monotonic() + 20\n"  # the group may be done before it looks: try again
    "while not any(n.startswith('.mediakeeper.') for n in os.listdir(folder)):\n"
    "    if time.monotonic() > give_up:\n        break\n"
    "    if entry():\n        print('in place', flush=True)\n        break\n"
    "    time.sleep(0.001)\n"
    + TAGGER.replace("sys.argv[1:]", "sys.argv[3:]").replace(
        "    audio['COPYRIGHT']",
        "    print(path, audio['DATE'][0], flush=True)\n    audio['COPYRIGHT']",
    )
)


def test_many_files_edited_by_another_program_during_a_big_write_group_keep_every_edit(
    tmp_path,
):
    """A tagger sets a copyright on thirty tracks while a write group fixes their year: each
    file ends with the tagger's edit, and with the fix or a refusal saying it changed. The
    tagger is a real process, so on a busy machine the group may be done before it starts
    editing: the run is tried again (at most five times) until the two overlap, and every
    run, overlapping or not, must lose no edit. In place, the tagger starts once the group's
    journal entry is on disk: the write leases make it wait for the group, so it reads and
    keeps the fixed year in every file."""
    journal = str(writemode.fallback.journal or tmp_path / "none")
    for attempt in range(5):
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        paths = [song(folder, f"{n:02d} - Song") for n in range(1, 31)]
        for path in paths:  # big enough that saving thirty copies takes a while
            audio = tags._load(str(path), ".flac")
            audio["COMMENT"] = ["x" * (1 << 20)]
            audio.save()
        tagger = subprocess.Popen(
            [sys.executable, "-c", WAITING_TAGGER, str(folder), journal, *map(str, paths)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            failed = tags.write_many(FileWrite(p, {"date": "2001"}) for p in paths)
        finally:
            said, _ = tagger.communicate()
        assert tagger.returncode == 0
        in_place = said.startswith("in place\n")
        said = said.removeprefix("in place\n")
        read = dict(line.rsplit(" ", 1) for line in said.splitlines())  # path -> year it read
        for path in paths:
            audio = tags._load(str(path), ".flac")
            assert audio["COPYRIGHT"] == ["(c) Me"], path  # never lost
            if path in failed:
                assert failed[path].code == safewrite.CHANGED, failed[path]
                assert audio["DATE"] == ["1999"]
            else:
                # Fixed. A tagger that read the file before the fix was put in place and
                # saved after it writes its whole tag back, the old year with it: the last
                # writer wins, the toolkit's fix is what is lost, never the tagger's edit.
                # So the old year only where the tagger read the old year.
                assert audio["DATE"] == ["2001"] or read[str(path)] == "1999", path
        assert copies_left(folder) == []
        if failed:  # the tagger did edit files of the group while it was written
            return
        if in_place:  # it tried to, and waited: the fix is in every file, with its edit
            assert set(read.values()) == {"2001"}
            return
    pytest.fail("in five runs the tagger never edited a file while the group was written")


def test_a_file_caught_half_saved_by_another_program_is_left_alone_as_changed(tmp_path):
    """A tagger's save truncates a file, then writes it again: a fix that reads it between the
    two finds a tag block cut short. A file the scan read whole has changed since: it is left
    alone as such (run again later), not reported as damaged."""
    path = song(tmp_path)
    audio = tags._load(str(path), ".flac")
    audio["COMMENT"] = ["x" * (1 << 20)]
    audio.save()
    scanned = tags.read(path, keep=True).parsed
    with open(path, "r+b") as mid_save:  # where the other program's save stands
        mid_save.truncate(1174)
    half = path.read_bytes()

    failed = tags.write_many([FileWrite(path, {"date": "2001"}, scanned)])

    assert failed[path].code == safewrite.CHANGED, failed[path]
    assert "changed by another program since it was read" in failed[path].reason
    assert path.read_bytes() == half  # the other program's save goes on over it
    assert copies_left(tmp_path) == []
    # Never read whole, the same bytes are only a damaged file.
    damaged = tags.write_many([FileWrite(path, {"date": "2001"})])[path]
    assert damaged.code is None and "changed" not in damaged.reason


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_a_file_deleted_or_renamed_while_it_is_fixed_does_not_come_back(tmp_path, how):
    path = song(tmp_path)
    moved = tmp_path / "Elsewhere.flac"
    act = ["rm", str(path)] if how == "deleted" else ["mv", str(path), str(moved)]
    with pytest.raises(FileError) as refused:
        safewrite.replace(path, year_fix_while(lambda: by_another_program(*act)))
    assert refused.value.code == safewrite.CHANGED
    assert "deleted or renamed" in refused.value.reason
    assert not path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if how == "deleted" else [moved.name])


def test_a_file_deleted_just_before_the_exchange_is_not_created(tmp_path):
    """The swap of names never creates a path that is gone (where a rename would)."""
    copy, gone = tmp_path / "copy", tmp_path / "gone"
    copy.write_bytes(b"new")
    with pytest.raises(FileNotFoundError):
        safewrite.exchange(str(copy), str(gone))
    assert not gone.exists() and copy.read_bytes() == b"new"


def _acl(uid: int) -> bytes:
    """A POSIX access ACL as the kernel stores it: user::rw- user:<uid>:r-- group::r--
    mask::r-- other::r--."""
    undefined = 0xFFFFFFFF
    entries = [(0x01, 6, undefined), (0x02, 4, uid), (0x04, 4, undefined), (0x10, 4, undefined),
               (0x20, 4, undefined)]  # fmt: skip
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)


def test_extended_attributes_and_the_acl_are_kept(tmp_path):
    path = song(tmp_path)
    try:
        os.setxattr(path, "user.origin", b"ripped from CD")
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            pytest.skip(f"{tmp_path} does not keep user xattrs")
        raise
    try:
        os.setxattr(path, "system.posix_acl_access", _acl(4242))
    except OSError as err:
        if err.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        acl = None  # no ACLs here: the user xattr alone
    else:
        acl = os.getxattr(path, "system.posix_acl_access")
    tags.write(path, {"date": "2001"})
    assert tags.read(path).tags["date"] == "2001"
    assert os.getxattr(path, "user.origin") == b"ripped from CD"
    if acl is not None:
        assert os.getxattr(path, "system.posix_acl_access") == acl


@root_only
def test_an_attribute_the_copy_cannot_get_leaves_the_file_alone_naming_it():
    """An administrator put a security.* attribute (an integrity or a label module's) on a
    track; its owner, fixing it, may read that attribute but not set it on the copy: the fix
    is refused, naming the attribute, and the track keeps its bytes and the attribute."""
    with tempfile.TemporaryDirectory() as where:  # pytest's own folders are root's alone
        folder = Path(where)
        folder.chmod(0o777)
        path = song(folder)
        os.chown(path, 65534, 65534)
        try:
            os.setxattr(path, "security.mediakeeper-test", b"set by root")
        except OSError as err:
            pytest.skip(f"cannot set a security.* attribute in {folder}: {err.strerror}")
        before = path.read_bytes()
        code = (
            "import sys; from mediakeeper import tags\n"
            "try:\n    tags.write(sys.argv[1], {'date': '2001'})\n"
            "except Exception as err:\n    print(err.reason)\n"
        )
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        done = subprocess.run([*nobody, sys.executable, "-c", code, str(path)],
                              capture_output=True, text=True, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
        assert done.stdout.strip() == (
            "cannot keep its attribute security.mediakeeper-test (Operation not permitted): "
            "nobody may not set it; run the batch as root or remove the attribute"
        ), done.stderr
        assert path.read_bytes() == before
        assert os.getxattr(path, "security.mediakeeper-test") == b"set by root"
        assert copies_left(folder) == []


def test_a_symlinked_track_inside_the_library_is_fixed_through_its_target(tmp_path):
    library = tmp_path / "Music"
    target = song(library / "Artist" / "Album")
    link = library / "Artist" / "Best Of" / "01 - Song.flac"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    assert not tags.write_many([FileWrite(link, {"date": "2001"}, root=library)])
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tags.read(target).tags["date"] == "2001"
    assert copies_left(library) == []


def test_a_symlinked_track_outside_the_library_is_left_alone(tmp_path):
    library, outside = tmp_path / "Music", tmp_path / "Elsewhere"
    target = song(outside)
    before = target.read_bytes()
    link = library / "Artist" / "Album" / "01 - Song.flac"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    failed = tags.write_many([FileWrite(link, {"date": "2001"}, root=library)])
    assert failed[link].code == safewrite.OUTSIDE
    assert f"a link to {target}, outside the library: left alone" in failed[link].reason
    assert link.is_symlink() and target.read_bytes() == before


def test_a_file_with_other_names_is_left_alone_and_every_name_keeps_its_bytes(tmp_path):
    """A hard link (a download client seeding the track): a fix written into the file would
    change every name, and a swap would silently double it; by default it is neither."""
    path = song(tmp_path / "Music")
    seeding = tmp_path / "Downloads" / "seeding.flac"
    seeding.parent.mkdir()
    os.link(path, seeding)
    before = path.read_bytes()
    failed = tags.write_many([FileWrite(path, {"date": "2001"})])
    assert failed[path].code == safewrite.HARD_LINKED
    assert failed[path].reason.startswith("has 2 names (hard links: ")
    assert path.read_bytes() == seeding.read_bytes() == before
    assert os.stat(path).st_ino == os.stat(seeding).st_ino and os.stat(path).st_nlink == 2
    assert copies_left(tmp_path) == []


def test_separated_the_library_s_name_gets_its_own_file_and_the_others_keep_theirs(tmp_path):
    """``hard_links = "separate"``: the fix is swapped in, also where it would fit in place, so
    the library's name holds the fixed file and the other name the original, untouched."""
    policy = writemode.fallback._replace(hard_links="separate")
    path = song(tmp_path / "Music")
    seeding = tmp_path / "Downloads" / "seeding.flac"
    seeding.parent.mkdir()
    os.link(path, seeding)
    before, inode = path.read_bytes(), os.stat(path).st_ino
    assert tags.write_many([FileWrite(path, {"date": "2001"})], policy=policy) == {}
    assert tags.read(path).tags["date"] == "2001"
    assert seeding.read_bytes() == before and os.stat(seeding).st_ino == inode
    assert os.stat(path).st_ino != inode
    assert os.stat(path).st_nlink == os.stat(seeding).st_nlink == 1
    assert copies_left(tmp_path) == []


@pytest.mark.parametrize("mode", [0o444, 0o000])
def test_a_read_only_file_is_left_alone_even_by_root(tmp_path, mode):
    """Root may write any file: the mode bits decide, not os.access."""
    path = song(tmp_path)
    path.chmod(mode)
    with pytest.raises(AudioError) as refused:
        tags.write(path, {"date": "2001"})
    assert refused.value.code == safewrite.READ_ONLY
    assert refused.value.reason.startswith(f"read-only (mode {mode:03o}): left alone")
    path.chmod(0o644)
    assert tags.read(path).tags["date"] == "1999"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644 and copies_left(tmp_path) == []


@root_only
@pytest.mark.parametrize(("flag", "what"), [("i", "immutable"), ("a", "append-only")])
def test_a_file_made_immutable_or_append_only_is_left_alone_before_any_copy(
    tmp_path, flag, what
):
    """``chattr +i`` / ``+a``: not even root may replace it or write into it. Said as the
    read-only file is, with the command that lifts it, and found before the file is copied
    for nothing."""
    path = song(tmp_path)
    if subprocess.run(["chattr", f"+{flag}", str(path)], capture_output=True).returncode:
        pytest.skip("this file system keeps no chattr flags")
    try:
        before, folder = path.read_bytes(), path.parent.stat().st_mtime_ns
        failed = tags.write_many([FileWrite(path, {"date": "2001"})])
        assert path.parent.stat().st_mtime_ns == folder  # no copy made (and removed) beside it
        assert failed[path].code == safewrite.READ_ONLY
        assert failed[path].reason == (
            f"{what} (chattr +{flag}): left alone; clear the flag (chattr -{flag}) "
            "if it should be fixed"
        )
        assert path.read_bytes() == before and copies_left(tmp_path) == []
    finally:
        subprocess.run(["chattr", f"-{flag}", str(path)], check=True)


@root_only
def test_a_file_its_owner_made_read_only_is_left_alone_when_fixed_as_its_owner():
    with tempfile.TemporaryDirectory() as where:  # pytest's own folders are root's alone
        folder = Path(where)
        folder.chmod(0o777)
        path = song(folder)
        os.chown(path, 65534, 65534)
        path.chmod(0o444)
        code = (
            "import sys; from mediakeeper import tags\n"
            "try:\n    tags.write(sys.argv[1], {'date': '2001'})\n"
            "except Exception as err:\n    print(err.code, err.reason)\n"
        )
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        done = subprocess.run([*nobody, sys.executable, "-c", code, str(path)],
                              capture_output=True, text=True, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
        assert done.stdout.startswith("read-only-file read-only (mode 444)"), done.stderr
        assert tags.read(path).tags["date"] == "1999"


def _in_a_child(code: str, path: Path) -> subprocess.CompletedProcess:
    """Run ``code`` on ``path`` in a child process: a call that hangs fails the test (the
    timeout is a safety net, not a measure)."""
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          timeout=60)  # fmt: skip


@pytest.mark.parametrize("action", ["read", "write"])
def test_a_fifo_in_a_tracks_place_is_never_opened_for_reading(tmp_path, action):
    path = tmp_path / "01 - Song.mp3"
    os.mkfifo(path)
    call = "tags.read(p)" if action == "read" else "tags.write(p, {'date': '2001'})"
    code = (
        "import sys; from mediakeeper import tags; p = sys.argv[1]\n"
        f"try:\n    {call}\nexcept Exception as err:\n    print(err.reason)\n"
    )
    done = _in_a_child(code, path)
    assert done.stdout.strip() == "not a regular file", done.stderr
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


@root_only
def test_a_full_disk_is_said_as_such(tmp_path, write_mode):
    """A swap needs room for the copy, and says how much; in place needs none: fixed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], check=True,
                       capture_output=True)  # fmt: skip
    except (subprocess.CalledProcessError, FileNotFoundError) as err:
        pytest.skip(f"cannot mount a small tmpfs here: {err}")
    try:
        path = song(disk)
        data = path.read_bytes()
        path.write_bytes(data + b"\0" * ((600 << 10) - len(data)))  # more than half the disk
        if write_mode == writemode.IN_PLACE:
            tags.write(path, {"date": "2001"})
            assert tags.read(path).tags["date"] == "2001"
        else:
            with pytest.raises(AudioError) as refused:
                tags.write(path, {"date": "2001"})
            assert refused.value.reason == f"disk full (1 MB needed on {disk})"
            assert tags.read(path).tags["date"] == "1999"
        assert copies_left(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@root_only
def test_an_unreadable_file_says_whose_permission_is_missing():
    with tempfile.TemporaryDirectory() as where:
        folder = Path(where)
        folder.chmod(0o777)
        path = song(folder)
        path.chmod(0o600)  # root's alone
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        code = (
            "import sys; from mediakeeper import tags\n"
            "try:\n    tags.read(sys.argv[1])\nexcept Exception as err:\n    print(err.reason)\n"
        )
        done = subprocess.run([*nobody, sys.executable, "-c", code, str(path)],
                              capture_output=True, text=True, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
        assert done.stdout.strip() == (
            "permission denied: cannot read it as nobody; fix its permissions"
        ), done.stderr
        # The scan's finding says so too, and advises no deletion.
        code = (
            "import sys; from pathlib import Path\n"
            "from mediakeeper.music.scan import scan_artist\n"
            "from mediakeeper.music.rules import find_issues\n"
            "print(*[f.message for f in find_issues(scan_artist(Path(sys.argv[1])))], sep='\\n')"
        )
        done = subprocess.run([*nobody, sys.executable, "-c", code, str(folder)],
                              capture_output=True, text=True, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
        assert done.stdout.splitlines()[0] == (
            "Cannot read this file (permission denied: cannot read it as nobody; fix its "
            "permissions)."
        ), done.stderr


def _ended_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_stale_copies_of_this_data_home_go_and_another_data_homes_stay(tmp_path):
    """A killed write (or undo) left its full-size copy: the next write in that folder by
    the same data home removes it; another data home's is not this one's to remove, nor is a
    running process's."""
    path = song(tmp_path)
    home, other = home_id(tmp_path / "home"), home_id(tmp_path / "other")
    ended = _ended_pid()
    ours = tmp_path / f".mediakeeper.{home}.{ended}-1.tmp.flac"
    theirs = tmp_path / f".mediakeeper.{other}.{ended}-1.tmp.flac"
    running = tmp_path / f".mediakeeper.{home}.{os.getppid()}-1.tmp.flac"
    for copy in (ours, theirs, running):
        shutil.copyfile(path, copy)
    assert not tags.write_many([FileWrite(path, {"date": "2001"})], owner=home)
    assert not ours.exists() and theirs.exists() and running.exists()
    assert stale_copies(str(tmp_path), home) == ([], [str(theirs)])


def test_a_data_home_given_by_a_relative_path_is_known_by_where_it_leads(tmp_path, monkeypatch):
    """A data home's id is remembered for its absolute path (asked at each artist's writes);
    a relative path leads elsewhere from another working folder, and its id follows it."""
    ids = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        ids.append(home_id("home"))
    assert ids == [home_id(tmp_path / "a" / "home"), home_id(tmp_path / "b" / "home")]
    assert ids[0] != ids[1]


def test_a_caller_that_removed_its_stale_copies_just_before_is_not_listed_again(tmp_path):
    """``sweep=False`` (a job whose scan removed them a moment ago) saves listing each
    folder a second time: a stale copy put there since stays for the next scan."""
    path = song(tmp_path)
    home = home_id(tmp_path / "home")
    ours = tmp_path / f".mediakeeper.{home}.{_ended_pid()}-1.tmp.flac"
    shutil.copyfile(path, ours)
    assert not tags.write_many([FileWrite(path, {"date": "2001"})], owner=home, sweep=False)
    assert ours.exists() and tags.read(path).tags["date"] == "2001"


def test_a_file_another_program_has_open_for_writing_is_left_alone(tmp_path):
    """A tagger (or a download) in the middle of writing the file: its change may not be on
    disk yet, so nothing read now is safe to write back."""
    path = song(tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys; f = open(sys.argv[1], 'r+b'); print(flush=True);"
         " sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        writer.stdout.readline()  # it has the file open
        with pytest.raises(AudioError) as refused:
            tags.write(path, {"date": "2001"})
    finally:
        writer.stdin.close()
        writer.wait()
    assert refused.value.code == safewrite.CHANGED
    assert refused.value.reason == "open for writing by another program: left alone"
    assert tags.read(path).tags["date"] == "1999" and copies_left(tmp_path) == []


def test_a_file_that_changed_while_its_bytes_were_read_is_refused_not_taken_as_it_is(tmp_path):
    """The read's own check (the race it closes, an append landing between the last read
    and the stat after it, is microseconds wide: a test cannot aim at it, so the check is
    shown on a real file before and after a real append). Without it the stat after the
    read became the file's identity, and the swap's later check saw nothing to refuse."""
    track = tmp_path / "01.mp3"
    track.write_bytes(b"ID3 old bytes")
    before = os.stat(track)
    assert safewrite._unchanged_since(before, os.stat(track), str(track)) is not None
    with open(track, "ab") as other_program:
        other_program.write(b" and an edit")
    with pytest.raises(FileError) as refused:
        safewrite._unchanged_since(before, os.stat(track), str(track))
    assert refused.value.code == safewrite.CHANGED and "while being read" in str(refused.value)
