"""Every file the toolkit writes tells the truth in its own header (issue 63, point 2): a
FLAC's STREAMINFO total samples and MD5, any other format's length, checked against what the
file decodes to before it is placed; the split step's FLAC parts, with both ffmpegs, read
back by ``flac -t``, mutagen and ffprobe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.flac import FLAC

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg, headers
from mediakeeper.media.convert import PROFILES, ConvertFailed, convert
from mediakeeper.pipelines.steps.registry import Context
from mediakeeper.pipelines.steps.split import run_split

STREAMINFO_SAMPLES = 8 + 13  # the byte where STREAMINFO's 36-bit total samples begins


def flac_tool() -> str:
    found = shutil.which("flac")
    if found is None:
        pytest.skip("no flac: `make flac` installs Debian's")
    return found


def ffprobe() -> str:
    found = shutil.which("ffprobe")
    if found is None:
        pytest.skip("no ffprobe: `make readers` installs Debian's ffmpeg package")
    return found


def set_total_samples(path: Path, total: int) -> None:
    data = bytearray(path.read_bytes())
    at = STREAMINFO_SAMPLES
    data[at] = (data[at] & 0xF0) | (total >> 32)
    data[at + 1 : at + 5] = (total & 0xFFFFFFFF).to_bytes(4, "big")
    path.write_bytes(bytes(data))


def raw(exe: str, path: Path, fmt: str = "s24le") -> bytes:
    return subprocess.run([exe, "-v", "error", "-i", os.fspath(path), "-f", fmt, "-"],
                          capture_output=True, check=True).stdout  # fmt: skip


def split_fixed(exe: str, tmp_path: Path, source: Path, seconds: float) -> list[Path]:
    out = tmp_path / "out"
    out.mkdir()
    result = run_split(Context(exe), source.parent, out, {"mode": "fixed", "seconds": seconds})
    return [out / name for name in result["parts"][source.name]]


def test_a_flac_whose_header_tells_the_truth_passes(any_ffmpeg, tmp_path):
    made = synth.tone(any_ffmpeg, tmp_path / "a.flac", 2.0)
    assert headers.decoded_truly(any_ffmpeg, made) == 2.0


def test_a_flac_whose_streaminfo_miscounts_its_samples_is_refused(any_ffmpeg, tmp_path):
    made = synth.tone(any_ffmpeg, tmp_path / "a.flac", 2.0)
    set_total_samples(made, 88_200 - 100)  # its MD5 still the samples' (flac -t passes it)
    with pytest.raises(headers.UntrueHeader, match=r"88100 samples .* decodes to 88200"):
        headers.decoded_truly(any_ffmpeg, made)


def test_a_flac_without_its_samples_md5_is_refused(any_ffmpeg, tmp_path):
    made = synth.tone(any_ffmpeg, tmp_path / "a.flac", 1.0)
    audio = FLAC(made)
    data = bytearray(made.read_bytes())
    data[8 + 18 : 8 + 34] = bytes(16)  # STREAMINFO's MD5 left unset
    made.write_bytes(bytes(data))
    assert FLAC(made).info.md5_signature == 0 != audio.info.md5_signature
    with pytest.raises(headers.UntrueHeader, match="MD5 is not set"):
        headers.decoded_truly(any_ffmpeg, made)


def test_an_mp4_whose_duration_is_not_its_audio_is_refused(any_ffmpeg, tmp_path):
    made = synth.tone(any_ffmpeg, tmp_path / "a.m4a", 1.0)
    data = made.read_bytes()
    at = data.index(b"mdhd") + 4  # version 0: flags, created, modified, timescale, duration
    scale = int.from_bytes(data[at + 12 : at + 16], "big")
    made.write_bytes(data[: at + 16] + (3 * scale).to_bytes(4, "big") + data[at + 20 :])
    with pytest.raises(headers.UntrueHeader, match=r"says 3\.000 s, it decodes to 1\.0"):
        headers.decoded_truly(any_ffmpeg, made)


@pytest.mark.parametrize("layout", [["-ac", "1"], ["-ac", "2"], ["-ac", "2", "-ar", "22050"]])
def test_an_mp3_whose_xing_header_miscounts_its_frames_by_one_is_refused(any_ffmpeg, tmp_path,
                                                                        layout):  # fmt: skip
    made = synth.tone(any_ffmpeg, tmp_path / "a.mp3", 3.0)
    made = ffmpeg.run(any_ffmpeg, ["-i", os.fspath(made), *layout, "-y",
                                   os.fspath(tmp_path / "b.mp3")])  # fmt: skip
    assert made.returncode == 0, made.last_error
    path = tmp_path / "b.mp3"
    assert headers.decoded_truly(any_ffmpeg, path) == pytest.approx(3.0, abs=0.01)
    data = bytearray(path.read_bytes())
    at = max(data.find(b"Xing"), data.find(b"Info")) + 8
    frames = int.from_bytes(data[at : at + 4], "big")
    data[at : at + 4] = (frames + 1).to_bytes(4, "big")  # 26 ms more: within any tolerance
    path.write_bytes(bytes(data))
    with pytest.raises(headers.UntrueHeader, match=f"counts {frames + 1} frames, it holds "
                                                   f"{frames}"):  # fmt: skip
        headers.decoded_truly(any_ffmpeg, path)


@pytest.mark.parametrize("sample_fmt", ["s16", "s32"])
def test_split_flac_parts_say_their_own_length_and_md5(any_ffmpeg, tmp_path, sample_fmt):
    source = tmp_path / "in" / "talk.flac"
    source.parent.mkdir()
    made = ffmpeg.run(any_ffmpeg, ["-f", "lavfi", "-i", "sine=d=3:sample_rate=48000", "-ac", "2",
                                   "-sample_fmt", sample_fmt, "-y", os.fspath(source)])
    assert made.returncode == 0, made.last_error
    parts = split_fixed(any_ffmpeg, tmp_path, source, 1.37)
    flac = flac_tool()
    counts = []
    for part in parts:
        info = FLAC(part).info
        assert info.bits_per_sample == (16 if sample_fmt == "s16" else 24)
        subprocess.run([flac, "--test", "--silent", os.fspath(part)], check=True)  # MD5 too
        probed = json.loads(subprocess.run(
            [ffprobe(), "-v", "error", "-show_streams", "-of", "json", os.fspath(part)],
            capture_output=True, text=True, check=True).stdout)["streams"][0]  # fmt: skip
        assert int(probed["duration_ts"]) == info.total_samples
        counts.append(info.total_samples)
    assert counts == [65_760, 65_760, 12_480]  # 1.37 s at 48 kHz, twice, and the rest
    # The parts hold the file's samples, each once, in order.
    assert b"".join(raw(any_ffmpeg, p) for p in parts) == raw(any_ffmpeg, source)


def untrue_ffmpeg(real: str, folder: Path) -> str:
    """An ffmpeg that writes a FLAC whose STREAMINFO counts a second more than it holds:
    the real one, then the count of the FLAC it wrote under a temporary name raised."""
    script = folder / "ffmpeg"
    script.write_text(f"""#!{sys.executable}
