"""Fixes written in place (fs.safewrite): only the bytes that change, journaled in the
data home first; what a killed run leaves is completed by the next command. Real files, a
real journal written by a real process that is then killed, real other programs."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper import tags
from mediakeeper.core import writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import AudioError, ConfigError
from mediakeeper.demo import tracks as synth
from mediakeeper.fs import safewrite
from mediakeeper.fs.inplace_journal import (
    COMPLETED,
    DONE,
    LEFT_ALONE,
    ROOM,
    UNTOUCHED,
    FilePatch,
    decode,
    encode,
    journal_for,
    recover,
)
from mediakeeper.fs.patchfile import PatchFile
from mediakeeper.tags import FileWrite
from tests.unit.test_safewrite import tagged_elsewhere

REPO = Path(__file__).resolve().parents[2]


def track(folder: Path, fmt: str = "flac", name: str = "01 - Song") -> Path:
    return synth.make_track(folder / f"{name}.{fmt}", fmt, {"title": name, "date": "1999"})


def in_place(home: Path) -> writemode.WritePolicy:
    return writemode.policy_for(home / "status", writemode.Writing(writemode.IN_PLACE))


def entries(home: Path) -> list[str]:
    """The journal files of ``home`` that hold an entry."""
    folder = writemode.journal_dir(home / "status")
    names = os.listdir(folder) if folder.exists() else []
    return [n for n in names if decode((folder / n).read_bytes()) is not None]


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4a", "ogg", "wma"])
def test_a_fix_that_fits_changes_only_its_own_bytes_and_ends_as_the_swap_would(tmp_path, fmt):
    original = track(tmp_path / "o", fmt)
    ours, swapped = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    shutil.copy(original, ours)
    shutil.copy(original, swapped)
    inode = ours.stat().st_ino
    values = {"date": "2001", "title": "Another Song"}
    assert not tags.write_many([FileWrite(ours, values)], policy=in_place(tmp_path / "home"))
    assert not tags.write_many([FileWrite(swapped, values)], policy=writemode.WritePolicy())
    assert ours.read_bytes() == swapped.read_bytes()  # the same file, byte for byte
    assert ours.stat().st_ino == inode and swapped.stat().st_ino != inode
    before, after = original.read_bytes(), ours.read_bytes()
    changed = sum(a != b for a, b in zip(before, after, strict=True))
    assert 0 < changed < 200  # a year and a title (and a frame's length, an Ogg page's CRC)
    assert entries(tmp_path / "home") == []  # retired


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_one_file_written_through_two_of_its_paths_at_once_keeps_both_changes(tmp_path, fmt):
    """A track and a link to it inside the library (another artist's compilation linking
    it), written in one call (a worker writes several artists' fixes at once): the second
    write is made over what the first left, not from the bytes both read, which found the
    file changed under it and left it alone, as if another program had changed it."""
    library = tmp_path / "Music"
    target = track(library / "Artist" / "Album", fmt)
    link = library / "Other Artist" / "Best Of" / target.name
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    inode = target.stat().st_ino
    writes = [
        FileWrite(target, {"title": "A title that is longer than it was"}, root=library),
        FileWrite(link, {"album": "Best Of"}, root=library),
    ]
    assert not tags.write_many(writes, policy=in_place(tmp_path / "home"))
    values = tags.read(target).tags
    assert (values["title"], values["album"]) == ("A title that is longer than it was", "Best Of")
    assert mutagen.File(target) is not None and target.stat().st_ino == inode  # in place
    assert entries(tmp_path / "home") == []


def test_a_tag_that_outgrows_its_padding_is_swapped_with_room_for_the_next_fix(tmp_path):
    path = track(tmp_path)
    audio = mutagen.File(path)
    audio.save(padding=lambda info: 0)  # no room at all
    policy = in_place(tmp_path / "home")
    first = path.stat().st_ino
    assert not tags.write_many([FileWrite(path, {"title": "A Much Longer Title"})], policy=policy)
    second = path.stat().st_ino
    assert second != first  # swapped: it could not grow in place
    assert not tags.write_many([FileWrite(path, {"title": "A Much Longer Title, Too"})],
                               policy=policy)  # fmt: skip
    assert path.stat().st_ino == second  # the padding left took it
    assert tags.read(path).tags["title"] == "A Much Longer Title, Too"


def test_a_large_file_whose_tag_outgrows_its_padding_is_swapped_without_holding_it(tmp_path):
    """The audio would have to move: the patch gives up past its limit (memory stays bounded
    whatever the file's size) and the file is swapped, ending as the copy mode ends it."""
    path = track(tmp_path)
    mutagen.File(path).save(padding=lambda info: 0)
    with open(path, "ab") as f:
        f.write(os.urandom(12 << 20))  # more audio than a patch may hold
    twin = tmp_path / "twin.flac"
    shutil.copy(path, twin)
    inode = path.stat().st_ino
    values = {"title": "A Much Longer Title"}
    assert not tags.write_many([FileWrite(path, values)], policy=in_place(tmp_path / "home"))
    assert not tags.write_many([FileWrite(twin, values)], policy=writemode.WritePolicy())
    assert path.stat().st_ino != inode
    assert path.read_bytes() == twin.read_bytes()


def test_a_file_another_program_has_open_is_swapped_not_written_under_it(tmp_path):
    """No write lease while a player reads the file: it is swapped instead (the player goes
    on reading its own copy), never changed under its feet."""
    path = track(tmp_path)
    before = path.read_bytes()
    player = subprocess.Popen(
        [sys.executable, "-c", "import sys; f = open(sys.argv[1], 'rb'); print(flush=True);"
         " sys.stdin.read(); sys.stdout.write(str(f.read() == open(sys.argv[2], 'rb').read()))",
         str(path), str(tmp_path / "before")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    (tmp_path / "before").write_bytes(before)
    try:
        player.stdout.readline()  # it has the file open
        inode = path.stat().st_ino
        assert not tags.write_many([FileWrite(path, {"date": "2001"})],
                                   policy=in_place(tmp_path / "home"))  # fmt: skip
    finally:
        said, _ = player.communicate("")
    assert path.stat().st_ino != inode and tags.read(path).tags["date"] == "2001"
    assert said == "True"  # the player read the bytes it opened, all of them


def test_a_file_that_cannot_be_read_as_another_program_saves_it_is_left_alone_as_changed(
    tmp_path,
):
    """In place, the change is worked out before the write lease is taken: a tagger saving
    the file then can leave it unreadable for an instant (its tag block cut short). A parse
    that fails on a file that changed meanwhile is refused as a change, not as damage."""
    path = track(tmp_path)

    def change_caught_mid_save(work, st):
        tagged_elsewhere(path)  # another tagger's save, in its own process
        raise AudioError(str(path), "file said 5197913 bytes, read 1174 bytes")

    failed = safewrite.replace_many([safewrite.Replacement(path, change_caught_mid_save)],
                                    policy=in_place(tmp_path / "home"))  # fmt: skip
    assert failed[path].code == safewrite.CHANGED, failed[path]
    assert mutagen.File(path)["COPYRIGHT"] == ["(c) Me"]  # the tagger's save, whole

    def change_of_a_damaged_file(work, st):
        raise AudioError(str(path), "damaged")

    # The same failure on a file nobody touched is the file's own.
    failed = safewrite.replace_many([safewrite.Replacement(path, change_of_a_damaged_file)],
                                    policy=in_place(tmp_path / "home"))  # fmt: skip
    assert failed[path].code is None and failed[path].reason == "damaged"
    assert entries(tmp_path / "home") == []


def test_the_patch_reads_back_what_was_written_and_finds_only_real_changes(tmp_path):
    path = tmp_path / "f"
    data = os.urandom(20000)
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        patch = PatchFile(fd, len(data))
        # Every byte unlike the one it replaces (a fixed b"abc" over random bytes matched
        # its first one in one run of 256, and the change then rightly began a byte later).
        first, last = (bytes(b ^ 0xFF for b in data[at : at + 3]) for at in (100, 12000))
        patch.seek(100)
        patch.write(first)
        patch.seek(5000)
        patch.write(data[5000:9000])  # the same bytes again: no change
        patch.seek(12000)
        patch.write(last)
        patch.seek(0)
        expected = data[:100] + first + data[103:12000] + last + data[12003:]
        assert patch.read() == expected
        assert [(at, len(new)) for at, _, new in patch.changes()] == [(100, 3), (12000, 3)]
        patch.truncate(50)  # cut and written back: no change at all
        patch.seek(50)
        patch.write(data[50:])
        assert patch.changes() == []
    finally:
        os.close(fd)
    assert path.read_bytes() == data  # the real file is only read


# ---- a killed run's journal, completed by the next command -------------------------------

# A run killed after its journal entry (of every patch given) reached the disk and
# ``written`` bytes of the first patch's first range reached its file (-1: the entry itself
# cut short after half its bytes; -2: the same, written over an earlier, longer entry the
# run had retired, whose bytes follow).
KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from mediakeeper.fs.inplace_journal import decode, journal_for, pwrite_all
folder, entry, written = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), int(sys.argv[3])
journal = journal_for(folder)
if written == -1:
    folder.mkdir(parents=True, exist_ok=True)
    journal.path.write_bytes(entry[: len(entry) // 2])
elif written == -2:
    journal.record([p._replace(path=p.path + ".other") for p in decode(entry)] * 2)
    journal.retire()
    pwrite_all(journal.fd, entry[: len(entry) // 2], 0)
else:
    patches = decode(entry)
    journal.record(patches)
    patch = patches[0]
    fd = os.open(patch.path, os.O_RDWR)
    for at, old, new in patch.ranges:
        pwrite_all(fd, new[:written], at)
        written -= min(written, len(new))
    os.fsync(fd)
os.kill(os.getpid(), signal.SIGKILL)
"""


def fix_of(path: Path) -> FilePatch:
    """The in-place patch a year's fix makes to ``path``, computed, not written."""
    fd = os.open(path, os.O_RDONLY)
    try:
        patch = PatchFile(fd, os.fstat(fd).st_size)
        audio = tags._load(patch, path.suffix)
        audio["DATE"] = ["2001"]
        patch.seek(0)
        audio.save(patch)
        return FilePatch(str(path), patch.size, patch.changes(), os.fstat(fd).st_dev)
    finally:
        os.close(fd)


def new_bytes(path: Path, patch: FilePatch) -> bytes:
    """``path``'s bytes with every range of ``patch`` new."""
    data = bytearray(path.read_bytes())
    for at, _old, new in patch.ranges:
        data[at : at + len(new)] = new
    return bytes(data)


def killed_run(home: Path, patch: FilePatch, written: int, *more: FilePatch) -> None:
    entry = home.parent / "entry"
    entry.write_bytes(encode([patch, *more]))
    folder = writemode.journal_dir(home / "status")
    run = subprocess.run([sys.executable, "-c", KILLED_RUN, str(folder), str(entry), str(written)],
                         cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert run.returncode == -9
    assert os.listdir(folder)  # the killed run's journal is there


@pytest.mark.parametrize(
    ("written", "outcome"),
    [(1, COMPLETED), (0, UNTOUCHED), (10_000, DONE), (-1, None), (-2, None)],
    ids=["torn", "not-begun", "all-written", "entry-cut-short", "cut-short-over-an-earlier-one"],
)
def test_what_a_killed_run_left_ends_wholly_old_or_wholly_new(tmp_path, written, outcome):
    path = track(tmp_path / "lib")
    original = path.read_bytes()
    patch = fix_of(path)
    assert len(patch.ranges) >= 1
    new = new_bytes(path, patch)
    home = tmp_path / "home"
    killed_run(home, patch, written)
    if outcome == COMPLETED:  # torn as a crash leaves it: neither old nor new
        assert path.read_bytes() not in (original, new)
    found = recover(writemode.journal_dir(home / "status"))
    assert [(f.path, f.outcome) for f in found] == ([(str(path), outcome)] if outcome else [])
    assert path.read_bytes() == (original if outcome in (UNTOUCHED, None) else new)
    assert os.listdir(writemode.journal_dir(home / "status")) == []  # nothing left to do
    assert recover(writemode.journal_dir(home / "status")) == []  # and said once


def test_a_file_changed_since_the_killed_run_is_left_as_the_other_program_left_it(tmp_path):
    path = track(tmp_path / "lib")
    home = tmp_path / "home"
    killed_run(home, fix_of(path), 1)
    audio = mutagen.File(path)
    audio["DATE"] = ["1977"]  # another tagger, after the crash, before the next command
    audio.save()
    theirs = path.read_bytes()
    found = recover(writemode.journal_dir(home / "status"))
    assert [f.outcome for f in found] == [LEFT_ALONE]
    assert path.read_bytes() == theirs


def test_a_running_process_s_journal_is_never_taken_for_a_killed_one(tmp_path):
    path = track(tmp_path / "lib")
    folder = writemode.journal_dir(tmp_path / "home" / "status")
    journal = journal_for(folder)
    journal.record([fix_of(path)])
    try:
        assert recover(folder) == []  # ours: this process runs
        assert journal.path.stat().st_size > 0
    finally:
        journal.retire()


def test_the_journal_keeps_its_room_and_an_entry_retired_reads_as_none(tmp_path):
    """Entries are written over one another in a file of a steady size (their flush then
    records no size); a retired one reads as no entry; a larger one grows the file, which its
    retire takes back."""
    path = track(tmp_path / "lib")
    original = path.read_bytes()
    journal = journal_for(writemode.journal_dir(tmp_path / "home" / "status"))
    small, large = fix_of(path), fix_of(path)._replace(ranges=[(0, bytes(ROOM), bytes(ROOM))])
    try:
        for patches in ([small], [small, small], [small]):
            journal.record(patches)
            assert journal.path.stat().st_size == ROOM
            assert decode(journal.path.read_bytes()) == patches
            journal.retire()
            assert decode(journal.path.read_bytes()) is None
        journal.record([large])
        assert journal.path.stat().st_size > 2 * ROOM  # old and new bytes, base64
        assert decode(journal.path.read_bytes()) == [large]
        journal.retire()
        assert journal.path.stat().st_size == ROOM
        journal.record([small])
        assert decode(journal.path.read_bytes()) == [small]  # the larger one's bytes after it
    finally:
        journal.retire()
    assert path.read_bytes() == original  # an entry is only written, never carried out, here


def test_a_journal_the_disk_cannot_grow_refuses_its_entry_and_grows_when_it_can(
    tmp_path, full_disk
):
    """A full disk that stops the file's growth fails the entry (its files are then left
    alone, ``safewrite``), and the next entry grows the file again, whole."""
    path = track(tmp_path / "lib")
    journal = journal_for(writemode.journal_dir(tmp_path / "home" / "status"))
    try:
        full_disk(ROOM // 2)
        try:
            with pytest.raises(OSError):
                journal.record([fix_of(path)])
        finally:
            full_disk(1 << 40)
        journal.record([fix_of(path)])
        assert journal.path.stat().st_size == ROOM
        assert decode(journal.path.read_bytes()) == [fix_of(path)]
    finally:
        journal.retire()


def test_any_command_completes_a_killed_run_s_write_first_and_says_so(tmp_path):
    path = track(tmp_path / "lib")
    patch = fix_of(path)
    home = tmp_path / "home"
    killed_run(home, patch, 1)
    run = subprocess.run(
        [sys.executable, "utilities/undo_changes.py", "--home", str(home), "--list"],
        cwd=REPO, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert f"{path}: an in-place write a killed run left: completed" in run.stderr
    assert tags.read(path).tags["date"] == "2001"
    assert os.listdir(writemode.journal_dir(home / "status")) == []


def test_an_unknown_write_mode_is_one_clear_line(tmp_path):
    (tmp_path / "mediakeeper.toml").write_text('[music]\nwrite_mode = "sideways"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path)
    assert "expected one of in-place, swap, copy, got 'sideways'" in str(refused.value)
    assert load_settings(tmp_path / "x").get("music", "write_mode") == "in-place"


def test_a_read_across_written_and_unwritten_pages_sees_every_write(tmp_path):
    """A long read that starts in an unwritten page and runs over a written one further on
    (mutagen reads back what it wrote) sees the write, not the file's old bytes."""
    path = tmp_path / "f"
    data = os.urandom(5 * 4096)
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        patch = PatchFile(fd, len(data))
        patch.seek(3 * 4096 + 10)
        patch.write(b"new")
        patch.seek(100)
        got = patch.read(4 * 4096)
    finally:
        os.close(fd)
    expected = bytearray(data)
    expected[3 * 4096 + 10 : 3 * 4096 + 13] = b"new"
    assert got == bytes(expected[100 : 100 + 4 * 4096])


def test_the_patch_reads_as_the_file_it_stands_for_through_any_writes_and_cuts(tmp_path):
    """Reads of every length from every place, between writes and truncates (the reads of
    the real file's bytes alone take a shorter way than those that meet a write), give what
    the same file written for real would: checked against a copy written for real, 2,000
    steps."""
    rng = random.Random(72)  # the same steps and bytes at every run
    path = tmp_path / "f"
    data = rng.randbytes(6 * 4096 + 123)
    path.write_bytes(data)
    (tmp_path / "model").write_bytes(data)
    model = open(tmp_path / "model", "r+b", buffering=0)  # noqa: SIM115 (closed below)
    fd = os.open(path, os.O_RDONLY)
    try:
        patch = PatchFile(fd, len(data))
        for _ in range(2000):
            at = rng.randrange(0, 8 * 4096)
            step = rng.random()
            if step < 0.15:
                new = rng.randbytes(rng.choice([1, 3, 100, 5000]))
                for f in (patch, model):
                    f.seek(at)
                    f.write(new)
            elif step < 0.2:
                for f in (patch, model):
                    f.truncate(at)
            else:
                size = rng.choice([-1, 0, 1, 4, 10, 4096, 9000, 30000])
                patch.seek(at)
                model.seek(at)
                assert patch.read(size) == model.read(size), (at, size)
                assert patch.tell() == model.tell()
    finally:
        os.close(fd)
        model.close()
    assert path.read_bytes() == data  # the real file is only read


# Holds a write lease the way an in-place write does, lets another program try to open the
# file, waits until the kernel has started breaking the lease (it signals the holder then),
# and lets go: the holder must live on.
LEASE_HOLDER = """
import fcntl, os, subprocess, sys, time
from mediakeeper.fs.checks import write_lease
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
assert write_lease(fd) and fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_WRLCK
opener = subprocess.Popen([sys.executable, "-c", "import sys; open(sys.argv[1], 'rb').close()",
                           path])
give_up = time.monotonic() + 20
while fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_WRLCK and time.monotonic() < give_up:
    time.sleep(0.001)
broken = fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_WRLCK
time.sleep(0.2)
os.close(fd)
print("alive", broken, opener.wait(), flush=True)
"""


def test_a_program_opening_a_file_under_an_in_place_write_does_not_kill_the_batch(tmp_path):
    """Opening a file holding a write lease makes the kernel signal the lease holder; with
    the default signal (SIGIO) that killed the batch mid-write. The holder lives on, and the
    other program's open goes on once the write lets go."""
    path = track(tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", LEASE_HOLDER, str(path)], cwd=REPO, capture_output=True,
        text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, (run.returncode, run.stderr[-500:])
    assert run.stdout == "alive True 0\n"
