"""A copy cut short is told in every format, with how much of it is missing, by what the
file's own headers promise (issue 63): real files made by ffmpeg (a DSF written by hand:
ffmpeg has no DSD encoder), cut to 60 % of their bytes as ``head -c`` cuts them, checked by
the real integrity decode and by the real verify batch; the whole ones, and the silence
templates that decode, are never taken for cut."""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from mutagen.apev2 import APEv2
from mutagen.id3 import TIT2
from mutagen.mp3 import MP3

from mediakeeper.demo import damage
from mediakeeper.media import convert, ffmpeg, integrity, promised
from mediakeeper.text.slug import slugify
from mediakeeper.verify import rules

EXE = ffmpeg.find()
DATA = Path(integrity.__file__).resolve().parents[1] / "data"
SECONDS = 10.0

# name: the encoder's arguments (the format follows the extension)
FORMATS = {
    "vbr.mp3": ("-c:a", "libmp3lame", "-q:a", "2"),  # a LAME/Xing header counts its frames
    "cbr.mp3": ("-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"),  # no header
    "aac.m4a": ("-c:a", "aac"),  # its moov after the audio: cut off with it
    "faststart.m4a": ("-c:a", "aac", "-movflags", "+faststart"),  # its moov first
    "alac.m4a": ("-c:a", "alac"),
    "vorbis.ogg": ("-c:a", "libvorbis"),
    "opus.opus": ("-c:a", "libopus"),
    "flac.flac": (),
    "wav.wav": (),
    "aiff.aiff": (),
    "wavpack.wv": (),
    "tta.tta": (),
}


def _made(dest: Path, codec: tuple[str, ...] = ()) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.suffix == ".dsf":
        return _dsf(dest, SECONDS)
    source = f"sine=frequency=440:duration={SECONDS:g}"
    run = ffmpeg.run(EXE, ["-f", "lavfi", "-i", source, "-ac", "2", *codec, "-y", str(dest)])
    assert run.returncode == 0, run.error
    return dest


def _dsf(dest: Path, seconds: float, rate: int = 2_822_400, block: int = 4096) -> Path:
    """A stereo DSF (DSD64) of ``seconds`` of DSD silence: its DSD, fmt and data chunks as
    the format's specification lays them out, each channel in blocks of ``block`` bytes."""
    samples = int(seconds * rate)
    per_channel = math.ceil(samples / 8 / block) * block
    data = b"\x69" * (per_channel * 2)  # 0x69: the DSD silence pattern
    fmt = struct.pack("<4sQIIIIIIQII", b"fmt ", 52, 1, 0, 2, 2, rate, 1, samples, block, 0)
    body = struct.pack("<4sQ", b"data", 12 + len(data)) + data
    head = struct.pack("<4sQQQ", b"DSD ", 28, 28 + len(fmt) + len(body), 0)
    dest.write_bytes(head + fmt + body)
    return dest


def _cut(path: Path) -> Path:
    """``head -c`` 60 % of the file's bytes: a copy or a download cut short."""
    return damage.cut(path, keep=0.6)


ALL = [*FORMATS, "dsd.dsf"]
UNCOUNTED = {"cbr.mp3", "vorbis.ogg", "opus.opus"}


@pytest.mark.parametrize("name", ALL)
def test_a_file_cut_to_60_percent_is_damaged_and_says_how_much_is_missing(tmp_path, name):
    path = _cut(_made(tmp_path / name, FORMATS.get(name, ())))
    found = integrity.check(EXE, path, analyse=False)
    assert found.damaged and found.harmed, found
    said = found.why()
    assert "missing" in said, said
    # An Ogg holds no total (its length is its last page's), nor does an MP3 without a
    # Xing header: they say they are cut, and that how much their headers do not say.
    if name in UNCOUNTED:
        assert "how much is missing its headers do not say" in said \
            or "how much more is missing" in said, said  # fmt: skip
    else:
        assert "s of its" in said or "bytes missing" in said, said  # how much, in figures
    if found.header.exact and found.decodes and name not in UNCOUNTED:
        assert found.missing_seconds > 0.3 * SECONDS, said