import subprocess, sys
code = subprocess.call([{real!r}, *sys.argv[1:]])
arg = sys.argv[sys.argv.index("-y") + 1] if "-y" in sys.argv else ""
if code == 0 and arg.endswith(".flac") and ".mediakeeper-partial-" in arg:
    data = bytearray(open(arg, "rb").read())
    at = {STREAMINFO_SAMPLES}
    total = (((data[at] & 0x0F) << 32) | int.from_bytes(data[at + 1 : at + 5], "big"))
    total += 44_100
    data[at] = (data[at] & 0xF0) | (total >> 32)
    data[at + 1 : at + 5] = (total & 0xFFFFFFFF).to_bytes(4, "big")
    open(arg, "wb").write(bytes(data))
sys.exit(code)
""")
    script.chmod(0o755)
    return os.fspath(script)


def test_a_conversion_whose_output_header_lies_is_never_placed(any_ffmpeg, tmp_path):
    source = synth.tone(any_ffmpeg, tmp_path / "in" / "01.wav", 2.0)
    output = tmp_path / "out" / "01.flac"
    output.parent.mkdir()
    with pytest.raises(ConvertFailed, match=r"STREAMINFO says 132300 samples"):
        convert(untrue_ffmpeg(any_ffmpeg, tmp_path), source, output, PROFILES["flac"])
    assert list(output.parent.iterdir()) == []
