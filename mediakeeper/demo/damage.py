"""Damage done to real audio files on purpose, the way disks and cut-off copies do it: for
the tests, the demo's damaged track and the benchmarks. Never used on a user's file."""

from __future__ import annotations

import os
from pathlib import Path


def flip_bytes(path: Path, *, at: float = 0.5, count: int = 16) -> Path:
    """Invert ``count`` bytes ``at`` that fraction of the file (a FLAC's frames there then
    fail their CRC): what a failing disk's bad sector does to a file, its size unchanged."""
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    for i in range(start, min(start + count, len(data))):
        data[i] ^= 0xFF
    _write_back(path, bytes(data))
    return path


def cut(path: Path, *, keep: float = 0.5) -> Path:
    """Keep only the first ``keep`` of the file's bytes, its header untouched: a copy or a
    download cut short (a WAV then says more audio than it holds)."""
    data = path.read_bytes()
    _write_back(path, data[: int(len(data) * keep)])
    return path


def _write_back(path: Path, data: bytes) -> None:
    with open(path, "r+b") as f:  # in place, as a disk would: same inode, mtime moves
        f.write(data)
        f.truncate(len(data))
        f.flush()
        os.fsync(f.fileno())
