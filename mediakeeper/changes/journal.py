"""Reading the change journal back: every entry, and every line that could not be read.

A journal is appended to one whole write at a time (``atomic.append_lines``), flushed to disk
before any file is touched. So a line can be wrong in two ways only, and they mean different
things:

- **cut short** (``torn``): a kill or a crash stopped an append mid-way. The files of that
  append were never touched (they wait for the journal on disk), so nothing is lost by
  passing over it; the next append starts on a line of its own, so the fragment stays
  behind, anywhere in the file. It is recognised by what it is: the start of a line that
  would have parsed, never ending in the line's closing brace. It is reported as a note and
  never makes an undo fail: it would otherwise fail every undo of that session forever, for
  a change that was never made.
- **damaged**: anything else (a flipped bit, a hand edit, an entry of the wrong shape; each
  line carries a CRC-32 of the rest, ``check``, so a flipped bit inside a value, which would
  still parse, is caught too: undo would otherwise write that wrong value). Its
  change may have been made and cannot be undone, so it is reported with its file and line,
  and the command that met it exits 1 after doing what it can.
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from mediakeeper.changes.kept import kept_entries
from mediakeeper.fs.atomic import encode_text
from mediakeeper.fs.identity import lasting_identity
from mediakeeper.text.jsonfmt import dumps_one

CHANGES_DIR = "changes"
# An undo journals the values it puts back under a session of its own, so that it can be
# undone in turn; its journal is named by that session (``<session>.jsonl``).
UNDO_PREFIX = "undo_"


# A decision's session (``decide``, the page) journals its values here too, under an id with
# this ending (``decisions/answering.new_session``).
DECIDE_SUFFIX = "_decide"


def is_undo(session: str) -> bool:
    """Whether ``session`` (a session id, or a journal's name without ``.jsonl``) is an
    undo's: its changes are values taken back, not fixes."""
    return session.startswith(UNDO_PREFIX)


@dataclass(frozen=True)
class JournalEntry:
    session: str
    artist: str
    path: str
    tag: str
    old: str | None
    new: str | None
    at: str
    # The file's size before the change was written (None: a line from before it was kept):
    # an undo gives the file that size back through its padding (``tags.FileWrite.size``).
    size: int | None = None


@dataclass(frozen=True)
class Unwritten:
    """A line saying that a change journaled at ``at`` was not written: its write left the
    file as it was (``ChangeJournal.unwritten``). Its entry is passed over by every reader."""

    session: str
    path: str
    tag: str
    at: str


@dataclass(frozen=True)
class JournalProblem:
    """A line of a journal that was passed over; ``line`` 0: the whole file."""

    journal: Path
    line: int
    reason: str
    torn: bool = False  # an append cut short: its change was never made

    @property
    def session(self) -> str:
        return self.journal.stem

    def __str__(self) -> str:
        where = f"{self.journal}: line {self.line}" if self.line else str(self.journal)
        if self.torn:
            return f"{where}: {self.reason}, passed over (its change was never made)"
        return f"{where}: {self.reason}; its change, if it was made, is not undone"


@dataclass
class Journals:
    entries: list[JournalEntry] = field(default_factory=list)  # oldest first
    problems: list[JournalProblem] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)  # every session a line names

    @property
    def damaged(self) -> list[JournalProblem]:
        return [p for p in self.problems if not p.torn]


def read_journals(status_kind_dir: Path, *, after: str | None = None) -> Journals:
    """Every journaled change of every session that was written, oldest first, and the lines
    passed over. ``after``: a session whose own changes and every change made after them are
    wanted (what an undo of it weighs); the journals last written before its first change
    (``CLOCK_SLACK`` aside) are not read, as each of their changes was made before it. A
    session with no journal: every journal is read."""
    paths = journal_paths(status_kind_dir)
    if after is not None and (first := _first_change(status_kind_dir, after)) is not None:
        oldest = (first - CLOCK_SLACK).timestamp()
        paths = [path for path in paths if path.stem == after or _written_since(path, oldest)]
    return _read(paths)


