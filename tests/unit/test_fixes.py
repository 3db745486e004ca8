"""The change journal, and what applying planned changes refuses."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.changes.change import TagChange
from mediakeeper.changes.journal import read_journal
from mediakeeper.changes.writes import ChangeJournal, apply_changes
from mediakeeper.core import writemode
from mediakeeper.core.config import Settings, load_settings
from mediakeeper.core.findings import SEVERITY
from mediakeeper.demo import tracks as synth
from mediakeeper.fs import safewrite
from mediakeeper.music.job import MusicJob
from mediakeeper.music.rule_base import WRITE_CODES
from mediakeeper.music.scan import scan_artist
from mediakeeper.text.commands import queue_manager
from mediakeeper.text.slug import slugify
from mediakeeper.text.wording import count
from tests.helpers import tag_by_hand
from tests.servers.musicbrainz import FakeMusicBrainz


def test_an_append_after_a_torn_line_is_read_back_whole(tmp_path):
    journal = ChangeJournal(tmp_path, "s1")
    journal.record([("Alpha", Path("/m/a.flac"), TagChange("a.flac", "title", "A ", "A"))])
    # An append that a full disk cut short leaves half a line behind.
    with open(journal.path, "ab") as f:
        f.write(b'{"session": "s1", "artist": "Alpha", "path": "/m/b.fl')
    journal.record([("Bravo", Path("/m/c.ogg"), TagChange("c.ogg", "album", None, "C"))])

    entries = read_journal(tmp_path)
    assert [(e.artist, e.path, e.tag, e.old, e.new) for e in entries] == [
        ("Alpha", "/m/a.flac", "title", "A ", "A"),
        ("Bravo", "/m/c.ogg", "album", None, "C"),
    ]
    assert journal.path.read_bytes().count(b"\n") == 3  # the torn line ended, not continued


def test_appends_on_a_whole_line_add_no_empty_lines(tmp_path):
    journal = ChangeJournal(tmp_path, "s1")
    for n in range(3):
        journal.record([("A", Path(f"/m/{n}.mp3"), TagChange(f"{n}.mp3", "title", None, "T"))])
    assert journal.path.read_text().splitlines() == [
        line for line in journal.path.read_text().splitlines() if line
    ]
    assert len(read_journal(tmp_path)) == 3


def test_a_planned_fix_never_overwrites_an_edit_made_after_the_scan(tmp_path):
    """The batch writes without reading each file again (it scanned a moment ago), so an edit
    in between (another tagger, or minutes of lookups) is caught by the write itself: with the
    scan's kept parse out of date, the file is parsed again and the old value checked."""
    artist = tmp_path / "Bob"
    values = {"title": "Song", "artist": "Bob ", "album": "A", "tracknumber": "1"}
    synth.make_track(artist / "A" / "01 - Song.flac", "flac", values)
    scan = scan_artist(artist, keep_bytes=1 << 20)
    assert scan.parsed  # the kept parse the write would have used
    path = artist / "A" / "01 - Song.flac"
    tag_by_hand(path, "artist", "Bobb")  # the edit, in place, after the scan
    change = TagChange("A/01 - Song.flac", "artist", "Bob ", "Bob")
    journal = ChangeJournal(tmp_path / "status", "s1")

    applied = apply_changes(artist, "Bob", [change], journal, verify=False, parsed=scan.parsed)

    assert applied.changes == ()
    assert applied.refused == ((change, "artist changed since it was read (now 'Bobb')"),)
    assert tags.read(path).tags["artist"] == "Bobb"


def test_undo_takes_a_tag_changed_twice_back_to_its_first_value(tmp_path):
    """Session 1 set a -> b, session 2 b -> c: undoing the artist takes c back to a, and says
    so once: the tag's net change."""
    from mediakeeper.changes.undo import undo

    path = synth.make_track(tmp_path / "Alpha" / "A" / "01 - a.flac", "flac", {"title": "a"})
    status = tmp_path / "status"
    for session, old, new in (("s1", "a", "b"), ("s2", "b", "c")):
        change = TagChange("A/01 - a.flac", "title", old, new)
        applied = apply_changes(
            path.parent.parent, "Alpha", [change], ChangeJournal(status, session)
        )
        assert applied.changes == (change,)
    assert tags.read(path).tags["title"] == "c"

    report = undo(status, artist="alpha")

    assert tags.read(path).tags["title"] == "a"
    assert [(e.session, e.old, e.new) for e in report.restored] == [("s2", "a", "c")]
    assert report.left_alone == [] and report.already == []


