"""Originals are sacred (issue 33): no layout, no advice of the toolkit's, no nested album and
no file changed behind its back makes a conversion, audiobook or pipeline destroy what it was
given. Each test here reproduces a loss found on the code before the shared stage machine
(``mediakeeper/batch/staged.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mutagen.flac import FLAC

from mediakeeper.batch.job import ItemFailure
from mediakeeper.conversions.job import ConversionJob
from mediakeeper.media import ffmpeg
from tests.integration.test_audiobooks import item as book_item
from tests.integration.test_audiobooks import job as book_job
from tests.integration.test_audiobooks import make as make_audio
from tests.integration.test_conversions import files_under, make_album, queue_items
from tests.integration.test_staged_kills import killed_at


def _convert(music_script, home: Path, *args):
    return music_script("process_conversion_batch.py", "--home", home, *args)


def _init(music_script, home: Path, kind: str, library: Path):
    result = music_script(f"{kind}_queue_manager.py", "--home", home, "--init", "--library",
                          library)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _refused(result, *folders: Path) -> None:
    """Refused up front: exit 2, one line naming every folder, no traceback."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for folder in folders:
        assert str(folder) in lines[0], lines[0]


@pytest.fixture
def lib(tmp_path) -> Path:
    make_album(tmp_path / "lib" / "Artist A" / "Greatest Hits", "Artist A")
    return tmp_path / "lib"


# ---- 1. an archive or output equal to, inside or around the library ----------------------


@pytest.mark.parametrize(
    "where",
    [
        ("--archive", "{lib}", "--delete-originals"),
        ("--output", "{lib}"),
        ("--output", "{lib}/Portable"),
        ("--archive", "{lib}/Artist A/Greatest Hits/arc", "--delete-originals"),
        ("--archive", "{lib}/Artist A/Greatest Hits"),
        ("--output", "{root}"),  # around the library: the library is inside the output
    ],
)
def test_a_destination_overlapping_the_queues_library_is_refused_up_front(
    lib, tmp_path, music_script, where
):
    """The library given only once, to --init: the batch knows it from its queue."""
    home, before = tmp_path / "home", files_under(lib)
    _init(music_script, home, "conversion", lib)
    args = [a.format(lib=lib, root=tmp_path) for a in where]
    result = _convert(music_script, home, *([] if where[0] == "--output" else
                                           ["--output", tmp_path / "out"]), *args)  # fmt: skip
    _refused(result, Path(args[1]).resolve(), lib.resolve())
    assert files_under(lib) == before
    assert not (tmp_path / "out").exists()


def test_an_archive_that_is_the_library_through_a_link_is_refused(lib, tmp_path, music_script):
    """Same device and inode: a symbolic link to the library is the library."""
    link = tmp_path / "also-lib"
    link.symlink_to(lib)
    result = _convert(music_script, tmp_path / "home", "--library", lib, "--output",
                      tmp_path / "out", "--archive", link, "--delete-originals")  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(list(lib.rglob("*.flac"))) == 2


def test_an_audiobook_output_equal_to_the_queues_library_is_refused(tmp_path, music_script):
    lib, home = tmp_path / "books", tmp_path / "home"
    make_audio(lib / "Jane Doe - Tale" / "01.mp3", "sine=d=1")
    _init(music_script, home, "audiobook", lib)
    result = music_script("process_audiobook_batch.py", "--home", home, "--output", lib)
    _refused(result, lib.resolve())
    assert sorted(p.name for p in lib.rglob("*")) == ["01.mp3", "Jane Doe - Tale"]


def test_a_pipeline_output_inside_its_input_is_refused(tmp_path, music_script):
    lib = tmp_path / "lib"
    make_album(lib / "Artist" / "Album", "Artist")
    before = files_under(lib)
    result = music_script("pipeline.py", "run", "opus", "--home", tmp_path / "home", "--input",
                          lib, "--output", lib / "phone")  # fmt: skip
    _refused(result, (lib / "phone").resolve(), lib.resolve())
    assert files_under(lib) == before