def _read(paths: Iterable[Path]) -> Journals:
    """The changes of these journals that were written, oldest first, and the lines passed
    over; ``sessions``: every session a line of them names."""
    found = Journals()
    dated = []
    unwritten: Counter[tuple[str, str, str, str]] = Counter()
    for entry in _each_line(paths):
        if isinstance(entry, JournalEntry):
            dated.append((_moment(entry.at), entry))
            found.sessions.add(entry.session)
        elif isinstance(entry, Unwritten):
            unwritten[entry.session, entry.path, entry.tag, entry.at] += 1
            found.sessions.add(entry.session)
        else:
            found.problems.append(entry)
    # By time (stamps from before microseconds were kept compare as times too), then as read.
    dated.sort(key=lambda pair: pair[0])
    found.entries.extend(entry for _, entry in dated if not _taken_out(unwritten, entry))
    return found


def _taken_out(unwritten: Counter[tuple[str, str, str, str]], entry: JournalEntry) -> bool:
    """Whether ``entry`` is a change its journal says unwritten: the one rule of every
    reader. Each line saying so (``unwritten``: how many say it of each session, path, tag
    and stamp) takes out one entry of that change, the first read (entries of one change
    share their stamp, so a reading by time and one in the journal's order take out the
    same). ``unwritten`` is counted down."""
    key = (entry.session, entry.path, entry.tag, entry.at)
    if unwritten[key]:
        unwritten[key] -= 1
        return True
    return False


@dataclass(frozen=True)
class Written:
    """What a session's journaled changes wrote: how many tag values, to how many files of
    how many artists, and the stamps of its first and last (in the journals' order)."""

    values: int
    files: int
    artists: int
    first: str
    last: str
    # Its run stopped (Ctrl+C, kill -9) between its journal and the last of its files
    # (``unfinished``): the changes are those it planned, fewer of them written.
    stopped: bool = False


@dataclass
class Summed:
    """Each session's ``Written``, in the order a whole reading first names them (by the time
    of their first change), and the lines passed over, in the journals' order."""

    sessions: dict[str, Written] = field(default_factory=dict)
    problems: list[JournalProblem] = field(default_factory=list)

    @property
    def damaged(self) -> list[JournalProblem]:
        return [p for p in self.problems if not p.torn]


# Each journal's sums as last read in this process, by the journal's path, with its
# ``journal_identity`` then.
_SUMMED: dict[Path, tuple[list[int], Summed]] = {}


def journal_identity(path: Path) -> list[int] | None:
    """What says a journal is unchanged since it was last read (``lasting_identity``: an
    append changes its size, any write its ctime, a replacement its inode); None when it
    cannot be looked at."""
    try:
        return lasting_identity(path.stat())
    except OSError:
        return None


def written_by_session(status_kind_dir: Path) -> Summed:
    """Every session's written changes, summed (``undo --list``, the page's recent changes).
    Only the journals written since their sums were kept are read: the sums the closing
    reports kept (``changes/kept.py``), and a process that asks again those it read itself,
    are taken for each journal still as it was then. A journal holding a line of another
    session (edited by hand) has every journal read together, as ``read_journals`` reads
    them."""
    paths = journal_paths(status_kind_dir)
    listed, folder = set(paths), status_kind_dir / CHANGES_DIR
    for gone in [p for p in _SUMMED if p.parent == folder and p not in listed]:
        del _SUMMED[gone]  # deleted by hand: its sums go with it
    parts = []
    kept: dict[str, dict[str, Any]] | None = None  # read at the first journal changed
    for path in paths:
        if (key := journal_identity(path)) is None:
            continue  # gone since it was listed
        held = _SUMMED.get(path)
        if held is None or held[0] != key:
            kept = kept_entries(folder) if kept is None else kept
            summed = _kept_sums(path, kept.get(path.name), key) or _summed_alone(path)
            if summed is None:  # it holds a line of another session
                return _summed(read_journals(status_kind_dir))
            held = _SUMMED[path] = (key, summed)
        parts.append(held[1])
    # A whole reading lists the changes by time, then as read (journals by name): the
    # sessions in that order, each in one journal here.
    order = sorted((_moment(w.first), n, m, sid) for n, part in enumerate(parts)
                   for m, (sid, w) in enumerate(part.sessions.items()))  # fmt: skip
    everything = {sid: w for part in parts for sid, w in part.sessions.items()}
    for sid in stopped_sessions(status_kind_dir) & everything.keys():
        everything[sid] = replace(everything[sid], stopped=True)
    return Summed({sid: everything[sid] for *_, sid in order},
                  [p for part in parts for p in part.problems])  # fmt: skip