def test_undo_after_fix_undo_fix_reports_each_tag_once(tmp_path):
    """Fixed, undone, fixed again: the artist's undo walks back through the undo session's
    entries too, and restores each tag once (it used to print every step, 'b' -> 'a', 'a' ->
    'b', 'b' -> 'a', and count three values restored for one)."""
    from mediakeeper.changes.undo import undo

    path = synth.make_track(tmp_path / "Alpha" / "A" / "01 - a.flac", "flac", {"title": "a "})
    status = tmp_path / "status"
    fix = TagChange("A/01 - a.flac", "title", "a ", "a")
    apply_changes(path.parent.parent, "Alpha", [fix], ChangeJournal(status, "s1"))
    assert len(undo(status, artist="Alpha").restored) == 1
    apply_changes(path.parent.parent, "Alpha", [fix], ChangeJournal(status, "s2"))

    report = undo(status, artist="Alpha")

    assert tags.read(path).tags["title"] == "a "
    assert [(e.path, e.tag, e.new, e.old) for e in report.restored] == [
        (str(path), "title", "a", "a ")
    ]
    assert report.left_alone == [] and report.already == []
    again = undo(status, artist="Alpha")  # nothing left to do, said once
    assert (again.restored, again.left_alone, len(again.already)) == ([], [], 1)


def test_undo_leaves_a_tag_edited_since_alone_and_says_so_once(tmp_path):
    """Two sessions took the title a -> b -> c, then someone set it to x: both entries are
    refused, and the report has one line for the tag, the newest refusal."""
    from mediakeeper.changes.undo import undo

    path = synth.make_track(tmp_path / "Alpha" / "A" / "01 - a.flac", "flac", {"title": "a"})
    status, artist = tmp_path / "status", path.parent.parent
    for session, old, new in (("s1", "a", "b"), ("s2", "b", "c")):
        change = TagChange("A/01 - a.flac", "title", old, new)
        apply_changes(artist, "Alpha", [change], ChangeJournal(status, session))
    tags.write(path, {"title": "x"})  # by hand, after both

    report = undo(status, artist="Alpha")

    assert tags.read(path).tags["title"] == "x"
    assert report.restored == [] and report.already == []
    [(entry, why)] = report.left_alone
    assert (entry.session, entry.old, entry.new) == ("s2", "b", "c")
    assert "was changed again since (now 'x')" in why


def test_undo_walks_back_past_a_change_that_was_journaled_but_never_written(tmp_path):
    """The journal is written before the file: a run killed (or refused) after journaling
    b -> c leaves the file at b. Undo still takes it back to a, step by step."""
    from mediakeeper.changes.undo import undo

    path = synth.make_track(tmp_path / "Alpha" / "A" / "01 - a.flac", "flac", {"title": "a"})
    status, artist = tmp_path / "status", path.parent.parent
    apply_changes(artist, "Alpha", [TagChange("A/01 - a.flac", "title", "a", "b")],
                  ChangeJournal(status, "s1"))  # fmt: skip
    never = TagChange("A/01 - a.flac", "title", "b", "c")
    ChangeJournal(status, "s2").record([("Alpha", path, never)])  # and then the kill

    report = undo(status, artist="Alpha")

    assert tags.read(path).tags["title"] == "a"
    assert [(e.new, e.old) for e in report.restored] == [("b", "a")]
    assert [(e.new, e.old) for e in report.already] == [("c", "b")]
    assert report.left_alone == []


def test_undo_keeps_a_change_from_outside_between_two_sessions_apart(tmp_path):
    """s1 set a -> b, someone set c, s2 set c -> d: the values do not follow each other, so
    undo takes d back to c and leaves the rest alone, saying why."""
    from mediakeeper.changes.undo import undo

    path = synth.make_track(tmp_path / "Alpha" / "A" / "01 - a.flac", "flac", {"title": "a"})
    status, artist = tmp_path / "status", path.parent.parent
    apply_changes(artist, "Alpha", [TagChange("A/01 - a.flac", "title", "a", "b")],
                  ChangeJournal(status, "s1"))  # fmt: skip
    tags.write(path, {"title": "c"})
    apply_changes(artist, "Alpha", [TagChange("A/01 - a.flac", "title", "c", "d")],
                  ChangeJournal(status, "s2"))  # fmt: skip

    report = undo(status, artist="Alpha")

    assert tags.read(path).tags["title"] == "c"
    assert [(e.new, e.old) for e in report.restored] == [("d", "c")]
    assert [(e.new, e.old, why) for e, why in report.left_alone] == [
        ("b", "a", "title was changed again since (now 'c')")
    ]


