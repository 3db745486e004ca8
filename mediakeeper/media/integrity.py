"""Whether an audio file is whole: one full decode by ffmpeg, and what it tells.

One ffmpeg run reads the file once and gives, from that one decode:

- the decode errors ffmpeg reports (a damaged frame, a frame whose CRC fails); a second
  decode that stops at the first error (``-xerror``) runs only for a damaged file, to say
  where the damage starts;
- for a FLAC whose STREAMINFO holds an MD5 (not zero), the MD5 of the decoded samples as
  raw little-endian signed integers at the file's bit depth: exactly what the encoder
  hashed, so equal MD5s mean the very samples that were encoded;
- the decoded length (samples counted by ``volumedetect``), compared with the header's where
  the header counts it (``promised``: an MP3's Xing/VBRI header, FLAC, WAV, AIFF, WavPack,
  MP4, Ogg, APE, TTA, DSF), so a file cut short says so, and how much of it is missing (the
  header's byte counts, read before the decode, say it in bytes too);
- the audio checksum that bit rot is measured against. For a FLAC with an MD5 it is that MD5
  as decoded (``md5:`` and the hex): computed anyway, it is the very samples, so a second
  hash of the packets would only say it again. For any other file, a hash (murmur3, 128
  bits) of the audio stream's packets, copied out of the container by the same run: the
  audio bytes without the tags, a fraction of a hash of the decoded samples (the packets are
  2-8 times smaller), and not the decoder's: a new ffmpeg whose MP3 decoder rounds
  differently would change a hash of decoded samples, never this one. Neither changes with a
  tag edit, by the toolkit or another program;
- what a person would want to know about the sound, for free from the same decode: samples
  at full scale (clipping), long silences (``silencedetect``), and, for a lossless file, the
  spectrum above 16-20 kHz over 10 s from its middle (a "lossless" file whose spectrum stops
  at a lossy encoder's low-pass was made from a lossy one).

A file last found whole whose audio bytes are the ones it had then is whole without a
decode (the same bytes decode to the same samples): a later pass compares a FLAC's frames
(``flacframes``, with its STREAMINFO MD5) and any other file's packets' hash (ffmpeg copying
them out, no decode) with what the last good pass recorded; anything else is decoded.

Without the analysis, a FLAC whose STREAMINFO holds an MD5 is checked by Debian's
``flac -t`` where it is installed (``flactest``): passing, it is whole by every check above
(its checksum the same verified MD5), in about half ffmpeg's time; failing, the ffmpeg
decode runs and says what is wrong and where.

Pure: reads the file, writes nothing, returns a ``Check``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import mutagen
from mutagen.flac import FLAC

from mediakeeper.media import ffmpeg, flacframes, flactest, promised

LOSSLESS = frozenset({".flac", ".wav", ".aif", ".aiff", ".wv", ".ape"})
SHORT_BY = 0.1  # seconds a decode may fall short of an exact header (rounding, priming)
# A header that counts the very samples a decode gives (FLAC's STREAMINFO): short of it by
# more than the rounding of a length to the millisecond, the file lost audio (a frame whose
# header is damaged is skipped by the decoder without a word; its last frame is 0.1 s at most).
SAMPLE_ROUNDING = 0.001
SILENCE_DB, SILENCE_SECONDS = -60, 10.0  # a long silence: this quiet, this long
# The lossy-origin estimate: levels above these frequencies, over a 10 s window (a lossy
# encoder's low-pass does not move; 30 s cost more than the decode itself). The first is the
# reference: music with something above 11 kHz (HEARD dB under the whole window's
# level at most) is music a low-pass would show in.
REFERENCE, CUTOFFS = 11000, (16000, 17000, 18000, 19000, 20000)
WINDOW = 10.0
# The spectrum "stops" where the level above a frequency falls EMPTY dB under the reference
# and at least CLIFF dB under the level above the cutoff before it: a lossy encoder's
# low-pass is a wall; an old recording's roll-off is a slope.
HEARD, EMPTY, CLIFF = 45.0, 35.0, 12.0
# A sharp band above TOP (a linear-phase FIR, where the cut-offs' high-passes are gentle):
# what a genuine 44.1 or 48 kHz rip holds up there, a FLAC decoded from an MP3 of 160-320
# kbps lacks (its encoder's low-pass sits at 17-20.5 kHz: 55-65 dB less, where the 20 kHz
# cut-off saw the same level in both). Alone it tells nothing (a master's or a converter's
# own low-pass may sit there): only beside a twin (``dupes/sound.py``).
TOP = 20500
# The band is read at 48 kHz at most: a file of a higher rate (88.2, 96, 192 kHz) resampled
# first, as the filter cannot be that sharp above (ffmpeg refused the whole read, and a
# hi-res FLAC decoded from a 128 kbps MP3 went untold and was kept over the genuine rip).
TOP_RATE = 48000
PCM = {8: "pcm_s8", 16: "pcm_s16le", 24: "pcm_s24le", 32: "pcm_s32le"}
SAMPLES = "md5:"  # a checksum that is the decoded samples' MD5 (a FLAC's), not the packets'
# The audio stream's packets hashed (murmur3, 128 bits) as they are copied out: no decode.
PACKETS_HASH = ("-map", "0:a:0", "-c:a", "copy", "-f", "hash", "-hash", "murmur3", "pipe:2")


@dataclass(frozen=True)
class Header:
    """What the file's header says, before any decode (mutagen, and ``promised``)."""

    seconds: float = 0.0  # 0: unknown
    exact: bool = False  # the header's length is a count, not an estimate (``promised``)
    md5: str = ""  # FLAC STREAMINFO MD5, "" when zero or not a FLAC
    bits: int = 0  # FLAC bits per sample
    ends: bool = True  # an Ogg's last page is whole and marks the end of its stream
    by: str = ""  # what gives the length, for a message ("its LAME/Xing header")
    end: int = 0  # the byte the audio should reach by the header; 0: not said
    size: int = 0  # the file's bytes when its header was read
    cut: str = ""  # how the header alone shows the file cut short (an MP3's last frame)
    slack: float = 0.0  # seconds the header counts that a decode drops (an encoder's priming)
    to_the_sample: bool = False  # its count is the very samples a whole decode gives (FLAC)

    @property
    def missing_bytes(self) -> int:
        """Bytes the header promises past the file's end."""
        return max(0, self.end - self.size) if self.end and self.size else 0


