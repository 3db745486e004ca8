"""Chromaprint fingerprints of audio files, made by ffmpeg's own ``chromaprint`` muxer.

The ffmpeg the ``imageio-ffmpeg`` wheel ships has the muxer, so nothing more needs
installing; an ffmpeg found first (``[ffmpeg] path``, ``PATH``) that lacks it gives way to
that one (``fingerprinter``). One decode gives both halves of a lookup: the fingerprint of
the first ``LENGTH`` seconds (what ``fpcalc`` fingerprints, and what AcoustID holds) and the
whole file's length, from a second output that decodes to the end.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import io
import os
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mediakeeper.core.errors import ConfigError
from mediakeeper.media import ffmpeg

LENGTH = 120  # seconds fingerprinted, as fpcalc does by default
MUXER = "chromaprint"
MIN_POINTS = 30  # sub-fingerprints (about 8 a second): fewer is too little to look up


@dataclass(frozen=True)
class Fingerprint:
    duration: float  # seconds, from decoding the whole file
    fingerprint: str  # compressed, URL-safe base64 (what AcoustID's lookup takes)

    @property
    def too_short(self) -> bool:
        """Too little to recognise: under ``MIN_POINTS`` sub-fingerprints (a few seconds)."""
        return points(self.fingerprint) < MIN_POINTS


class FingerprintFailed(Exception):
    """ffmpeg could not fingerprint the file; the message is its own last error line."""


def points(fingerprint: str) -> int:
    """How many sub-fingerprints a compressed fingerprint holds (its header's count)."""
    try:
        raw = base64.urlsafe_b64decode(fingerprint + "=" * (-len(fingerprint) % 4))
    except (binascii.Error, ValueError):
        return 0
    return int.from_bytes(raw[1:4], "big") if len(raw) >= 4 else 0


@functools.cache
def has_muxer(exe: str) -> bool:
    """Whether this ffmpeg was built with the chromaprint muxer (asked once per binary)."""
    try:
        listed = subprocess.run(
            [exe, "-hide_banner", "-muxers"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.split()[1:2] == [MUXER] for line in listed.splitlines() if line.strip())


def fingerprinter(configured: str = "") -> str:
    """The ffmpeg to fingerprint with: the one the toolkit finds, if it has the muxer, else
    the bundled one (Debian's ffmpeg has it; a build without libchromaprint does not)."""
    found = ffmpeg.find(configured)
    if has_muxer(found):
        return found
    try:
        import imageio_ffmpeg

        bundled = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        bundled = ""
    if bundled and has_muxer(bundled):
        return bundled
    raise ConfigError(
        f"{found} has no chromaprint muxer, and no bundled ffmpeg has one: "
        "`pip install imageio-ffmpeg`, or set [ffmpeg] path to an ffmpeg built with it"
    )


def fingerprint(exe: str, path: Path | str, *, length: int = LENGTH) -> Fingerprint:
    """The fingerprint of ``path``'s first ``length`` seconds and its decoded duration."""
    seconds, text = _muxed(exe, path, length, "base64")
    try:
        return Fingerprint(seconds, text.decode("ascii").strip())
    except UnicodeError as err:
        raise FingerprintFailed(f"no fingerprint written: {err}") from None


def raw_fingerprint(
    exe: str, path: Path | str, *, length: int = LENGTH, whole: bool = True
) -> tuple[float, list[int]]:
    """The uncompressed sub-fingerprints (32-bit, about 8 a second) of ``path``'s first
    ``length`` seconds, with its decoded duration: what comparing two files needs. Not
    ``whole``: only those seconds are decoded (the duration is then at most ``length``: the
    caller knows it from the file's header)."""
    seconds, raw = _muxed(exe, path, length, "raw", whole=whole)
    return seconds, list(struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4]))


def fingerprint_sent(exe: str, inputs: Path, outputs: Path, *, name: str, length: int,
                     whole: bool) -> dict:  # fmt: skip
    """``raw_fingerprint`` as a cluster's worker runs it (``batch/cluster_steps``): the file
    sent into ``inputs``, fingerprinted by this worker's ffmpeg with the muxer."""
    seconds, points = raw_fingerprint(fingerprinter(exe), inputs / name, length=length,
                                      whole=whole)  # fmt: skip
    return {"seconds": seconds, "points": points}


def _muxed(
    exe: str, path: Path | str, length: int, fp_format: str, *, whole: bool = True
) -> tuple[float, bytes]:
    # The muxer writes to a pipe this process drains: no file to clean up, so a batch killed
    # mid-fingerprint leaves nothing behind in the temporary folder.
    read, write = os.pipe()
    with _drained(read) as written:
        try:
            args = [
                "-i", os.fspath(path),
                "-map", "0:a:0", "-t", str(length), "-f", MUXER, "-fp_format", fp_format,
                f"pipe:{write}",
            ]  # fmt: skip
            if whole:  # a second output decoding to the end: the decoded duration
                args += ["-map", "0:a:0", "-f", "null", "-"]
            run = ffmpeg.run(exe, args, stall=60, pass_fds=(write,))
        finally:
            os.close(write)  # ffmpeg's copy is closed once it ends: the reader hears the end
    if run.returncode != 0:
        raise FingerprintFailed(run.error)
    return run.seconds, written.getvalue()


@contextlib.contextmanager
def _drained(fd: int) -> Iterator[io.BytesIO]:
    """Everything read from ``fd`` until its writers close it, by a thread of its own (a
    writer never blocks on a full pipe), whole once the block is left; ``fd`` closed then."""
    collected = io.BytesIO()

    def drain() -> None:
        with open(fd, "rb", buffering=0, closefd=True) as pipe:
            while chunk := pipe.read(1 << 16):
                collected.write(chunk)

    reader = threading.Thread(target=drain, name="fingerprint-reader", daemon=True)
    reader.start()
    try:
        yield collected
    finally:
        reader.join()
