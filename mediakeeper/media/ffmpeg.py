"""ffmpeg: found, run, and never left behind.

Found in this order: the ``[ffmpeg] path`` setting, ``ffmpeg`` on ``PATH``, the binary the
``imageio-ffmpeg`` wheel ships (a dependency, so a fresh ``pip install`` has one). There is no
ffprobe: a length that must be exact comes from decoding the whole file (``-f null -``) and
reading ffmpeg's own ``-progress`` lines.

Every child is started through ``system.children``: the kernel kills it when the thread that
started it goes (a process group does not die with its leader, so a batch or a worker killed
with ``kill -9`` would otherwise leave its encoders running), and a command waits for it to
have ended before it exits. An exception in the thread that waits (Ctrl+C in the main
process) kills the child before it is raised on.

``run`` reads ffmpeg's ``-progress`` lines as they come (how far it has written, for a
caller's progress display) and may hold it to limits: a total time, and a time without
progress. A child past one is killed: an input that stopped answering (a FIFO nobody
writes, a network mount that went away) would otherwise hold its batch for ever.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.core.errors import ConfigError, MediakeeperError
from mediakeeper.fs.atomic import atomic_write_text
from mediakeeper.fs.identity import identity
from mediakeeper.system import children
from mediakeeper.text.wording import clock

BASE = ("-nostdin", "-hide_banner", "-loglevel", "error", "-nostats")


class FFmpegFailed(MediakeeperError):
    """ffmpeg ended with an error; ``message`` is its own last error line."""


@dataclass(frozen=True)
class Run:
    returncode: int
    seconds: float  # the last ``out_time`` ffmpeg reported: the length it wrote or decoded
    last_error: str
    stderr: str = ""  # all of it, for a filter that reports there (ebur128's summary)
    stopped: str = ""  # why it was killed past a limit (``run``'s timeout or stall), or ""

    @property
    def error(self) -> str:
        """What went wrong, for a message: why it was stopped, else ffmpeg's last error line."""
        return self.stopped or self.last_error or f"ffmpeg exited with {self.returncode}"


# The oldest ffmpeg the toolkit works with: Debian 12's 5.1 (the encoder's ``-ch_layout``
# input option is 5.1's). An older one on PATH is passed over for the bundled one, and said.
OLDEST = (5, 1)
_VERSION = re.compile(rb"ffmpeg version n?(\d+)\.(\d+)")


def find(configured: str = "") -> str:
    """The ffmpeg to run: ``[ffmpeg] path``, else the one on PATH (5.1 or newer), else the one
    the ``imageio-ffmpeg`` wheel ships. A configured path that is not an executable is a
    ConfigError (the batch stops: it is wrong for every album)."""
    if configured:
        path = shutil.which(os.path.expanduser(configured))
        if path is None:
            raise ConfigError(
                f"[ffmpeg] path {configured!r} is not an executable file; fix the setting or "
                "leave it empty to use the ffmpeg the toolkit ships"
            )
        return path
    on_path = shutil.which("ffmpeg")
    if on_path is not None and not too_old(on_path):
        return on_path
    return bundled()