@dataclass(frozen=True)
class Check:
    """What one decode of a file found."""

    path: str
    decodes: bool  # ffmpeg read it to its end (it may still have reported errors)
    seconds: float  # decoded length
    header: Header
    errors: tuple[str, ...] = ()  # ffmpeg's decode errors, each once
    error_at: float | None = None  # where the first error stops a decode, seconds
    failure: str = ""  # why ffmpeg failed, when it did
    audio_checksum: str = ""  # hash of the audio packets: unchanged by tag edits
    samples_md5: str = ""  # MD5 of the decoded samples, computed for a FLAC with an MD5
    full_scale: int = 0  # samples at full scale (clipped, or mastered to the limit)
    silences: tuple[tuple[float, float], ...] = ()  # (start, length) of each long silence
    levels: dict[int, float] = field(default_factory=dict)  # dB above each cutoff; 0: window
    frames: str = ""  # a FLAC's frames' digest (``flacframes``), read before its decode
    compared: bool = False  # whole by its audio bytes being the last good pass's: not decoded

    @property
    def md5_mismatch(self) -> bool:
        return bool(self.header.md5 and self.samples_md5 and self.header.md5 != self.samples_md5)

    @property
    def md5_is_the_damage(self) -> bool:
        """An MD5 that does not match, in a file not shown cut short: the MD5 of a file cut
        short cannot match, and the cut is its one damage (verify's ``truncated-audio``, a
        conversion's refusal), however the file is named."""
        broken = bool(self.errors) or not self.decodes
        cut = self.header.cut or self.header.missing_bytes or (self.truncated and not broken)
        return self.md5_mismatch and not cut

    @property
    def missing_seconds(self) -> float:
        """Seconds of audio the header counts that the decode did not give."""
        short = self.header.seconds - self.seconds
        exact, slack = self.header.exact, self.header.slack
        allowed = SAMPLE_ROUNDING if self.header.to_the_sample else SHORT_BY + slack
        return round(short, 3) if exact and short > allowed else 0.0

    @property
    def truncated(self) -> bool:
        """Cut short: shorter than its header counts, its last Ogg page cut off, its last
        MP3 frame cut short, or fewer bytes than its header says its audio takes. (Bytes
        alone are not enough where the length is counted too: a tag removed from an MP3
        whose Xing header counted it is no cut.)"""
        header = self.header
        fewer = header.missing_bytes and not (header.exact and header.seconds)
        return bool(self.missing_seconds or not header.ends or header.cut or fewer)

    @property
    def shown_cut(self) -> bool:
        """Its frames show it cut short (a FLAC's stop before its last, an MP3's last is cut)
        and it decodes up to there: the cut is its damage, and an error its decode meets
        there is the cut's (ffmpeg 5.1's "invalid residual" in a FLAC cut inside a frame).
        (A file whose sizes alone say so, a WAV's chunk, an MP4's box, is said as its
        decode finds it.)"""
        return self.decodes and bool(self.header.cut)

    @property
    def harmed(self) -> bool:
        """Whether the audio is not what the file says it is: a decode error, an MD5 that
        does not match, or a length short of its header's."""
        return bool(self.errors) or self.md5_mismatch or self.truncated

    @property
    def damaged(self) -> bool:
        """Harmed, or not read to its end at all (it does not open, it is not audio)."""
        return self.harmed or not self.decodes

    @property
    def cutoff(self) -> int | None:
        """The frequency where the spectrum stops like a lossy encoder's low-pass, or None."""
        return cutoff_of(self.levels)

    def why(self) -> str:
        """The damage in a few words, naming where it starts and how much is missing: for a
        message."""
        if self.shown_cut:
            return self.cut_short()
        if self.errors or not self.decodes:
            if nothing := self._no_audio():
                return nothing
            at = f" at {_clock(self.error_at)}" if self.error_at is not None else ""
            said = f"does not decode{at}: {(*self.errors, self.failure)[0] or 'no audio'}"
            if self.header.cut:
                said += f"; {self.header.cut}"
            known = self.missing_seconds or self.header.missing_bytes or self.header.cut
            return f"{said}; {self.missing()}" if known else said
        if self.md5_is_the_damage:
            return (f"its decoded audio's MD5 {self.samples_md5} is not the {self.header.md5} "
                    "its FLAC header holds: the audio changed since it was encoded")  # fmt: skip
        if self.harmed:  # cut short (an MD5 that cannot match is no second damage)
            return self.cut_short()
        return "whole"

    def _no_audio(self) -> str:
        """Why a file that gave no audio at all, and whose header promised none, holds
        none: it is empty, or nothing in it reads as audio (ffmpeg's words for that, such
        as "sample rate not set", name no fault a person can find); "" for any other."""
        header = self.header
        if self.seconds or header.seconds:
            return ""
        if not header.size:
            return EMPTY_FILE
        if header.end or header.cut or not header.ends:  # a header there: it says the cut
            return ""
        ffmpeg_said = (*self.errors, self.failure)[0] or "no audio stream"
        return (f"{_not_audio(Path(self.path))}, or are damaged from the first "
                f"(ffmpeg: {ffmpeg_said})")  # fmt: skip

    def cut_short(self) -> str:
        """How the file shows it is cut short, where, and how much is missing."""
        header, at = self.header, _clock(self.seconds)
        if not header.ends:
            said = f"its last Ogg page is cut off: cut short at {at}"
        elif header.cut:
            said = f"{header.cut}: cut short at {at}"
        elif self.missing_seconds:
            said = (f"decodes to {self.seconds:.2f} s but {header.by or 'its header'} says "
                    f"{header.seconds:.2f} s: cut short at {at}")  # fmt: skip
        else:
            said = f"its audio ends before {header.by or 'its header'} says: cut short at {at}"
        return f"{said}; {self.missing()}"

    def missing(self) -> str:
        """How much of the file is missing, as far as its headers tell. A decode that
        stopped at an error without the file shown cut short says how far it got: what did
        not decode may be there, damaged."""
        header = self.header
        shown = header.missing_bytes or header.cut or not header.ends
        if self.errors and self.missing_seconds and not shown:
            return (f"{self.seconds:.2f} s of the {header.seconds:.2f} s "
                    f"{header.by or 'its header'} counts decode")  # fmt: skip
        parts = []
        if self.missing_seconds:
            parts.append(f"{self.missing_seconds:.2f} s of its {self.header.seconds:.2f} s")
        if self.header.missing_bytes:
            parts.append(f"{self.header.missing_bytes:,} of its {self.header.end:,} bytes")
        if not parts:
            return f"how much {'more ' if self.header.cut else ''}is missing its headers do not say"
        return " (".join(parts) + (")" if len(parts) > 1 else "") + " missing"


