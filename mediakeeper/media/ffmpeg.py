"""ffmpeg: found, run, and never left behind.

Found in this order: the ``[ffmpeg] path`` setting, ``ffmpeg`` on ``PATH``, the binary the
``imageio-ffmpeg`` wheel ships (a dependency, so a fresh ``pip install`` has one). There is no
ffprobe: a length that must be exact comes from decoding the whole file (``-f null -``) and
reading ffmpeg's own ``-progress`` lines.

Every child is started with the kernel told to SIGKILL it when the thread that started it
goes (``PR_SET_PDEATHSIG``): a process group does not die with its leader, so a batch (or a
worker) killed with ``kill -9`` would otherwise leave its encoders running. An exception in
the thread that waits (Ctrl+C in the main process) kills the child before it is raised on.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mediakeeper.errors import ConfigError, MediakeeperError
from mediakeeper.linux import child_dies_with_parent

_RUNNING: set[subprocess.Popen] = set()  # this process's ffmpeg children, for kill_running
_LOCK = threading.Lock()

BASE = ("-nostdin", "-hide_banner", "-loglevel", "error", "-nostats")


class FFmpegFailed(MediakeeperError):
    """ffmpeg ended with an error; ``message`` is its own last error line."""


@dataclass(frozen=True)
class Run:
    returncode: int
    seconds: float  # the last ``out_time`` ffmpeg reported: the length it wrote or decoded
    last_error: str
    stderr: str = ""  # all of it, for a filter that reports there (ebur128's summary)


def find(configured: str = "") -> str:
    """The ffmpeg to run. A configured path that is not an executable is a ConfigError (the
    batch stops: it is wrong for every album)."""
    if configured:
        path = shutil.which(os.path.expanduser(configured))
        if path is None:
            raise ConfigError(
                f"[ffmpeg] path {configured!r} is not an executable file; fix the setting or "
                "leave it empty to use the ffmpeg the toolkit ships"
            )
        return path
    on_path = shutil.which("ffmpeg")
    if on_path is not None:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ConfigError(
            "no ffmpeg found: install ffmpeg, or `pip install imageio-ffmpeg`, or set [ffmpeg] path"
        ) from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def command(exe: str, args: Sequence[str]) -> list[str]:
    """The full command line: no stdin, errors only, progress as key=value lines on stdout."""
    return [exe, *BASE, "-progress", "pipe:1", *args]


def run(exe: str, args: Sequence[str], *, info: bool = False) -> Run:
    """Run ffmpeg to its end. Never raises for ffmpeg's own failure (see ``Run``). ``info``:
    ffmpeg's informational lines too, in ``Run.stderr`` (a filter's summary, e.g. astats);
    ``last_error`` is still the last error line."""
    level = ["-loglevel", "level+info"] if info else []
    proc = subprocess.Popen(
        command(exe, [*level, *args]),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=child_dies_with_parent(),
    )
    with _LOCK:
        _RUNNING.add(proc)
    try:
        out, err = proc.communicate()
    except BaseException:
        _kill(proc)
        raise
    finally:
        with _LOCK:
            _RUNNING.discard(proc)
    return Run(proc.returncode, _last_time(out), _last_line(err), err.decode("utf-8", "replace"))


def kill_running() -> None:
    """Kill every ffmpeg this process started that still runs (the threads waiting on them
    see them end): for a Ctrl+C that the main thread receives while others encode."""
    with _LOCK:
        running = list(_RUNNING)
    for proc in running:
        with contextlib.suppress(OSError):
            proc.send_signal(signal.SIGKILL)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        proc.send_signal(signal.SIGKILL)
    proc.wait()


def _last_time(progress: bytes) -> float:
    micros = 0
    for line in progress.splitlines():
        if line.startswith(b"out_time_us="):
            value = line.partition(b"=")[2].strip()
            if value.lstrip(b"-").isdigit():
                micros = int(value)
    return max(micros, 0) / 1_000_000


_LEVEL = re.compile(r"\[(?:info|verbose|debug|trace)\] ")


def _last_line(stderr: bytes) -> str:
    """The last line of ffmpeg's errors (lines it tags as information are passed over)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line and not _LEVEL.search(line)]
    return re.sub(r"\[(?:error|fatal|warning|panic)\] ", "", lines[-1]) if lines else ""