def bundled() -> str:
    """The ffmpeg the ``imageio-ffmpeg`` wheel ships."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ConfigError(
            "no ffmpeg found: install ffmpeg, or `pip install imageio-ffmpeg`, or set [ffmpeg] path"
        ) from None
    return imageio_ffmpeg.get_ffmpeg_exe()


# ``exe -version`` runs started by ``ask_version``, whose answers ``version`` has not read,
# by (asking process, exe): a forked worker shares the pipe, not the child, and asks anew.
_ASKED: dict[tuple[int, str], subprocess.Popen] = {}
# Answers a data home recorded for the very file (``ask_version``'s ``record``), by exe: a
# forked worker inherits them and runs no ``-version`` of its own.
_KNOWN: dict[str, tuple[int, int] | None] = {}
# exe -> the record file its answer is written to once read.
_RECORDS: dict[str, Path] = {}
_NOT_RECORDED = object()  # what ``_recorded`` says of an answer it does not hold


def ask_version(exe: str, record: Path | None = None, *, keep: bool = True) -> None:
    """Start ``exe -version`` without waiting for it: ``version(exe)`` reads its answer later.
    A dynamically linked ffmpeg is slow to say it (a process loading its hundred libraries:
    docs/performance.md), and a batch would otherwise wait for it before its first item. A
    process, not a thread: a batch may fork its workers meanwhile. One whose answer is never
    read (a batch stopped first) ends with the batch (``system.children``).

    ``record``: a file (a data home's ``status/cache/ffmpeg.json``) that keeps each answer
    with the identity of the file that gave it (``fs.identity.identity``): an answer
    recorded there for this very file is taken without running it again; a new answer is
    recorded when ``version`` reads it (not with ``keep`` False: a dry run writes nothing).
    An ffmpeg upgraded or replaced is a new file, asked anew."""
    if record is not None:
        recorded = _recorded(record, exe)
        if recorded is not _NOT_RECORDED:
            _KNOWN[exe] = recorded
            return
        if keep:
            _RECORDS[exe] = record
    with contextlib.suppress(OSError):  # version() then runs it again and says None
        if (os.getpid(), exe) not in _ASKED:
            _ASKED[os.getpid(), exe] = _version_run(exe)


def _version_run(exe: str) -> subprocess.Popen:
    return children.start([exe, "-hide_banner", "-version"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip


@functools.lru_cache(maxsize=8)
def version(exe: str) -> tuple[int, int] | None:
    """``exe``'s version (major, minor), or None where it does not say one (a build from
    git says "N-112233-g..."; taken as new enough)."""
    if exe in _KNOWN:
        return _KNOWN[exe]
    try:
        proc = _ASKED.pop((os.getpid(), exe), None) or _version_run(exe)
    except OSError:
        return None
    try:
        said = proc.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        return None
    finally:
        children.end(proc)  # past its time, or interrupted: it never runs on
    match = _VERSION.search(said)
    found = (int(match.group(1)), int(match.group(2))) if match else None
    if (record := _RECORDS.get(exe)) is not None and proc.returncode == 0:
        _remember(record, exe, found)
    return found


def _recorded(record: Path, exe: str) -> Any:
    """The version ``record`` keeps for ``exe`` as it is now, or ``_NOT_RECORDED`` (none
    kept, kept for another file, or a record that cannot be read: asked anew)."""
    try:
        kept = json.loads(record.read_bytes())[exe]
        if kept["identity"] != list(identity(os.stat(exe))):
            return _NOT_RECORDED
        found = kept["version"]
        return None if found is None else (int(found[0]), int(found[1]))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return _NOT_RECORDED


def _remember(record: Path, exe: str, found: tuple[int, int] | None) -> None:
    """``found`` kept in ``record`` for ``exe`` (the other ffmpegs' answers kept too). A
    record that cannot be written is passed over: the next batch asks again."""
    try:
        kept = json.loads(record.read_bytes())
        if not isinstance(kept, dict):
            kept = {}
    except (OSError, ValueError):
        kept = {}
    with contextlib.suppress(OSError):
        entry = {"identity": list(identity(os.stat(exe))), "version": found and list(found)}
        if kept.get(exe) != entry:  # a batch's workers each read the same answer: one write
            kept[exe] = entry
            atomic_write_text(record, json.dumps(kept, indent=1) + "\n", durable=False)


@functools.lru_cache(maxsize=8)
def build(exe: str) -> str:
    """``exe``'s build as its ``-version`` says it on its first line ("ffmpeg version
    5.1.6-0+deb12u1"): two ffmpegs that say the same line encode the same bytes, which a
    cluster's workers must (``batch/cluster.py``). "" when it says nothing."""
    try:
        said = subprocess.run([exe, "-hide_banner", "-version"], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=30).stdout  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ""
    first = said.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return first.split(" Copyright")[0]


def too_old(exe: str) -> bool:
    found = version(exe)
    return found is not None and found < OLDEST


def ask_passed_over(record: Path | None = None, *, keep: bool = True) -> None:
    """Start what ``passed_over`` asks, without waiting (``ask_version``, with its
    ``record`` and ``keep``)."""
    if (on_path := shutil.which("ffmpeg")) is not None:
        ask_version(on_path, record, keep=keep)


def passed_over() -> str:
    """One line when the ffmpeg on PATH is too old and the bundled one is used; else ""."""
    on_path = shutil.which("ffmpeg")
    if on_path is None or not too_old(on_path):
        return ""
    major, minor = version(on_path)
    oldest = ".".join(map(str, OLDEST))
    return (f"the ffmpeg on PATH ({on_path}, {major}.{minor}) is older than {oldest}, the "
            "oldest this toolkit works with: using the ffmpeg it ships; set [ffmpeg] path "
            "to choose another")  # fmt: skip


def command(exe: str, args: Sequence[str]) -> list[str]:
    """The full command line: no stdin, errors only, progress as key=value lines on stdout."""
    return [exe, *BASE, "-progress", "pipe:1", *args]


def run(
    exe: str,
    args: Sequence[str],
    *,
    progress: Callable[[float], None] | None = None,
    timeout: float | None = None,
    stall: float | None = None,
    stdin: int | None = None,
    pass_fds: Sequence[int] = (),
    cwd: Path | None = None,
) -> Run:
    """Run ffmpeg to its end. Never raises for ffmpeg's own failure (see ``Run``).

    Its ``-progress`` lines are read as they come: ``progress(seconds)`` hears each
    ``out_time`` further than the last (about two a second). ``timeout``: the most seconds it
    may run in all; ``stall``: the most it may go without its ``out_time`` moving on (an input
    that stopped answering: a FIFO nobody writes, a network mount gone). Past either it is
    killed and ``Run.stopped`` says why. None: no limit. ``stdin``: the read end of a pipe
    ffmpeg reads ``pipe:0`` from, handed over (closed here once ffmpeg has it, so that its
    writer hears a broken pipe when ffmpeg ends). ``pass_fds``: pipes' write ends ffmpeg
    writes ``pipe:N`` to (the caller closes them). ``cwd``: where relative names are."""
    try:
        proc = children.start(command(exe, args),
                              stdin=subprocess.DEVNULL if stdin is None else stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=pass_fds,
                              cwd=cwd)  # fmt: skip
    finally:
        if stdin is not None:
            os.close(stdin)
    try:
        last, err, stopped = _follow(proc, progress, timeout, stall)
    finally:
        children.end(proc)  # an exception (Ctrl+C in this thread): it never runs on
        proc.stdout.close()
        proc.stderr.close()
    seconds = max(last, 0) / 1_000_000
    return Run(proc.returncode, seconds, last_line(err), err.decode("utf-8", "replace"), stopped)


def _follow(
    proc: subprocess.Popen,
    progress: Callable[[float], None] | None,
    timeout: float | None,
    stall: float | None,
) -> tuple[int, bytes, str]:
    """Read ``proc``'s progress and errors until it ends or a limit passes: (its last
    ``out_time_us``, all of its stderr, why it was stopped or "")."""
    started = moved = time.monotonic()
    last = furthest = -1
    pending, err = b"", bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        selector.register(proc.stderr, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            limits = [] if timeout is None else [(started + timeout - now, "total")]
            if stall is not None:
                limits.append((moved + stall - now, "stall"))
            left, which = min(limits) if limits else (None, "")
            if left is not None and left <= 0:
                children.end(proc)
                return last, bytes(err), _stopped(which, timeout, stall)
            if not selector.get_map():  # both pipes closed: it is ending
                try:
                    proc.wait(left)
                except subprocess.TimeoutExpired:
                    continue
                return last, bytes(err), ""
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.fileobj is proc.stderr:
                    err += chunk
                else:
                    *lines, pending = (pending + chunk).split(b"\n")
                    for line in lines:
                        if (value := _out_time(line)) is None:
                            continue
                        last = value
                        if value > furthest:
                            furthest, moved = value, time.monotonic()
                            # ffmpeg 5.1 reports 0 before any output: no progress to tell
                            if progress is not None and value > 0:
                                progress(value / 1_000_000)


def _out_time(line: bytes) -> int | None:
    if line.startswith(b"out_time_us="):
        value = line.partition(b"=")[2].strip()
        if value.lstrip(b"-").isdigit():
            return int(value)
    return None  # another key, or "N/A" before anything is written


def _stopped(which: str, timeout: float | None, stall: float | None) -> str:
    if which == "stall":
        return (f"ffmpeg made no progress for {stall:g} s and was stopped: is an input on a "
                "mount (a network share, a disk) that stopped answering?")  # fmt: skip
    return (f"ffmpeg was still running after {clock(timeout or 0)}, the longest it may take, "
            "and was stopped: is an input on a mount that has become very slow?")  # fmt: skip


_LEVEL = re.compile(r"\[(?:info|verbose|debug|trace)\] ")


def last_line(stderr: bytes) -> str:
    """The last line of ffmpeg's errors (lines it tags as information are passed over)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line and not _LEVEL.search(line)]
    return re.sub(r"\[(?:error|fatal|warning|panic)\] ", "", lines[-1]) if lines else ""


# Decoded frames handed on in blocks of 64k samples (the last one as it is, not padded): the
# length is the same, and passing each 1024-sample frame between ffmpeg's threads costs more
# than decoding it.
FEWER_FRAMES = "asetnsamples=n=65536:p=0"


def decoded_length(exe: str, path: Path | str, **limits: Any) -> float:
    """The length of ``path``'s first audio stream, in seconds, by decoding all of it.
    FFmpegFailed if it does not decode (or is stopped: ``limits`` are ``run``'s keywords)."""
    result = run(exe, ["-i", os.fspath(path), "-map", "0:a:0", "-af", FEWER_FRAMES, "-f",
                       "null", "-"], **limits)  # fmt: skip
    if result.returncode != 0:
        raise FFmpegFailed(result.error)
    return result.seconds



@dataclass(frozen=True)
class Stream:
    codec: str  # "aac", "mp3", ...
    rate: int
    channels: int
    profile: str = ""  # "LC", "HE-AAC", ... (for other codecs, what ffmpeg says after the name)


_STREAM = re.compile(r"Stream #0:\d+.*?: Audio: (\w+)(?: \(([^)]*)\))?.*?, (\d+) Hz, ([^,]+)")
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}


def _stream(described: bytes, path: Path | str) -> Stream:
    """The first audio stream as ffmpeg describes its input (there is no ffprobe)."""
    match = _STREAM.search(described.decode("utf-8", "replace"))
    if match is None:
        raise FFmpegFailed(last_line(described) or f"{path}: no audio stream")
    layout = match.group(4).strip()
    channels = _LAYOUTS.get(layout) or int(re.match(r"\d*", layout).group() or 0)
    return Stream(match.group(1), int(match.group(3)), channels, match.group(2) or "")


@dataclass(frozen=True)
class Packets:
    count: int
    first: float  # the first packet's time, seconds: minus the priming an edit list skips
    frame: float  # one packet's length, seconds (1024 samples for AAC-LC)
    end: float = 0.0  # where the last packet ends, seconds: the length a player shows
    stream: Stream | None = None  # the stream, as ffmpeg described it
    size: int = 0  # the packets' bytes: the audio alone (no tags, no cover)


def packets(exe: str, path: Path | str, copy_to: Path | None = None, keep: Path | None = None,
            timeout: float | None = None) -> Packets:  # fmt: skip
    """The first audio stream's packets, from ffmpeg's ``framecrc`` listing read as it
    comes (no decoding; the eight million lines of a 50-hour book are never held at once),
    and the stream as the same run describes it: what a stream copy carries of ``path``.
    ``copy_to``: the same packets are written there as a raw ADTS stream by the same run.
    ``keep``: the listing is kept there too (each packet's size and checksum, to compare a
    copy with: ``listed_packets``). ``timeout``: the most seconds it may take (then it is
    killed, an FFmpegFailed)."""
    listing = ["-map", "0:a:0", "-c", "copy", "-f", "framecrc", "-"]
    if copy_to is not None:
        listing += ["-map", "0:a:0", "-c", "copy", "-f", "adts", "-y", os.fspath(copy_to)]
    described = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info"]
    rows = _Rows()
    with tempfile.TemporaryFile() as errors, open(keep or os.devnull, "wb") as kept:
        proc = children.start([exe, *described, "-i", os.fspath(path), *listing],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=errors)  # fmt: skip
        stopped: list[bool] = []

        def stop() -> None:
            stopped.append(True)
            proc.kill()

        late = threading.Timer(timeout, stop) if timeout is not None else None
        try:
            if late is not None:
                late.start()
            for line in proc.stdout:
                kept.write(line)
                rows.add(line)
        finally:
            if late is not None:
                late.cancel()
            children.end(proc)  # an exception (Ctrl+C): it never runs on
            proc.stdout.close()
        errors.seek(0)
        described_text = errors.read()
    if stopped:
        raise FFmpegFailed(f"ffmpeg was still reading {path} after {clock(timeout or 0)}, the "
                           "longest it may take, and was stopped: is it on a mount that has "
                           "become very slow?")  # fmt: skip
    if proc.returncode != 0:
        raise FFmpegFailed(last_line(described_text) or f"ffmpeg exited with {proc.returncode}")
    if not rows.count:
        raise FFmpegFailed(f"{path}: no audio packets")
    stream = _stream(described_text, path)
    return Packets(rows.count, rows.first * rows.base, rows.frame * rows.base,
                   rows.end * rows.base, stream, rows.size)  # fmt: skip


_CHAPTER = re.compile(rb"^\s*Chapter #\d+:\d+: start (-?[\d.]+), end", re.MULTILINE)


def chapter_starts(exe: str, path: Path | str) -> list[float]:
    """Where each chapter of ``path`` starts, seconds, as ffmpeg reads them: from an MP4's
    QuickTime chapter track, which holds every chapter (Nero's ``chpl``, what mutagen reads,
    holds 255 at most: its count is one byte)."""
    described = subprocess.run([exe, "-nostdin", "-hide_banner", "-i", os.fspath(path)],
                               capture_output=True, check=False).stderr  # fmt: skip
    return [float(start) for start in _CHAPTER.findall(described)]


class _Rows:
    """What ``packets`` keeps of a listing's lines: their count, the first packet's time and
    length, where the last one ends, in the listing's time base; their bytes."""

    count = first = frame = end = size = 0
    base = 1.0

    def add(self, line: bytes) -> None:
        if line.startswith(b"#tb 0: "):
            num, _, den = line[7:].partition(b"/")
            self.base = int(num) / int(den)
        elif fields := _row(line):
            pts, duration = int(fields[2]), int(fields[3])
            if not self.count:
                self.first, self.frame = pts, duration
            self.count += 1
            self.end = pts + duration
            self.size += int(fields[4])


def listed_packets(listing: Iterable[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """Each packet's size and checksum, from the lines of a ``framecrc`` listing."""
    for line in listing:
        if fields := _row(line):
            yield fields[4].strip(), fields[5].strip()


def _row(line: bytes) -> list[bytes]:
    """A listing line's fields (stream, dts, pts, duration, size, checksum, ...), or none
    for a header line."""
    fields = [] if line.startswith(b"#") else line.split(b",")
    return fields if len(fields) >= 6 else []