def tells(levels: Mapping[int, float]) -> bool:
    """Whether the window's levels can tell a lossy origin at all: something was heard above
    the reference (not a quiet or a dull recording, nor a window that was not measured)."""
    whole, reference = levels.get(0), levels.get(REFERENCE)
    return whole is not None and reference is not None and reference >= whole - HEARD


def cutoff_of(levels: Mapping[int, float]) -> int | None:
    """The frequency where the spectrum of the window whose ``levels`` were measured stops
    like a lossy encoder's low-pass, or None (none, or nothing up there to tell by)."""
    if not tells(levels):
        return None
    reference = levels[REFERENCE]
    before = reference
    for hz in CUTOFFS:
        level = levels.get(hz, 0.0)
        if level < reference - EMPTY and level < before - CLIFF:
            return hz
        before = level
    return None


def spectrum(exe: str, path: Path, seconds: float, rate: int = 0,
             **limits) -> dict[int, float]:  # fmt: skip
    """The levels the lossy-origin estimate reads (``cutoff_of``), of the window from the
    middle of ``path`` (``seconds`` long) that a whole check analyses, without the rest of
    the check: only the window is decoded (ffmpeg seeks to it); and the level above ``TOP``,
    which a twin's is weighed against. {}: ffmpeg could not read it. For a copy no verify
    pass analysed (the duplicates' grade). ``rate``: its sample rate (0: not known)."""
    start = max(0.0, (seconds - WINDOW) / 2)
    chain = f"{_spectrum(WINDOW)},{_above_top(rate)}"
    args = ["-loglevel", "level+info", "-ss", f"{start:.3f}", "-i", _named(path),
            "-map", "0:a:0", "-af", chain, "-f", "null", "-"]  # fmt: skip
    run = ffmpeg.run(exe, args, **limits)
    return _levels(run.stderr) if run.returncode == 0 and not run.stopped else {}


