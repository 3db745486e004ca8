"""The verify kind end to end: real audio made by ffmpeg, damaged the way disks damage it,
the real scripts in real subprocesses, a real kill -9 mid-album and a resume."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from mediakeeper import tags
from mediakeeper.demo import damage
from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg, flactest, integrity
from mediakeeper.text.slug import slugify
from tests.helpers.deciding import decide

EXE = ffmpeg.find()


def _noise(dest: Path, seconds: float, seed: int) -> Path:
    """Pink noise (slow to compress and check), the same at every run (``seed``)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    run = ffmpeg.run(EXE, ["-f", "lavfi", "-i", f"anoisesrc=color=pink:duration={seconds}:"
                           f"amplitude=0.3:seed={seed}", "-ac", "2", "-y", str(dest)])  # fmt: skip
    assert run.returncode == 0, run.error
    return dest


def _library(lib: Path) -> Path:
    for n in (1, 2):
        synth.tone(EXE, lib / "Band" / "Whole" / f"0{n}.flac", 3.0, frequency=300 + 100 * n)
    synth.tone(EXE, lib / "Band" / "Wav" / "01.wav", 3.0)
    synth.tone(EXE, lib / "Band" / "Wav" / "02.ogg", 3.0)
    damage.flip_bytes(synth.tone(EXE, lib / "Other" / "Rotten" / "01 Rot.flac", 20.0))
    return lib


def _queue(home: Path) -> dict[str, dict]:
    data = json.loads((home / "status" / "verify" / "processing_queue.json").read_text())
    return {i["key"]: i for i in data["items"]}


def _document(home: Path, key: str) -> dict:
    slug = _queue(home)[key]["details"]["slug"]
    return json.loads((home / "outputs" / "verify" / f"{slug}.json").read_text())


def _codes(home: Path, key: str) -> list[str]:
    return [f["code"] for f in _document(home, key)["findings"]]