class SessionSums:
    """What each session's written changes wrote, folded a change at a time: the one fold of
    ``written_by_session``, over a whole reading's changes (``_summed``) or over one journal's
    as it is read (``written_stamps(path, sums=...)``: the closing reports count a journal and
    sum it in one reading, and keep the sums, ``kept``). It holds each session's files and
    artists, not its changes. A session's first and last stamps are its earliest and latest
    in time, then as read: a whole reading's order (``_read``).

    ``journal``: the sums of that journal alone, which a line of another session spoils (it
    is read with every other: ``read_journals``)."""

    def __init__(self, journal: Path | None = None):
        self._own = None if journal is None else journal.stem  # met at every line: named once
        self.problems: list[JournalProblem] = []
        self.spoiled = False
        self._values: Counter[str] = Counter()
        self._files: dict[str, set[str]] = {}
        self._artists: dict[str, set[str]] = {}
        self._first: dict[str, tuple[datetime, str]] = {}
        self._last: dict[str, tuple[datetime, str]] = {}
        self._stamp: str | None = None  # one append's changes share a stamp: parsed once
        self._moment = _moment(None)

    def met(self, session: str) -> None:
        """A line of ``session`` was read (a change or a saying that one was unwritten)."""
        if self._own is not None and session != self._own:
            self.spoiled = True

    def add(self, entry: JournalEntry) -> None:
        """A change that was written."""
        s = entry.session
        if entry.at != self._stamp:
            self._stamp, self._moment = entry.at, _moment(entry.at)
        moment = self._moment
        self._values[s] += 1
        self._files.setdefault(s, set()).add(entry.path)
        self._artists.setdefault(s, set()).add(entry.artist)
        if s not in self._first or moment < self._first[s][0]:
            self._first[s] = (moment, entry.at)
        if s not in self._last or moment >= self._last[s][0]:
            self._last[s] = (moment, entry.at)

    def summed(self) -> Summed | None:
        """The sessions by the time of their first change (then as first read), and the
        lines passed over; None: spoiled."""
        if self.spoiled:
            return None
        first, last = self._first, self._last
        return Summed({s: Written(n, len(self._files[s]), len(self._artists[s]), first[s][1],
                                  last[s][1])
                       for s, n in sorted(self._values.items(), key=lambda sn: first[sn[0]][0])},
                      list(self.problems))  # fmt: skip

    def kept(self) -> dict[str, Any] | None:
        """The sums as the closing reports keep them for ``written_by_session``
        (``changes/kept.py``, read back by ``_kept_sums``); None: spoiled, none kept."""
        if (summed := self.summed()) is None:
            return None
        return {"sessions": [[sid, w.values, w.files, w.artists, w.first, w.last]
                             for sid, w in summed.sessions.items()],
                "problems": [[p.line, p.reason, p.torn] for p in summed.problems]}  # fmt: skip


def _summed_alone(path: Path) -> Summed | None:
    """One journal's sessions summed, a line at a time; None: it holds a line of another
    session."""
    sums = SessionSums(path)
    deque(written_stamps(path, sums=sums), maxlen=0)
    return sums.summed()


