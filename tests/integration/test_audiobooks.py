"""The audiobooks kind on real audio made by ffmpeg: chapter marks where each file's audio
begins (measured in the decoded output), VBR MP3 without a Xing header, AAC joined as it is,
mixed formats encoded once, odd names, every atom read back with mutagen, the layout with
and without a series, never overwriting, a full disk at the backup."""

from __future__ import annotations

import array
import contextlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import mutagen
import pytest
from mutagen.mp4 import MP4, MP4Cover

from mediakeeper.audiobooks.books import find
from mediakeeper.audiobooks.job import AudiobookJob
from mediakeeper.batch.job import ItemFailure
from mediakeeper.demo.tracks import PNG_1X1
from mediakeeper.media import ffmpeg
from tests.helpers import small_tmpfs
from tests.helpers.processes import REPO_ROOT, script_env
from tests.helpers.system import read_only_bind
from tests.integration.test_staged_kills import killed_at

EXE = ffmpeg.find()
RATE = 44100


def make(dest: Path, source: str, *extra: str) -> Path:
    """Audio from an ffmpeg test source (``sine=d=1.5``, ``anullsrc=d=1``) at ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    result = ffmpeg.run(EXE, ["-f", "lavfi", "-i", source, "-ac", "2", "-ar", str(RATE),
                              *extra, "-y", os.fspath(dest)])  # fmt: skip
    assert result.returncode == 0, result.last_error
    return dest


def vbr_without_xing(dest: Path) -> Path:
    """A VBR MP3 of 1 s of silence then 3 s of noise, with no Xing header: mutagen takes its
    length from the first (silent, low-rate) frame and reads 11 s."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    result = ffmpeg.run(EXE, [
        "-f", "lavfi", "-i", "anoisesrc=d=3:a=0.5", "-f", "lavfi", "-i", f"anullsrc=d=1:r={RATE}",
        "-filter_complex", "[1][0]concat=n=2:v=0:a=1", "-ac", "2", "-ar", str(RATE),
        "-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0", "-y", os.fspath(dest),
    ])  # fmt: skip
    assert result.returncode == 0, result.last_error
    return dest


def onset(path: Path, after: float = 0.0) -> float:
    """Where sound first begins in ``path``'s decoded audio, at or after ``after`` seconds."""
    raw = subprocess.run([EXE, "-nostdin", "-v", "error", "-i", os.fspath(path), "-f", "s16le",
                          "-ac", "1", "-ar", str(RATE), "-"],
                         capture_output=True, check=True).stdout  # fmt: skip
    samples = array.array("h")
    samples.frombytes(raw)
    start = int(after * RATE)
    return next(i for i in range(start, len(samples)) if abs(samples[i]) > 1000) / RATE


def chapters(path: Path) -> list[tuple[float, str]]:
    return [(round(c.start, 3), c.title) for c in MP4(path).chapters]


def job(tmp_path: Path, **fields) -> AudiobookJob:
    return AudiobookJob(**{"home": tmp_path / "home", "session": "s", "output": tmp_path / "out",
                           **fields})  # fmt: skip


def item(library: Path, folder: Path) -> dict:
    """A claim of the book, as the runner hands it to the job (each with its own token)."""
    key = folder.relative_to(library).as_posix()
    return {"key": key, "name": key, "path": os.fspath(folder), "run_token": uuid.uuid4().hex}


def run_book(tmp_path: Path, library: Path, folder: Path, **fields):
    result = job(tmp_path, **fields).process(item(library, folder))
    document = json.loads(next((tmp_path / "home" / "outputs" / "audiobooks").glob("*.json"))
                          .read_text(encoding="utf-8"))  # fmt: skip
    return result, document


