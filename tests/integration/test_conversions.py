"""The conversions kind end to end: real FLAC made by ffmpeg, the real scripts in real
subprocesses, outputs read back with mutagen."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import Picture

from mediakeeper.demo import sound as synth
from mediakeeper.demo.tracks import PNG_1X1
from mediakeeper.media import ffmpeg
from tests.integration.test_staged_kills import killed_at

EXE = ffmpeg.find()
ALBUM_ID = "0b1e0ad7-0000-4000-8000-000000000001"
ODD = "Bjørk's Ümlaut ⧸ Band"


def _track_tags(artist: str, n: int) -> dict[str, str]:
    return {
        "title": f"Song {n}",
        "artist": artist,
        "albumartist": artist,
        "album": "Greatest Hits",
        "tracknumber": str(n),
        "tracktotal": "2",
        "date": "2001",
        "musicbrainz_albumid": ALBUM_ID,
        "musicbrainz_trackid": f"1b1e0ad7-0000-4000-8000-00000000000{n}",
    }


EXTRA = {"REPLAYGAIN_TRACK_GAIN": "-6.50 dB", "COMPOSER": "Someone Else"}


def make_album(folder: Path, artist: str, *, tracks: int = 2, seconds: float = 1.0) -> Path:
    for n in range(1, tracks + 1):
        path = synth.tone(EXE, folder / f"0{n} Song.flac", seconds, frequency=300 + 100 * n)
        synth.tagged(path, _track_tags(artist, n), extra=EXTRA, cover=PNG_1X1)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8 a cover")
    (folder / "rip.log").write_text("EAC log\n")
    return folder


@pytest.fixture
def library(tmp_path) -> Path:
    """Two albums of the same name under two artists, one with an odd name."""
    lib = tmp_path / "lib"
    make_album(lib / "Artist A" / "Greatest Hits", "Artist A")
    make_album(lib / ODD / "Greatest Hits", ODD)
    return lib


@pytest.fixture
def convert(music_script, tmp_path):
    """``convert(*args)`` runs process_conversion_batch.py on tmp_path's home and output."""

    def run(*args, home: Path | None = None, output: Path | None = None):
        return music_script(
            "process_conversion_batch.py",
            "--home", home or tmp_path / "home",
            "--output", output or tmp_path / "out",
            *args,
        )  # fmt: skip

    return run


def queue_items(home: Path) -> dict[str, dict]:
    data = json.loads((home / "status" / "conversions" / "processing_queue.json").read_text())
    return {i["key"]: i for i in data["items"]}


def files_under(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}


def test_opus_end_to_end_carries_tags_cover_and_other_files(library, convert, tmp_path):
    home, out, archive = tmp_path / "home", tmp_path / "out", tmp_path / "archive"
    originals = files_under(library)
    result = convert("--library", library, "--archive", archive, "--batch-size", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    for artist in ("Artist A", ODD):
        album = out / artist / "Greatest Hits"
        assert sorted(p.name for p in album.iterdir()) == [
            "01 Song.opus", "02 Song.opus", "cover.jpg", "rip.log",
        ]  # fmt: skip
        opus = mutagen.File(album / "01 Song.opus")
        assert type(opus).__name__ == "OggOpus"
        assert abs(opus.info.length - 1.0) < 0.1
        assert opus["title"] == ["Song 1"] and opus["artist"] == [artist]
        assert opus["musicbrainz_albumid"] == [ALBUM_ID]
        assert opus["musicbrainz_trackid"] == ["1b1e0ad7-0000-4000-8000-000000000001"]
        assert opus["composer"] == ["Someone Else"]
        # ReplayGain -6.50 dB (at -18 LUFS) is an R128 gain of -11.5 dB: -2944 in Q7.8.
        assert opus["r128_track_gain"] == ["-2944"] and "replaygain_track_gain" not in opus
        picture = Picture(base64.b64decode(opus["metadata_block_picture"][0]))
        assert picture.data == PNG_1X1 and picture.type == 3
        assert (album / "cover.jpg").read_bytes() == b"\xff\xd8 a cover"
    # The archive is the originals byte for byte; the originals are untouched.
    assert files_under(archive) == originals == files_under(library)
    # Nothing partial anywhere, the working directories cleaned.
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]
    assert not list((home / "working" / "conversions").iterdir())
    items = queue_items(home)
    assert {i["status"] for i in items.values()} == {"completed"}
    assert {i["details"]["stage"] for i in items.values()} == {"completed"}
    slug = items["Artist A/Greatest Hits"]["details"]["slug"]
    report = json.loads((home / "outputs" / "conversions" / f"{slug}.json").read_text())
    # What each side holds, counted file by file (whether a 1 s tone is smaller as FLAC or as
    # Opus depends on the ffmpeg that made it: Debian's 5.1 packs it tighter).
    placed = out / "Artist A" / "Greatest Hits"
    assert report["bytes_after"] == sum(f["output_bytes"] for f in report["files"])
    assert report["bytes_after"] >= sum((placed / f"0{n} Song.opus").stat().st_size for n in (1, 2))
    assert report["bytes_before"] > 0
    assert report["seconds"] == pytest.approx(2.0, abs=0.1)
    assert [f["output"] for f in report["files"]] == [
        "01 Song.opus", "02 Song.opus", "cover.jpg", "rip.log",
    ]  # fmt: skip
    # Its issue report says the sizes in a unit that shows them (never "0.0 MB" for kilobytes).
    said = (home / "issues" / "conversions" / f"{slug}.md").read_text(encoding="utf-8")
    assert re.search(r"^\d+ kB before, \d+ kB after; ", said, re.M), said
    # The weekly report counts the audio converted and the space saved.
    weekly = next((home / "status" / "reports").glob("*_weekly_progress.md")).read_text()
    # (a few kB either way: a 1 s tone may grow as Opus)
    converted = r"^\| Albums converted \| 2 · 0\.0 h of audio · \d+ kB (saved|larger than the sources) \|$"  # noqa: E501
    assert re.search(converted, weekly, re.M), weekly
    assert "Albums completed" not in weekly  # the same albums: one line says them