def _kept_sums(path: Path, held: dict[str, Any] | None, key: list[int]) -> Summed | None:
    """The sums kept for the journal at ``path`` (``SessionSums.kept``), when they were summed
    from it as it is now (its identity ``key``) and are as written; else None: it is read."""
    if held is None or held.get("id") != key or not isinstance(held.get("sums"), dict):
        return None
    sessions, problems = held["sums"].get("sessions"), held["sums"].get("problems")
    if not isinstance(sessions, list) or not isinstance(problems, list):
        return None
    summed = Summed()
    for session in sessions:
        if not (isinstance(session, list) and len(session) == 6 and session[0] == path.stem
                and all(type(n) is int and n > 0 for n in session[1:4])
                and all(isinstance(at, str) for at in session[4:])):  # fmt: skip
            return None
        summed.sessions[session[0]] = Written(*session[1:])
    for problem in problems:
        if not (isinstance(problem, list) and len(problem) == 3 and type(problem[0]) is int
                and isinstance(problem[1], str) and type(problem[2]) is bool):  # fmt: skip
            return None
        summed.problems.append(JournalProblem(path, *problem))
    return summed


UNFINISHED = ".unfinished"  # beside a journal: its run has not yet written all its files


@contextmanager
def unfinished(status_kind_dir: Path, session: str) -> Iterator[None]:
    """Mark ``session`` as a run whose journal may hold changes not yet written, for as long
    as the block runs: its journal is appended before any file is touched, so a run stopped
    inside it (Ctrl+C, kill -9) leaves the mark, and what lists sessions says it planned
    those changes rather than made them. A block that fails before its journal was written
    leaves no mark."""
    folder = status_kind_dir / CHANGES_DIR
    mark = folder / f"{session}{UNFINISHED}"
    folder.mkdir(parents=True, exist_ok=True)
    mark.touch()
    try:
        yield
    except Exception:
        if not (folder / f"{session}.jsonl").exists():
            mark.unlink(missing_ok=True)
        raise
    mark.unlink(missing_ok=True)


def stopped_sessions(status_kind_dir: Path) -> set[str]:
    """The sessions whose run stopped before it had written every file it journaled."""
    folder = status_kind_dir / CHANGES_DIR
    return {p.name[: -len(UNFINISHED)] for p in folder.glob(f"*{UNFINISHED}")} \
        if folder.is_dir() else set()  # fmt: skip


def _summed(journals: Journals) -> Summed:
    """Each session's sums from a whole reading (``read_journals``)."""
    sums = SessionSums()
    for entry in journals.entries:
        sums.add(entry)
    sums.problems.extend(journals.problems)
    summed = sums.summed()
    assert summed is not None  # no journal of its own to spoil
    return summed


def _first_change(status_kind_dir: Path, session: str) -> datetime | None:
    """When ``session`` made its first change that was written (``written_stamps``); None
    when it has no journal, no such change, or a stamp that is no time (edited by hand: it
    sorts before every other, so every journal is read)."""
    path = status_kind_dir / CHANGES_DIR / f"{session}.jsonl"
    if Path(session).name != session or not path.is_file():  # no file name: no journal
        return None
    first = min(map(_moment, written_stamps(path)), default=None)
    return None if first is None or first == _moment(None) else first  # a stamp unreadable


def journaled(status_kind_dir: Path, session: str) -> bool:
    """Whether ``session`` journaled a change that was written. A session's changes are in its
    own journal (``<session>.jsonl``, as ``ChangeJournal`` names it), so that one alone is
    read: undoing a dismissal asks this, and would otherwise read every change ever made."""
    path = status_kind_dir / CHANGES_DIR / f"{session}.jsonl"
    if Path(session).name != session or not path.is_file():  # no file name: no journal
        return False
    unwritten = _unwritten_changes(path)
    return any(isinstance(entry, JournalEntry) and entry.session == session
               and not _taken_out(unwritten, entry) for entry in _lines(path))  # fmt: skip


