"""The media work with every ffmpeg a user may have (issue 34): a representative set run
against the bundled ffmpeg and the system's on PATH (Debian 12's 5.1, which `make readers`
installs), each where it exists (``--ffmpeg both|bundled|system``, see conftest): an encode
to each lossy profile, a book encoded and joined with its chapters where its files begin, a
split into parts lasting the file's length, an album's loudness, a damaged source found
with where its damage starts, and progress that only goes forward. The rest of the suite
runs against the one ``ffmpeg.find`` picks (the system's when there is one)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.demo import damage
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg, integrity, merge_m4b, replaygain
from mediakeeper.media.convert import PROFILES, convert
from mediakeeper.pipelines.steps.registry import Context
from mediakeeper.pipelines.steps.split import run_split

ROOT = Path(__file__).resolve().parents[2]


def make(exe: str, dest: Path, source: str, *extra: str) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    made = ffmpeg.run(exe, ["-f", "lavfi", "-i", source, *extra, "-y", os.fspath(dest)])
    assert made.returncode == 0, made.last_error
    return dest


@pytest.mark.parametrize("profile", ["opus", "aac", "mp3"])
def test_an_encode_lasts_its_source(any_ffmpeg, tmp_path, profile):
    source = synth.tone(any_ffmpeg, tmp_path / "01.flac", 2.0)
    output = tmp_path / f"01{PROFILES[profile].extension}"
    result = convert(any_ffmpeg, source, output, PROFILES[profile])
    assert abs(ffmpeg.decoded_length(any_ffmpeg, output) - result.source_seconds) <= 0.1


@pytest.mark.parametrize("codec", ["mp3", "aac"])
def test_a_book_is_encoded_or_joined_with_its_chapters_where_its_files_begin(
    any_ffmpeg, tmp_path, codec
):
    extra, suffix = (["-c:a", "aac"], "m4a") if codec == "aac" else (["-ac", "1"], "mp3")
    paths = [make(any_ffmpeg, tmp_path / "in" / f"0{n}.{suffix}", f"sine=d={n}", *extra)
             for n in (1, 2, 3)]  # fmt: skip
    inputs = [merge_m4b.measure(any_ffmpeg, p, f"Part {n}") for n, p in enumerate(paths, 1)]
    out = tmp_path / "book.m4b"
    merged = merge_m4b.merge(any_ffmpeg, inputs, out, tmp_path / "links", merge_m4b.Audio())
    assert merged.copied == (codec == "aac")
    assert [round(s) for s in merged.starts] == [0, 1, 3]
    merge_m4b.check_chapters(out, merged.starts, any_ffmpeg)
    assert merge_m4b.measure(any_ffmpeg, out, "book").channels == 1  # as its files


def test_split_parts_last_the_files_length(any_ffmpeg, tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    make(any_ffmpeg, inputs / "talk.flac", "sine=d=3")
    out.mkdir()
    parts = run_split(Context(any_ffmpeg), inputs, out, {"mode": "fixed", "seconds": 1})
    names = parts["parts"]["talk.flac"]
    assert len(names) == 3
    total = sum(ffmpeg.decoded_length(any_ffmpeg, out / n) for n in names)
    assert abs(total - 3.0) < 0.1


def test_an_album_with_a_tta_track_is_measured_and_silence_gets_no_gain(any_ffmpeg, tmp_path):
    tone = make(any_ffmpeg, tmp_path / "01.tta", "sine=d=2")
    quiet = make(any_ffmpeg, tmp_path / "02.flac", "anullsrc=d=2")
    gains = replaygain.measure_album(any_ffmpeg, [tone, quiet])
    assert gains[tone]["REPLAYGAIN_TRACK_GAIN"].endswith(" dB")
    assert "REPLAYGAIN_TRACK_GAIN" not in gains[quiet]
    assert gains[quiet]["REPLAYGAIN_ALBUM_GAIN"] == gains[tone]["REPLAYGAIN_ALBUM_GAIN"]


@pytest.mark.parametrize(("name", "damage_it"), [("rot.flac", damage.flip_bytes),
                                                 ("cut.wav", damage.cut)])
def test_a_damaged_source_is_found_and_where_its_damage_starts(any_ffmpeg, tmp_path, name,
                                                               damage_it):  # fmt: skip
    """Half-way into a 20 s file: ffmpeg 5.1 exits on the error before it reports progress,
    so where a decode stops is counted in samples, not read from its progress."""
    found = integrity.check(any_ffmpeg, damage_it(synth.tone(any_ffmpeg, tmp_path / name, 20)))
    assert found.damaged and found.error_at is not None, found
    assert 9.0 < found.error_at < 10.5, found.why()
    assert found.why().startswith("does not decode at 0:09."), found.why()


@pytest.mark.parametrize("name", ["cut.wv", "cut.flac", "cut.m4a", "cut.mp3"])
def test_a_file_cut_short_says_how_much_is_missing(any_ffmpeg, tmp_path, name):
    """A copy cut to 60 % of its bytes: a newer ffmpeg than 5.1 stops a WavPack's decode at
    its last block with a demuxing error where 5.1 ends quietly; either way the file's own
    headers say it is cut, and by how much."""
    found = integrity.check(any_ffmpeg, damage.cut(synth.tone(any_ffmpeg, tmp_path / name, 10),
                                                   keep=0.6))  # fmt: skip
    assert found.damaged and found.truncated, found
    assert found.why().endswith(" missing"), found.why()
    assert "s of its 10.00 s" in found.why() or "bytes missing" in found.why(), found.why()


def test_a_file_that_does_not_open_is_said_alike_by_every_ffmpeg(any_ffmpeg, tmp_path):
    """Its Ogg headers cut off: ffmpeg 5.1 says "file:PATH: End of file", a newer one
    "Error opening input: End of file" from its input's thread, which is no decode error at
    0:00 either; both said with the file's name."""
    path = damage.cut(synth.tone(any_ffmpeg, tmp_path / "headless.ogg", 1), keep=0.0005)
    found = integrity.check(any_ffmpeg, path, analyse=False)
    assert not found.decodes and not found.errors and found.error_at is None, found
    assert found.why() == "does not decode: headless.ogg: End of file", found.why()