EMPTY_FILE = "is empty (0 bytes): there is no audio in it"


def _not_audio(path: Path) -> str:
    what = path.suffix.lstrip(".").upper() or "audio"
    return f"holds no audio: its bytes are not {what} audio"


def no_audio_by_header(path: Path) -> str:
    """Why ``path`` holds no audio by its header alone, without a decode (``Check.why``'s
    words): it is empty, or no audio format's header opens in it; "" where one does (a
    decode may still find it damaged). What a conversion's dry run says a run refuses."""
    try:
        size = path.stat().st_size
    except OSError:  # (gone: the run says so, naming it)
        return ""
    if not size:
        return EMPTY_FILE
    try:
        audio = _opened(path)
    except Exception:  # (mutagen's own errors: the header does not read as audio)
        audio = None
    return "" if getattr(audio, "info", None) is not None else _not_audio(path)


def read_header(path: Path) -> Header:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    try:
        audio = _opened(path)
    except Exception:  # an unreadable header: the decode says what is wrong
        audio = None
    info = getattr(audio, "info", None)
    md5 = getattr(info, "md5_signature", 0) or 0
    ends = _ogg_ends(path) if path.suffix.lower() in OGG else True
    promise = promised.read(path, audio)
    return Header(promise.seconds, promise.exact, f"{md5:032x}" if md5 else "",
                  int(getattr(info, "bits_per_sample", 0) or 0), ends, promise.by,
                  promise.end, size, promise.cut, promise.slack,
                  promise.to_the_sample)  # fmt: skip


def _opened(path: Path) -> mutagen.FileType | None:
    """The file as mutagen reads it. A name ending in .flac is tried as a FLAC first:
    ``mutagen.File`` imports every format's module to guess (before a batch's first check),
    and for a FLAC it would choose the same class."""
    if path.suffix.lower() == ".flac":
        with contextlib.suppress(mutagen.MutagenError):  # not a FLAC inside: mutagen guesses
            return FLAC(path)
    return mutagen.File(path)


OGG = frozenset({".ogg", ".opus", ".oga", ".spx"})
_PAGE_MAX = 27 + 255 + 255 * 255  # the longest an Ogg page can be


def _ogg_ends(path: Path) -> bool:
    """Whether the file's last Ogg page is whole and flagged end-of-stream. A truncated Ogg
    decodes without a word (its header's length is read from the last page it has), so
    this is how one cut short shows."""
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - _PAGE_MAX))
            tail = f.read()
    except OSError:
        return True  # unreadable: the decode says so
    at = tail.rfind(b"OggS")
    if at < 0 or len(tail) < at + 27:
        return False
    segments = tail[at + 27 : at + 27 + tail[at + 26]]
    whole = len(segments) == tail[at + 26] and at + 27 + len(segments) + sum(segments) == len(tail)
    return whole and bool(tail[at + 5] & 0x04)


