"""Each source is read once to be copied into the album's working folder (its copy then read
back to verify it): the SHA-256 the conversion records of what each encode was made from is
the one the copy computed, not a third read of every source.

The real job on real FLAC (pink noise: it compresses as music does), its process's reads
counted by the kernel (``/proc/self/io`` ``rchar``: every read call; the encoders' own, in
their processes, are not counted)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from mediakeeper.conversions.job import ConversionJob
from mediakeeper.demo import sound as synth
from mediakeeper.fs.workdir import file_hash
from mediakeeper.media import ffmpeg
from mediakeeper.text.slug import slugify

EXE = ffmpeg.find()


def _read_so_far() -> int:
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("rchar")).split()[1])


def _convert(home: Path, out: Path, album: Path) -> None:
    job = ConversionJob(home, "s", out, profile="opus", threads=2)
    key = album.relative_to(album.parent.parent).as_posix()
    job.process({"key": key, "name": key, "path": str(album), "run_token": uuid.uuid4().hex})


def test_each_source_is_read_once_and_its_digest_recorded(tmp_path):
    warm, album = tmp_path / "lib" / "Warm" / "Up", tmp_path / "lib" / "Artist" / "Album"
    synth.tone(EXE, warm / "01.flac", 1.0)  # (what the job imports is read before counting)
    for n in (1, 2):
        synth.noise(EXE, album / f"{n:02d}.flac", 30.0, seed=n)
    size = sum(p.stat().st_size for p in album.iterdir())
    home, out = tmp_path / "home", tmp_path / "out"
    _convert(home, out, warm)
    before = _read_so_far()
    _convert(home, out, album)
    read = _read_so_far() - before
    # The copy (1x) and its check (1x), the tags, headers and outputs (about half the album
    # here); a hash of every source again made it 4.5x.
    assert read < 4 * size, f"read {read / size:.2f}x the album"
    record = home / "status" / "conversions" / "made" / f"{slugify('Artist/Album')}.json"
    made = {m["source"]: m["source_sha256"]
            for m in json.loads(record.read_text())["tracks"].values()}  # fmt: skip
    assert made == {name: file_hash(album / name) for name in ("01.flac", "02.flac")}