# ---- 2. nested albums --------------------------------------------------------------------


def test_nested_albums_never_remove_what_the_other_placed(tmp_path, music_script):
    """``Album/`` and ``Album/CD2/`` are two albums: CD2 converted, archived and its
    originals deleted first, then the parent album (with --overwrite when asked for)."""
    lib, home, out, arc = (tmp_path / n for n in ("lib", "home", "out", "arc"))
    make_album(lib / "Artist" / "Album", "Artist")
    make_album(lib / "Artist" / "Album" / "CD2", "Artist", tracks=3)
    cd2 = files_under(lib / "Artist" / "Album" / "CD2")
    common = ["--library", lib, "--output", out, "--archive", arc, "--delete-originals"]
    first = _convert(music_script, home, *common, "--album", "Artist/Album/CD2")
    assert first.returncode == 0, first.stdout + first.stderr
    second = _convert(music_script, home, *common)
    if second.returncode != 0:  # the advice followed, as a person would
        assert "--overwrite" in second.stdout + second.stderr
        second = _convert(music_script, home, *common, "--retry-errors", "--overwrite")
    assert second.returncode == 0, second.stdout + second.stderr
    assert files_under(arc / "Artist" / "Album" / "CD2") == cd2
    assert sorted(p.name for p in (out / "Artist" / "Album" / "CD2").glob("*.opus")) == [
        "01 Song.opus", "02 Song.opus", "03 Song.opus"]  # fmt: skip
    assert sorted(p.name for p in (out / "Artist" / "Album").glob("*.opus")) == [
        "01 Song.opus", "02 Song.opus"]  # fmt: skip
    assert len(list((arc / "Artist" / "Album").glob("*.flac"))) == 2


# ---- 3. an original changed after it was copied ------------------------------------------


def _retag_keeping_size_and_mtime(path: Path) -> None:
    before = os.stat(path)
    tags = FLAC(path)
    tags["title"] = ["X" * len(tags["title"][0])]
    tags.save()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _retagged_after_a_kill_at(stage: str, lib: Path, tmp_path: Path):
    """The album converted with its originals archived then deleted, killed as ``stage``
    begins, then its first original retagged in place (size and time kept): the job, the
    claim, the retagged bytes."""
    album = lib / "Artist A" / "Greatest Hits"
    job = ConversionJob(tmp_path / "home", "s1", tmp_path / "out", archive=tmp_path / "arc",
                        delete_originals=True, threads=1)  # fmt: skip
    claim = {"key": "Artist A/Greatest Hits", "name": "Artist A/Greatest Hits",
             "path": str(album), "run_token": "t1"}  # fmt: skip
    killed_at(job, claim, stage)
    _retag_keeping_size_and_mtime(album / "01 Song.flac")
    return job, claim, (album / "01 Song.flac").read_bytes()


def test_an_original_retagged_after_a_kill_past_converting_is_kept_and_the_album_is_not_done(
    lib, tmp_path
):
    # Its encodes are made of the copy taken before the retag: the album fails, nothing
    # deleted, until it is run again as the message says.
    album = lib / "Artist A" / "Greatest Hits"
    job, claim, retagged = _retagged_after_a_kill_at("archiving", lib, tmp_path)
    with pytest.raises(ItemFailure) as failed:
        job.process({**claim, "run_token": "t2"})
    assert failed.value.message.startswith("original-changed:"), failed.value.message
    assert "01 Song.flac" in failed.value.message
    assert (album / "01 Song.flac").read_bytes() == retagged
    assert (album / "02 Song.flac").is_file()  # none deleted: the album is one unit
    # Run again as the message says: the album is copied afresh, its archive replaced.
    again = ConversionJob(tmp_path / "home", "s2", tmp_path / "out", archive=tmp_path / "arc",
                          delete_originals=True, overwrite=True, threads=1)  # fmt: skip
    again.process({**claim, "run_token": "t3"})
    assert (tmp_path / "arc" / "Artist A" / "Greatest Hits" / "01 Song.flac").read_bytes() \
        == retagged  # fmt: skip
    assert not (album / "01 Song.flac").exists()