def check_sent(exe: str, inputs: Path, outputs: Path, *, name: str, analyse: bool,
               last_good: Mapping[str, object] | None, limits: dict) -> dict:  # fmt: skip
    """``check`` as a cluster's worker runs it (``batch/cluster_steps``): the file sent into
    ``inputs``, decoded there; the coordinator puts its own path back on the answer."""
    from dataclasses import asdict

    return asdict(check(exe, inputs / name, analyse=analyse, last_good=last_good, **limits))


def check(exe: str | Callable[[], str], path: Path, *, analyse: bool = True, flac: str = "",
          last_good: Mapping[str, object] | None = None, **limits) -> Check:  # fmt: skip
    """Decode all of ``path`` once and say what was found (see the module's docstring).
    ``exe``: the ffmpeg, or a function giving it, asked only when ffmpeg runs (a FLAC that
    ``flac -t`` passes needs none, nor the version check finding one costs).
    ``flac``: Debian's flac, to check a FLAC with an MD5 by ``flac -t`` when there is no
    analysis (the same answer for a whole file in about half the time; ``flactest``).
    ``last_good``: what the last pass that found the file whole recorded (its ``checksum``,
    ``frames`` and ``seconds``): audio bytes unchanged since, it is whole without a decode
    (``Check.compared``). None: decode it whatever it holds.
    ``limits``: ``ffmpeg.run``'s timeout and stall."""
    header = read_header(path)
    # Read before the decode: bytes changed after it are never taken for the checked ones.
    frames = flacframes.digest(path) if _md5_checked(path, header) else ""
    if last_good and (same := _same_audio(exe, path, header, frames, last_good, **limits)):
        return same
    if not analyse and flac and (whole := _by_flac(flac, path, header, **limits)) is not None:
        return replace(whole, frames=frames)
    exe = exe if isinstance(exe, str) else exe()
    args = ["-loglevel", "level+info", *decoding(path), "-i", _named(path),
            *outputs(path, header, analyse)]  # fmt: skip
    found = reading(exe, path, header, ffmpeg.run(exe, args, **limits), **limits)
    return replace(found, frames=frames)


def _md5_checked(path: Path, header: Header) -> bool:
    """Whether the file's checksum is its decoded samples' MD5: a FLAC whose STREAMINFO
    holds one, at a bit depth the MD5 can be computed for."""
    return path.suffix.lower() == ".flac" and bool(header.md5) and header.bits in PCM


def _same_audio(exe: str | Callable[[], str], path: Path, header: Header, frames: str,
                last_good: Mapping[str, object], **limits) -> Check | None:  # fmt: skip
    """The check of a file whose audio bytes are the ones the last good pass read, or None:
    changed, or nothing recorded to compare with (then it is decoded in full)."""
    checksum = str(last_good.get("checksum") or "")
    if frames:  # a FLAC: its frames, and the MD5 its header holds, as they were
        same = frames == last_good.get("frames") and checksum == SAMPLES + header.md5
    elif checksum and not checksum.startswith(SAMPLES):  # any other file: its packets
        exe = exe if isinstance(exe, str) else exe()
        args = ["-loglevel", "level+info", "-i", _named(path), *PACKETS_HASH]
        run = ffmpeg.run(exe, args, **limits)
        same = run.returncode == 0 and not run.stopped and _checksum(run.stderr) == checksum
    else:
        return None
    seconds = float(last_good.get("seconds") or header.seconds)  # type: ignore[arg-type]
    found = Check(path=os.fspath(path), decodes=True, seconds=round(seconds, 3), header=header,
                  audio_checksum=checksum, samples_md5=header.md5, frames=frames,
                  compared=True)  # fmt: skip
    # A header that now disagrees with the length last decoded: decoded, to say what is wrong.
    return found if same and not found.damaged else None


def _by_flac(flac: str, path: Path, header: Header, *, timeout=None, stall=None) -> Check | None:
    """The check of a whole FLAC by ``flac -t``, or None: not a FLAC it answers for, or not
    whole (the ffmpeg check then says what is wrong and where). Its checksum is the one the
    ffmpeg check records (the samples' MD5, verified equal to the header's)."""
    if not (_md5_checked(path, header) and header.exact):
        return None
    # flac -t has no progress to watch: it may take the audio's length (it decodes tens of
    # times faster than that) plus the time a stalled ffmpeg would be given.
    limits = [t for t in (timeout, None if stall is None else header.seconds + stall) if t]
    if not flactest.whole(flac, path, min(limits, default=None)):
        return None
    return Check(path=os.fspath(path), decodes=True, seconds=round(header.seconds, 3),
                 header=header, audio_checksum=SAMPLES + header.md5,
                 samples_md5=header.md5)  # fmt: skip