def test_vbr_mp3_without_xing_header_gives_chapters_at_decoded_lengths(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Noise"
    first = vbr_without_xing(book / "01 - Noise.mp3")
    assert mutagen.File(first).info.length > 10  # what a header-trusting tool would use
    make(book / "02 - Quiet.mp3", "anullsrc=d=1")
    make(book / "03 - Tone.mp3", "sine=frequency=440:d=1.5")
    _, document = run_book(tmp_path, lib, book)
    m4b = Path(document["output"]) / "Noise.m4b"
    starts = [start for start, _ in chapters(m4b)]
    decoded = ffmpeg.decoded_length(EXE, first)
    assert abs(decoded - 4.0) < 0.1
    assert abs(starts[1] - decoded) < 0.05
    assert abs(onset(m4b, after=starts[2] - 0.5) - starts[2]) < 0.05
    assert abs(ffmpeg.decoded_length(EXE, m4b) - (decoded + 1 + 1.5)) < 0.5
    assert not document["copied"]


def test_aac_files_are_joined_as_they_are_with_marks_where_each_files_audio_begins(tmp_path):
    """Seven AAC files: a stream copy keeps each one's priming (23 ms here): marks computed
    from the inputs' lengths alone would be 140 ms early by the last file."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Quiet Then Tone"
    for n in range(1, 7):
        make(book / f"{n:02d}.m4a", f"anullsrc=d=1.{n}:r={RATE}", "-c:a", "aac")
    make(book / "07.m4a", "sine=frequency=440:d=1", "-c:a", "aac")
    _, document = run_book(tmp_path, lib, book)
    m4b = Path(document["output"]) / "Quiet Then Tone.m4b"
    assert document["copied"]
    assert not [f for f in document["findings"] if f["code"] == "mixed-audio-formats"]
    last = chapters(m4b)[-1][0]
    assert abs(onset(m4b) - last) < 0.05
    inputs_total = sum(1 + n / 10 for n in range(1, 7)) + 1
    assert abs(ffmpeg.decoded_length(EXE, m4b) - inputs_total) < 0.5
    with contextlib.suppress(StopIteration):
        assert onset(m4b) > last - 0.05


def test_mixed_formats_are_encoded_once_and_say_so(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Mixed"
    make(book / "01.m4a", "anullsrc=d=1.2", "-c:a", "aac")
    make(book / "02.mp3", "sine=frequency=440:d=1")
    _, document = run_book(tmp_path, lib, book, bitrate="64k")
    m4b = Path(document["output"]) / "Mixed.m4b"
    assert not document["copied"]
    assert [f["code"] for f in document["findings"]].count("mixed-audio-formats") == 1
    assert abs(onset(m4b) - chapters(m4b)[1][0]) < 0.05
    assert MP4(m4b).info.codec.startswith("mp4a")


@pytest.mark.parametrize("copied", [False, True], ids=["encoded", "copied"])
def test_odd_names_reach_ffmpeg_whole(tmp_path, copied):
    lib = tmp_path / "lib"
    book = lib / "Jane's \"Book\" – Über"
    stems = ["01 It's \"quoted\"", "02 Ümläut\nnewline", "03 back\\slash $HOME", "-dash; #x=y"]
    for n, stem in enumerate(stems):
        aac = copied or n == 3  # an encode: MP3s and one AAC file
        make(book / (stem + (".m4a" if aac else ".mp3")), f"sine=frequency={300 + 100 * n}:d=1",
             *(("-c:a", "aac") if aac else ()))  # fmt: skip
    _, document = run_book(tmp_path, lib, book)
    assert document["copied"] is copied
    m4b = next(Path(document["output"]).glob("*.m4b"))
    assert [t for _, t in chapters(m4b)] == [
        "It's \"quoted\"", "Ümläut\nnewline", "back\\slash $HOME", "-dash; #x=y"]  # fmt: skip
    assert abs(ffmpeg.decoded_length(EXE, m4b) - 4.0) < 0.5


def test_every_atom_reads_back_and_a_series_book_goes_under_its_series(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe" / "Saga" / "2 - The Second"
    for n in (1, 2):
        path = make(book / f"0{n}.mp3", f"sine=d=1:frequency={400 * n}",
                    "-metadata", "album=The Second", "-metadata", "artist=Jane Doe",
                    "-metadata", "date=2019", "-metadata", f"title=Part {n}")  # fmt: skip
    (book / "reader.txt").write_text("Nick Narrator\n", encoding="utf-8")
    (book / "desc.txt").write_text("Long ago.\nFar away.", encoding="utf-8")
    (book / "cover.png").write_bytes(PNG_1X1)
    _, document = run_book(tmp_path, lib, book)
    folder = tmp_path / "out" / "Jane Doe" / "Saga" / "2 - The Second"
    assert Path(document["output"]) == folder
    assert sorted(p.name for p in folder.iterdir()) == ["The Second.m4b", "cover.jpg"]
    tags = MP4(folder / "The Second.m4b").tags
    assert {k: list(v) for k, v in tags.items() if k != "covr"} == {
        "\xa9nam": ["The Second"], "\xa9alb": ["The Second"],
        "\xa9ART": ["Jane Doe"], "aART": ["Jane Doe"],
        "\xa9wrt": ["Nick Narrator"], "\xa9nrt": ["Nick Narrator"],
        "\xa9day": ["2019"], "\xa9gen": ["Audiobook"],
        "\xa9mvn": ["Saga"], "\xa9mvi": [2], "\xa9grp": ["Saga #2"],
        "desc": ["Long ago.\nFar away."], "ldes": ["Long ago.\nFar away."], "stik": [2],
    }  # fmt: skip
    assert bytes(tags["covr"][0]) == PNG_1X1  # the PNG as it is: a covr type players read
    assert tags["covr"][0].imageformat == MP4Cover.FORMAT_PNG
    assert (folder / "cover.jpg").read_bytes().startswith(b"\xff\xd8\xff")  # a real JPEG
    assert [t for _, t in chapters(folder / "The Second.m4b")] == ["Part 1", "Part 2"]
    assert not [f for f in document["findings"] if f["code"] == "no-cover"]
    assert path.exists()  # the originals stay


def test_a_book_without_series_goes_to_author_title_and_is_never_overwritten(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Alone"
    make(book / "01.mp3", "sine=d=1")
    _, document = run_book(tmp_path, lib, book)
    assert Path(document["output"]) == tmp_path / "out" / "Jane Doe" / "Alone"
    m4b = tmp_path / "out" / "Jane Doe" / "Alone" / "Alone.m4b"
    before = m4b.read_bytes()
    with pytest.raises(ItemFailure, match="--overwrite"):
        job(tmp_path).process(item(lib, book))
    assert m4b.read_bytes() == before
    job(tmp_path, overwrite=True).process(item(lib, book))
    assert m4b.is_file()


def test_backup_is_verified_with_metadata_and_disc_folders_are_the_books(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Discs"
    make(book / "CD2" / "01.mp3", "sine=d=1:frequency=600", "-metadata", "title=Two")
    make(book / "CD1" / "01.mp3", "sine=d=1:frequency=300", "-metadata", "title=One")
    assert find(lib) == [book]
    _, document = run_book(tmp_path, lib, book)
    backup = Path(document["backup"])
    assert backup.parent == tmp_path / "home" / "backup"
    assert backup.name.startswith("Jane Doe - Discs_")
    assert (backup / "CD1" / "01.mp3").read_bytes() == (book / "CD1" / "01.mp3").read_bytes()
    meta = (backup / "metadata.txt").read_text(encoding="utf-8")
    assert f"source: {book}" in meta and "files: 2" in meta
    assert [t for _, t in chapters(next(Path(document["output"]).glob("*.m4b")))] == ["One", "Two"]


def test_disc_folders_numbered_in_words_are_the_book_s_in_their_order(tmp_path):
    """``Part One/``, ``Part Two/`` ... ``Disc One/``: each was a book of its own, titled
    "Part One" by an author named as the book's folder. They are its parts, in order."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Parts"
    for part in ("Part Two", "Part One", "Part Eleven", "Part Three"):
        make(book / part / "01.mp3", "anullsrc=d=0.3", "-metadata", f"title={part}")
    make(lib / "Jane Doe - Discs" / "Disc One" / "01.mp3", "anullsrc=d=0.3")
    assert find(lib) == [lib / "Jane Doe - Discs", book]
    _, document = run_book(tmp_path, lib, book)
    assert [c["title"] for c in document["chapters"]] == [
        "Part One", "Part Two", "Part Three", "Part Eleven"]
    assert document["left_out"] == []


def test_a_full_disk_at_the_backup_fails_the_book_cleanly_and_it_resumes(tmp_path, full_disk):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Big"
    make(book / "01.mp3", "sine=d=3")
    make(book / "02.mp3", "sine=d=3")
    size = (book / "01.mp3").stat().st_size
    full_disk(size // 2)
    try:
        with pytest.raises(ItemFailure) as failed:
            job(tmp_path).process(item(lib, book))
    finally:
        full_disk(1 << 62)
    assert failed.value.stage == "failed_backup"
    backups = tmp_path / "home" / "backup"
    assert [p.name for p in backups.iterdir()] == []  # nothing partial left behind
    assert not (tmp_path / "out").exists()
    _, document = run_book(tmp_path, lib, book)
    assert len(list(backups.iterdir())) == 1
    assert Path(document["output"], "Big.m4b").is_file()


def test_backups_past_the_retention_are_pruned_only_when_asked_and_named(tmp_path, music_script):
    from datetime import UTC, datetime

    backups = tmp_path / "home" / "backup"
    (tmp_path / "home" / "status").mkdir(parents=True)  # a data home a batch has used
    now = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    for name in ("Old Book_20200101_120000", f"New Book_{now}"):
        (backups / name).mkdir(parents=True)
        (backups / name / "metadata.txt").write_text("source: x\n", encoding="utf-8")
    (backups / "Not Ours_20200101_120000").mkdir()  # no metadata.txt: not the toolkit's
    done = music_script("audiobook_queue_manager.py", "--home", tmp_path / "home",
                        "--prune-backups")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Deleted {backups / 'Old Book_20200101_120000'}" in done.stdout
    assert sorted(p.name for p in backups.iterdir()) == [f"New Book_{now}",
                                                         "Not Ours_20200101_120000"]  # fmt: skip


@pytest.fixture
def small_volume(tmp_path):
    """A real 256 KiB tmpfs."""
    with small_tmpfs(tmp_path / "small", "256k") as where:
        yield where


def test_a_backup_volume_too_small_is_said_before_copying_and_leaves_nothing(
    tmp_path, small_volume
):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Long"
    make(book / "01.wav", "sine=d=3")  # 530 KB: more than the volume holds
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path, backup=small_volume).process(item(lib, book))
    assert (failed.value.stage, failed.value.stop) == ("disk", True)  # the batch stops
    assert "not enough space" in failed.value.message and "MB missing" in failed.value.message
    assert list(small_volume.iterdir()) == []
    assert not (tmp_path / "out").exists()


def test_a_book_folder_left_without_audio_is_refused_before_a_backup_is_made(tmp_path):
    """Its chapters gone, a notes file left: it was backed up (one more backup each run)
    and only then found to hold no audio."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Gone"
    book.mkdir(parents=True)
    (book / "notes.txt").write_text("hi\n", encoding="utf-8")
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path).process(item(lib, book))
    assert failed.value.stage == "failed_backup"
    assert failed.value.message == f"no audio files in {book}"
    assert not (tmp_path / "home" / "backup").exists()


@pytest.mark.parametrize("place", ["output", "backup"])
def test_a_place_that_cannot_be_written_fails_the_book_before_its_backup(tmp_path, place):
    """As a conversion's: an output (or backup folder) on a read-only file system failed the
    book only once backed up, measured and merged, an encode for nothing, and one more
    backup each run."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Short"
    make(book / "01.mp3", "sine=d=1")
    (tmp_path / "shared").mkdir()
    with read_only_bind(tmp_path / "shared", tmp_path / "read-only") as where:
        with pytest.raises(ItemFailure) as failed:
            job(tmp_path, **{place: where}).process(item(lib, book))
        assert failed.value.stage == "failed_backup", failed.value
        said = f"cannot write under {where}: it is a read-only file system"
        assert said in failed.value.message
    assert not (tmp_path / "home" / "backup").exists()  # no copy of the book made
    assert not list((tmp_path / "home" / "working").rglob("*.m4b"))


def test_a_full_working_volume_at_the_merge_is_said_and_the_book_resumes_once_there_is_room(
    tmp_path, small_volume
):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Roomy"
    make(book / "01.mp3", "sine=d=3")
    make(book / "02.mp3", "sine=d=3")
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path, working=small_volume).process(item(lib, book))
    assert (failed.value.stage, failed.value.stop) == ("disk", True)
    assert "not enough space" in failed.value.message
    [backup] = (tmp_path / "home" / "backup").iterdir()
    subprocess.run(["mount", "-o", "remount,size=16m", str(small_volume)], check=True)
    _, document = run_book(tmp_path, lib, book, working=small_volume)
    assert Path(document["backup"]) == backup  # resumed at the merge: the backup is kept
    assert Path(document["output"], "Roomy.m4b").is_file()
    assert list(small_volume.iterdir()) == []