def test_an_original_retagged_after_a_kill_while_converting_starts_the_album_again(
    lib, tmp_path
):
    # Nothing placed yet: the working copy of what was replaced is dropped and the album made
    # of its originals as they are now; the retag reaches the archive, nothing is lost.
    album = lib / "Artist A" / "Greatest Hits"
    job, claim, retagged = _retagged_after_a_kill_at("converting", lib, tmp_path)
    job.process({**claim, "run_token": "t2"})
    assert (tmp_path / "arc" / "Artist A" / "Greatest Hits" / "01 Song.flac").read_bytes() \
        == retagged  # fmt: skip
    assert not (album / "01 Song.flac").exists()


# ---- 4. --overwrite and the user's own files ---------------------------------------------


def test_overwrite_of_a_book_keeps_the_users_own_files(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Tale"
    make_audio(book / "01.mp3", "sine=d=1")
    first = book_job(tmp_path).process(book_item(lib, book))
    placed = Path(first.details["output"])
    (placed / "notes.txt").write_text("my notes")
    again = book_job(tmp_path, overwrite=True).process(book_item(lib, book))
    assert Path(again.details["output"]) == placed
    assert (placed / "notes.txt").read_text() == "my notes"
    assert sorted(p.name for p in placed.iterdir()) == ["Tale.m4b", "notes.txt"]


def test_overwrite_advice_only_where_it_loses_nothing(lib, tmp_path, music_script):
    """A user's file in the place of the output: the refusal names it and says to move it;
    the output the toolkit made there itself: --overwrite replaces it."""
    home, out = tmp_path / "home", tmp_path / "out"
    taken = out / "Artist A" / "Greatest Hits"
    taken.mkdir(parents=True)
    (taken / "01 Song.opus").write_bytes(b"the user's own encode")
    result = _convert(music_script, home, "--library", lib, "--output", out)
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert "01 Song.opus" in said and "--overwrite" not in said, said
    again = _convert(music_script, home, "--retry-errors", "--overwrite", "--output", out)
    assert (taken / "01 Song.opus").read_bytes() == b"the user's own encode"
    assert again.returncode == 1
    (taken / "01 Song.opus").unlink()
    made = _convert(music_script, home, "--retry-errors", "--output", out)
    assert made.returncode == 0, made.stdout + made.stderr
    assert (taken / "01 Song.opus").read_bytes().startswith(b"OggS")
    assert queue_items(home)["Artist A/Greatest Hits"]["status"] == "completed"


def test_a_pipelines_copy_step_with_overwrite_keeps_what_it_did_not_place(tmp_path):
    """The archive's album folder holds the user's notes and a nested album's folder: the copy
    step (``overwrite: true``) adds the album beside them and removes neither."""
    from tests.integration.test_pipelines import library, phone, run

    lib = library(ffmpeg.find(), tmp_path)
    arch = tmp_path / "arch"
    kept = arch / "Artist" / "One"
    (kept / "CD2").mkdir(parents=True)
    (kept / "CD2" / "01.flac").write_bytes(b"CD2's only lossless copy")
    (kept / "notes.txt").write_text("my notes")
    copy = "  - {name: keep, processor: copy, params: {overwrite: true}}\n"
    pipeline = phone(tmp_path, lib, copy, archive=f"archive: {arch}")
    result = run("run", pipeline, "--home", tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (kept / "CD2" / "01.flac").read_bytes() == b"CD2's only lossless copy"
    assert (kept / "notes.txt").read_text() == "my notes"
    assert sorted(p.name for p in kept.glob("*.flac")) == ["01.flac", "02.flac"]
