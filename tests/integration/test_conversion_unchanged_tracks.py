"""An album converted before, one of whose tracks then changed (replaced from a better rip):
converting it again (``--refresh`` put it back to pending; ``--retry-errors --overwrite``)
encodes only the track whose source changed. Every other track's earlier output, placed by
this album and unchanged since, made from the very same source bytes with the same profile,
is kept: copied into the new album and verified as an encode is (it decodes whole, its
header says what it decodes to, it lasts as its source).

Real FLAC made by ffmpeg, the real scripts in subprocesses; which files were encoded is read
from the album's output document and from the files themselves (an encode writes a new
file, a kept one is the same bytes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import mutagen

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from tests.integration.test_conversions import convert, queue_items  # noqa: F401 (fixture)

EXE = ffmpeg.find()


def _album(library: Path, tracks: int = 4) -> Path:
    album = library / "Artist" / "Album"
    for n in range(1, tracks + 1):
        path = synth.tone(EXE, album / f"{n:02d}.flac", 1.0, frequency=200 + 50 * n)
        synth.tagged(path, {"title": f"Song {n}", "artist": "Artist", "tracknumber": str(n)})
    return album


def _document(home: Path) -> dict:
    return json.loads(next((home / "outputs" / "conversions").glob("*.json")).read_text())


def _queue_manager(music_script, home: Path, *args):
    return music_script("conversion_queue_manager.py", "--home", home, *args)


def test_only_the_changed_track_is_encoded_again(tmp_path, convert, music_script):  # noqa: F811
    library, home, out = tmp_path / "lib", tmp_path / "home", tmp_path / "out"
    album = _album(library)
    first = convert("--library", library)
    assert first.returncode == 0, first.stdout + first.stderr
    placed = out / "Artist" / "Album"
    before = {p.name: p.stat().st_ino for p in placed.iterdir()}

    # A better rip of track 3 replaces it (another sound, another title).
    synth.tagged(synth.tone(EXE, album / "03.flac", 1.0, frequency=900),
                 {"title": "Song 3 (remastered)", "tracknumber": "3"})  # fmt: skip
    refreshed = _queue_manager(music_script, home, "--refresh")
    assert refreshed.returncode == 0 and "changed" in refreshed.stdout, refreshed.stdout
    refused = convert("--library", library)  # its earlier output is there: not without asking
    assert refused.returncode == 1 and "--retry-errors --overwrite" in refused.stdout

    dry = convert("--library", library, "--retry-errors", "--overwrite", "--dry-run")
    assert "  01.flac: 01.opus kept as converted before (its source unchanged)" in dry.stdout
    assert "  03.flac: encoded to 03.opus (opus)" in dry.stdout, dry.stdout
    again = convert("--library", library, "--retry-errors", "--overwrite")
    assert again.returncode == 0, again.stdout + again.stderr
    files = {f["source"]: f for f in _document(home)["files"]}
    assert [name for name, f in files.items() if f.get("unchanged")] == ["01.flac", "02.flac",
                                                                         "04.flac"]
    assert not files["03.flac"].get("unchanged")
    page = next((home / "issues" / "conversions").glob("artist-album-*.md")).read_text()
    assert "| 01.flac | 01.opus | kept unchanged |" in page
    assert "| 03.flac | 03.opus | encoded |" in page
    assert mutagen.File(placed / "03.opus")["title"] == ["Song 3 (remastered)"]
    assert mutagen.File(placed / "02.opus")["title"] == ["Song 2"]
    assert sorted(p.name for p in placed.iterdir()) == sorted(before)
    # Each kept output lasts as its source: verified, not taken on trust.
    assert all(abs(f["output_seconds"] - 1.0) < 0.1 for f in files.values())


def test_a_kept_output_whose_bytes_rotted_since_it_was_placed_is_encoded_again(
    tmp_path, convert, music_script  # noqa: F811
):
    """Bit rot in the portable library: its size and time as placed, its bytes not. The
    bytes kept are checked against those placed: the track is encoded again, not copied."""
    library, home, out = tmp_path / "lib", tmp_path / "home", tmp_path / "out"
    album = _album(library, tracks=2)
    assert convert("--library", library).returncode == 0
    rotted = out / "Artist" / "Album" / "01.opus"
    good, stat = rotted.read_bytes(), rotted.stat()
    middle = len(good) // 2
    rotted.write_bytes(good[:middle] + bytes([good[middle] ^ 0xFF]) + good[middle + 1:])
    os.utime(rotted, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    synth.tagged(album / "02.flac", {"title": "Song 2 (fixed)"})
    assert _queue_manager(music_script, home, "--refresh").returncode == 0
    again = convert("--library", library, "--retry-errors", "--overwrite")
    assert again.returncode == 0, again.stdout + again.stderr
    files = {f["source"]: f for f in _document(home)["files"]}
    assert not files["01.flac"].get("unchanged") and not files["02.flac"].get("unchanged")
    assert rotted.read_bytes() == good  # encoded again: the same bytes as first made