def read_journal(status_kind_dir: Path) -> list[JournalEntry]:
    """Every journaled change of every session that was written, oldest first (lines that
    cannot be read are passed over: ``read_journals`` says which)."""
    return read_journals(status_kind_dir).entries


def journal_stamps(status_kind_dir: Path, since: datetime | None = None) -> Iterator[str]:
    """When each journaled change that was written was made (its entry's ``at``), in the
    journals' order (``written_stamps`` of each of ``journal_paths``)."""
    for path in journal_paths(status_kind_dir, since):
        yield from written_stamps(path)


def written_stamps(
    path: Path, leave_out: frozenset[str] = frozenset(), sums: SessionSums | None = None
) -> Iterator[str]:
    """When each change of one journal that was written was made (its entry's ``at``), in
    its order: read a line at a time, holding none of its changes, only the few said
    unwritten (``_taken_out``). Where none is, a line as the toolkit wrote it (its checksum
    matches its bytes) has its stamp cut out of it without decoding the entry; any other is
    read whole. ``leave_out``: the changes of these artists (item keys) passed over.
    ``sums``: each written change and each line passed over folded into them as read (the
    closing reports' one reading of a journal, for its counts and its sums); every line is
    then read whole."""
    unwritten = _unwritten_changes(path)
    whole = bool(unwritten or leave_out) or sums is not None
    for entry in _lines(path, None if whole else _stamp):
        if isinstance(entry, str):  # cut out: nothing in this journal is said unwritten
            yield entry
        elif isinstance(entry, JournalEntry | Unwritten):
            if sums is not None:
                sums.met(entry.session)
            if isinstance(entry, Unwritten) or _taken_out(unwritten, entry):
                continue
            if entry.artist in leave_out:
                continue
            if sums is not None:
                sums.add(entry)
            yield entry.at
        elif sums is not None:
            sums.problems.append(entry)


_UNWRITTEN_KEY = b'"unwritten": '


def _unwritten_changes(path: Path) -> Counter[tuple[str, str, str, str]]:
    """The entries a journal says unwritten (session, path, tag and stamp), each as often as
    it says so. Its bytes are looked through first, a block at a time, and its lines read
    only where one is (a few journals of many)."""
    try:
        with _open_regular(path) as f:
            tail = b""  # the end of the block before: the key may span two blocks
            while block := f.read(1 << 16):
                if _UNWRITTEN_KEY in tail + block:
                    break
                tail = block[-len(_UNWRITTEN_KEY) :]
            else:
                return Counter()
    except OSError:
        return Counter()  # its lines say why
    return Counter((entry.session, entry.path, entry.tag, entry.at)
                   for entry in _lines(path) if isinstance(entry, Unwritten))  # fmt: skip


_CHECK_TAIL = len(b', "check": "00000000"}')
_AT = b', "at": "'
_STAMP = frozenset(b"0123456789-:.+TZ ")


def _as_written(body: bytes) -> bytes | None:
    """The entry's own encoding (the line but its check) when the line is exactly as
    ``checked_line`` writes it, its checksum matching: the CRC-32 of that encoding. None:
    anything else (written by hand, damaged, cut short)."""
    head, tail = body[:-_CHECK_TAIL], body[-_CHECK_TAIL:]
    if not head.startswith(b"{"):
        return None
    return head if tail == b', "check": "%08x"}' % zlib.crc32(head + b"}") else None


def _stamp(body: bytes) -> str | None:
    """The stamp of a line exactly as ``checked_line`` writes it (``_as_written``). No key or
    value of an entry holds an unescaped quote, so the entry's ``"at": "`` is found only as
    its own. None: the line is to be read whole."""
    head = _as_written(body)
    if head is None or head.count(_AT) != 1:
        return None
    start = head.index(_AT) + len(_AT)
    end = head.find(b'"', start)
    stamp = head[start:end]
    return stamp.decode("ascii") if end > 0 and _STAMP.issuperset(stamp) else None


