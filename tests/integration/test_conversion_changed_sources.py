"""A source that changes while its album is converted (retagged by a tagger, a track
replaced): the album is converted from its copy, so the output would hold the file as it was
copied, and the queue would record the file as it is now (a ``--refresh`` finds no change):
the new version would never reach the portable library. Such an album is never placed as it
was: it fails naming the file, and a retry converts it as it is now.

The change is made exactly as a stage begins, through the stage hook the runner listens to
(``report_stage``), with the real job, ffmpeg and files."""

from __future__ import annotations

import uuid
from pathlib import Path

import mutagen
import pytest

from mediakeeper.batch.job import ItemFailure
from mediakeeper.batch.stage_progress import reporting
from mediakeeper.conversions.job import ConversionJob
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg

EXE = ffmpeg.find()


def _album(folder: Path) -> Path:
    for n in (1, 2):
        synth.tagged(synth.tone(EXE, folder / f"0{n}.flac", 1.0, frequency=300 * n),
                     {"title": f"Song {n}", "artist": "Artist"})  # fmt: skip
    return folder


def _claim(library: Path, folder: Path) -> dict:
    key = folder.relative_to(library).as_posix()
    return {"key": key, "name": key, "path": str(folder), "run_token": uuid.uuid4().hex}


def _retitled(path: Path, title: str) -> None:
    audio = mutagen.File(path)
    audio["title"] = title
    audio.save()


@pytest.mark.parametrize("stage", ["converting", "finalizing"])
def test_a_source_retagged_while_its_album_converts_is_never_placed_as_it_was(tmp_path, stage):
    library, out = tmp_path / "lib", tmp_path / "out"
    album = _album(library / "Artist" / "Album")
    job = ConversionJob(tmp_path / "home", "s", out, threads=1)

    def retag(reached: str) -> None:
        if reached == stage:
            _retitled(album / "02.flac", "Retagged")

    with reporting(retag), pytest.raises(ItemFailure) as failed:
        job.process(_claim(library, album))
    assert failed.value.stage == "failed_finalizing"
    assert "02.flac" in failed.value.message and "01.flac" not in failed.value.message
    assert "changed while" in failed.value.message
    assert not (out / "Artist" / "Album").exists()  # nothing placed as it was copied

    done = job.process(_claim(library, album))  # the retry: the album as it is now
    assert done.summary.startswith("2 encoded")
    assert mutagen.File(out / "Artist" / "Album" / "02.opus")["title"] == ["Retagged"]