@pytest.mark.parametrize("mode", writemode.MODES)
@pytest.mark.parametrize("made_by_another_worker", [False, True], ids=["new", "just-made"])
def test_the_journal_is_on_disk_before_any_file_is_replaced(
    tmp_path, monkeypatch, made_by_another_worker, mode
):
    """A power cut after a file is replaced must find its change in the journal: the journal
    is flushed (with the copies, to save a flush) before the first rename, and its name and
    its folder's are synced, also when another worker created the file a moment ago. In
    place, before the first byte of a track is written."""
    artist = tmp_path / "Bob"
    paths = [
        synth.make_track(artist / "A" / f"0{n} - Song.{fmt}", fmt, {"title": "Song "})
        for n, fmt in enumerate(("flac", "mp3"), 1)
    ]
    journal = ChangeJournal(tmp_path / "status", "s1", writemode.Writing(mode))
    if made_by_another_worker:
        journal.dir.mkdir(parents=True)
        journal.path.write_text('{"session": "s1"}\n')
    changes = [TagChange(str(p.relative_to(artist)), "title", "Song ", "Song") for p in paths]
    calls = []
    real_fsync, real_exchange, real_pwrite = os.fsync, safewrite.exchange, os.pwrite

    def fsync(fd):
        calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))  # or fdatasync
        real_fsync(fd)

    def exchange(copy, original):  # the copy takes the original's place
        calls.append(("replace", str(original)))
        real_exchange(copy, original)

    def pwrite(fd, data, at):  # a track written in place
        if os.readlink(f"/proc/self/fd/{fd}") in map(str, paths):
            calls.append(("replace", os.readlink(f"/proc/self/fd/{fd}")))
        return real_pwrite(fd, data, at)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "fdatasync", fsync)  # the journals' flushes are data only
    monkeypatch.setattr(os, "pwrite", pwrite)
    monkeypatch.setattr(safewrite, "exchange", exchange)
    apply_changes(artist, "Bob", changes, journal, verify=False)

    first_replace = next(n for n, (call, _) in enumerate(calls) if call == "replace")
    assert ("fsync", str(journal.path)) in calls[:first_replace]
    assert ("fsync", str(journal.dir)) in calls[:first_replace]  # its new name, too
    assert ("fsync", str(journal.dir.parent)) in calls[:first_replace]  # and its folder's
    assert [tags.read(p).tags["title"] for p in paths] == ["Song", "Song"]


@pytest.mark.parametrize("first_refused", [False, True], ids=["flushed", "refused-once"])
def test_the_journal_is_flushed_once_for_all_groups_of_copies(tmp_path, monkeypatch, first_refused):
    """Each group of copies is flushed on its own; the journal, unchanged between groups,
    needs the disk only once: again with the next group only if the disk refused it."""
    artist = tmp_path / "Bob"
    count = safewrite.WRITE_GROUP + 2  # two groups
    paths = [
        synth.make_track(artist / "A" / f"{n:02d} - Song.flac", "flac", {"title": "Song "})
        for n in range(1, count + 1)
    ]
    journal = ChangeJournal(tmp_path / "status", "s1")
    changes = [TagChange(str(p.relative_to(artist)), "title", "Song ", "Song") for p in paths]
    flushed = []
    real_fsync = os.fsync

    def fsync(fd):
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        if first_refused and flushed.count(str(journal.path)) == 1:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "fdatasync", fsync)  # the journals' flushes are data only
    applied = apply_changes(artist, "Bob", changes, journal, verify=False)
    written = count - safewrite.WRITE_GROUP if first_refused else count
    assert len(applied.changes) == written and len(applied.refused) == count - written
    assert flushed.count(str(journal.path)) == (2 if first_refused else 1)


def test_a_journal_the_disk_cannot_flush_leaves_every_file_old(tmp_path, monkeypatch):
    """The journal's flush is shared with the copies', not skipped when it fails: the disk
    refusing the journal alone (EIO) replaces no file, and leaves no copy behind."""
    artist = tmp_path / "Bob"
    paths = [
        synth.make_track(artist / "A" / f"0{n} - Song.{fmt}", fmt, {"title": "Song "})
        for n, fmt in enumerate(("flac", "mp3"), 1)
    ]
    before = [p.read_bytes() for p in paths]
    journal = ChangeJournal(tmp_path / "status", "s1")
    changes = [TagChange(str(p.relative_to(artist)), "title", "Song ", "Song") for p in paths]
    real_fsync = os.fsync

    def fsync(fd):  # the OS's answer when the disk fails the journal's blocks only
        if os.readlink(f"/proc/self/fd/{fd}") == str(journal.path):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "fdatasync", fsync)  # the journals' flushes are data only
    applied = apply_changes(artist, "Bob", changes, journal, verify=False)

    assert applied.changes == () and len(applied.refused) == 2
    # The journal is named: the music files themselves are fine.
    why = f"{journal.path} could not be written to disk first (Input/output error)"
    assert [reason for _, reason in applied.refused] == [why, why]
    assert [p.read_bytes() for p in paths] == before
    assert not [p for p in artist.rglob("*") if p.name.startswith(".mediakeeper.")]