def reading(exe: str, path: Path, header: Header, run: ffmpeg.Run, **limits) -> Check:
    """What a run given ``outputs`` (at log level ``level+info``) found; a run that also
    encodes (a conversion) gets the same checks from its one decode. A damaged file is
    decoded once more, to say where the damage starts."""
    text = run.stderr
    errors = [run.stopped] if run.stopped else _errors(text)
    samples = _last_number(text, r"n_samples: (\d+)")
    rate, channels = _rate_channels(text)
    seconds = samples / (rate * channels) if samples and rate and channels else run.seconds
    error_at = _first_error_at(exe, path, **limits) if errors and not run.stopped else None
    # Frames a FLAC's parser passed over without a word (a run of bytes overwritten inside
    # it, a bad sector): a decode error where they begin, not a cut at its end.
    if (not errors and run.returncode == 0 and _short_flac(path, header, seconds)
            and (lost := _frames_lost_at(exe, path, **limits)) is not None):
        error_at, errors = lost[0], [f"frames lost between {_clock(lost[0])} and "
                                     f"{_clock(lost[1])} (their numbers jump)"]
    return Check(
        path=os.fspath(path),
        decodes=run.returncode == 0 and not run.stopped,
        seconds=round(seconds, 3),
        header=header,
        errors=tuple(errors),
        error_at=error_at,
        failure=_failure(run, path),
        audio_checksum=_checksum(text),
        samples_md5=_value(text, r"^MD5=([0-9a-f]+)"),
        full_scale=int(_last_number(text, r"histogram_0db: (\d+)") or 0),
        silences=_silences(text),
        levels=_levels(text),
    )


def outputs(path: Path, header: Header, analyse: bool) -> list[str]:
    """The outputs that check input 0, read once: its packets hashed, its samples decoded
    once into the checks (and the MD5, for a FLAC that has one), and the spectrum window
    when analysing. ffmpeg decodes an input once for all the outputs that map it.

    The decoded samples go to one filter graph that first gathers them into frames 16 times
    larger, then splits them among the checks: ffmpeg hands every frame from thread to
    thread (decoder, each output's filters, encoder, muxer), and a FLAC's 4096-sample frames
    handed to each check on their own make that hand-over the larger part of the work. Each branch
    converts what it needs on its own: the MD5's stays the samples as decoded."""
    watch = "volumedetect"
    if analyse:
        watch += f",silencedetect=n={SILENCE_DB}dB:d={SILENCE_SECONDS:g}"
    branches = {"counted": watch}
    hashed = bool(header.md5) and header.bits in PCM  # its MD5 is its checksum: no packets'
    if hashed:  # the samples as decoded: no filter converts them
        branches["samples"] = "anull"
    if analyse and path.suffix.lower() in LOSSLESS:
        branches["spectrum"] = _spectrum(header.seconds)
    split = "".join(f"[{name}_in]" for name in branches)
    graph = ";".join([f"[0:a:0]{ffmpeg.FEWER_FRAMES},asplit={len(branches)}{split}"]
                     + [f"[{name}_in]{chain}[{name}]" for name, chain in branches.items()])
    args = [] if hashed else [*PACKETS_HASH]
    args += ["-filter_complex", graph, "-map", "[counted]", "-f", "null", "-"]
    if hashed:
        args += ["-map", "[samples]", "-c:a", PCM[header.bits], "-f", "md5", "pipe:2"]
    if "spectrum" in branches:
        args += ["-map", "[spectrum]", "-f", "null", "-"]
    return args


def decoding(path: Path, *, stop: bool = False) -> list[str]:
    """The decoder's options that go before ``path``'s ``-i``: a FLAC's frames' CRC-16
    checked (ffmpeg checks only their headers' CRC-8 unless asked: a bit changed in a frame's
    audio decodes to other samples without a word, which only an MD5 would tell, and a FLAC
    may hold none). Each failing frame is an error; ``stop``: its frame is not decoded
    either, so ``-xerror`` stops there (where the damage starts). The audio's decoder only
    (``:a``): the option given to every decoder reached the cover's, and a picture whose PNG
    chunk failed its CRC made a whole FLAC "does not decode" where ``flac -t`` finds it ok."""
    if path.suffix.lower() != ".flac":
        return []
    return ["-err_detect:a", "crccheck+explode" if stop else "crccheck"]


def _named(path: Path) -> str:
    """The file as ffmpeg must read it: through its file protocol, so that no name (one
    beginning with "-", or "concat:" or "data:") is ever taken for an option or a protocol."""
    return "file:" + os.fspath(path.absolute())


