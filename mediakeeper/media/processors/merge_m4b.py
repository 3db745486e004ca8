"""The ``merge_m4b`` processor: an ordered list of audio files in, one M4B with one chapter
per file out. Pure: it writes only its output (built under a temporary name beside it) and
returns what it did.

Chapter starts are never taken from headers (a VBR MP3 without a Xing header reads as a
quarter of its length in mutagen): a re-encode joins the inputs with ffmpeg's ``concat``
filter, whose output is exactly the decoded inputs end to end, so each start is the sum of
the decoded lengths before it. A stream copy (every input AAC, one rate and channel count)
joins the packets with the concat demuxer, which keeps each file's priming samples: its
starts are read from where each file's first packet lands in the output, plus that file's
own priming. Inputs reach ffmpeg as numbered links in a folder of the caller's (``links``),
so no file name (quotes, newlines, a leading dash) is ever parsed by ffmpeg.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mediakeeper.atomic import flush_files
from mediakeeper.media import ffmpeg
from mediakeeper.media.workdir import PARTIAL

LENGTH_TOLERANCE = 0.5  # seconds the output's length may differ from the inputs' total
CHAPTER_TOLERANCE = 0.05
# The QuickTime chapter track (the chapters Apple's players show) takes the movie's
# timescale, which ffmpeg otherwise picks from its inputs: 28,224,000 for ADTS, in which a
# chapter over 76 s has a duration past INT_MAX and is dropped, ffmpeg exiting 0.
MUXER = ("-movie_timescale", "1000", "-f", "ipod")


class MergeFailed(Exception):
    def __init__(self, message: str, *, retry: bool = False):
        super().__init__(message)
        self.message = message
        self.retry = retry


@dataclass(frozen=True)
class Input:
    path: str
    title: str
    seconds: float  # decoded length
    codec: str
    rate: int
    channels: int


@dataclass(frozen=True)
class Audio:
    bitrate: str = "128k"
    channels: int = 2
    sample_rate: int = 44100


def measure(exe: str, path: Path, title: str) -> Input:
    """One input, its length decoded in full. FFmpegFailed if it does not decode."""
    stream = ffmpeg.audio_stream(exe, path)
    seconds = ffmpeg.decoded_length(exe, path)
    return Input(os.fspath(path), title, seconds, stream.codec, stream.rate, stream.channels)


def can_copy(inputs: Sequence[Input]) -> bool:
    first = inputs[0]
    return all(
        i.codec == "aac" and (i.rate, i.channels) == (first.rate, first.channels) for i in inputs
    )


def link_inputs(inputs: Sequence[Input], links: Path) -> list[Path]:
    """``links/0001<ext>`` -> each input: names ffmpeg reads without any quoting."""
    links.mkdir(parents=True, exist_ok=True)
    made = []
    for number, item in enumerate(inputs, 1):
        link = links / f"{number:04d}{Path(item.path).suffix.lower()}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(os.path.abspath(item.path))
        made.append(link)
    return made


def ffmetadata(title: str, chapters: Sequence[tuple[str, float]], total: float) -> str:
    lines = [";FFMETADATA1", f"title={_escape(title)}"]
    ends = [start for _, start in chapters[1:]] + [total]
    for (name, start), end in zip(chapters, ends, strict=True):
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(start * 1000)}",
                  f"END={round(end * 1000)}", f"title={_escape(name)}"]  # fmt: skip
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    for char in ("\\", "=", ";", "#", "\n"):
        text = text.replace(char, "\\" + char)
    return text


@dataclass(frozen=True)
class Merged:
    copied: bool
    starts: list[float]
    seconds: float  # the output's decoded length
    carried: float  # of it, the priming and padding a stream copy keeps (0 for an encode)


def merge(exe: str, inputs: Sequence[Input], output: Path, links: Path, audio: Audio,
          title: str = "") -> Merged:  # fmt: skip
    """Join ``inputs`` into ``output`` (absent until whole and verified) with chapters."""
    temp = output.with_name(PARTIAL + output.name)
    paths = link_inputs(inputs, links)
    copy = can_copy(inputs)
    total = sum(i.seconds for i in inputs)
    try:
        if copy:
            starts, expected = _copy(exe, inputs, paths, links, temp, title)
        else:
            starts = _encode(exe, inputs, paths, links, temp, audio, title)
            expected = total
        seconds = verify(exe, temp, expected, starts)
        flush_files((), [temp])
        os.replace(temp, output)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return Merged(copy, starts, seconds, round(max(0.0, expected - total), 3))


def _cumulative(inputs: Sequence[Input]) -> list[float]:
    starts, at = [], 0.0
    for item in inputs:
        starts.append(at)
        at += item.seconds
    return starts


def _encode(exe, inputs, paths, links, temp, audio: Audio, title) -> list[float]:
    starts = _cumulative(inputs)
    meta = links / "chapters.txt"
    total = sum(i.seconds for i in inputs)
    meta.write_text(ffmetadata(title, list(zip([i.title for i in inputs], starts, strict=True)),
                               total), encoding="utf-8")  # fmt: skip
    args: list[str] = []
    for path in paths:
        args += ["-i", os.fspath(path)]
    args += ["-i", os.fspath(meta)]
    fit = f"aresample={audio.sample_rate},aformat=channel_layouts={_layout(audio.channels)}"
    graph = "".join(f"[{n}:a:0]{fit}[a{n}];" for n in range(len(paths)))
    graph += "".join(f"[a{n}]" for n in range(len(paths)))
    graph += f"concat=n={len(paths)}:v=0:a=1[out]"
    args += ["-filter_complex", graph, "-map", "[out]", "-map_metadata", str(len(paths)),
             "-map_chapters", str(len(paths)), "-c:a", "aac", "-b:a", audio.bitrate,
             "-ar", str(audio.sample_rate), "-ac", str(audio.channels),
             "-fflags", "+bitexact", *MUXER, "-y", os.fspath(temp)]  # fmt: skip
    _run(exe, args)
    return starts


def _copy(exe, inputs, paths, links, temp, title) -> tuple[list[float], float]:
    """Each input's packets as a raw ADTS stream (self-framing), joined by the concat
    protocol and put into MP4 as they are: every packet keeps its full length, so the time
    line is the one a player decodes (the concat demuxer shortens the last packet of each
    file in the timestamps while players still play it whole: the marks drift by a frame
    per file). Each file's priming plays, so a chapter starts where its file's first packet
    lands, plus that file's own priming: where its audio begins. Returns the starts and the
    length the copy holds."""
    def part_of(path: Path) -> tuple[ffmpeg.Packets, Path]:
        part = path.with_suffix(".adts")
        _run(exe, ["-i", os.fspath(path), "-map", "0:a:0", "-c", "copy", "-f", "adts", "-y",
                   os.fspath(part)])  # fmt: skip
        return ffmpeg.packets(exe, path), part

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        try:
            made = list(pool.map(part_of, paths))
        except BaseException:
            ffmpeg.kill_running()
            raise
    parts, starts, at = [], [], 0.0
    for packets, part in made:
        parts.append(part)
        starts.append(at + max(0.0, -packets.first))
        at += packets.count * packets.frame
    starts[0] = 0.0
    meta = links / "chapters.txt"
    meta.write_text(ffmetadata(title, list(zip([i.title for i in inputs], starts, strict=True)),
                               at), encoding="utf-8")  # fmt: skip
    joined = "concat:" + "|".join(os.fspath(p) for p in parts)
    try:
        _run(exe, ["-f", "aac", "-i", joined, "-i", os.fspath(meta), "-map", "0:a:0",
                   "-map_metadata", "1", "-map_chapters", "1", "-c", "copy",
                   "-fflags", "+bitexact", *MUXER, "-y", os.fspath(temp)])  # fmt: skip
    finally:
        for part in parts:
            with contextlib.suppress(OSError):
                part.unlink()
    return [round(s, 3) for s in starts], at


def _layout(channels: int) -> str:
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")


def _run(exe: str, args: list[str]) -> None:
    result = ffmpeg.run(exe, args)
    if result.returncode != 0:
        raise MergeFailed(result.last_error or f"ffmpeg exited with {result.returncode}",
                          retry=True)  # fmt: skip


def read_chapters(path: Path) -> list[float]:
    from mutagen.mp4 import MP4

    chapters = MP4(path).chapters
    return [c.start for c in chapters] if chapters else []


def verify(exe: str, path: Path, total: float, starts: Sequence[float]) -> float:
    """The output decodes, lasts the inputs' total, and has one chapter per input at its
    start. MergeFailed (a ``chapter-drift`` when a start is off) otherwise."""
    try:
        seconds = ffmpeg.decoded_length(exe, path)
    except ffmpeg.FFmpegFailed as err:
        raise MergeFailed(f"the joined book does not decode: {err}", retry=True) from None
    if abs(seconds - total) > LENGTH_TOLERANCE:
        raise MergeFailed(f"the joined book lasts {seconds:.2f} s, its files {total:.2f} s",
                          retry=True)  # fmt: skip
    found = read_chapters(path)
    if len(found) != len(starts):
        raise MergeFailed(f"chapter-drift: {len(found)} chapters written, {len(starts)} wanted")
    for number in drifted(starts, found):
        raise MergeFailed(f"chapter-drift: chapter {number + 1} starts at {found[number]:.3f} s, "
                          f"its file at {starts[number]:.3f} s")  # fmt: skip
    return seconds


def drifted(wanted: Sequence[float], found: Sequence[float]) -> list[int]:
    """The indices of the marks missing from ``found`` or more than 50 ms off ``wanted``."""
    return [
        n for n, want in enumerate(wanted)
        if n >= len(found) or abs(found[n] - want) > CHAPTER_TOLERANCE
    ]  # fmt: skip