def test_no_file_is_touched_until_its_changes_are_journaled(tmp_path):
    """Undo can only put back what the journal holds, so the journal comes first: when its
    append fails (here its folder cannot be made), no tag is written."""
    artist = tmp_path / "Bob"
    path = synth.make_track(artist / "A" / "01 - Song.flac", "flac", {"title": "Song "})
    before = path.read_bytes()
    (tmp_path / "status").write_text("a file where the journal's folder should be")
    journal = ChangeJournal(tmp_path / "status", "s1")
    change = TagChange("A/01 - Song.flac", "title", "Song ", "Song")

    with pytest.raises(OSError):
        apply_changes(artist, "Bob", [change], journal, verify=False)

    assert path.read_bytes() == before


def test_the_next_undo_removes_the_copies_a_killed_one_of_its_data_home_left(tmp_path):
    """A killed undo leaves its full-size copies in the album folders: the next run over
    those folders (an undo, or a batch) removes those of its own data home whose process has
    ended, and leaves another data home's alone."""
    from mediakeeper.changes.undo import undo
    from mediakeeper.fs.names import home_id

    path = synth.make_track(tmp_path / "Music/Alpha/A/01 - a.flac", "flac", {"title": "a "})
    home = tmp_path / "home"
    status = home / "status" / "music"
    change = TagChange("A/01 - a.flac", "title", "a ", "a")
    apply_changes(path.parent.parent, "Alpha", [change], ChangeJournal(status, "s1"))
    child = subprocess.Popen(["true"])
    child.wait()  # a pid whose process has ended, as a killed undo's has
    ours = path.parent / f".mediakeeper.{home_id(home)}.{child.pid}-3.tmp.flac"
    theirs = path.parent / f".mediakeeper.{home_id(tmp_path / 'other')}.{child.pid}-3.tmp.flac"
    for copy in (ours, theirs):
        copy.write_bytes(path.read_bytes())

    report = undo(status, session="s1")

    assert [e.new for e in report.restored] == ["a"]
    assert tags.read(path).tags["title"] == "a "
    assert not ours.exists() and theirs.exists()


# --- a file its fix leaves alone: a finding of its own -------------------------------------

TRACK = "2000 - Album/01 - Song 1.flac"  # of the artist Alpha; its title has a trailing space
# What the files are like while the music job runs (given the track, a folder outside the
# library and the data home): yields the job's settings (None: offline).
Arrange = Callable[[Path, Path, Path], contextlib.AbstractContextManager[Settings | None]]


@contextlib.contextmanager
def made_read_only(track: Path, elsewhere: Path, home: Path) -> Iterator[None]:
    track.chmod(0o444)
    yield None


@contextlib.contextmanager
def hard_linked_elsewhere(track: Path, elsewhere: Path, home: Path) -> Iterator[None]:
    """A download client seeds the track under another name (a hard link): its bytes there
    must stay as they were."""
    os.link(track, elsewhere / "seeding.flac")
    yield None
    assert (elsewhere / "seeding.flac").read_bytes() == track.read_bytes()


class _ActingHandler(FakeMusicBrainz.handler):
    def answer(self, fake, record, fault):
        fake.act()  # before the job hears back
        super().answer(fake, record, fault)


class ActingMusicBrainz(FakeMusicBrainz):
    """The fake MusicBrainz, doing ``action`` when the first request arrives."""

    handler = _ActingHandler

    def __init__(self, action: Callable[[], None]):
        super().__init__(fixtures=False, prolific_release_groups=0)
        self.action: Callable[[], None] | None = action

    def act(self) -> None:
        action, self.action = self.action, None
        if action is not None:
            action()


@contextlib.contextmanager
def linked_from_outside_during_lookups(track: Path, elsewhere: Path, home: Path):
    """While the job asks MusicBrainz (between its scan and its writes: minutes, on a big
    artist), the person moves the track out of the library and leaves a link in its place."""

    def move_out() -> None:
        track.rename(elsewhere / track.name)
        track.symlink_to(elsewhere / track.name)

    with ActingMusicBrainz(move_out) as fake:
        environ = {"MEDIAKEEPER_MUSICBRAINZ_URL": fake.url, "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
                   "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0"}  # fmt: skip
        yield load_settings(home, environ=environ)
        assert fake.action is None, "the job asked MusicBrainz nothing"


