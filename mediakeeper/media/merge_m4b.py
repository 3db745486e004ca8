"""The ``merge_m4b`` processor: an ordered list of audio files in, one M4B with one chapter
per file out. Pure: it writes only its output (built under a temporary name beside it) and
returns what it did.

Chapter starts are never taken from headers (a VBR MP3 without a Xing header reads as a
quarter of its length in mutagen). A re-encode decodes the inputs one after another into one
encoder, counting each one's samples on the way (``pcm_feed``): each start is the sum of the
decoded lengths before it, counted by the very encode that joins them (no decode
beforehand), and the chapters are added by a copy of the encoded stream. A stream copy
(every input AAC of one profile, rate and channel count) joins the packets as they are,
keeping each file's priming: its starts are where each file's first packet lands in the
output, plus that file's own priming.

Verification: an encode's packets are decoded in full while it runs (a second ffmpeg reads
them as they are made, on the core the encoder leaves idle), and the book with its chapters
is read back against their listing; a stream copy is checked packet by packet (every packet
of every input is in the output, in order, with the same checksum) and decoded around every
join, where a copy could go wrong. Inputs reach
ffmpeg as numbered links in a folder of the caller's (``links``), so no file name (quotes,
newlines, a leading dash) is ever parsed by ffmpeg.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from mutagen.mp4 import MP4

from mediakeeper.fs.atomic import flush_files
from mediakeeper.fs.names import beside, readable
from mediakeeper.fs.workdir import PARTIAL
from mediakeeper.media import chapters, ffmpeg, integrity, pcm_feed
from mediakeeper.system import children
from mediakeeper.system.processes import usable_cores

LENGTH_TOLERANCE = 0.5  # seconds the output's length may differ from the inputs' total
CHAPTER_TOLERANCE = 0.05
# The movie's timescale, which ffmpeg otherwise picks from its inputs (28,224,000 for ADTS,
# in which a 50-hour book's track durations pass 32 bits). The chapters, and the index
# (moov) before the audio for a player streaming the book, are the toolkit's (``chapters``).
MUXER = ("-movie_timescale", "1000", "-f", "ipod")


class MergeFailed(Exception):
    """``marks``: for a ``chapter-drift``, the starts wanted and the ones read back."""

    def __init__(self, message: str, *, retry: bool = False,
                 marks: tuple[list[float], list[float]] | None = None):  # fmt: skip
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.marks = marks


class CutShort(MergeFailed):
    """An input shorter than its own headers promise: not joined. ``why``: how much of it is
    missing, as its headers count it."""

    def __init__(self, name: str, why: str):
        super().__init__(f"{name} {why}")
        self.why = why


@dataclass(frozen=True)
class Input:
    path: str
    title: str
    seconds: float  # from its packets when measured; once encoded, what ffmpeg decoded of it
    codec: str
    rate: int
    channels: int
    profile: str = ""
    bitrate: int = 0  # bits per second of its audio packets; 0: not known


@dataclass(frozen=True)
class Audio:
    """An encode's settings: ceilings, never exceeded, that a book's sources lower
    (``fitted``)."""

    bitrate: str = "128k"
    channels: int = 2
    sample_rate: int = 44100


def bits_per_second(bitrate: str) -> int:
    """ "64k" -> 64000, "96000" -> 96000 (ffmpeg's own spelling of a bit rate)."""
    text = bitrate.strip().lower()
    return round(float(text[:-1]) * 1000) if text.endswith("k") else int(float(text))


def fitted(audio: Audio, inputs: Sequence[Input]) -> Audio:
    """The encode a book gets: no more channels, no higher sample rate and no higher bit
    rate than its richest source has (a book of 64 kb/s mono MP3s is a 64 kb/s mono AAC,
    not a 128 kb/s stereo one twice its size); the settings as they are where the sources
    do not say."""
    channels = min(audio.channels, max(i.channels for i in inputs))
    rate = min(audio.sample_rate, max(i.rate for i in inputs))
    bits = bits_per_second(audio.bitrate)
    if all(i.bitrate for i in inputs):
        bits = min(bits, max(i.bitrate for i in inputs))
    return Audio(f"{max(1, round(bits / 1000))}k", channels, rate)


def measure(exe: str, path: Path, title: str, timeout: float | None = None) -> Input:
    """One input, read without decoding it: its stream, and where its last packet ends (the
    length a stream copy carries; an encode counts what it decodes instead, see ``merge``).
    FFmpegFailed if ffmpeg cannot read it (or is still reading it after ``timeout`` s)."""
    listed = ffmpeg.packets(exe, path, timeout=timeout)
    stream = listed.stream
    seconds = listed.end - max(0.0, listed.first)
    bitrate = round(listed.size * 8 / seconds) if seconds > 0 else 0
    return Input(os.fspath(path), title, round(listed.end, 3), stream.codec, stream.rate,
                 stream.channels, stream.profile, bitrate)  # fmt: skip


def measure_whole(exe: str, path: Path, title: str, timeout: float | None = None) -> Input:
    """``measure``, then the file's own headers asked whether it is whole: a file cut short
    reads without a word (an MP3 above all), and a book must not carry a chapter missing its
    end. CutShort says how much is missing."""
    measured = measure(exe, path, title, timeout)
    listed = integrity.Check(os.fspath(path), decodes=True, seconds=measured.seconds,
                             header=integrity.read_header(path))  # fmt: skip
    if listed.truncated:
        raise CutShort(path.name, listed.cut_short())
    return measured


def can_copy(inputs: Sequence[Input]) -> bool:
    first = inputs[0]
    return all(
        i.codec == "aac" and (i.profile, i.rate, i.channels)
        == (first.profile, first.rate, first.channels)
        for i in inputs
    )  # fmt: skip


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


LISTED_BYTES = 80  # a framecrc listing's line, at most about: what listing a packet costs


def working_bytes(inputs: Sequence[Input], audio: Audio) -> int:
    """What ``merge`` writes beside its output, on the generous side: a copy's ADTS parts and
    the book (twice the AAC inputs), or the encode and the book made of it (twice the
    encoded book); and twice a listing of their packets (one kept, one read back)."""
    if can_copy(inputs):
        written = 2 * sum(os.stat(i.path).st_size for i in inputs)
        packets = sum(i.seconds * i.rate / 1024 for i in inputs)
    else:
        bits = int(audio.bitrate.lower().rstrip("k") or 128) * 1000
        seconds = sum(i.seconds for i in inputs)
        written = 2 * int(seconds * bits / 8 * 1.1)
        packets = seconds * audio.sample_rate / 1024
    return written + int(2 * packets * LISTED_BYTES) + (1 << 20)


def ffmetadata(title: str) -> str:
    return f";FFMETADATA1\ntitle={_escape(title)}\n"


def _escape(text: str) -> str:
    text = readable(text)  # a title from a name that is not UTF-8
    for char in ("\\", "=", ";", "#", "\n"):
        text = text.replace(char, "\\" + char)
    return text


@dataclass(frozen=True)
class Watch:
    """What the merge's ffmpeg runs are held to and tell. Each may run ``floor`` seconds plus
    ``per_second`` times the seconds of audio it handles, and ``stall`` seconds at most
    without writing further (None: no limit); one past either is killed, a ``MergeFailed``
    to retry. ``progress(doing, fraction)`` hears how far through the book the join and the
    verification are ("encoding", "joining", "verifying"; 0 to 1)."""

    floor: float | None = None
    per_second: float = 0.0
    stall: float | None = None
    progress: Callable[[str, float], None] | None = None

    def limits(self, seconds: float, doing: str = "") -> dict:
        """``ffmpeg.run``'s keywords for a run over ``seconds`` of audio (telling how far it
        is when ``doing`` is said)."""
        told = None
        if doing and self.progress is not None and seconds > 0:
            told = lambda at: self.progress(doing, at / seconds)  # noqa: E731
        return {"progress": told, "timeout": self.deadline(seconds), "stall": self.stall}

    def finished(self, doing: str) -> None:
        """``doing`` is done: its fraction is whole (the length it was told of beforehand,
        from the files' packets, may be a little longer than what it decoded)."""
        if self.progress is not None:
            self.progress(doing, 1.0)

    def deadline(self, seconds: float) -> float | None:
        """The most a run over ``seconds`` of audio may take in all (None: no limit)."""
        return None if self.floor is None else self.floor + self.per_second * seconds


UNWATCHED = Watch()


@dataclass(frozen=True)
class Merged:
    copied: bool
    starts: list[float]
    seconds: float  # the output's length, as verified
    carried: float  # of it, the priming and padding a stream copy keeps (0 for an encode)
    lengths: list[float]  # each input's length in the output


def merge(exe: str, inputs: Sequence[Input], output: Path, links: Path, audio: Audio,
          title: str = "", watch: Watch = UNWATCHED) -> Merged:  # fmt: skip
    """Join ``inputs`` into ``output`` (absent until whole and verified) with chapters."""
    temp = beside(output, PARTIAL)
    paths = link_inputs(inputs, links)
    copy = can_copy(inputs)
    total = sum(i.seconds for i in inputs)
    try:
        if copy:
            starts, lengths, seconds = _copy(exe, inputs, paths, links, temp, title, watch)
        else:
            starts, lengths, seconds = _encode(exe, inputs, paths, links, temp,
                                               fitted(audio, inputs), title, watch)  # fmt: skip
        flush_files((), [temp])
        os.replace(temp, output)
    finally:  # what the join made beside the links: the encode, a copy's parts, listings
        for leftover in (temp, links / ENCODED, links / UNCHAPTERED, *links.glob("*.adts"),
                         *links.glob("*.crc")):  # fmt: skip
            with contextlib.suppress(OSError):
                os.unlink(leftover)
    carried = round(max(0.0, seconds - total), 3) if copy else 0.0
    return Merged(copy, starts, seconds, carried, lengths)


def merge_sent(exe: str, inputs: Path, outputs: Path, *, chapters: list[dict], output: str,
               audio: dict, title: str, limits: tuple) -> dict:  # fmt: skip
    """``merge`` as a cluster's worker runs it (``batch/cluster_steps``): the book's files sent
    into ``inputs`` (``chapters``: each ``Input`` with the name it was sent under as its
    path), the M4B into ``outputs``, verified as it is made."""
    files = [Input(**{**c, "path": os.fspath(inputs / c["path"])}) for c in chapters]
    links = inputs.parent / "links"
    links.mkdir()
    merged = merge(exe, files, outputs / output, links, Audio(**audio), title, Watch(*limits))
    return asdict(merged)


def place_received(exe: str, data: bytes, output: Path, merged: Merged, watch: Watch = UNWATCHED
                   ) -> None:  # fmt: skip
    """A book joined elsewhere (a cluster's worker, which verified it as ``merge`` does),
    written to a temporary name and verified here before it is renamed to ``output``: it
    decodes to the length the worker found (``merged.seconds``) and its chapters are where
    the worker put them. A MergeFailed (worth a retry) otherwise; ``output`` absent."""
    temp = beside(output, PARTIAL)
    try:
        with open(temp, "wb") as file:
            file.write(data)
        flush_files((), [temp])
        try:
            seconds = ffmpeg.decoded_length(exe, temp, **watch.limits(merged.seconds))
        except ffmpeg.FFmpegFailed as err:
            raise MergeFailed(f"the joined book does not decode: {err}", retry=True) from None
        _same_length(seconds, merged.seconds)
        check_chapters(temp, merged.starts, exe)
        os.replace(temp, output)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


ENCODED = "encoded.m4a"  # in ``links``: the encode, as the encoder wrote it
UNCHAPTERED = "joined.m4b"  # in ``links``: the book, titled, before its chapters are written
LISTED = "encoded.crc"  # in ``links``: its packets' listing (size and checksum each)
READ_BACK = "book.crc"  # in ``links``: the same listing, of the book with its chapters


def _encode(exe, inputs, paths, links, temp, audio: Audio, title, watch: Watch):
    """Encode once, the inputs decoded one after another into the encoder and each one's
    samples counted on the way (``pcm_feed``). The encoded packets go three ways as they are
    made (ffmpeg's ``tee``): into the encode, into their listing, and into a decoder that
    checks meanwhile, on the core the encoder leaves idle, that they decode in full and
    last the inputs' total. Then the chapters at the counts, by a copy of the encoded
    stream that is read back and compared with the listing. (starts, lengths, seconds)"""
    estimate = sum(i.seconds for i in inputs)
    pcm = pcm_feed.Pcm(audio.sample_rate, audio.channels)
    tee = f"[f=ipod]{ENCODED}|[f=framecrc]{LISTED}|[f=adts]pipe:{{fd}}"
    names = [Path(i.path).name for i in inputs]  # not the links': what a person knows
    with pcm_feed.Feed(exe, paths, pcm, names) as feed, _decoded_meanwhile(exe, watch) as check:
        result = ffmpeg.run(exe, [*pcm.input_args(), "-map", "0:a", "-c:a", "aac", "-b:a",
                                  audio.bitrate, "-fflags", "+bitexact", "-f", "tee",
                                  tee.format(fd=check.fd)], stdin=feed.stdin,
                            pass_fds=(check.fd,), cwd=links,
                            **watch.limits(estimate, "encoding"))  # fmt: skip
    if feed.error:  # the encoder saw its input end early: say which file, not that
        raise MergeFailed(feed.error, retry=True)
    if result.stopped:
        raise MergeFailed(result.stopped, retry=True)
    if result.returncode != 0:  # its checking decoder's end breaks the encoder's pipe too
        raise MergeFailed(check.error or result.error, retry=True)
    if len(feed.counts) != len(paths):
        raise MergeFailed("not every file reached the encoder", retry=True)
    if check.error:
        raise MergeFailed(f"the encoded book does not decode: {check.error}", retry=True)
    watch.finished("encoding")
    lengths = [count / audio.sample_rate for count in feed.counts]
    starts = [round(sum(lengths[:n]), 3) for n in range(len(lengths))]
    total = sum(lengths)
    _same_length(check.seconds, total)
    _with_chapters(exe, ["-i", os.fspath(links / ENCODED)], inputs, starts, total, links, temp,
                   title, watch.limits(total), [links / ENCODED])  # fmt: skip
    seconds = _same_as_listed(exe, temp, links, [links / LISTED], total, watch, "its encode")
    check_chapters(temp, starts, exe)
    return starts, [round(x, 3) for x in lengths], seconds


@dataclass
class _Check:
    fd: int  # the pipe's write end, for ``pipe:<fd>``
    seconds: float = 0.0  # what it decoded
    error: str = ""


@contextlib.contextmanager
def _decoded_meanwhile(exe: str, watch: Watch):
    """A decoder, on its own thread, of the ADTS another ffmpeg writes to ``pipe:<fd>``
    (``check.fd``); once left, ``check.seconds`` is how long it decoded, or ``check.error``
    why it did not."""
    read, write = os.pipe()
    check = _Check(write)

    def decode() -> None:
        try:
            check.seconds = ffmpeg.decoded_length(exe, "pipe:0", stdin=read,
                                                  stall=watch.stall)  # fmt: skip
        except ffmpeg.FFmpegFailed as err:
            check.error = str(err)

    with ThreadPoolExecutor(max_workers=1) as pool:
        decoding = pool.submit(decode)
        try:
            yield check
        except BaseException:
            children.kill_all()
            raise
        finally:
            os.close(check.fd)  # its end of input, once the encoder has ended
        decoding.result()


def _copy(exe, inputs, paths, links, temp, title, watch: Watch):
    """Each input's packets as a raw ADTS stream (self-framing), joined by the concat
    protocol and put into MP4 as they are: every packet keeps its full length, so the time
    line is the one a player decodes (the concat demuxer shortens the last packet of each
    file in the timestamps while players still play it whole: the marks drift by a frame
    per file). Each file's priming plays, so a chapter starts where its file's first packet
    lands, plus that file's own priming: where its audio begins. (starts, lengths, seconds)"""
    def part_of(path: Path, seconds: float) -> tuple[ffmpeg.Packets, Path]:
        part = path.with_suffix(".adts")
        return ffmpeg.packets(exe, path, copy_to=part, keep=part.with_suffix(".crc"),
                              timeout=watch.deadline(seconds)), part  # fmt: skip

    with ThreadPoolExecutor(max_workers=usable_cores()) as pool:
        try:
            made = list(pool.map(part_of, paths, [i.seconds for i in inputs]))
        except ffmpeg.FFmpegFailed as err:
            raise MergeFailed(str(err), retry=True) from None
        except BaseException:
            children.kill_all()
            raise
    parts, starts, lengths, at = [], [], [], 0.0
    for packets, part in made:
        parts.append(part)
        starts.append(at + max(0.0, -packets.first))
        lengths.append(packets.count * packets.frame)
        at += packets.count * packets.frame
    starts[0] = 0.0
    starts = [round(s, 3) for s in starts]
    joined = "concat:" + "|".join(os.fspath(p) for p in parts)
    _with_chapters(exe, ["-f", "aac", "-i", joined], inputs, starts, at, links, temp, title,
                   watch.limits(at, "joining"), parts)  # fmt: skip
    watch.finished("joining")
    listings = [part.with_suffix(".crc") for part in parts]
    seconds = _same_as_listed(exe, temp, links, listings, at, watch, "its files")
    check_chapters(temp, starts, exe)
    _decodes_at(exe, temp, [*starts, max(0.0, at - 1.0)], watch)
    return starts, [round(x, 3) for x in lengths], seconds


def _with_chapters(exe, source: list[str], inputs, starts, total, links, temp, title,
                   limits: dict, used: Sequence[Path]) -> None:  # fmt: skip
    """The audio of ``source`` (ffmpeg's input arguments) copied as it is into an MP4 with
    the book's title, then into ``temp`` with one chapter per input at ``starts``, written
    by the toolkit (``chapters``: ffmpeg's chapter track reads as one chapter in
    music-metadata 11). ``used``: what ``source`` reads, deleted once copied (a book's
    working space stays twice the book)."""
    meta = links / "metadata.txt"
    meta.write_text(ffmetadata(title), encoding="utf-8")
    joined = links / UNCHAPTERED
    _run(exe, [*source, "-i", os.fspath(meta), "-map", "0:a:0", "-map_metadata", "1",
               "-map_chapters", "-1", "-c", "copy", "-fflags", "+bitexact", *MUXER, "-y",
               os.fspath(joined)], limits)  # fmt: skip
    for path in used:
        with contextlib.suppress(OSError):
            os.unlink(path)
    try:
        chapters.write(joined, temp, list(zip([i.title for i in inputs], starts, strict=True)),
                       total)  # fmt: skip
    except chapters.ChaptersFailed as err:
        raise MergeFailed(f"the chapters could not be written: {err}", retry=True) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(joined)


def _run(exe: str, args: list[str], limits: dict, failing: str = "") -> ffmpeg.Run:
    """ffmpeg run to its end; a failure (or a stop past a limit) is a MergeFailed to retry,
    its message ``failing`` (what it means for the book) then ffmpeg's own."""
    result = ffmpeg.run(exe, args, **limits)
    if result.returncode != 0:
        raise MergeFailed(f"{failing}: {result.error}" if failing else result.error, retry=True)
    return result


def read_chapters(path: Path) -> list[float]:
    chapters = MP4(path).chapters
    return [c.start for c in chapters] if chapters else []


def _same_as_listed(exe: str, path: Path, links: Path, listings: Sequence[Path], total: float,
                    watch: Watch, source: str) -> float:  # fmt: skip
    """The book holds exactly the packets of ``listings`` (``framecrc`` listings of its
    ``source``, one after another: each packet's size and checksum, in order): nothing was
    lost, added or changed on the way. The listings are compared a line at a time, so a
    50-hour book's eight million lines are never held at once. The book's length, as its
    container says (what a player shows)."""
    readback = links / READ_BACK
    _run(exe, ["-i", os.fspath(path), "-map", "0:a:0", "-c", "copy", "-f", "framecrc", "-y",
               os.fspath(readback)], watch.limits(total, "verifying"),
         "the joined book does not read back")  # fmt: skip
    with contextlib.ExitStack() as files:
        wanted = (row for listing in listings
                  for row in ffmpeg.listed_packets(files.enter_context(open(listing, "rb"))))
        found = ffmpeg.listed_packets(files.enter_context(open(readback, "rb")))
        for number, (want, got) in enumerate(itertools.zip_longest(wanted, found), 1):
            if want != got:
                raise MergeFailed(f"the joined book differs from {source} at packet {number}",
                                  retry=True)  # fmt: skip
    watch.finished("verifying")
    seconds = MP4(path).info.length
    _same_length(seconds, total)
    return round(seconds, 3)


def _decodes_at(exe: str, path: Path, starts: Sequence[float], watch: Watch) -> None:
    """The output decodes for a second from each of ``starts`` (the joins of a copy)."""
    args: list[str] = []
    for start in starts:
        args += ["-ss", f"{start:.3f}", "-t", "1", "-i", os.fspath(path)]
    graph = "".join(f"[{n}:a:0]" for n in range(len(starts)))
    args += ["-filter_complex", f"{graph}concat=n={len(starts)}:v=0:a=1[out]", "-map", "[out]",
             "-f", "null", "-"]  # fmt: skip
    _run(exe, args, watch.limits(len(starts)), "the joined book does not decode")


def _same_length(seconds: float, total: float) -> None:
    if abs(seconds - total) > LENGTH_TOLERANCE:
        raise MergeFailed(f"the joined book lasts {seconds:.2f} s, its files {total:.2f} s",
                          retry=True)  # fmt: skip


NERO_MOST = chapters.NERO_MOST


def check_chapters(path: Path, starts: Sequence[float], exe: str = "") -> None:
    """One chapter per input, each within 50 ms of where its file's audio begins: a
    ``chapter-drift`` MergeFailed otherwise. With ``exe``, the QuickTime chapter track
    (every chapter, as Apple's players, ffprobe and music-metadata read it) is checked as
    ffmpeg reads it, and Nero's ``chpl`` (mutagen's) holds its first 255; without, the
    ``chpl`` alone."""
    found = ffmpeg.chapter_starts(exe, path) if exe else read_chapters(path)
    marks = (list(starts), found)
    if len(found) != len(starts):
        raise MergeFailed(f"chapter-drift: {len(found)} chapters written, {len(starts)} wanted",
                          marks=marks)  # fmt: skip
    nero = read_chapters(path) if exe else found
    for read in (found, nero):
        for number in drifted(starts[: len(read)], read):
            raise MergeFailed(f"chapter-drift: chapter {number + 1} starts at "
                              f"{read[number]:.3f} s, its file at {starts[number]:.3f} s",
                              marks=marks)  # fmt: skip
    if len(nero) < min(len(starts), NERO_MOST):
        raise MergeFailed(f"chapter-drift: {len(nero)} chapters in the Nero list, "
                          f"{min(len(starts), NERO_MOST)} wanted", marks=marks)  # fmt: skip


def drifted(wanted: Sequence[float], found: Sequence[float]) -> list[int]:
    """The indices of the marks missing from ``found`` or more than 50 ms off ``wanted``."""
    return [
        n for n, want in enumerate(wanted)
        if n >= len(found) or abs(found[n] - want) > CHAPTER_TOLERANCE
    ]  # fmt: skip
