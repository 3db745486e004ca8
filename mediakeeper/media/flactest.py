"""Whether a FLAC is whole, by Debian's ``flac -t`` (libFLAC): the fast way to one answer.

libFLAC decodes a FLAC in a quarter to a third of the CPU time ffmpeg takes (its decoder is
slower, and its threads hand each frame on: docs/performance.md, Media), and ``flac -t`` checks
what verify asks of a whole file: every frame's CRC, and the MD5 of all the decoded samples
against the one STREAMINFO holds (a file cut short, even at a frame's boundary, fails it).
So for a FLAC whose STREAMINFO holds an MD5, ``flac -t`` passing means: no decode error,
the decoded samples' MD5 is the header's, the length is the header's.

It only ever says "whole". Anything else (a failure, a flac past its time) says nothing:
the ffmpeg check then runs and tells what is wrong and where it starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mediakeeper.core.errors import MediakeeperError
from mediakeeper.system import children, processes


def find() -> str:
    """Debian's ``flac`` on ``PATH``, or "" (then every file is checked by ffmpeg)."""
    return shutil.which("flac") or ""


def whole(flac: str, path: Path, timeout: float | None) -> bool:
    """Whether ``flac -t`` passes ``path``: decoded without an error, its MD5 verified.
    ``timeout``: the most seconds it may take (a mount that stopped answering), or None.
    A flac killed by another (an interrupt's ``children.kill_all``, a person) gives no
    answer: MediakeeperError, never a second decode by ffmpeg that an interrupt would wait for."""
    # An absolute name: one beginning with "-" is never taken for an option.
    proc = children.start([flac, "--silent", "--test", os.fspath(path.absolute())],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        code = processes.wait(proc, timeout)
    except subprocess.TimeoutExpired:
        return False  # the ffmpeg check, held to its own limits, says what is wrong
    finally:
        children.end(proc)  # past its time, or an interrupt: it never runs on
    if code < 0:
        raise MediakeeperError(f"flac -t was stopped (signal {-code}) checking {path.name}")
    return code == 0
