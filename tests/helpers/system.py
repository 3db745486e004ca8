"""The operating system made to refuse or run out for real: a clock moved by hand, an
immutable file, a folder that cannot be listed, a small tmpfs that fills."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest


class FakeClock:
    """A clock the test moves by hand: every call returns the same moment until advanced."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@contextlib.contextmanager
def immutable(path: Path):
    """``path`` immutable for the block (chattr +i: even root cannot replace it); the test is
    skipped, saying why, where that cannot be done (it needs root, and a file system that
    keeps the flag)."""
    if not shutil.which("chattr"):
        pytest.skip("chattr is not installed: cannot make a file immutable")
    done = subprocess.run(["chattr", "+i", path], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot make a file immutable here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", path], check=True)


def refuse_scandir(monkeypatch, folder: Path) -> None:
    """The OS's refusal to list ``folder`` (as for a folder this user cannot read), made at
    os.scandir: running as root, mode 000 stops nothing."""
    real_scandir = os.scandir

    def refusing(path="."):
        if os.fspath(path) == os.fspath(folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str):
    """A real tmpfs of ``size`` ("64k") mounted at ``where``, unmounted afterwards: a volume
    that fills for real. Mounting needs root: the test is skipped without it."""
    where.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {where}: {mounted.stderr.strip()} (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def deeper_than_path_max(top: Path, bytes_long: int = 4200) -> Path:
    """A chain of folders under ``top`` whose path from ``top`` is ``bytes_long`` bytes,
    longer than the longest path a program may open (PATH_MAX, 4096 on Linux): made folder by
    folder relative to the one before (``dir_fd``), as a program that moves in step by step
    can, with an audio-named file at its bottom. Returns the first folder of the chain."""
    top.mkdir(parents=True, exist_ok=True)
    part = "d" * 200
    current = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        made = 0
        while made < bytes_long:
            os.mkdir(part, dir_fd=current)
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=current)
            os.close(current)
            current, made = inner, made + len(part) + 1
        os.close(os.open("01 - Lost.flac", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=current))
    finally:
        os.close(current)
    return top / part


@contextlib.contextmanager
def read_only_bind(folder: Path, where: Path):
    """``folder`` seen read-only at ``where`` (a bind mount remounted ``ro``: a library on a
    read-only share, on the same file system as its source), unmounted afterwards. Mounting
    needs root: the test is skipped without it."""
    where.mkdir(exist_ok=True)
    for args in (["--bind", str(folder), str(where)], ["-o", "remount,ro,bind", str(where)]):
        mounted = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
        if mounted.returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)
            pytest.skip(f"cannot mount {where} read-only: {mounted.stderr.strip()} (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