@pytest.mark.parametrize("name", ALL)
def test_the_same_file_whole_is_whole(tmp_path, name):
    found = integrity.check(EXE, _made(tmp_path / name, FORMATS.get(name, ())), analyse=False)
    assert not found.damaged, found.why()
    assert found.missing_seconds == 0 and found.header.missing_bytes == 0, found


def test_the_cut_mp3_of_the_issue_says_its_xing_header_and_both_amounts(tmp_path):
    """The issue's file: a LAME/Xing header says 10 s, the 60 % left decodes to 6 s."""
    path = _cut(_made(tmp_path / "cut.mp3", FORMATS["vbr.mp3"]))
    found = integrity.check(EXE, path, analyse=False)
    assert found.header.by == "its LAME/Xing header" and found.header.seconds == SECONDS
    assert abs(found.seconds - 0.6 * SECONDS) < 0.2, found
    whole = found.header.end
    assert found.header.missing_bytes == whole - path.stat().st_size > 0.35 * whole
    assert f"of its {SECONDS:.2f} s ({found.header.missing_bytes:,} of its {whole:,} bytes) " \
           "missing" in found.why(), found.why()  # fmt: skip


def test_an_mp3_without_a_xing_header_is_told_by_its_last_frame_cut_short(tmp_path):
    path = _cut(_made(tmp_path / "cbr.mp3", FORMATS["cbr.mp3"]))
    found = integrity.check(EXE, path, analyse=False)
    assert found.header.cut.startswith("its last MPEG frame is cut short ("), found.header
    assert found.truncated and "cut short at 0:06.0" in found.why(), found.why()


@pytest.mark.parametrize("name", ["vbr.mp3", "cbr.mp3"])
def test_an_mp3_tagged_at_both_ends_is_whole_and_cut_still_says_so(tmp_path, name):
    """A large ID3v2 tag before the frames, ID3v1 and APEv2 tags after them: the frames
    are found and walked between them."""
    path = _made(tmp_path / name, FORMATS[name])
    audio = MP3(path)
    audio.tags.add(TIT2(text=["A title " * 1000]))
    audio.save(v1=2)
    ape = APEv2()
    ape["Title"] = "A title"
    ape.save(path)
    assert path.read_bytes()[-32:-24] == b"APETAGEX"
    assert not integrity.check(EXE, path, analyse=False).damaged
    found = integrity.check(EXE, _cut(path), analyse=False)
    assert found.truncated and "missing" in found.why(), found.why()


# The templates that hold no audio at all (a header alone, for the tag tests): they do not
# decode, whole as they are, and say so as ever.
STUBS = {"silence.ape", "silence.dff", "silence.dsf", "silence.mpc", "silence.ofr",
         "silence.spx", "silence.tak"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("silence*")
                                        if p.name not in STUBS))  # fmt: skip
def test_no_silence_template_that_decodes_is_taken_for_cut(name):
    found = integrity.check(EXE, DATA / name, analyse=False)
    assert not found.damaged, found.why()
    assert found.header.missing_bytes == 0 and not found.header.cut, found.header


def test_a_wav_written_to_a_pipe_whose_sizes_say_unknown_is_whole(tmp_path):
    """ffmpeg writing a WAV to a pipe cannot go back to write its sizes: its data chunk
    says all ones (about 13 hours), which counts nothing."""
    path = tmp_path / "piped.wav"
    with open(path, "wb") as out:
        made = subprocess.run([EXE, "-v", "error", "-f", "lavfi", "-i", "sine=d=3", "-f", "wav",
                               "-"], stdout=out, check=False)  # fmt: skip
    assert made.returncode == 0
    found = integrity.check(EXE, path, analyse=False)
    assert not found.header.exact and not found.damaged, found.why()


