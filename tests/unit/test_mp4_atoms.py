"""The one walk of an MP4's atoms (``tags.mp4_atoms``) on a real file, whole and cut short:
an atom whose size runs past its parent's end is given last, as what it says it is (what
tells a file cut short: ``media.promised``, ``movies.cut_short``), and the whole atoms alone
(``children``: the tag code's) end before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.tags.mp4_atoms import atoms, children


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> bytes:
    """An M4A as ffmpeg writes it: ``ftyp``, ``free``, ``mdat``, then its ``moov``."""
    from mediakeeper.media import ffmpeg

    path = tmp_path_factory.mktemp("atoms") / "song.m4a"
    run = ffmpeg.run(ffmpeg.find(), ["-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac",
                                     "-metadata", "title=Song", "-y", str(path)])  # fmt: skip
    if run.returncode != 0:
        pytest.skip(f"this ffmpeg cannot make an M4A: {run.last_error}")
    return path.read_bytes()


def walked(tmp_path: Path, data: bytes, walk) -> list:
    path = tmp_path / "song.m4a"
    path.write_bytes(data)
    with open(path, "rb") as f:
        return [(a.name, a.at, a.end) for a in walk(f, 0, len(data))]


def test_a_whole_file_s_atoms_fill_it(song, tmp_path):
    found = walked(tmp_path, song, atoms)
    assert [name for name, _, _ in found][-2:] == [b"mdat", b"moov"]
    assert found[-1][2] == len(song)
    assert walked(tmp_path, song, children) == found


@pytest.mark.parametrize("cut_in", [b"mdat", b"moov"])
def test_an_atom_cut_short_is_the_last_given_and_no_child(song, tmp_path, cut_in):
    whole = {name: (at, end) for name, at, end in walked(tmp_path, song, atoms)}
    at, end = whole[cut_in]
    cut = song[: (at + end) // 2]
    found = walked(tmp_path, cut, atoms)
    assert found[-1] == (cut_in, at, end), "given as its header says, past the file's end"
    assert walked(tmp_path, cut, children) == found[:-1]