def test_progress_only_goes_forward_from_its_first_output(any_ffmpeg):
    """An encode's progress: ffmpeg 5.1 says 0 before any output, which tells nothing."""
    heard: list[float] = []
    args = ["-f", "lavfi", "-i", "sine=d=120", "-c:a", "aac", "-f", "null", "-"]
    run = ffmpeg.run(any_ffmpeg, args, progress=heard.append)
    assert run.returncode == 0
    assert heard and heard == sorted(heard) and all(0 < s <= 120.05 for s in heard), heard
    assert abs(run.seconds - 120.0) < 0.05


def test_an_ffmpeg_older_than_51_on_path_is_passed_over_in_one_line(tmp_path):
    old = tmp_path / "bin" / "ffmpeg"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 'ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c)'\n")
    old.chmod(0o755)
    env = {**os.environ, "PATH": f"{old.parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    found = subprocess.run([sys.executable, "-c", "from mediakeeper.media import ffmpeg; "
                            "print(ffmpeg.find()); print(ffmpeg.passed_over())"],
                           env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
    chosen, note = found.splitlines()
    assert chosen == ffmpeg.bundled()
    assert note == (f"the ffmpeg on PATH ({old}, 4.4) is older than 5.1, the oldest this "
                    "toolkit works with: using the ffmpeg it ships; set [ffmpeg] path to choose "
                    "another")  # fmt: skip
    (tmp_path / "lib").mkdir()
    run = subprocess.run([sys.executable, str(ROOT / "utilities" / "process_conversion_batch.py"),
                          "--home", tmp_path / "home", "--library", tmp_path / "lib",
                          "--output", tmp_path / "out", "--dry-run"],
                         env=env, capture_output=True, text=True)  # fmt: skip
    assert run.stderr.count("Note: the ffmpeg on PATH") == 1, run.stderr


def test_a_real_batch_says_the_old_ffmpeg_once_after_its_items_never_waiting_for_it(tmp_path):
    """The version is asked as the batch starts and read once its items are done (its 80 ms
    no longer before the first item): the note is said once."""
    old = tmp_path / "bin" / "ffmpeg"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 'ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c)'\n")
    old.chmod(0o755)
    (tmp_path / "lib" / "Album").mkdir(parents=True)
    env = {**os.environ, "PATH": f"{old.parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    run = subprocess.run([sys.executable, str(ROOT / "utilities" / "process_verify_batch.py"),
                          "--home", tmp_path / "home", "--library", tmp_path / "lib"],
                         env=env, capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stderr.count(f"Note: the ffmpeg on PATH ({old}, 4.4) is older than 5.1") == 1, (
        run.stderr)  # fmt: skip