def test_damage_is_reported_with_where_and_the_week_counts_hours(music_script, tmp_path):
    lib, home = _library(tmp_path / "lib"), tmp_path / "home"
    init = music_script("verify_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stderr
    result = music_script("process_verify_batch.py", "--home", home, "--batch-size", "20")
    # Damage found is a decision waiting: exit 1, as every batch leaving decisions (issue 36).
    assert result.returncode == 1, result.stdout + result.stderr
    assert "needs you: 1 decision in 1 album" in result.stdout  # one damaged file: one
    assert {k: i["status"] for k, i in _queue(home).items()} == {
        "Band/Whole": "completed", "Band/Wav": "completed", "Other/Rotten": "completed"}
    assert _codes(home, "Band/Whole") == [] and _codes(home, "Band/Wav") == []
    # One question per damaged file (issue 69), what else it found listed inside it.
    assert _codes(home, "Other/Rotten") == ["audio-md5-mismatch"]
    [decode] = _document(home, "Other/Rotten")["findings"]
    assert [f["code"] for f in decode["details"]["found"]] == [
        "audio-md5-mismatch", "decode-error"]  # fmt: skip
    assert decode["path"] == "01 Rot.flac" and "at 0:09." in decode["message"]
    report = (home / "issues" / "verify" / f"{_document(home, 'Other/Rotten')['slug']}.md")
    assert "does not decode at 0:09." in report.read_text()
    weekly = next((home / "status" / "reports").glob("*_weekly_progress.md")).read_text()
    assert "verified" in weekly.lower() and "audio-md5-mismatch" in weekly


def test_a_file_that_does_not_open_is_named_by_its_name_in_every_record(music_script,
                                                                        tmp_path):
    """ffmpeg names a file it cannot open by the "file:" path the check handed it; the
    finding, its report's row and the album's question say the file's name instead (the
    other faces shortened it only where the library was in a temporary folder)."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    damage.cut(synth.tone(EXE, lib / "Band" / "Headless" / "01 Head.ogg", 1.0), keep=0.0005)
    music_script("verify_queue_manager.py", "--home", home, "--init", "--library", lib)
    result = music_script("process_verify_batch.py", "--home", home)
    assert result.returncode == 1, result.stdout + result.stderr
    document = _document(home, "Band/Headless")
    [found] = document["findings"]
    assert found["message"] == "does not decode: 01 Head.ogg: End of file", found
    report = (home / "issues" / "verify" / f"{document['slug']}.md").read_text()
    assert "does not decode: 01 Head.ogg: End of file" in report
    [asked] = json.loads(decide(home, "verify", "Band/Headless", "--json").stdout)["decisions"]
    assert asked["details"]["findings"][0]["message"] == found["message"], asked
    for said in (report, json.dumps(asked), json.dumps(document)):
        assert "file:" not in said and str(lib) not in said


def test_bit_rot_is_told_from_a_tag_edit_and_says_when_it_was_last_good(music_script, tmp_path):
    lib, home = _library(tmp_path / "lib"), tmp_path / "home"
    args = ("--home", home, "--library", lib)
    assert music_script("process_verify_batch.py", *args).returncode == 1  # Other/Rotten
    wav = lib / "Band" / "Wav" / "01.wav"
    st = wav.stat()
    damage.flip_bytes(wav, at=0.6, count=4)  # a WAV has no checksum: it still decodes whole
    os.utime(wav, ns=(st.st_atime_ns, st.st_mtime_ns))  # as a failing disk leaves it
    tags.write(lib / "Band" / "Whole" / "01.flac", {"title": "Retitled " * 40})
    tags.write(lib / "Band" / "Wav" / "02.ogg", {"title": "Retitled " * 40})
    reset = music_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert reset.returncode == 0, reset.stderr
    again = music_script("process_verify_batch.py", *args)
    assert again.returncode == 1, again.stdout + again.stderr  # decisions left
    assert _codes(home, "Band/Whole") == []  # a tag edit is no change of the audio
    [changed] = _document(home, "Band/Wav")["findings"]
    assert (changed["code"], changed["path"]) == ("audio-changed", "01.wav")
    assert "modification time did not change" in changed["message"]
    assert changed["details"]["last_good"][:4] == time.strftime("%Y", time.gmtime())
    # The good checksum is kept: the next pass says the same, never takes the rot as good.
    music_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    music_script("process_verify_batch.py", *args)
    assert _codes(home, "Band/Wav") == ["audio-changed"]


def test_accept_changed_takes_a_rewritten_file_at_once_and_never_bit_rot(music_script, tmp_path):
    """--accept-changed takes the new audio of a file a program rewrote (its time moved) as
    good in the same pass, nothing asked (it was recorded yet still asked as "the disk changed
    it"); a file whose audio changed under an unchanged time is bit rot, which no flag over a
    whole batch blesses: asked, its old checksum kept, until a person decides it. A file
    rewritten and left damaged is not accepted, nor told to run --accept-changed (it was,
    again after the run it advised)."""
    lib, home = _library(tmp_path / "lib"), tmp_path / "home"
    synth.tone(EXE, lib / "Band" / "Cut" / "01.flac", 3.0)
    args = ("--home", home, "--library", lib)
    assert music_script("process_verify_batch.py", *args).returncode == 1  # Other/Rotten
    damage.cut(lib / "Band" / "Cut" / "01.flac", keep=0.6)  # its time moved, as a rewrite's
    synth.tone(EXE, lib / "Band" / "Whole" / "01.flac", 3.0, frequency=900)  # re-encoded
    wav = lib / "Band" / "Wav" / "01.wav"
    st = wav.stat()
    damage.flip_bytes(wav, at=0.6, count=4)
    os.utime(wav, ns=(st.st_atime_ns, st.st_mtime_ns))
    for flags in (("--accept-changed",), ()):  # the second pass: what the first recorded
        music_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
        music_script("process_verify_batch.py", *args, *flags)
        assert _codes(home, "Band/Whole") == [], flags
        assert _codes(home, "Band/Wav") == ["audio-changed"], flags
        [cut] = _document(home, "Band/Cut")["findings"]
        assert "a program rewrote it since" in cut["message"], cut
        assert "--accept-changed" not in cut["message"], cut


@pytest.mark.skipif(not flactest.find(), reason="Debian's flac is missing (make test installs it)")
def test_without_the_analysis_flacs_are_checked_by_flac_t_and_damage_told_as_ever(
    music_script, tmp_path, monkeypatch
):
    """A pass without the analysis checks a FLAC with an MD5 by `flac -t`: with no ffmpeg
    that can run (``false``), the whole FLACs still verify whole, with the checksum a decode
    records; a FLAC `flac -t` fails is then decoded by ffmpeg and told as ever."""
    lib, home = _library(tmp_path / "lib"), tmp_path / "home"
    monkeypatch.setenv("MEDIAKEEPER_VERIFY_ANALYSE", "false")
    monkeypatch.setenv("MEDIAKEEPER_FFMPEG_PATH", shutil.which("false"))
    args = ("process_verify_batch.py", "--home", home, "--library", lib)
    whole = music_script(*args, "--album", "Band/Whole")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert _queue(home)["Band/Whole"]["status"] == "completed"
    files = _document(home, "Band/Whole")["files"]
    assert [(f["file"], f["damaged"], f["findings"]) for f in files] == [
        ("01.flac", False, []), ("02.flac", False, [])]
    flacs = [lib / "Band" / "Whole" / f["file"] for f in files]
    assert [f["checksum"] for f in files] == [
        integrity.SAMPLES + integrity.read_header(p).md5 for p in flacs]
    monkeypatch.delenv("MEDIAKEEPER_FFMPEG_PATH")
    rotten = music_script(*args, "--album", "Other/Rotten")
    assert rotten.returncode == 1, rotten.stdout + rotten.stderr  # its damage: a decision
    assert _codes(home, "Other/Rotten") == ["audio-md5-mismatch"]
    assert "at 0:09." in _document(home, "Other/Rotten")["findings"][0]["message"]


@pytest.mark.skipif(not flactest.find(), reason="Debian's flac is missing (make test installs it)")
def test_the_sound_is_analysed_once_and_its_findings_told_on_every_later_pass(
    music_script, tmp_path, monkeypatch
):
    """The analysis measures a file the first time it is found good; later passes take the
    measures kept with its checksum (the same info findings) and check it by `flac -t`: with
    no ffmpeg that can run, the second pass still says the same."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    loud = lib / "Loud" / "01.flac"
    loud.parent.mkdir(parents=True)
    made = ffmpeg.run(EXE, ["-f", "lavfi", "-i", "sine=frequency=440:duration=5,volume=20",
                            "-y", str(loud)])  # fmt: skip
    assert made.returncode == 0, made.error
    args = ("process_verify_batch.py", "--home", home, "--library", lib)
    first = music_script(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _codes(home, "Loud") == ["clipping"]
    message = _document(home, "Loud")["findings"][0]["message"]
    assert music_script("verify_queue_manager.py", "--home", home, "--reset-all",
                        "--yes").returncode == 0  # fmt: skip
    monkeypatch.setenv("MEDIAKEEPER_FFMPEG_PATH", shutil.which("false"))
    again = music_script(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    [clipping] = _document(home, "Loud")["findings"]
    assert (clipping["code"], clipping["message"]) == ("clipping", message)


def test_refresh_requeues_only_the_albums_whose_files_changed(music_script, tmp_path):
    lib, home = _library(tmp_path / "lib"), tmp_path / "home"
    batch = music_script("process_verify_batch.py", "--home", home, "--library", lib)
    assert batch.returncode == 1, batch.stdout  # Other/Rotten's damage waits for a decision
    tags.write(lib / "Band" / "Whole" / "02.flac", {"title": "New title"})
    refresh = music_script("verify_queue_manager.py", "--home", home, "--refresh",
                           "--library", lib)  # fmt: skip
    assert refresh.returncode == 0, refresh.stderr
    assert {k: i["status"] for k, i in _queue(home).items()} == {
        "Band/Whole": "pending", "Band/Wav": "completed", "Other/Rotten": "completed"}


def test_a_kill_mid_album_resumes_without_checking_a_done_file_again(
    music_popen, music_script, tmp_path
):
    lib, home = tmp_path / "lib", tmp_path / "home"
    album = lib / "Long"
    for n in range(1, 9):
        _noise(album / f"{n:02}.flac", 30.0, seed=n)
    proc = music_popen("--home", home, "--library", lib, "--workers", 1,
                       script="process_verify_batch.py")  # fmt: skip
    checked = home / "status" / "verify" / "work"
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".checked.jsonl") and p.read_text().count("\n") >= 1
                  for p in (checked.glob("*") if checked.is_dir() else ())):  # fmt: skip
        assert proc.poll() is None and time.monotonic() < deadline, "the album ended unkilled"
        time.sleep(0.005)
    proc.kill()
    proc.communicate(timeout=60)
    [log] = checked.glob("*.checked.jsonl")
    done = [json.loads(line)["name"] for line in log.read_text().split("\n")[:-1]]  # whole
    assert 1 <= len(done) < 8
    # A file already checked is not decoded again: damaged now, it is still told from its
    # record; one not checked yet is decoded on resume and its damage found.
    damage.flip_bytes(album / done[0])
    undone = next(f"{n:02}.flac" for n in range(8, 0, -1) if f"{n:02}.flac" not in done)
    damage.flip_bytes(album / undone)
    resumed = music_script("process_verify_batch.py", "--home", home)
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr  # damage: a decision
    document = _document(home, "Long")
    assert [f["file"] for f in document["files"]] == [f"{n:02}.flac" for n in range(1, 9)]
    assert {f["path"] for f in document["findings"]} == {undone}
    assert not log.exists()


def test_a_torn_last_line_of_the_checked_files_is_checked_again(music_script, tmp_path):
    """A kill in the middle of writing a file's result leaves half a line: that file is
    checked again, the whole lines before it are not."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    for n in (1, 2, 3):
        synth.tone(EXE, lib / "Album" / f"0{n}.flac", 2.0)
    init = music_script("verify_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0
    # A batch that claimed the album and recorded one whole line and a torn one, then died:
    # its claim is stale, its token kept, and these lines are its.
    data = json.loads((home / "status" / "verify" / "processing_queue.json").read_text())
    [item] = data["items"]
    item.update(status="in_progress", run_token="t-1", claimed_by={
        "host": os.uname().nodename, "pid": 2**22 + 7, "pid_start": 1, "session": "s",
        "at": "2026-01-01T00:00:00+00:00", "was": "pending"})  # fmt: skip
    (home / "status" / "verify" / "processing_queue.json").write_text(json.dumps(data))
    log = home / "status" / "verify" / "work" / f"{slugify('Album')}.checked.jsonl"
    log.parent.mkdir(parents=True)
    whole = {"token": "t-1", "name": "01.flac", "mtime_ns": 0, "size": 0, "check": {
        "path": "01.flac", "decodes": True, "seconds": 2.0, "header": {"seconds": 2.0},
        "errors": ["a result from before the kill"], "silences": [], "levels": {}}}  # fmt: skip
    log.write_text(json.dumps(whole) + "\n" + '{"token": "t-1", "name": "02.fl')
    result = music_script("process_verify_batch.py", "--home", home)
    assert result.returncode == 1, result.stdout + result.stderr  # its finding: a decision
    [found] = _document(home, "Album")["findings"]
    assert (found["path"], found["code"]) == ("01.flac", "decode-error")  # from its record
    assert "a result from before the kill" in found["message"]


def test_a_finding_accepted_as_is_stays_counted_resolved_when_its_album_is_checked_again(
    music_script, tmp_path
):
    """The verify batch counted 0 resolved whatever it found settled: an album whose damaged
    file was accepted as is showed FIXED 1, and 0 again once checked again (its finding
    still closed by the acceptance, no decision open), its summary "findings 1 · resolved
    0". The counter is the findings resolved among those found, as every kind counts it."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    damage.flip_bytes(synth.tone(EXE, lib / "Other" / "Rotten" / "01 Rot.flac", 5.0))
    first = music_script("process_verify_batch.py", "--home", home, "--library", lib)
    assert first.returncode == 1 and "findings 1 · resolved 0" in first.stdout, first.stdout
    took = decide(home, "verify", "Other/Rotten", "--choose", "1")
    assert took.returncode == 0 and "accepted as is" in took.stdout, took.stdout + took.stderr
    assert _queue(home)["Other/Rotten"]["issues_resolved"] == 1
    reset = music_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    again = music_script("process_verify_batch.py", "--home", home)
    assert again.returncode == 0, again.stdout + again.stderr  # nothing left to decide
    assert "findings 1 · resolved 1" in again.stdout, again.stdout
    item = _queue(home)["Other/Rotten"]
    assert (item["issues_found"], item["issues_resolved"]) == (1, 1), item