def _each_line(
    paths: Iterable[Path], quick: Callable[[bytes], str | None] | None = None
) -> Iterator[JournalEntry | Unwritten | JournalProblem | str]:
    """Each journal's entries and passed-over lines, a line at a time; ``quick``: what a line
    is taken as without decoding it, where it can tell (None: it cannot)."""
    for path in paths:
        yield from _lines(path, quick)


# How far a journal's time of last write may lag the stamps of the changes in it: the
# kernel stamps a write with a coarser clock than the one the stamps are read from, FAT keeps
# two seconds, and a network share stamps it with the server's clock. A day is ample.
CLOCK_SLACK = timedelta(days=1)


def journal_paths(status_kind_dir: Path, since: datetime | None = None) -> list[Path]:
    """A kind's journals, by name. ``since``: those that may hold a change made since then; a
    journal last written before it (``CLOCK_SLACK`` aside) is left out, as each of its
    changes was stamped before the journal's last write. A batch's closing report counts
    this week's changes, and would otherwise read every change ever made at every batch."""
    directory = status_kind_dir / CHANGES_DIR
    found = sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    if since is None:
        return found
    oldest = (since - CLOCK_SLACK).timestamp()
    return [path for path in found if _written_since(path, oldest)]


def _written_since(path: Path, moment: float) -> bool:
    try:
        return path.stat().st_mtime >= moment
    except OSError:
        return True  # read: its lines say why it cannot be


def _lines(
    path: Path, quick: Callable[[bytes], str | None] | None = None
) -> Iterator[JournalEntry | Unwritten | JournalProblem | str]:
    """One journal's entries and passed-over lines (see ``_each_line``)."""
    try:
        journal = _open_regular(path)
    except OSError as err:
        yield JournalProblem(path, 0, f"cannot be read ({err.strerror})")
        return
    with journal:
        for number, raw in enumerate(journal, start=1):
            raw = raw.removesuffix(b"\n")
            if not raw.strip():  # a spare newline (see append_lines), or the end
                continue
            entry = (quick and quick(raw.rstrip(b"\x00 \t\r"))) or _entry(raw)
            if isinstance(entry, JournalEntry | Unwritten | str):
                yield entry
            else:
                reason, torn = entry
                yield JournalProblem(path, number, reason, torn)