def _spectrum(seconds: float) -> str:
    """The window's level, then the level above each cutoff (each a steeper high-pass on
    what the one before left), in doubles, with a DC offset far under hearing: a filter's
    state decaying through digital silence into denormals makes it 3-5 times slower.
    ``apad`` keeps the branch from ending empty when the header's length is wrong."""
    start = max(0.0, (seconds - WINDOW) / 2)
    chain = [f"atrim=start={start:.3f}:duration={WINDOW:g}", "apad=whole_len=1",
             "aformat=sample_fmts=dblp:channel_layouts=mono", "dcshift=shift=0.000001",
             _level(0)]  # fmt: skip
    for hz in (REFERENCE, *CUTOFFS):
        chain += [f"highpass=f={hz}", f"highpass=f={hz}", _level(hz)]
    return ",".join(chain)


def _above_top(rate: int) -> str:
    """The level above ``TOP``, a sharp band (a linear-phase FIR), read at ``TOP_RATE`` at
    most (``rate``: the file's; 0 not known)."""
    resampled = f"aresample={TOP_RATE}," if rate > TOP_RATE else ""
    return (f"{resampled}firequalizer=gain='if(gte(f,{TOP}),0,-150)':delay=0.05:accuracy=1,"
            f"{_level(TOP)}")


def _level(hz: int) -> str:
    return f"astats@hp{hz}=measure_perchannel=none:measure_overall=RMS_level"


def _short_flac(path: Path, header: Header, seconds: float) -> bool:
    """A FLAC that decoded, with no error, to fewer samples than its STREAMINFO counts."""
    return (path.suffix.lower() == ".flac" and header.exact and header.to_the_sample
            and header.seconds - seconds > SAMPLE_ROUNDING)  # fmt: skip


# A packet as ``-f framecrc`` lists it: stream, dts, pts, duration (the stream's time base).
_PACKET = re.compile(rb"^\d+,\s*-?\d+,\s*(-?\d+),\s*(\d+),", re.M)
_TIME_BASE = re.compile(rb"^#tb \d+: (\d+)/(\d+)$", re.M)


def _frames_lost_at(exe: str, path: Path, **limits) -> tuple[float, float] | None:
    """Where a FLAC's frames stop following each other, and where they follow on again,
    seconds, or None. Each FLAC frame's header numbers it, and its packet's timestamp is
    that number: a frame whose timestamp is not where the frame before it ended begins a
    stretch lost inside the file (read by a stream copy: nothing decoded). What is lost lies
    between the two: the parser may glue the frame before the damage to it (a packet of
    the last good number again), so the first of them may still decode."""
    args = ["-loglevel", "error", "-i", _named(path), "-map", "0:a:0", "-c", "copy",
            "-f", "framecrc", "pipe:2"]  # fmt: skip
    run = ffmpeg.run(exe, args, **limits)
    text = run.stderr.encode("utf-8", "replace")
    base = _TIME_BASE.search(text)
    if run.stopped or base is None:
        return None
    per_second = int(base.group(2)) / int(base.group(1))
    expected, lost = None, None
    for match in _PACKET.finditer(text):
        pts, duration = int(match.group(1)), int(match.group(2))
        if lost is None and expected is not None and pts != expected:
            lost = expected
        elif lost is not None and pts > lost:
            return round(lost / per_second, 3), round(pts / per_second, 3)
        expected = pts + duration
    return None


def _first_error_at(exe: str, path: Path, **limits) -> float | None:
    """Where the first decode error stops a decode, seconds (a damaged file only): the
    samples decoded before it, counted by ``volumedetect`` (ffmpeg 5.1 exits on the error
    before it reports its progress, so the progress says 0.02 s for a file cut at 10 s)."""
    args = ["-loglevel", "level+info", "-xerror", *decoding(path, stop=True), "-i",
            _named(path), "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"]  # fmt: skip
    run = ffmpeg.run(exe, args, **limits)
    if run.returncode == 0 or run.stopped:
        return None
    samples = max(map(int, re.findall(r"n_samples: (\d+)", run.stderr)), default=0)
    rate, channels = _rate_channels(run.stderr)
    seconds = samples / (rate * channels) if samples and rate and channels else run.seconds
    return round(seconds, 3)