def decoded_length(exe: str, path: Path | str, *, pieces: int = 1, around: float = 0.0) -> float:
    """The length of ``path``'s first audio stream, in seconds, by decoding all of it.
    FFmpegFailed if it does not decode. With ``pieces`` > 1 and a length ``around`` known
    beforehand, the file is decoded in that many consecutive spans at once (an AAC decoder
    uses one core): each span from an exact seek, so the spans' lengths add up to the
    whole, the last one running to the file's real end."""
    spans = _spans(pieces if around > 0 else 1, around)
    with ThreadPoolExecutor(max_workers=len(spans)) as pool:
        try:
            results = list(pool.map(lambda span: _decode_span(exe, path, *span), spans))
        except BaseException:
            kill_running()
            raise
    return sum(results)


def _spans(pieces: int, around: float) -> list[tuple[float, float | None]]:
    step = around / max(1, pieces)
    return [(n * step, step if n < pieces - 1 else None) for n in range(max(1, pieces))]


def _decode_span(exe: str, path: Path | str, start: float, length: float | None) -> float:
    span = ["-ss", f"{start:.6f}"] if start else []
    span += ["-t", f"{length:.6f}"] if length is not None else []
    result = run(exe, [*span, "-i", os.fspath(path), "-map", "0:a:0", "-f", "null", "-"])
    if result.returncode != 0:
        raise FFmpegFailed(result.last_error or f"ffmpeg exited with {result.returncode}")
    return result.seconds


@dataclass(frozen=True)
class Stream:
    codec: str  # "aac", "mp3", ...
    rate: int
    channels: int
    profile: str = ""  # "LC", "HE-AAC", ... (for other codecs, what ffmpeg says after the name)


_STREAM = re.compile(r"Stream #0:\d+.*?: Audio: (\w+)(?: \(([^)]*)\))?.*?, (\d+) Hz, ([^,]+)")
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}


def audio_stream(exe: str, path: Path | str) -> Stream:
    """The first audio stream's codec, sample rate and channels, as ffmpeg reads them (there
    is no ffprobe: ``ffmpeg -i`` describes its input, then says it has no output)."""
    proc = subprocess.run(
        [exe, "-nostdin", "-hide_banner", "-i", os.fspath(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        preexec_fn=child_dies_with_parent(),
    )
    text = proc.stderr.decode("utf-8", "replace")
    match = _STREAM.search(text)
    if match is None:
        raise FFmpegFailed(_last_line(proc.stderr) or f"{path}: no audio stream")
    layout = match.group(4).strip()
    channels = _LAYOUTS.get(layout) or int(re.match(r"\d*", layout).group() or 0)
    return Stream(match.group(1), int(match.group(3)), channels, match.group(2) or "")


@dataclass(frozen=True)
class Packets:
    count: int
    first: float  # the first packet's time, seconds: minus the priming an edit list skips
    frame: float  # one packet's length, seconds (1024 samples for AAC-LC)
    end: float = 0.0  # where the last packet ends, seconds: the length a player shows
    sums: tuple[str, ...] = ()  # each packet's size and checksum, in order


def packets(exe: str, path: Path | str, copy_to: Path | None = None) -> Packets:
    """The first audio stream's packets, read from ffmpeg's ``framecrc`` listing (no
    decoding): what a stream copy carries of ``path``. ``copy_to``: the same packets are
    written there as a raw ADTS stream by the same ffmpeg run."""
    listing = ["-map", "0:a:0", "-c", "copy", "-f", "framecrc", "-"]
    if copy_to is not None:
        listing += ["-map", "0:a:0", "-c", "copy", "-f", "adts", "-y", os.fspath(copy_to)]
    result = subprocess.run(
        [exe, *BASE, "-i", os.fspath(path), *listing],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        preexec_fn=child_dies_with_parent(),
    )
    if result.returncode != 0:
        raise FFmpegFailed(_last_line(result.stderr) or f"ffmpeg exited with {result.returncode}")
    base, rows = 1.0, []
    for line in result.stdout.decode("ascii", "replace").splitlines():
        if line.startswith("#tb 0:"):
            num, _, den = line.split(":", 1)[1].strip().partition("/")
            base = int(num) / int(den)
        elif line and not line.startswith("#"):
            rows.append(line.split(","))
    if not rows:
        raise FFmpegFailed(f"{path}: no audio packets")
    end = (int(rows[-1][2]) + int(rows[-1][3])) * base
    sums = tuple(f"{r[4].strip()}/{r[5].strip()}" for r in rows)
    return Packets(len(rows), int(rows[0][2]) * base, int(rows[0][3]) * base, end, sums)