def test_dry_run_shows_stages_commands_and_space_and_writes_nothing(library, convert, tmp_path):
    before = files_under(tmp_path)
    result = convert("--library", library, "--archive", tmp_path / "archive", "--dry-run")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Artist A/Greatest Hits: preparing -> converting -> archiving -> finalizing" in text
    # One short line per track (issue 36: a 250-character ffmpeg command each); -v gives them.
    assert "  01 Song.flac: encoded to 01 Song.opus (opus)" in text
    assert "libopus" not in text and "  ffmpeg's command of each track: add -v" in text
    assert max(len(line) for line in text.splitlines() if "Song" in line) < 80
    assert "space:" in text and "MB under" in text
    assert "cover.jpg: copied" in text
    verbose = convert("--library", library, "--dry-run", "-v").stdout
    assert verbose.count("-c:a libopus -b:a 128k -vbr on") == 4
    assert "  01 Song.flac: encoded to 01 Song.opus (opus): " in verbose
    assert files_under(tmp_path) == before
    assert not (tmp_path / "home").exists()


def test_another_profile_into_the_same_output_is_refused_not_mixed(library, convert, tmp_path):
    """Issue 36: a second run with another --profile silently mixed .opus and .m4a albums in
    one output. Refused in one line before anything is touched; another output is fine."""
    first = convert("--library", library, "--batch-size", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    before = files_under(tmp_path / "out")
    mixed = convert("--library", library, "--profile", "aac")
    assert mixed.returncode == 2, mixed.stdout + mixed.stderr
    assert f"1 album(s) in {tmp_path / 'out'} were converted with the opus profile" in mixed.stderr
    assert "use --profile opus, or give another --output" in mixed.stderr
    assert "Traceback" not in mixed.stderr and files_under(tmp_path / "out") == before
    apart = convert("--profile", "aac", "--dry-run", output=tmp_path / "aac")
    assert apart.returncode == 0, apart.stdout + apart.stderr
    assert "encoded to 01 Song.m4a (aac)" in apart.stdout


def test_an_existing_output_album_is_never_replaced_silently(library, convert, tmp_path):
    out = tmp_path / "out"
    taken = out / "Artist A" / "Greatest Hits"
    taken.mkdir(parents=True)
    (taken / "mine.txt").write_text("keep me")
    result = convert("--library", library)
    assert result.returncode == 1
    assert "already exists" in result.stdout and "--overwrite" in result.stdout
    assert "mine.txt" in result.stdout  # named: it is kept, whatever the user decides
    assert (taken / "mine.txt").read_text() == "keep me"
    item = queue_items(tmp_path / "home")["Artist A/Greatest Hits"]
    assert item["status"] == "error"
    assert item["error_history"][-1]["stage"] == "failed_preparing"

    # What the failure advises takes it (--overwrite alone found "nothing to do": it failed).
    advised = re.search(r"or run again with ((?:--[a-z-]+ )+)to place", result.stdout)[1]
    again = convert(*advised.split())
    assert again.returncode == 0, again.stdout
    assert sorted(p.name for p in taken.iterdir()) == [
        "01 Song.opus", "02 Song.opus", "cover.jpg", "mine.txt", "rip.log",
    ]  # fmt: skip
    assert (taken / "mine.txt").read_text() == "keep me"  # --overwrite replaces only its own


def test_a_track_ffmpeg_cannot_decode_fails_the_album_with_ffmpegs_own_line(
    library, convert, tmp_path
):
    bad = library / "Artist A" / "Greatest Hits" / "03 Broken.flac"
    bad.write_bytes(b"fLaC" + os.urandom(2000))
    result = convert("--library", library)
    assert result.returncode == 1
    item = queue_items(tmp_path / "home")["Artist A/Greatest Hits"]
    last = item["error_history"][-1]
    assert last["stage"] == "failed_converting"
    assert last["message"].startswith("03 Broken.flac: ")
    assert len(last["message"]) > len("03 Broken.flac: ") + 5  # ffmpeg's own words follow
    assert not (tmp_path / "out" / "Artist A").exists()  # nothing of that album is seen
    assert queue_items(tmp_path / "home")[f"{ODD}/Greatest Hits"]["status"] == "completed"


def test_the_item_line_counts_every_file_copied_beside_the_encoded_tracks(tmp_path, convert):
    """Two tracks encoded, cover.jpg and rip.log copied beside them: "2 encoded, 2 copied"
    (it said "0 copied", counting only the lossy sources copied)."""
    lib = tmp_path / "lib"
    make_album(lib / "Artist A" / "Greatest Hits", "Artist A")
    result = convert("--library", lib, "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Artist A/Greatest Hits — completed: 2 encoded, 2 copied; " in result.stdout, (
        result.stdout)  # fmt: skip
    placed = tmp_path / "out" / "Artist A" / "Greatest Hits"
    assert {"cover.jpg", "rip.log"} <= {p.name for p in placed.iterdir()}


def test_lossy_sources_are_copied_as_they_are_unless_allowed(tmp_path, convert):
    lib = tmp_path / "lib"
    mp3 = synth.tone(EXE, lib / "Band" / "Live" / "01 Live.mp3", 1.0)
    result = convert("--library", lib)
    assert result.returncode == 0, result.stdout
    copied = tmp_path / "out" / "Band" / "Live" / "01 Live.mp3"
    assert copied.read_bytes() == mp3.read_bytes()
    assert "lookups:" not in result.stdout  # the kind asks no web service (issue 36)
    # The copy's info finding is counted by the week's figures as by its table (issue 36:
    # "Conversions: 0 found" above lossy-source-copied found 63).
    [weekly] = (tmp_path / "home" / "status" / "reports").glob("*_weekly_progress.md")
    text = weekly.read_text(encoding="utf-8")
    assert "### Conversions: 1 found, 0 resolved" in text, text
    assert "| `lossy-source-copied` | 1 | 0 |" in text
    # and by the batch's closing line, which said "issues found 0" (an info finding is found,
    # never a decision: no "needs you" line, exit 0).
    assert "findings 1 · resolved 0" in result.stdout and "needs you" not in result.stdout

    again = convert(
        "--library", lib, "--allow-lossy", home=tmp_path / "home2", output=tmp_path / "out2"
    )
    assert again.returncode == 0, again.stdout
    assert [p.name for p in (tmp_path / "out2" / "Band" / "Live").iterdir()] == ["01 Live.opus"]


def test_delete_originals_only_after_the_archive_is_in_place(library, convert, tmp_path):
    archive = tmp_path / "archive"
    originals = files_under(library / "Artist A")
    result = convert("--library", library, "--archive", archive, "--delete-originals")
    assert result.returncode == 0, result.stdout
    assert not (library / "Artist A" / "Greatest Hits").exists()
    assert files_under(archive / "Artist A") == originals
    assert (tmp_path / "out" / "Artist A" / "Greatest Hits" / "01 Song.opus").is_file()


def test_working_directory_gone_starts_again_from_the_original_and_both_gone_is_an_error(
    library, tmp_path
):
    from mediakeeper.batch.job import ItemFailure
    from mediakeeper.conversions.job import ConversionJob

    job = ConversionJob(tmp_path / "home", "s1", tmp_path / "out", threads=1)
    item = {"key": "Artist A/Greatest Hits", "name": "Artist A/Greatest Hits",
            "path": str(library / "Artist A" / "Greatest Hits"), "run_token": "t1"}  # fmt: skip
    # An earlier attempt got to converting, then its working copy was deleted by hand.
    _left(job.workdir(item), {"key": item["key"], "profile": "opus", "output": str(job.output),
                              "archive": None, "files": [], "stage": "converting"})  # fmt: skip
    result = job.process(item)
    assert result.details["stage"] == "completed"
    assert (tmp_path / "out" / "Artist A" / "Greatest Hits" / "02 Song.opus").is_file()

    gone = {**item, "key": "Gone/Album", "name": "Gone/Album", "path": str(tmp_path / "nope"),
            "run_token": "t2"}  # fmt: skip
    _left(job.workdir(gone), {"key": gone["key"], "profile": "opus", "stage": "archiving",
                              "output": str(job.output), "archive": None, "files": []})  # fmt: skip
    with pytest.raises(ItemFailure) as failed:
        job.process(gone)
    assert failed.value.stage == "failed_archiving"
    assert "is gone, and its working copy" in failed.value.message


def _left(wd: Path, state: dict) -> None:
    """The state.json an earlier attempt left in ``wd`` (its working copy deleted since)."""
    wd.mkdir(parents=True)
    (wd / "state.json").write_text(json.dumps(state))


def _mount_tmpfs(where: Path, size: str, *options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    opts = ",".join((f"size={size}", *options))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): needs root")


@pytest.fixture
def mounts(tmp_path):
    made: list[Path] = []

    def mount(name: str, size: str, *options: str) -> Path:
        where = tmp_path / name
        _mount_tmpfs(where, size, *options)
        made.append(where)
        return where

    yield mount
    for where in made:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_output_disk_says_how_much_is_missing_and_leaves_nothing(
    library, convert, tmp_path, mounts
):
    """Not the album's failure but the batch's, as a disk that fills is: the batch stops in
    one line, every album as it was, no attempt counted (each album used to fail in turn,
    and three such runs made them skipped)."""
    out = mounts("small_out", "64k")
    result = convert("--library", library, output=out)
    assert result.returncode == 1
    [said] = result.stderr.strip().splitlines()
    assert said.startswith("Error: not enough space for ") and "MB missing" in said
    assert str(out) in said and said.endswith("; free some space, then run again"), said
    items = queue_items(tmp_path / "home").values()
    assert {(i["status"], i["attempts"], len(i["error_history"])) for i in items} == {
        ("pending", 0, 0)}
    assert not list(out.iterdir())


def test_a_disk_that_fills_while_archiving_stops_the_batch_and_resumes_from_it(
    library, convert, tmp_path, mounts
):
    """The space check passes (the archive volume's free space is read before), then the
    disk fills: the batch stops in one line (the album's failure once: in error, an attempt
    spent), the archive holds nothing partial, and the album resumes at archiving."""
    archive = mounts("small_archive", "400k")
    # Room for the check (min_free_mb 0), not for the copy once this is written meanwhile:
    home = tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text("[conversions]\nmin_free_mb = 0\n")
    size = sum(p.stat().st_size for p in (library / "Artist A" / "Greatest Hits").iterdir())
    filler = archive / "filler"
    filler.write_bytes(b"\0" * (400 * 1024 - size - 8192))
    result = convert("--library", library, "--archive", archive, "--album", "Artist A")
    if result.returncode == 0:
        pytest.skip("the tmpfs had room after all")
    assert result.returncode == 1, result.stdout + result.stderr
    said = result.stderr.strip().splitlines()[-1]
    assert said.startswith(("Error: not enough space for ", "Error: disk full: could not write "))
    assert str(archive) in said, said
    item = queue_items(home)["Artist A/Greatest Hits"]
    assert (item["status"], item["attempts"], item["error_history"]) == ("pending", 0, [])
    leftovers = [p for p in archive.rglob("*") if p.is_file() and p != filler]
    assert leftovers == []
    filler.unlink()
    again = convert("--library", library, "--archive", archive, "--album", "Artist A")
    assert again.returncode == 0, again.stdout
    assert files_under(archive / "Artist A") == files_under(library / "Artist A")


def test_a_read_only_output_is_refused_before_any_work(library, convert, tmp_path, mounts):
    out = mounts("ro_out", "1m", "ro")
    result = convert("--library", library, "--album", "Artist A", output=out)
    assert result.returncode == 1
    item = queue_items(tmp_path / "home")["Artist A/Greatest Hits"]
    last = item["error_history"][-1]
    assert last["stage"] == "failed_preparing", last
    assert f"cannot write under {out}: it is a read-only file system" in last["message"]
    assert files_under(tmp_path / "home" / "working") == {}


def test_an_output_on_another_volume_is_copied_verified_and_renamed_into_place(
    library, convert, tmp_path, mounts
):
    out = mounts("other_volume", "8m")
    home = tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text("[conversions]\nmin_free_mb = 1\n")
    result = convert("--library", library, output=out)
    assert result.returncode == 0, result.stdout
    for artist in ("Artist A", ODD):
        album = out / artist / "Greatest Hits"
        assert sorted(p.name for p in album.iterdir()) == [
            "01 Song.opus", "02 Song.opus", "cover.jpg", "rip.log",
        ]  # fmt: skip
    assert [p.name for p in out.rglob(".*")] == []  # no staged copy left beside them
    assert files_under(home / "working") == {}


def test_a_library_that_holds_audio_itself_goes_under_its_own_name(tmp_path, convert):
    """The library folder is an album too: with --overwrite it must never replace the
    output folder that holds every other album."""
    lib = tmp_path / "Loose Rips"
    synth.tone(EXE, lib / "single.flac", 1.0)
    make_album(lib / "Artist A" / "Greatest Hits", "Artist A")
    result = convert("--library", lib, "--overwrite")
    assert result.returncode == 0, result.stdout
    out = tmp_path / "out"
    assert (out / "Loose Rips" / "single.opus").is_file()
    assert (out / "Artist A" / "Greatest Hits" / "01 Song.opus").is_file()


def test_an_output_inside_the_library_is_refused_before_anything(library, convert, tmp_path):
    result = convert("--library", library, output=library / "Portable")
    assert result.returncode == 2
    assert "is inside the library" in result.stderr and "Traceback" not in result.stderr
    assert not (library / "Portable").exists()


def test_an_output_that_is_a_file_is_refused_before_anything(library, convert, tmp_path):
    """Each album failed on it ("File exists"), an attempt counted for each."""
    (tmp_path / "out").write_bytes(b"a file, not a folder")
    result = convert("--library", library)
    assert result.returncode == 2, result.stdout + result.stderr
    said = f"Error: the output folder {tmp_path / 'out'} is a file, not a folder"
    assert result.stderr.startswith(said) and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "home" / "status" / "conversions").exists()  # no queue, no attempt


@pytest.mark.parametrize("stage", ["converting", "finalizing"])
def test_a_disk_filled_before_a_resumed_stage_fails_that_stage_then_resumes_it(
    library, tmp_path, mounts, stage
):
    """An album stopped after preparing; meanwhile the volume its next writes go to fills
    up (the working volume for converting, the output's own for finalizing)."""
    from mediakeeper.batch.job import ItemFailure
    from mediakeeper.conversions.job import ConversionJob

    small = mounts("small", "2m")
    working = small if stage == "converting" else tmp_path / "working"
    output = small / "out" if stage == "finalizing" else tmp_path / "out"
    job = ConversionJob(tmp_path / "home", "s1", output, working=working, threads=1)
    album = library / "Artist A" / "Greatest Hits"
    item = {"key": "Artist A/Greatest Hits", "name": "Artist A/Greatest Hits",
            "path": str(album), "run_token": "t1"}  # fmt: skip
    killed_at(job, item, "converting")  # preparing done, then killed
    filler = small / "filler"
    with open(filler, "wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:  # until the volume is full
            f.write(b"\0" * 4096)
    with pytest.raises(ItemFailure) as failed:
        job.process(item)
    assert (failed.value.stage, failed.value.stop) == ("disk", True)  # the batch's failure
    assert "MB missing" in failed.value.message and str(small) in failed.value.message
    assert files_under(output) == {}
    filler.unlink()
    result = job.process(item)
    assert result.details["stage"] == "completed"
    assert sorted(p.name for p in (output / "Artist A" / "Greatest Hits").iterdir()) == [
        "01 Song.opus", "02 Song.opus", "cover.jpg", "rip.log",
    ]  # fmt: skip


def test_sessions_resume_finishes_a_killed_conversion_batch(tmp_path, music_popen, music_script):
    """`sessions.py resume` runs the kind's batch with --resume SESSION_ID: the conversion
    batch takes it as the others do (it is built from its kind's record), and ends the batch."""
    lib, home, out = tmp_path / "lib", tmp_path / "home", tmp_path / "out"
    for artist in ("Artist A", "Artist B"):
        make_album(lib / artist / "Album", artist, tracks=4, seconds=5.0)
    args = ("--home", home, "--library", lib, "--output", out, "--workers", 1, "-v")
    proc = music_popen(*args, script="process_conversion_batch.py")
    for line in proc.stdout:
        if line.startswith("✓"):  # the first album recorded, the second in hand
            break
    proc.kill()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == -9, f"the batch ended before the kill: {stdout}{stderr}"
    assert sorted(i["status"] for i in queue_items(home).values()) != ["completed"] * 2

    resumed = music_script("sessions.py", "resume", "--home", home)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "--resume " in resumed.stdout and "Traceback" not in resumed.stderr
    assert [i["status"] for i in queue_items(home).values()] == ["completed"] * 2
    for artist in ("Artist A", "Artist B"):
        assert len(list((out / artist / "Album").glob("*.opus"))) == 4


def test_a_damaged_track_replaced_as_asked_is_converted_on_retry_not_its_old_copy(
    tmp_path, convert
):
    """An album failed at converting kept its working copy: the cut track replaced from a
    good copy, as the failure asks, `--retry-errors` failed again on the working copy of the
    cut track. The originals changed since they were copied: the album starts again from
    them."""
    lib = tmp_path / "lib"
    album = make_album(lib / "Artist A" / "Greatest Hits", "Artist A")
    cut = album / "02 Song.flac"
    whole = cut.read_bytes()
    cut.write_bytes(whole[: len(whole) // 2])
    first = convert("--library", lib)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "02 Song.flac: " in first.stdout and "replace it from a good copy" in first.stdout
    cut.write_bytes(whole)
    again = convert("--retry-errors")
    assert again.returncode == 0, again.stdout + again.stderr
    placed = tmp_path / "out" / "Artist A" / "Greatest Hits"
    assert sorted(p.name for p in placed.glob("*.opus")) == ["01 Song.opus", "02 Song.opus"]
    assert mutagen.File(placed / "02 Song.opus").info.length > 0.9  # the whole track


def test_the_list_of_failed_albums_says_the_stage_each_failed_at(
    library, convert, music_script, tmp_path
):
    """Exit 1 points at `--list --status error` for "each one's stage and message": the list
    said the message alone, not that the album failed at converting."""
    (library / "Artist A" / "Greatest Hits" / "03 Empty.flac").write_bytes(b"")
    assert convert("--library", library).returncode == 1
    listed = music_script("conversion_queue_manager.py", "--home", tmp_path / "home",
                          "--list", "--status", "error")  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if "Artist A/Greatest Hits" in ln)
    assert "failed at converting  ! 03 Empty.flac: is empty (0 bytes)" in line, line


def test_a_completed_album_asked_for_by_name_without_overwrite_is_refused_unclaimed(
    library, convert, tmp_path
):
    """``--album NAME`` on a converted album without --overwrite is refused before the album
    is claimed (exit 2, one line): it stays completed, no failure counted, its output kept."""
    assert convert("--library", library).returncode == 0
    queue = tmp_path / "home" / "status" / "conversions" / "processing_queue.json"
    before, made = queue.read_bytes(), files_under(tmp_path / "out")
    again = convert("--album", "Artist A")
    assert again.returncode == 2, again.stdout + again.stderr
    assert again.stderr == (
        "Error: the album 'Artist A/Greatest Hits' is done already (give --overwrite as well "
        "to make it again: its earlier output is replaced, nothing else there)\n"
    ), again.stderr
    assert queue.read_bytes() == before and files_under(tmp_path / "out") == made


def test_a_completed_album_asked_for_by_name_into_a_new_output_needs_no_overwrite(
    library, convert, tmp_path
):
    """``--album NAME --output ELSEWHERE`` of a converted album was refused "give --overwrite
    as well ...: its earlier output is replaced", though the new place held nothing of it and
    nothing would be replaced. A new output place is no overwrite: the album is made there,
    its earlier output left as it was; asked into the first place again, it is refused."""
    assert convert("--library", library).returncode == 0
    made = files_under(tmp_path / "out")
    elsewhere = tmp_path / "elsewhere"
    again = convert("--album", "Artist A", output=elsewhere)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(files_under(elsewhere)) == sorted(
        name for name in made if name.startswith("Artist A/"))  # fmt: skip
    assert files_under(tmp_path / "out") == made
    refused = convert("--album", "Artist A")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "is done already (give --overwrite as well" in refused.stderr