# An input's error as ffmpeg logs it, with where it comes from: "[flac @ 0x55..] [error]
# invalid coding type". Lines from the output side (an encoder, a muxer, a full disk) are
# not the input's; neither are the lines ffmpeg's machinery adds about a failed task (they
# repeat the decoder's), nor the last words without a source ("Conversion failed!").
_ERROR = re.compile(r"^((?:\[[^]]+\] )*)\[(?:error|fatal)\] (.+)$", re.M)
_OUTPUT_SIDE = re.compile(r"\[(?:aost#|vost#|out#|enc:)")
# An embedded cover's decoder, which ffmpeg opens to probe the picture's stream although only
# the audio is decoded: a damaged picture is no damage to the audio (``flac -t`` finds such a
# FLAC whole), where "inflate returned error -3" had said the FLAC "does not decode".
_PICTURE_SIDE = re.compile(r"\[(?:[^]]*/)?(?:dec:)?(?:png|mjpeg|jpeg|jpegls|jpeg2000|bmp|gif|"
                           r"webp|tiff|qoi)[ \]]")
_NOISE = ("Task finished", "Terminating thread", "Error processing packet", "decode_frame()")
# Where a decoder's error was in its stream's own time base ("CRC error at PTS 64512"; ffmpeg
# 9: "at PTS -9223372036854775808", no timestamp at all): the check says the time itself.
_AT_PTS = re.compile(r" at PTS -?\d+\b")


# An input that does not open: a newer ffmpeg than 5.1 (the wheel's 9.0) says so in lines of
# its own ("[in#0 @ ..] Error opening input: End of file", last "Error opening input files:
# End of file") where 5.1 says "file:PATH: End of file" without a source. Said as 5.1 says
# it (the file by its name, as ``_failure`` says it), so that every ffmpeg gives the same
# message, and never taken for a decode error at 0:00.
_NOT_OPENED = "Error opening input"


def _errors(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in _ERROR.finditer(text):
        where, line = match.group(1), _AT_PTS.sub("", match.group(2).strip())
        noise = any(n in line for n in _NOISE) or line.startswith(_NOT_OPENED)
        picture = _PICTURE_SIDE.search(where)
        if where and not _OUTPUT_SIDE.search(where) and not picture and not noise:
            seen.setdefault(line, None)
    return list(seen)


def _failure(run: ffmpeg.Run, path: Path) -> str:
    """Why ffmpeg failed on ``path``, or "" when it did not, naming the file by its name: a
    person reads it beside the file's row or album, where ffmpeg's "file:" and the absolute
    path it was handed (``_named``) are noise."""
    if run.returncode == 0:
        return ""
    before, _, why = run.error.partition(f"{_NOT_OPENED} files: ")
    if why and not before:
        return f"{path.name}: {why}"
    return run.error.replace(_named(path), path.name)


def _checksum(text: str) -> str:
    """The packets' hash, or, for a FLAC checked by its MD5, the decoded samples' MD5."""
    if packets := _value(text, r"^murmur3=([0-9a-f]+)"):
        return packets
    samples = _value(text, r"^MD5=([0-9a-f]+)")
    return SAMPLES + samples if samples else ""


def _value(text: str, pattern: str) -> str:
    found = re.findall(pattern, text, re.M)
    return found[-1] if found else ""


def _last_number(text: str, pattern: str) -> float:
    found = re.findall(pattern, text)
    return float(found[-1]) if found else 0.0


_STREAM = re.compile(r"Stream #0:\d+.*?: Audio: .*?, (\d+) Hz, ([^,]+)")
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}


def _rate_channels(text: str) -> tuple[int, int]:
    """The input's first audio stream's rate and channels, as ffmpeg describes it."""
    match = _STREAM.search(text)
    if match is None:
        return 0, 0
    layout = match.group(2).strip().split("(")[0]
    channels = _LAYOUTS.get(layout) or int(re.match(r"\d*", layout).group() or 0)
    return int(match.group(1)), channels


def _silences(text: str) -> tuple[tuple[float, float], ...]:
    ends = re.findall(r"silence_end: ([\d.]+) \| silence_duration: ([\d.]+)", text)
    return tuple((round(float(e) - float(d), 3), round(float(d), 3)) for e, d in ends)


def _levels(text: str) -> dict[int, float]:
    levels: dict[int, float] = {}
    for hz, db in re.findall(r"\[astats@hp(\d+) @ [^]]+\] \[info\] RMS level dB: (\S+)", text):
        levels[int(hz)] = float(db) if db not in ("-inf", "nan") else -200.0
    return levels


def _clock(seconds: float | None) -> str:
    total = seconds or 0.0
    return f"{int(total // 60)}:{total % 60:06.3f}"