def test_a_monkeys_audio_header_counts_its_bytes_and_a_cut_one_says_how_many_are_gone(tmp_path):
    """Monkey's Audio has no encoder here: its template (a descriptor and a header, no
    frames) is cut with ``head -c``; the descriptor's counts say what is gone."""
    path = tmp_path / "cut.ape"
    shutil.copy(DATA / "silence.ape", path)
    whole = integrity.read_header(path)
    assert whole.end == path.stat().st_size and whole.missing_bytes == 0
    path.write_bytes(path.read_bytes()[:60])
    assert integrity.read_header(path).missing_bytes == 16
    assert promised.read(path, None).end == whole.end


def test_a_tag_removed_from_an_mp3_whose_xing_header_counted_it_is_no_cut(tmp_path):
    """Bytes alone are not a cut where the frames are counted: a Xing header that counted
    an ID3v1 tag a tagger removed since (LAME does) decodes to all its frames."""
    path = _made(tmp_path / "tagged.mp3", FORMATS["vbr.mp3"])
    data = bytearray(path.read_bytes())
    at = data.find(b"Xing") + 12  # frames and bytes counted: the byte count after the frames
    data[at : at + 4] = (int.from_bytes(data[at : at + 4], "big") + 128).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    found = integrity.check(EXE, path, analyse=False)
    assert found.header.missing_bytes == 128 and not found.damaged, found.why()


# -- the verify batch ---------------------------------------------------------------------

VISIBLE = ALL  # every format verify checks: True Audio and DSD (DSF) among them


def test_the_verify_batch_reports_every_cut_file_with_how_much_is_missing(
    music_script, tmp_path
):
    lib, home = tmp_path / "lib", tmp_path / "home"
    for name in VISIBLE:
        _made(lib / "Band" / "Whole" / name, FORMATS.get(name, ()))
        _cut(_made(lib / "Band" / "Cut" / name, FORMATS.get(name, ())))
    result = music_script("process_verify_batch.py", "--home", home, "--library", lib,
                          "--batch-size", "5")  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr  # the damage: decisions
    whole, cut = _document(home, "Band/Whole"), _document(home, "Band/Cut")
    assert whole["findings"] == []
    assert all(f["decoded_in_full"] and not f["damaged"] for f in whole["files"]), whole
    assert {f["file"] for f in cut["files"] if f["damaged"]} == set(VISIBLE)
    assert not any(f["decoded_in_full"] for f in cut["files"])
    told = {f["path"]: f for f in cut["findings"]}
    assert [f["path"] for f in cut["findings"]] == sorted(told) == sorted(VISIBLE)  # one each
    # Each says how much is missing where its headers count it (a FLAC's frames stop).
    assert all("missing" in f["message"] for f in told.values()), told
    assert all(f["code"] in ("decode-error", "truncated-audio") for f in told.values()), told
    mp3 = told["vbr.mp3"]
    assert mp3["code"] == "truncated-audio" and mp3["details"]["missing_seconds"] > 3.5, mp3
    assert "its LAME/Xing header says 10.00 s" in mp3["message"]
    report = (home / "issues" / "verify" / f"{cut['slug']}.md").read_text()
    assert "Every file is whole" not in report and "0 decoded in full" in report
    assert f"{len(VISIBLE)} not decoded in full" in report
    assert f"{len(VISIBLE)} decoded in full" in _report(home, whole)