def _logging_ffmpeg(where: Path, version: str) -> Path:
    """An ``ffmpeg`` on a PATH of its own that says ``version`` and logs each run."""
    fake = where / "bin" / "ffmpeg"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f"#!/bin/sh\necho \"$*\" >> {where / 'runs.log'}\n"
                    f"echo 'ffmpeg version {version} Copyright (c)'\n")  # fmt: skip
    fake.chmod(0o755)
    return fake


def test_a_data_home_keeps_the_ffmpeg_version_and_asks_only_a_file_it_has_not_seen(tmp_path):
    """A dynamically linked ffmpeg takes 60 ms to say its version, at every media batch's
    start: the home keeps the answer with the file's identity, so a second batch asks
    nothing; a replaced ffmpeg is asked again; a dry run reads what is kept and writes
    nothing; a record that cannot be read is asked past and written anew."""
    fake = _logging_ffmpeg(tmp_path, "4.4.2-0ubuntu0.22.04.1")
    (tmp_path / "lib" / "Album").mkdir(parents=True)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    home, runs = tmp_path / "home", tmp_path / "runs.log"
    record = home / "status" / "cache" / "ffmpeg.json"

    def batch(*extra: str) -> str:
        done = subprocess.run([sys.executable, str(ROOT / "utilities" / "process_verify_batch.py"),
                               "--home", home, "--library", tmp_path / "lib", *extra],
                              env=env, capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stderr

    def asked() -> int:
        return runs.read_text().count("-version") if runs.exists() else 0

    note = f"Note: the ffmpeg on PATH ({fake}, 4.4) is older than 5.1"
    assert batch("--dry-run").count(note) == 1 and asked() == 1
    assert not record.exists()  # a dry run writes nothing, not even this
    assert batch().count(note) == 1 and asked() == 2
    assert json.loads(record.read_text())[str(fake)]["version"] == [4, 4]
    assert batch().count(note) == 1 and batch("--dry-run").count(note) == 1
    assert asked() == 2  # said from what the home keeps: not run again

    _logging_ffmpeg(tmp_path, "6.1.1")  # replaced: a new file (its size at least)
    assert note not in batch() and asked() == 3
    assert json.loads(record.read_text())[str(fake)]["version"] == [6, 1]
    batch()
    assert asked() == 3

    record.write_text("{not json")
    assert note not in batch() and asked() == 4
    assert json.loads(record.read_text())[str(fake)]["version"] == [6, 1]


def test_a_batch_that_runs_ffmpeg_asks_no_version_the_home_keeps(tmp_path):
    """The kept answer reaches the job: a conversion batch's albums, in forked workers, find
    their ffmpeg (the shipped one, the one on PATH being too old) without asking the one on
    PATH again, where each worker asked it before."""
    fake = _logging_ffmpeg(tmp_path, "4.4.2-0ubuntu0.22.04.1")
    (tmp_path / "lib").mkdir()
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT)}  # fmt: skip

    def batch() -> None:
        done = subprocess.run([sys.executable,
                               str(ROOT / "utilities" / "process_conversion_batch.py"),
                               "--home", tmp_path / "home", "--library", tmp_path / "lib",
                               "--output", tmp_path / "out", "--workers", "2", "-q"],
                              env=env, capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr

    batch()  # nothing to convert: the version asked, and kept
    assert (tmp_path / "runs.log").read_text().count("-version") == 1
    for album in ("One", "Two"):
        synth.tone(ffmpeg.bundled(), tmp_path / "lib" / album / "01.flac", 1.0)
    subprocess.run([sys.executable, str(ROOT / "utilities" / "conversion_queue_manager.py"),
                    "--home", tmp_path / "home", "--refresh"],
                   env=env, capture_output=True, check=True)  # fmt: skip
    batch()
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.opus")) == ["01.opus", "01.opus"]
    assert (tmp_path / "runs.log").read_text().count("-version") == 1