@contextlib.contextmanager
def open_for_writing_elsewhere(track: Path, elsewhere: Path, home: Path) -> Iterator[None]:
    """Another program (a tagger, a download) holds the track open for writing while the job
    runs: what the job read may not be all that program is writing."""
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys; f = open(sys.argv[1], 'r+b'); print(flush=True);"
         " sys.stdin.read()", str(track)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        writer.stdout.readline()  # it has the file open
        yield None
    finally:
        writer.stdin.close()
        writer.wait()


# (code, what the files are like while the music job runs, the finding's message: {elsewhere}
# and {reset} filled in). tests/contracts/test_findings.py counts these as the codes' firing cases.
WRITE_FIRES = [
    pytest.param(
        "read-only-file",
        made_read_only,
        "Read-only (mode 444): left alone; make it writable (chmod u+w) if it should be fixed.",
        id="read-only-file",
    ),
    pytest.param(
        "hard-linked-file",
        hard_linked_elsewhere,
        "Has 2 names (hard links: a download client's copy, another folder): left alone, "
        'since a fix would change every one; set music.hard_links = "separate" to give the '
        "library a file of its own.",
        id="hard-linked-file",
    ),
    pytest.param(
        "link-outside-library",
        linked_from_outside_during_lookups,
        "A link to {elsewhere}/01 - Song 1.flac, outside the library: left alone; fix the file "
        "where it is.",
        id="link-outside-library",
    ),
    pytest.param(
        "changed-during-fix",
        open_for_writing_elsewhere,
        "Open for writing by another program: left alone; run the artist again to fix it "
        "({reset}).",
        id="changed-during-fix",
    ),
]


def test_the_write_codes_are_the_ones_with_a_case_here() -> None:
    assert {case.values[0] for case in WRITE_FIRES} >= WRITE_CODES


@pytest.mark.parametrize(("code", "arrange", "says"), WRITE_FIRES)
def test_a_file_its_fix_leaves_alone_is_an_open_finding_that_says_why(
    tmp_path, code: str, arrange: Arrange, says: str
) -> None:
    """The music job, on a real track whose title it would fix, with the track in a state
    its fix must leave alone: the track keeps its bytes, and the artist's findings say why,
    counted as an open issue alike in the queue item, the artist's JSON and its report."""
    values = {"title": "Song 1 ", "artist": "Alpha", "albumartist": "Alpha", "album": "Album",
              "tracknumber": "1", "date": "2000"}  # fmt: skip
    track = synth.make_track(tmp_path / "Music" / "Alpha" / TRACK, "flac", values)
    elsewhere, home = tmp_path / "Elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    item = {"key": "Alpha", "name": "Alpha", "path": str(track.parents[1])}
    before = track.read_bytes()
    with arrange(track, elsewhere, home) as settings:
        result = MusicJob(home, "session_1", settings=settings).process(item)
    assert track.read_bytes() == before

    doc = json.loads((home / "outputs/music/artists" / f"{slugify('Alpha')}.json").read_text())
    [record] = [f for f in doc["findings"] if f["code"] == code]
    reset = f"{queue_manager('music', home)} --reset-artist Alpha"
    assert record["message"] == says.format(elsewhere=elsewhere, reset=reset)
    assert record["severity"] == SEVERITY[code]
    assert (record["path"], record["album"]) == (TRACK, "2000 - Album")
    assert not record["fixed"] and not record["fixable"]
    assert record["code"] not in {f["code"] for f in doc["findings"] if f["fixed"]}
    # One count of open issues everywhere: the left-alone finding is one of them.
    found = len(doc["findings"])
    assert result.counts["issues_found"] == doc["summary"]["issues_found"] == found
    assert result.counts["issues_resolved"] == doc["summary"]["issues_resolved"] == 0
    assert result.problem.startswith("1 tag fix could not be written")
    by_code = result.details["finding_counts"]
    assert by_code[code] == [1, 0] and sum(n for n, _ in by_code.values()) == found
    assert result.summary.startswith(f"1 track, {found} findings, 0 fixed")
    report = (home / "issues/music" / f"{slugify('Alpha')}.md").read_text()
    # Decisions: the open errors and warnings, never an info finding (missing-cover).
    asked = [f for f in doc["findings"] if f["severity"] != "info"]
    assert 0 < len(asked) < found
    assert f"**0 fixed**, **{count(len(asked), 'decision')} for you**" in report