def test_a_report_says_decoded_in_full_only_of_the_files_it_decoded(
    music_script, tmp_path, monkeypatch
):
    """A later pass compares unchanged files by their audio bytes: its report says so."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    for name in ("01.flac", "02.mp3"):
        _made(lib / "Album" / name)
    monkeypatch.setenv("MEDIAKEEPER_VERIFY_ANALYSE", "false")
    args = ("process_verify_batch.py", "--home", home, "--library", lib)
    assert music_script(*args).returncode == 0
    assert "2 decoded in full." in _report(home, _document(home, "Album"))
    music_script("verify_queue_manager.py", "--home", home, "--reset-all", "--yes")
    assert music_script(*args).returncode == 0
    again = _document(home, "Album")
    assert not any(f["decoded"] or f["decoded_in_full"] for f in again["files"]), again
    said = _report(home, again)
    assert "0 decoded in full, 2 compared by their audio bytes" in said, said


def test_an_empty_file_and_one_that_is_not_audio_are_said_so_not_in_ffmpegs_words(
    music_script, tmp_path
):
    """An empty .flac and a text file named .mp3 said "does not decode at 0:00.000: sample
    rate not set" (or "Failed to read frame size"): a place in a decode and words of
    ffmpeg's, where the file holds nothing, or nothing that is audio."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    _made(lib / "Album" / "01 Whole.flac")
    (lib / "Album" / "02 Empty.flac").write_bytes(b"")
    (lib / "Album" / "03 Text.mp3").write_text("a shopping list, not a song\n" * 50)
    result = music_script("process_verify_batch.py", "--home", home, "--library", lib)
    assert result.returncode == 1, result.stdout + result.stderr
    told = {f["path"]: f["message"] for f in _document(home, "Album")["findings"]}
    assert told["02 Empty.flac"] == "is empty (0 bytes): there is no audio in it", told
    assert told["03 Text.mp3"].startswith(
        "holds no audio: its bytes are not MP3 audio, or are damaged from the first (ffmpeg: "
    ), told
    assert "01 Whole.flac" not in told


def _document(home: Path, key: str) -> dict:
    return json.loads((home / "outputs" / "verify" / f"{slugify(key)}.json").read_text())


def _report(home: Path, document: dict) -> str:
    return (home / "issues" / "verify" / f"{document['slug']}.md").read_text()


def test_a_flac_cut_short_is_named_cut_short_by_verify_and_by_a_conversion_alike(tmp_path):
    """The demo's FLAC cut in half was `truncated-audio` in verify ("the cut is its one
    damage": its MD5 cannot match) but "its decoded audio's MD5 ... the audio changed since
    it was encoded" when a conversion refused it: one file, one name for its damage."""
    path = _made(tmp_path / "03 Cut.flac")
    data = path.read_bytes()  # cut where a frame starts, as the demo's cut falls: no frame
    path.write_bytes(data[: data.index(b"\xff\xf8", len(data) // 2)])  # left half-read
    found = integrity.check(EXE, path, analyse=False)
    assert found.md5_mismatch and found.truncated and not found.errors, found
    assert [f.code for f in rules.damage(path.name, found)] == ["truncated-audio"]
    with pytest.raises(convert.DamagedSource) as refused:
        convert.verify_source(EXE, path)
    said = refused.value.message
    assert said == f"03 Cut.flac: {found.cut_short()}; replace it from a good copy", said
    assert "MD5" not in said and "cut short at" in said


@pytest.mark.parametrize("exe", [EXE, ffmpeg.bundled()], ids=["system", "wheel"])
def test_a_flac_cut_inside_a_frame_is_truncated_audio_alone(tmp_path, exe):
    """Cut where no frame starts, as a copy that stopped part-way cuts it: ffmpeg 5.1 meets
    an error at the cut ("invalid residual"), and the file was a `decode-error` ("does not
    decode at 0:09.752") where its frames show it cut short: `truncated-audio` alone, as
    one cut where a frame starts is, saying where and how much is missing."""
    path = _made(tmp_path / "03 Cut.flac")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.65)])
    found = integrity.check(exe, path, analyse=False)
    assert found.header.cut, found  # its frames stop before its last
    [told] = rules.damage(path.name, found)
    assert told.code == "truncated-audio", told
    assert "cut short at" in told.message and "missing" in told.message, told.message
    with pytest.raises(convert.DamagedSource) as refused:  # a conversion names it alike
        convert.verify_source(exe, path)
    assert refused.value.message == f"03 Cut.flac: {told.message}; replace it from a good copy"