def test_the_scripts_dry_run_writes_nothing_then_the_batch_makes_the_book(tmp_path, music_script):
    lib = tmp_path / "lib"
    make(lib / "Jane Doe - Scripted" / "Chapter 10.mp3", "sine=d=1", "-metadata", "title=Ten")
    make(lib / "Jane Doe - Scripted" / "Chapter 2.mp3", "sine=d=1")
    home, out = tmp_path / "home", tmp_path / "out"
    args = ["--home", home, "--library", lib, "--output", out, "--bitrate", "64k"]
    dry = music_script("process_audiobook_batch.py", *args, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "  1. Chapter 2.mp3: 'Chapter 2'" in dry.stdout
    assert "  2. Chapter 10.mp3: 'Ten'" in dry.stdout
    assert f"output: {out / 'Jane Doe' / 'Scripted' / 'Scripted.m4b'}" in dry.stdout
    assert not home.exists() and not out.exists()
    done = music_script("process_audiobook_batch.py", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    m4b = out / "Jane Doe" / "Scripted" / "Scripted.m4b"
    assert [t for _, t in chapters(m4b)] == ["Chapter 2", "Ten"]
    assert MP4(m4b).info.bitrate < 100_000  # --bitrate 64k


def test_two_books_that_make_one_file_are_said_to_clash_and_the_second_names_the_first(
    tmp_path, music_script
):
    """Two folders whose tags name the same book go to one .m4b: the dry run said nothing,
    and the second book was told the file was not mediakeeper's to move aside, though the
    first book of the same batch placed it. The dry run names both folders; the run's
    refusal names the book that placed the file."""
    lib = tmp_path / "lib"
    tagged = ("-metadata", "album=Twice", "-metadata", "artist=Jane Doe")
    for folder in ("A", "B"):
        make(lib / folder / "01.mp3", "sine=d=1", *tagged)
    home, out = tmp_path / "home", tmp_path / "out"
    args = ["--home", home, "--library", lib, "--output", out, "--workers", "1"]
    m4b = out / "Jane Doe" / "Twice" / "Twice.m4b"
    dry = music_script("process_audiobook_batch.py", *args, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"output: {m4b} (clash: {lib / 'A'} and {lib / 'B'} both make this file" in (
        dry.stdout), dry.stdout  # fmt: skip
    assert not home.exists() and not out.exists()
    done = music_script("process_audiobook_batch.py", *args)
    assert done.returncode == 1, done.stdout + done.stderr
    queue = json.loads((home / "status" / "audiobooks" / "processing_queue.json").read_text())
    [said] = [i["last_error"] for i in queue["items"] if i["key"] == "B"]
    assert said.startswith(f"{m4b.parent} holds Twice.m4b, which the book 'A' placed there: "
                           "the two books go to one place"), said  # fmt: skip
    assert "which the book 'A' placed there" in done.stdout  # the item's line says it too
    assert m4b.is_file()


def test_a_backup_killed_while_copying_is_made_again_under_its_name_and_no_partial_stays(
    tmp_path,
):
    """What a kill -9 in the middle of the backup leaves: the state naming the backup, and
    its hidden partial copy."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Killed"
    make(book / "01.mp3", "sine=d=1")
    the_job = job(tmp_path)
    claim = item(lib, book)
    wd = the_job.workdir(claim)
    wd.mkdir(parents=True)
    target = tmp_path / "home" / "backup" / "Jane Doe - Killed_20260101_000000"
    (wd / "state.json").write_text(json.dumps({"key": claim["key"], "backup": str(target),
                                               "stage": "backup"}))  # fmt: skip
    partial = target.with_name(".mediakeeper-partial-" + target.name)
    partial.mkdir(parents=True)
    (partial / "01.mp3").write_bytes(b"half")
    the_job.process(claim)
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    assert (target / "01.mp3").read_bytes() == (book / "01.mp3").read_bytes()


def test_a_book_killed_before_its_merge_whose_backup_was_pruned_since_is_backed_up_again(
    tmp_path, music_script
):
    """The merge reads the backup: one deleted since the kill (by --prune-backups, past the
    retention) is made again, and the book completes, instead of failing on a missing file
    at every retry."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Pruned"
    make(book / "01.mp3", "sine=d=1")
    make(book / "02.mp3", "sine=d=1:frequency=600")
    claim = item(lib, book)
    run_until(job(tmp_path), claim, "merge")
    backups = tmp_path / "home" / "backup"
    [old] = backups.iterdir()
    past_retention = {"MEDIAKEEPER_AUDIOBOOKS_BACKUP_RETENTION_DAYS": "0"}
    pruned = music_script("audiobook_queue_manager.py", "--home", tmp_path / "home",
                          "--prune-backups", env=past_retention)  # fmt: skip
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert f"Deleted {old}" in pruned.stdout
    _, document = run_book(tmp_path, lib, book)
    assert [t for _, t in chapters(Path(document["output"]) / "Pruned.m4b")] == ["01", "02"]
    [again] = backups.iterdir()
    assert (again / "02.mp3").read_bytes() == (book / "02.mp3").read_bytes()


def test_a_book_of_one_file_is_said_one_chapter(tmp_path, music_script):
    lib = tmp_path / "lib"
    make(lib / "Jane Doe - Short" / "01.mp3", "sine=d=1")
    done = music_script("process_audiobook_batch.py", "--home", tmp_path / "home", "--library",
                        lib, "--output", tmp_path / "out", "-v")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ Jane Doe - Short — completed: 1 chapter, 0.00 h, encoded" in done.stdout, (
        done.stdout)  # fmt: skip


def test_a_book_run_again_without_overwrite_is_refused_before_its_backup_is_made(tmp_path):
    """A book made, run again (``--book NAME``) without --overwrite: refused as before, but
    before a second copy of the whole folder is made for nothing (backups stay until pruned);
    with --overwrite it is made again, backed up then."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Again"
    make(book / "01.mp3", "sine=d=1")
    run_book(tmp_path, lib, book)
    backups = tmp_path / "home" / "backup"
    made = sorted(backups.iterdir())
    with pytest.raises(ItemFailure) as refused:
        job(tmp_path).process({**item(lib, book), "run_token": "again"})
    assert "already holds this book's earlier output" in refused.value.message
    assert sorted(backups.iterdir()) == made
    _, document = run_book(tmp_path, lib, book, overwrite=True)
    assert len(list(backups.iterdir())) == 2 and Path(document["output"], "Again.m4b").is_file()


def test_a_finished_book_asked_for_by_name_without_overwrite_is_said_done_not_failed(
    tmp_path, music_script
):
    """``--book NAME`` on a completed book without --overwrite ran it, failed it at its place
    and left it as an error in the queue: it is said done already, in one line, and stays
    completed; with --overwrite it is made again."""
    lib, home, out = tmp_path / "lib", tmp_path / "home", tmp_path / "out"
    make(lib / "Jane Doe - Done" / "01.mp3", "sine=d=1")
    args = ["--home", home, "--library", lib, "--output", out]
    assert music_script("process_audiobook_batch.py", *args).returncode == 0
    queue = home / "status" / "audiobooks" / "processing_queue.json"
    before = queue.read_bytes()
    for dry in ([], ["--dry-run"]):
        again = music_script("process_audiobook_batch.py", *args, "--book", "Jane Doe - Done",
                             *dry)  # fmt: skip
        assert again.returncode == 2, again.stdout + again.stderr
        assert again.stderr == (
            "Error: the book 'Jane Doe - Done' is done already (give --overwrite as well to "
            "make it again: its earlier output is replaced, nothing else there)\n")  # fmt: skip
        assert queue.read_bytes() == before  # still completed, no failure counted
    # Its dry run says the earlier book replaced, as the run does (it said "placed beside").
    dry = music_script("process_audiobook_batch.py", *args, "--book", "Jane Doe - Done",
                       "--overwrite", "--dry-run")  # fmt: skip
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "(exists: its earlier output there replaced, nothing else)" in dry.stdout, dry.stdout
    made = music_script("process_audiobook_batch.py", *args, "--book", "Jane Doe - Done",
                        "--overwrite")  # fmt: skip
    assert made.returncode == 0 and "1 book completed, 0 failed" in made.stdout, made.stdout


def test_a_book_s_folders_that_are_no_discs_are_said_left_out_never_taken_nor_lost(
    tmp_path, music_script
):
    """A book folder's ``extras/`` (audio), ``covers/`` (an image) and ``Side Story/`` (audio):
    none is chapters of the book, and nothing said so: the dry run, the batch's end, the
    book's report and its JSON now say each, with what becomes of it. ``extras/`` was made a
    book of its own, titled "extras" by an author named as the book's folder
    (``<output>/Jane Doe - Extras/extras/extras.m4b``): a book's extras are its own, left
    where they are (and in its backup); another folder of audio is still a book of its own."""
    lib, home, out = tmp_path / "lib", tmp_path / "home", tmp_path / "out"
    book = lib / "Jane Doe - Extras"
    make(book / "01.mp3", "sine=d=1")
    make(book / "extras" / "bonus.mp3", "sine=d=1")
    make(book / "Bonus Material" / "interview.mp3", "sine=d=1")
    make(book / "Side Story" / "01.mp3", "sine=d=1")
    (book / "covers").mkdir()
    (book / "covers" / "back.png").write_bytes(PNG_1X1)
    args = ["--home", home, "--library", lib, "--output", out]
    said = ["Bonus Material/ (1 audio file) is not in the book: the book's extras, left where "
            "they are",
            "covers/ (1 file) is not in the book: no audio: left where it is",
            "extras/ (1 audio file) is not in the book: the book's extras, left where they are",
            "Side Story/ (1 audio file) is not in the book: not a disc folder (CD1, Disc 2, "
            "Part 3): its audio is a book of its own in the queue"]  # fmt: skip
    dry = music_script("process_audiobook_batch.py", *args, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert all(f"  {line}\n" in dry.stdout for line in said), dry.stdout
    assert "Jane Doe - Extras/extras:" not in dry.stdout
    done = music_script("process_audiobook_batch.py", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 books completed" in done.stdout  # the book and its Side Story
    assert all(f"Jane Doe - Extras: {line}\n" in done.stdout for line in said), done.stdout
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.m4b"))
    assert made == ["Jane Doe - Extras/Side Story/Side Story.m4b", "Jane Doe/Extras/Extras.m4b"]
    assert [t for _, t in chapters(out / made[1])] == ["01"]  # no chapter from extras/
    [made] = [json.loads(p.read_text()) for p in (home / "outputs" / "audiobooks").glob("*.json")
              if json.loads(p.read_text())["key"] == "Jane Doe - Extras"]  # fmt: skip
    assert made["left_out"] == said
    pages = [p.read_text() for p in (home / "issues" / "audiobooks").glob("*.md")]
    assert any("Not in the book (the backup holds them too):\n- Bonus Material/" in p
               for p in pages)  # fmt: skip
    assert sorted(p.name for p in (book / "covers").iterdir()) == ["back.png"]  # left there
    assert (book / "extras" / "bonus.mp3").is_file()
    queued = json.loads((home / "status" / "audiobooks" / "processing_queue.json").read_text())
    assert "Jane Doe - Extras/extras" not in json.dumps(queued)


def test_special_characters_survive_every_atom_and_desc_is_cut_between_words(tmp_path):
    """Quotes, umlauts and emoji in the tags; a desc.txt saved by Windows (a BOM, CR LF) that
    holds an emoji where the 255th UTF-16 unit falls; a reader.txt with a BOM, two lines."""
    lib = tmp_path / "lib"
    book = lib / "Jürgen \"JD\" Doe - x"
    title = "Die Bücher 📚 des \"Königs\" – l'été"
    make(book / "01.mp3", "sine=d=1", "-metadata", f"album={title}",
         "-metadata", "album_artist=Jürgen \"JD\" Doe")  # fmt: skip
    words = "Ein Buch über Grün. " * 12  # 240 characters
    text = f"{words}Zwölf Boxer 👩‍👩‍👧 jagen\r\nViktor 🇩🇪 quer über den großen Sylter Deich."
    (book / "desc.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (book / "reader.txt").write_bytes("\ufeffAnna Ärger\r\nBjörn O'Neil\r\n".encode())
    _, document = run_book(tmp_path, lib, book)
    tags = MP4(next(Path(document["output"]).glob("*.m4b"))).tags
    whole = text.replace("\r\n", "\n")
    assert tags["\xa9nam"] == tags["\xa9alb"] == [title]
    assert tags["\xa9ART"] == tags["aART"] == ["Jürgen \"JD\" Doe"]
    assert tags["\xa9nrt"] == tags["\xa9wrt"] == ["Anna Ärger, Björn O'Neil"]
    assert tags["ldes"] == [whole]
    # 240 + "Zwölf Boxer " = 252 units; the family emoji (three people joined, 8 units)
    # would end at 260: the cut falls after the last whole word that fits.
    assert tags["desc"] == [f"{words}Zwölf Boxer"]
    assert Path(document["output"]).name == "Die Bücher 📚 des _Königs_ – l'été"


def test_controls_in_a_folder_name_never_reach_the_book_s_tags(tmp_path):
    """An untagged book in ``Jane\tDoe - The\x1b[31m Red\x07 Book``: its title atom held
    the escape and the bell as they were, which a player shows as boxes and a terminal
    obeys. The name's hidden controls are spaces in the title and author it gives."""
    lib = tmp_path / "lib"
    book = lib / "Jane\tDoe - The\x1b[31m Red\x07 Book\u202e"
    make(book / "01.mp3", "sine=d=0.5")
    _, document = run_book(tmp_path, lib, book)
    tags = MP4(next(Path(document["output"]).glob("*.m4b"))).tags
    assert tags["\xa9nam"] == tags["\xa9alb"] == ["The [31m Red Book"]
    assert tags["\xa9ART"] == ["Jane Doe"]
    assert document["book"]["title"] == "The [31m Red Book"


def run_until(the_job: AudiobookJob, claim: dict, step: str) -> Path:
    """Run the book's real steps up to ``step`` and stop there: what a kill -9 just after the
    step before it leaves (its state saved, its results in the working directory)."""
    killed_at(the_job, claim, step)
    return the_job.workdir(claim)


def stopped_at_32k(tmp_path, claim, step: str, **state) -> Path:
    """The book run at 32k until ``step``, its ``state.json`` then given ``state`` (what a
    kill at that moment leaves): its working directory."""
    wd = run_until(job(tmp_path, bitrate="32k"), claim, step)
    if state:
        recorded = json.loads((wd / "state.json").read_text(encoding="utf-8"))
        (wd / "state.json").write_text(json.dumps({**recorded, **state}))
    return wd


def resumed_at_160k(tmp_path, claim):
    return job(tmp_path, bitrate="160k").process({**claim, "run_token": "second"})


def test_a_book_merged_then_resumed_with_another_bitrate_is_merged_again_and_says_so(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Rates"
    make(book / "01.mp3", "anoisesrc=d=4:a=0.5")
    make(book / "02.mp3", "anoisesrc=d=4:a=0.5")
    claim = item(lib, book)
    stopped_at_32k(tmp_path, claim, "place")
    result = resumed_at_160k(tmp_path, claim)
    m4b = tmp_path / "out" / "Jane Doe" / "Rates" / "Rates.m4b"
    assert MP4(m4b).info.bitrate > 100_000  # the settings of this run, not the killed one's
    assert result.notices == [
        "Jane Doe - Rates: settings changed since its merge (32k, 2 ch, 44100 Hz -> "
        "160k, 2 ch, 44100 Hz): merged again"]  # fmt: skip


def test_a_book_whose_placing_began_keeps_its_encode_unless_overwrite(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Placed"
    make(book / "01.mp3", "anoisesrc=d=4:a=0.5")
    claim = item(lib, book)
    stopped_at_32k(tmp_path, claim, "place",  # killed while placing: its manifest recorded
                   placing_output={"target": "", "files": {}})
    result = resumed_at_160k(tmp_path, claim)
    m4b = tmp_path / "out" / "Jane Doe" / "Placed" / "Placed.m4b"
    assert MP4(m4b).info.bitrate < 64_000
    assert "run with --overwrite to encode it again" in result.notices[0]


def test_a_stream_copied_book_resumed_with_another_bitrate_is_not_merged_again(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Copy"
    make(book / "01.m4a", "sine=d=1", "-c:a", "aac")
    claim = item(lib, book)
    wd = stopped_at_32k(tmp_path, claim, "place")
    merged = next((wd / "_book").glob("*.m4b")).read_bytes()
    result = resumed_at_160k(tmp_path, claim)
    assert (tmp_path / "out" / "Jane Doe" / "Copy" / "Copy.m4b").read_bytes() == merged
    assert result.notices == []


def _with_picture(dest: Path) -> Path:
    """An MP3 carrying an embedded JPEG (made by ffmpeg) as its front cover."""
    jpeg = make_image(dest.with_name("embedded.jpg"))
    result = ffmpeg.run(EXE, ["-f", "lavfi", "-i", "sine=d=1", "-i", os.fspath(jpeg),
                              "-map", "0:a", "-map", "1:v", "-c:v", "copy", "-id3v2_version", "3",
                              "-disposition:v", "attached_pic", "-y", os.fspath(dest)])  # fmt: skip
    assert result.returncode == 0, result.last_error
    jpeg.unlink()
    return dest


def make_image(dest: Path, size: str = "30x20") -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    result = ffmpeg.run(EXE, ["-f", "lavfi", "-i", f"color=c=red:s={size}", "-frames:v", "1",
                              "-y", os.fspath(dest)])  # fmt: skip
    assert result.returncode == 0, result.last_error
    return dest


@pytest.mark.parametrize("name", ["Cover.WEBP", "folder.png"])
def test_a_cover_of_another_format_becomes_cover_jpg_and_covr_holds_a_jpeg_or_png(
    tmp_path, name
):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Pictured"
    make(book / "01.mp3", "sine=d=1")
    source = make_image(book / name).read_bytes()
    (book / "back.jpg").write_bytes(b"\xff\xd8\xff not the cover")  # after folder and cover
    _, document = run_book(tmp_path, lib, book)
    folder = Path(document["output"])
    assert sorted(p.name for p in folder.iterdir()) == ["Pictured.m4b", "cover.jpg"]
    jpeg = (folder / "cover.jpg").read_bytes()
    assert jpeg.startswith(b"\xff\xd8\xff") and jpeg != b"\xff\xd8\xff not the cover"
    [covr] = MP4(folder / "Pictured.m4b").tags["covr"]
    if name.endswith(".png"):
        assert (bytes(covr), covr.imageformat) == (source, MP4Cover.FORMAT_PNG)
    else:  # covr knows no WebP
        assert (bytes(covr), covr.imageformat) == (jpeg, MP4Cover.FORMAT_JPEG)


def test_a_cover_too_large_or_not_an_image_is_passed_over_with_a_finding_never_a_failure(
    tmp_path,
):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Odd Covers"
    _with_picture(book / "01.mp3")
    with open(book / "cover.jpg", "wb") as huge:  # sparse: 65 MB that are never read
        huge.truncate(65 * 2**20)
    (book / "folder.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    _, document = run_book(tmp_path, lib, book)
    notes = [f["message"] for f in document["findings"] if f["code"] == "cover-unusable"]
    assert notes[0] == "cover.jpg is 65 MB, more than the 64 MB an image may be: not used"
    assert notes[1].startswith("folder.png is not an image ffmpeg can read (")
    assert not [f for f in document["findings"] if f["code"] == "no-cover"]
    folder = Path(document["output"])
    embedded = mutagen.File(book / "01.mp3").tags.getall("APIC")[0].data
    assert (folder / "cover.jpg").read_bytes() == embedded
    assert bytes(MP4(folder / "Odd Covers.m4b").tags["covr"][0]) == embedded


def test_the_embedded_cover_is_the_front_one_when_a_back_cover_comes_first(tmp_path):
    from mutagen.id3 import APIC

    from mediakeeper.audiobooks import covers

    mp3 = make(tmp_path / "01.mp3", "sine=d=1")
    audio = mutagen.File(mp3)  # ffmpeg wrote an ID3 tag
    back, front = b"\xff\xd8\xff back", b"\xff\xd8\xff front"
    audio.tags.add(APIC(encoding=3, mime="image/jpeg", type=4, desc="back", data=back))
    audio.tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="front", data=front))
    audio.save()
    assert mutagen.File(mp3).tags.getall("APIC")[0].data == back  # the first is the back
    assert covers.embedded(mp3) == front


def test_an_encode_killed_then_resumed_with_another_bitrate_starts_afresh_and_says_so(
    tmp_path,
):
    """What a kill -9 during the encode leaves: the state at the merge with the settings it
    began with, and its half-made files in the working directory."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Half"
    make(book / "01.mp3", "anoisesrc=d=4:a=0.5")
    claim = item(lib, book)
    audio = {"bitrate": "32k", "channels": 2, "sample_rate": 44100}
    wd = stopped_at_32k(tmp_path, claim, "merge", audio=audio)
    (wd / "_book").mkdir()
    (wd / "_book" / "part-0001.m4a").write_bytes(b"encoded at 32k")
    result = resumed_at_160k(tmp_path, claim)
    folder = tmp_path / "out" / "Jane Doe" / "Half"
    assert sorted(p.name for p in folder.iterdir()) == ["Half.m4b"]
    assert MP4(folder / "Half.m4b").info.bitrate > 100_000
    assert result.notices and result.notices[0].endswith("): merged again")


def logging_ffmpeg(tmp_path: Path) -> tuple[str, Path]:
    """An ``[ffmpeg] path`` that runs the real ffmpeg and logs each command line: (the
    path, the log)."""
    log, wrapper = tmp_path / "ffmpeg.log", tmp_path / "ffmpeg-logged"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{EXE}" "$@"\n')
    wrapper.chmod(0o755)
    return os.fspath(wrapper), log


def test_a_file_that_stops_decoding_at_the_merge_is_tried_twice_then_fails_with_ffmpegs_line(
    tmp_path,
):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Spoilt"
    make(book / "01.mp3", "sine=d=2")
    make(book / "02 Spoilt.mp3", "sine=d=2")
    claim = item(lib, book)
    path, log = logging_ffmpeg(tmp_path)
    wd = run_until(job(tmp_path, ffmpeg_path=path), claim, "merge")
    backup = Path(json.loads((wd / "state.json").read_text(encoding="utf-8"))["backup"])
    (backup / "02 Spoilt.mp3").write_bytes(b"no longer audio " * 400)  # after its measuring
    said = ffmpeg.run(EXE, ["-i", os.fspath(backup / "02 Spoilt.mp3"), "-f", "null", "-"])
    log.write_text("")
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path, ffmpeg_path=path).process({**claim, "run_token": "second"})
    assert failed.value.stage == "failed_merge"
    assert failed.value.message.endswith(f"02 Spoilt.mp3 does not decode: {said.last_error}")
    lines = log.read_text().splitlines()
    assert len([line for line in lines if "0002.mp3 -map 0:a:0 -f f32le" in line]) == 2  # a retry


def test_a_book_resumed_after_its_measuring_is_not_measured_again(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Measured"
    make(book / "01.mp3", "sine=d=1")
    make(book / "02.mp3", "sine=d=1")
    claim = item(lib, book)
    path, log = logging_ffmpeg(tmp_path)
    run_until(job(tmp_path, ffmpeg_path=path), claim, "merge")
    measured = [line for line in log.read_text().splitlines() if line.endswith("framecrc -")]
    assert len(measured) == 2  # each file listed once, by the measuring
    log.write_text("")
    job(tmp_path, ffmpeg_path=path).process({**claim, "run_token": "second"})
    assert not [line for line in log.read_text().splitlines() if line.endswith("framecrc -")]
    assert next((tmp_path / "out").rglob("*.m4b")).is_file()


def test_a_cut_mp3_fails_the_book_at_its_measuring_saying_how_much_is_missing(tmp_path):
    """A copy cut short reads without a word: its LAME/Xing header's count tells (issue 63)."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Cut"
    make(book / "01.mp3", "sine=d=1")
    cut = make(book / "02 Cut.mp3", "sine=d=10")
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size * 6 // 10])  # head -c 60 %
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path).process(item(lib, book))
    assert failed.value.stage == "failed_measure"
    said = failed.value.message
    assert said.startswith("unreadable-file: 02 Cut.mp3 decodes to 6.0"), said
    assert "header says 10.00 s" in said and "missing" in said, said
    assert not (tmp_path / "out").exists()


def test_a_file_that_does_not_read_fails_the_book_at_its_measuring_naming_it(tmp_path):
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Unread"
    make(book / "01.mp3", "sine=d=1")
    (book / "02 Unread.mp3").write_bytes(b"not audio " * 400)
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path).process(item(lib, book))
    assert failed.value.stage == "failed_measure"
    assert failed.value.message.startswith("unreadable-file: 02 Unread.mp3 does not read: ")
    assert failed.value.message.endswith(f"(in {book}): replace or remove it")
    # ffmpeg's line named the backup's copy: "does not read: <backup>/02 Unread.mp3: ..."
    assert "backup" not in failed.value.message, failed.value.message
    assert not (tmp_path / "out").exists()


def test_an_empty_chapter_fails_the_book_saying_it_is_empty(tmp_path):
    """A chapter of 0 bytes (a copy that never finished) was said in ffmpeg's words about its
    backup copy: "02.mp3 does not read: <backup>/02.mp3: Invalid argument"."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Empty"
    make(book / "01.mp3", "sine=d=1")
    (book / "02 Empty.mp3").write_bytes(b"")
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path).process(item(lib, book))
    assert failed.value.stage == "failed_measure"
    assert failed.value.message == (
        f"unreadable-file: 02 Empty.mp3 is empty (0 bytes) (in {book}): replace or remove it")


def test_every_file_that_does_not_read_is_named_at_once(tmp_path):
    """Not one a run: a person replaces them all before the next (before: the first alone)."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Many Unread"
    make(book / "01.mp3", "sine=d=1")
    bad = [f"{n:02d} Unread.mp3" for n in range(2, 7)]
    for name in bad:
        (book / name).write_bytes(b"not audio " * 400)
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path).process(item(lib, book))
    said = failed.value.message
    assert [said.count(f"{name} does not read: ") for name in bad] == [1, 1, 1, 0, 0], said
    assert "; and 2 more files that do not read (05 Unread.mp3, 06 Unread.mp3)" in said
    assert said.endswith(f"(in {book}): replace or remove them")


def test_a_chapter_replaced_after_its_book_failed_is_read_again_on_the_retry(tmp_path):
    """A book failed at its measuring for a chapter cut short, the chapter replaced from a
    good copy as the failure asked: the retry resumed at its measuring, which reads the
    backup copy, and failed on the copy of the replaced file again, at every retry. A book
    whose files changed since they were copied starts again from its folder."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Mended"
    make(book / "01.mp3", "sine=d=1")
    cut = make(book / "02 Cut.mp3", "sine=d=10")
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size * 6 // 10])  # head -c 60 %
    claim = item(lib, book)
    with pytest.raises(ItemFailure) as failed:
        job(tmp_path).process(claim)
    assert failed.value.stage == "failed_measure"
    make(book / "02 Cut.mp3", "sine=d=10")  # replaced whole, as the failure asked
    job(tmp_path).process({**claim, "run_token": "retry"})  # before: failed_measure again
    made = next((tmp_path / "out").rglob("*.m4b"))
    assert [title for _, title in chapters(made)] == ["01", "Cut"]
    assert MP4(made).info.length > 10.5, MP4(made).info.length  # the whole of the new one


def test_chapters_named_in_words_play_in_their_numbers_order(tmp_path):
    """Untagged chapters "Chapter One" ... "Chapter Twenty-One", a "Prologue" and an
    "Epilogue": the book played them in the alphabet's order (Chapter Eleven, Chapter One,
    Chapter Ten, ..., Epilogue, Prologue). Numbers written in words count as numbers, and a
    prologue comes first and an epilogue last, as the book reads."""
    lib = tmp_path / "lib"
    book = lib / "Jane Doe - Words"
    said = ["Prologue", "Chapter One", "Chapter Two", "Chapter Three", "Chapter Ten",
            "Chapter Eleven", "Chapter Twenty", "Chapter Twenty-One", "Epilogue"]  # fmt: skip
    for name in said:
        make(book / f"{name}.mp3", "anullsrc=d=0.3")
    _, document = run_book(tmp_path, lib, book)
    assert [c["title"] for c in document["chapters"]] == said
    m4b = Path(document["output"]) / "Words.m4b"
    assert [title for _, title in chapters(m4b)] == said


def test_an_older_queue_s_extras_item_is_folded_into_its_book_not_taken_for_lost(
    tmp_path, music_script
):
    """A queue made before a book's extras/ became the book's own still holds 'Jane Doe -
    Extras/extras' as a book: its next refresh said it "missing" (1 marked missing, and
    '(folder missing)' in the list and the summary) while the folder was right there, a book
    taken for lost. The refresh says it folded into its book, once; nothing calls it missing,
    and no batch takes it."""
    from mediakeeper.queue.items import new_item
    from mediakeeper.queue.store import QueueStore

    lib, home = tmp_path / "lib", tmp_path / "home"
    book = lib / "Jane Doe - Extras"
    make(book / "01.mp3", "sine=d=1")
    make(book / "extras" / "bonus.mp3", "sine=d=1")
    manager = ["audiobook_queue_manager.py", "--home", home]
    made = music_script(*manager, "--init", "--library", lib)
    assert made.returncode == 0, made.stdout + made.stderr
    old = "Jane Doe - Extras/extras"  # what the queue held before
    QueueStore(home / "status" / "audiobooks", "audiobooks").update(
        lambda data: [new_item(old, old, str(lib / old))], fold=True)
    refreshed = music_script(*manager, "--refresh")
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert refreshed.stdout.startswith(
        "Refreshed: 0 added, 0 marked missing, 0 back on disk, 0 changed since completed (back "
        "to pending), 1 folded into another book\n"
        "  folded  Jane Doe - Extras/extras  (into Jane Doe - Extras: its folder is that "
        "book's own now, left where it is)\n"), refreshed.stdout  # fmt: skip
    again = music_script(*manager, "--refresh")
    assert "folded" not in again.stdout and "0 marked missing" in again.stdout, again.stdout
    listed = music_script(*manager, "--list")
    [row] = [line for line in listed.stdout.splitlines() if old in line]
    assert row.endswith("(part of Jane Doe - Extras now)") and "missing" not in row, row
    summary = music_script(*manager, "--show-summary")
    assert "missing" not in summary.stdout, summary.stdout
    done = music_script("process_audiobook_batch.py", "--home", home, "--output",
                        tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 book completed" in done.stdout, done.stdout
    # counted nowhere as a book still to make: the queue is whole once its one book is
    summary = music_script(*manager, "--show-summary")
    assert "  total              1\n" in summary.stdout, summary.stdout
    assert "100.0% complete" in summary.stdout, summary.stdout
    board = subprocess.run([sys.executable, "-m", "mediakeeper", "dashboard", "--home", home,
                            "--json"], cwd=REPO_ROOT, env=script_env(), capture_output=True,
                           text=True, check=True)  # fmt: skip
    queue = json.loads(board.stdout)["queues"]["audiobooks"]
    assert (queue["total"], queue["percent"]) == (1, 100.0), queue
    assert (book / "extras" / "bonus.mp3").is_file()