def _open_regular(path: Path) -> BinaryIO:
    """A journal opened to read; never waits on a FIFO or a device someone put in its place."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(0, "not a regular file")
    return os.fdopen(fd, "rb")


_TEXT = ("session", "artist", "path", "tag", "at")
_REQUIRED = (*_TEXT, "old", "new")


def _entry(raw: bytes) -> JournalEntry | Unwritten | tuple[str, bool]:
    """The entry a line holds, or why it holds none and whether it was cut short."""
    body = raw.rstrip(b"\x00 \t\r")  # a crash may leave zeros where the data never came
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.end < len(body) or err.reason != "unexpected end of data":
            return "not UTF-8 text", False
        text = body[: err.start].decode("utf-8")  # a character cut in two at the end
        return _TORN if _cut_short(text) else ("not UTF-8 text", False)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        if _cut_short(text, err):
            return _TORN
        return f"not JSON ({err.msg} at column {err.pos + 1})", False
    if not isinstance(value, dict):
        return f"not a change entry (a JSON {type(value).__name__})", False
    # Its bytes as they were checked when written: its checksum holds without encoding the
    # entry again (what that saves a reading: docs/performance.md, undo --list).
    checked = _as_written(body) is not None
    return _unwritten(value, checked) if "unwritten" in value else _change(value, checked)


@cache
def _writable() -> frozenset[str]:
    """The tags a change may name. Imported at the first change read (mutagen with them),
    once: a reader of the journals' stamps alone (the dashboard, a weekly report) reads no
    tag, and a reader of 28,000 lines imports them once, not at each line."""
    from mediakeeper.tags import WRITABLE

    return WRITABLE


def _change(value: dict[str, Any], checked: bool) -> JournalEntry | tuple[str, bool]:
    """The ``JournalEntry`` a line's object holds, or why it holds none (``checked``: its
    checksum was found to hold already)."""
    missing = [key for key in _REQUIRED if key not in value]
    if missing:
        return f"not a change entry (no {', '.join(missing)})", False
    for key in _TEXT:
        if not isinstance(value[key], str):
            return f'not a change entry ("{key}" is {_kind(value[key])}, not text)', False
    for key in ("old", "new"):
        if value[key] is not None and not isinstance(value[key], str):
            return f'not a change entry ("{key}" is {_kind(value[key])}, not text)', False
    size = value.get("size")
    if size is not None and (type(size) is not int or size < 0):
        return f'not a change entry ("size" is {_kind(size)}, not a size)', False
    if value["tag"] not in _writable():
        return f"not a change entry (unknown tag {value['tag']!r})", False
    if not os.path.isabs(value["path"]):
        return f"not a change entry (the path {value['path']!r} is not absolute)", False
    check = value.pop("check", None)  # absent from a line written by hand
    if check is not None and not checked and check != _check(value):
        return "does not match its checksum (damaged)", False
    return JournalEntry(**{key: value[key] for key in JournalEntry.__annotations__ if key in value})


_UNWRITTEN = ("session", "path", "tag", "unwritten")


def _unwritten(value: dict[str, Any], checked: bool) -> Unwritten | tuple[str, bool]:
    """The ``Unwritten`` a line holds, or why it holds none (it is then damaged: the entry
    it speaks of stays, as though the line were not there)."""
    for key in _UNWRITTEN:
        if not isinstance(value.get(key), str):
            return f'not a change entry ("{key}" is {_kind(value.get(key))}, not text)', False
    if (check := value.pop("check", None)) is None or (not checked and check != _check(value)):
        return "does not match its checksum (damaged)", False
    return Unwritten(value["session"], value["path"], value["tag"], value["unwritten"])


def checked_line(entry: dict[str, Any]) -> str:
    """The journal line of ``entry``, ending with its checksum and a newline."""
    text = dumps_one(entry)  # encoded once: the checksum is of this same text
    return f'{text[:-1]}, "check": "{_checksum(text)}"}}\n'


def line_checked(raw: bytes) -> dict[str, Any] | None:
    """The JSON object a line written by ``checked_line`` holds, its checksum matching; None
    for anything else (cut short, damaged)."""
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(value, dict) or value.pop("check", None) != _check(value):
        return None
    return value


def _check(entry: dict[str, Any]) -> str:
    return _checksum(dumps_one(entry))


def _checksum(text: str) -> str:
    return f"{zlib.crc32(encode_text(text)):08x}"


_TORN = ("an entry cut short (an append stopped by a kill or a crash)", True)


def _kind(value: Any) -> str:
    return "null" if value is None else f"a JSON {type(value).__name__}"


def _cut_short(text: str, err: json.JSONDecodeError | None = None) -> bool:
    """Whether ``text`` is the start of a line the journal writes: the parser ran out of text
    (rather than meeting a wrong character), and the line's closing brace never came."""
    text = text.rstrip()
    if not text or text.endswith("}"):
        return not text
    if err is None:
        try:
            json.loads(text)
        except json.JSONDecodeError as again:
            err = again
        else:
            return False
    if err.msg.startswith("Unterminated string") or err.pos >= len(text):
        return True
    rest = text[err.pos :]
    if err.msg == "Expecting value":  # inside null
        return "null".startswith(rest)
    return err.msg.startswith("Invalid \\uXXXX") and len(rest) < 6  # inside an escape


def _moment(stamp: Any) -> datetime:
    """When an entry was journaled; a stamp that does not parse (edited by hand) counts as
    the oldest, so its entry is still undone, last."""
    try:
        at = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)
