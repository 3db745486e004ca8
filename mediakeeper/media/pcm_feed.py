"""Files decoded one after another into one ffmpeg's standard input, each one's samples
counted as they pass.

An encode that joins files this way knows, to the sample, how much of each file it was
given: what ffmpeg decoded of it (a chapter's start is the sum of the counts before it), not
what a header says. It costs no more than the plain ``ffmpeg -f concat`` command, since the
encoder reads raw samples while the decoders run beside it on another core, and it needs no
filter graph and no list of file names: each file is its own decoder's only input.

The samples pass through this process by ``os.splice`` (no copy into Python) from a
decoder's pipe to the encoder's. The next file's decoder is started while the current one
is read, so the encoder never waits for one to start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakeeper.media import ffmpeg
from mediakeeper.system import children

SAMPLE_BYTES = 4  # 32-bit float: what a decoder gives, kept exact to the encoder
PIPE_BYTES = 1 << 20  # a pipe's buffer, asked for (the kernel's default is 64 KiB)
_LAYOUTS = {1: "mono", 2: "stereo"}
_SPLICE = hasattr(os, "splice")


@dataclass(frozen=True)
class Pcm:
    """The raw audio that passes: every file is resampled and mixed to this by its decoder."""

    rate: int
    channels: int

    @property
    def frame_bytes(self) -> int:
        return SAMPLE_BYTES * self.channels

    def input_args(self) -> list[str]:
        """The encoder's arguments for reading it from its standard input."""
        layout = _LAYOUTS.get(self.channels, f"{self.channels}c")
        return ["-f", "f32le", "-ar", str(self.rate), "-ch_layout", layout, "-i", "pipe:0"]

    def decoder_args(self, path: Path | str) -> list[str]:
        return ["-i", os.fspath(path), "-map", "0:a:0", "-f", "f32le", "-ar", str(self.rate),
                "-ac", str(self.channels), "pipe:1"]  # fmt: skip


class Feed:
    """Decodes ``paths`` in order into a pipe, for ``ffmpeg.run(..., stdin=feed.stdin)``.

    Used as a context manager around that run. On leaving it, ``counts`` holds each file's
    samples, or ``error`` says which file did not decode and why (the encoder then saw its
    input end early: its output must not be used). Leaving it early (the encoder failed or
    was stopped past a limit, Ctrl+C) kills the decoders still running."""

    def __init__(self, exe: str, paths: Sequence[Path | str], pcm: Pcm,
                 names: Sequence[str] = ()):  # fmt: skip
        """``names``: each file as ``error`` names it (by default its path's last part)."""
        self.names = list(names) or [Path(p).name for p in paths]
        self.counts: list[int] = []
        self.error = ""
        self._exe, self._paths, self._pcm = exe, list(paths), pcm
        self._decoders: list[tuple[subprocess.Popen, Any]] = []  # with its errors' file
        self._lock = threading.Lock()
        self._stopping = False
        self.stdin, self._write = os.pipe()
        _widen(self._write)
        self._thread = threading.Thread(target=self._pump, name="pcm-feed", daemon=True)

    def __enter__(self) -> Feed:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop()  # by now the encoder has ended: a decoder still running is not needed
        self._thread.join()

    def _stop(self) -> None:
        with self._lock:
            self._stopping = True
            running = [proc for proc, _ in self._decoders]
        for proc in running:
            with contextlib.suppress(OSError):
                proc.kill()

    def _pump(self) -> None:
        """Runs on its own thread: the decoders are its children, so they die with it."""
        try:
            ahead = self._start(0)
            for n in range(len(self._paths)):
                decoder, errors = ahead
                ahead = self._start(n + 1) if n + 1 < len(self._paths) else None
                moved = _move(decoder.stdout.fileno(), self._write)
                decoder.wait()
                if not self._counted(n, decoder.returncode, errors, moved):
                    return
        except BrokenPipeError:
            pass  # the encoder ended first: its own run says why
        except OSError as err:  # ffmpeg could not be started
            self.error = f"ffmpeg did not start: {err}"
        finally:
            os.close(self._write)  # the encoder's end of input
            self._stop()
            for proc, errors in self._decoders:
                children.end(proc)
                proc.stdout.close()
                errors.close()

    def _start(self, n: int):
        """Decoder ``n`` and the file its errors go to (a pipe could fill and stall it)."""
        errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the pump ends)
        with self._lock:
            if self._stopping:
                errors.close()
                raise BrokenPipeError
            command = [self._exe, *ffmpeg.BASE, *self._pcm.decoder_args(self._paths[n])]
            try:
                decoder = children.start(command, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=errors)  # fmt: skip
            except BaseException:
                errors.close()
                raise
            self._decoders.append((decoder, errors))
        _widen(decoder.stdout.fileno())
        return decoder, errors

    def _counted(self, n: int, returncode: int, errors, moved: int) -> bool:
        errors.seek(0)
        name, path = self.names[n], os.fspath(self._paths[n])
        # ffmpeg 5.1 names the file it read in its line: the file, not our numbered link
        said = ffmpeg.last_line(errors.read()).replace(path, os.path.realpath(path))
        if self._stopping:
            return False
        if returncode != 0 or moved % self._pcm.frame_bytes:
            self.error = f"{name} does not decode: {said or 'ffmpeg failed'}"
            return False
        self.counts.append(moved // self._pcm.frame_bytes)
        return True


def _move(source: int, sink: int) -> int:
    """Everything ``source`` gives, written to ``sink``: the bytes moved."""
    moved = 0
    while True:
        if _SPLICE:
            chunk = os.splice(source, sink, PIPE_BYTES)
        else:  # no splice (not Linux): through this process
            data = os.read(source, PIPE_BYTES)
            chunk = len(data)
            view = memoryview(data)
            while view:
                view = view[os.write(sink, view) :]
        if not chunk:
            return moved
        moved += chunk


def _widen(fd: int) -> None:
    """A larger pipe buffer (fewer switches between the processes), when the system allows."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
