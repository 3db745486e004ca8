"""Undo puts back the bytes a fix replaced, where a tag library saving the old values would
write other bytes (``mediakeeper.changes.originals``): ID3 frames and MP4 items in another
program's order (mutagen sorts both its own way on every save). Fixed, then undone, each file
is byte for byte what it was (``cmp``), in place and copied; the undo of that undo gives the
fixed bytes back; and where the kept bytes are lost, the values still come back.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import mutagen
import pytest
from mutagen.mp4 import Atoms

from tests.integration.test_undo_bytes import contents, fixed, library

FORMATS = [("mp3", 4), ("mp3", 3), ("m4a", 4), ("m4b", 4)]


def _syncsafe(data: bytes) -> int:
    return sum(b << (7 * (3 - i)) for i, b in enumerate(data))


def reordered_id3(path: Path) -> None:
    """The ID3v2 frames of an MP3 in reverse order, the tag's size and padding unchanged."""
    data = bytearray(path.read_bytes())
    assert data[:3] == b"ID3"
    version, end = data[3], 10 + _syncsafe(data[6:10])
    frames, at = [], 10
    while at + 10 <= end and data[at : at + 4] != b"\0\0\0\0":
        raw = data[at + 4 : at + 8]
        size = _syncsafe(raw) if version == 4 else struct.unpack(">I", raw)[0]
        frames.append(bytes(data[at : at + 10 + size]))
        at += 10 + size
    assert len(frames) >= 3, path
    data[10:at] = b"".join(reversed(frames))
    path.write_bytes(bytes(data))


def reordered_mp4(path: Path) -> None:
    """The items of an MP4 file's ``ilst`` in reverse order, its size unchanged."""
    data = bytearray(path.read_bytes())
    with path.open("rb") as f:
        (ilst,) = [a for a in Atoms(f).path(b"moov", b"udta", b"meta", b"ilst")[-1:]]
    items = [bytes(data[c.offset : c.offset + c.length]) for c in ilst.children]
    assert len(items) >= 3, path
    start = ilst.children[0].offset
    data[start : start + sum(map(len, items))] = b"".join(reversed(items))
    path.write_bytes(bytes(data))


def reordered_library(tmp_path: Path, music_library) -> Path:
    lib = library(music_library, tmp_path / "Music", FORMATS)
    for path in sorted(lib.rglob("*.*")):
        (reordered_id3 if path.suffix == ".mp3" else reordered_mp4)(path)
        assert mutagen.File(path).tags  # still read as tagged
    return lib


def undo(music_script, home: Path, session: str):
    return music_script("undo_changes.py", "--home", home, "--session", session)


@pytest.mark.parametrize("mode", ["in-place", "copy"])
def test_files_in_another_program_s_order_get_their_bytes_back(
    tmp_path, mode, music_library, music_script
):
    lib = reordered_library(tmp_path, music_library)
    before = contents(lib)
    home = tmp_path / "home"
    session = fixed(lib, home, mode, music_script, FORMATS)
    fixed_bytes = contents(lib)
    undone = undo(music_script, home, session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert [rel for rel in before if contents(lib)[rel] != before[rel]] == []

    # The undo is journaled as any change, its replaced bytes too: undone, the fixes are back.
    undo_session = re.search(r"undo_\d{8}T\d+", undone.stdout).group(0)
    again = undo(music_script, home, undo_session)
    assert again.returncode == 0, again.stdout + again.stderr
    assert contents(lib) == fixed_bytes


def test_without_the_kept_bytes_the_values_come_back(tmp_path, music_library, music_script):
    """A damaged or lost record of the bytes: the undo goes by the values, as before."""
    lib = reordered_library(tmp_path, music_library)
    before = {rel: mutagen.File(lib / rel).tags for rel in contents(lib)}
    before_values = {rel: sorted(map(str, tags.items())) for rel, tags in before.items()}
    home = tmp_path / "home"
    session = fixed(lib, home, "in-place", music_script, FORMATS)
    (kept,) = (home / "status" / "music" / "changes" / "originals").glob(f"{session}.jsonl")
    lines = kept.read_bytes().splitlines(keepends=True)
    kept.write_bytes(lines[0].replace(b'"spans"', b'"spanz"') + b"".join(lines[1:]))
    undone = undo(music_script, home, session)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    after_values = {rel: sorted(map(str, mutagen.File(lib / rel).tags.items())) for rel in before}
    assert after_values == before_values
