"""A FLAC whose STREAMINFO holds no MD5 (``flac --no-md5-sum``, a stream written by a
program that could not seek back) has only its frames' CRCs and its sample count to tell
damage by. Real files made by ffmpeg, one bit changed where a bad sector or a bad copy
changes it; converted by the real ``convert`` and by the real batch script: the damage is
refused, naming the file, and no output is shipped (a FLAC re-encoded from damaged audio
would carry a fresh MD5 of the damage: laundered, never to be found again)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import imageio_ffmpeg
import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg, integrity
from mediakeeper.media.convert import PROFILES, DamagedSource, convert
from mediakeeper.media.flac_tail import _frame_number

EXE = ffmpeg.find()
MD5_AT = slice(26, 42)  # "fLaC", the STREAMINFO block's header, 18 bytes of fields, its MD5


def _without_md5(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[MD5_AT] = bytes(16)
    path.write_bytes(data)
    assert integrity.read_header(path).md5 == ""
    return path


def _frames(data: bytes) -> list[int]:
    """Where each frame header is (its sync code and its CRC-8 right)."""
    return [i for i in range(len(data) - 6)
            if data[i] == 0xFF and _frame_number(data, i) is not None]  # fmt: skip


def _flac(folder: Path, name: str = "01 Song.flac") -> Path:
    return _without_md5(synth.tone(EXE, folder / name, 3.0))


def _rotted(path: Path) -> Path:
    """One bit of a middle frame's last residual byte changed: the frame still parses and
    decodes to the right length, only its CRC-16 tells."""
    data = bytearray(path.read_bytes())
    frames = _frames(data)
    next_frame = frames[len(frames) // 2 + 1]
    data[next_frame - 3] ^= 0x01  # before the frame's 2-byte CRC-16 footer
    path.write_bytes(data)
    return path


def _last_frame_damaged(path: Path) -> Path:
    """One bit of the last frame's header changed (its CRC-8 fails): a decoder skips that
    frame as noise, and the decode ends a fraction of a second early, without an error."""
    data = bytearray(path.read_bytes())
    data[_frames(data)[-1] + 4] ^= 0x01  # its frame number
    path.write_bytes(data)
    return path


DAMAGES = {"a frame whose CRC-16 fails": _rotted, "its last frame's header": _last_frame_damaged}


def test_a_whole_flac_without_md5_converts(tmp_path):
    source = _flac(tmp_path / "src")
    output = tmp_path / "01 Song.flac"
    assert not integrity.check(EXE, source, analyse=False).damaged
    assert convert(EXE, source, output, PROFILES["flac"]).action == "encoded"


@pytest.mark.parametrize("damage", DAMAGES)
def test_damage_in_a_flac_without_md5_is_found_and_never_converted(tmp_path, damage):
    source = DAMAGES[damage](_flac(tmp_path / "src"))
    found = integrity.check(EXE, source, analyse=False)  # as verify reads it
    assert found.damaged, found
    output = tmp_path / "out" / "01 Song.flac"
    output.parent.mkdir()
    with pytest.raises(DamagedSource) as refused:
        convert(EXE, source, output, PROFILES["flac"])
    assert refused.value.message.startswith("01 Song.flac: ")
    assert refused.value.message.endswith("replace it from a good copy")
    assert list(output.parent.iterdir()) == []


@pytest.mark.parametrize("exe", [EXE, imageio_ffmpeg.get_ffmpeg_exe()], ids=["system", "wheel"])
def test_a_frame_s_crc_error_is_said_at_its_time_not_at_ffmpeg_s_timestamp(tmp_path, exe):
    """ffmpeg says where the frame was in its stream's time base ("CRC error at PTS 64512"),
    and ffmpeg 9 at none ("at PTS -9223372036854775808"): the check says the time."""
    found = integrity.check(exe, _rotted(_flac(tmp_path)), analyse=False)
    assert found.why() == "does not decode at 0:01.463: CRC error", found


def _bad_sector(path: Path) -> tuple[Path, float]:
    """2,000 bytes inside it overwritten (a bad sector, a bad copy): ffmpeg's parser passes
    over the frames there without an error, and the decode comes out short, as a file cut
    short at its end would. Also where the first frame it hits begins, seconds."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    first_hit = max(f for f in _frames(data) if f <= middle)
    block, rate = int.from_bytes(data[8:10], "big"), int.from_bytes(data[18:21], "big") >> 4
    data[middle : middle + 2000] = b"\x55" * 2000
    path.write_bytes(data)
    return path, _frame_number(data, first_hit) * block / rate


@pytest.mark.parametrize("exe", [EXE, imageio_ffmpeg.get_ffmpeg_exe()], ids=["system", "wheel"])
def test_frames_lost_inside_a_flac_are_said_where_they_begin_not_as_a_cut_end(tmp_path, exe):
    """Its end is whole: what is missing is inside it, where ffmpeg 5.1 said no error (it
    was said "cut short at 0:02.79"; ffmpeg 9 finds a frame there it cannot decode)."""
    source, hit = _bad_sector(synth.tone(EXE, tmp_path / "02 Rot.flac", 3.0))
    found = integrity.check(exe, source, analyse=False)
    assert found.why().startswith(f"does not decode at {integrity._clock(found.error_at)}: "
                                  ), found.why()  # fmt: skip
    assert "cut short" not in found.why()
    # Where the decode loses its audio: ffmpeg 9 at the frame hit; 5.1's parser, thrown off,
    # drops a few whole frames before it too (0:00.836 to 0:01.358 around a hit at 0:01.149).
    assert hit - 0.5 <= found.error_at <= hit + 0.2, (hit, found.error_at)


def test_a_rotted_flac_without_md5_fails_its_album_in_a_batch(tmp_path, music_script):
    library, out, home = tmp_path / "lib", tmp_path / "out", tmp_path / "home"
    _rotted(_flac(library / "Artist" / "Album", "02 Rot.flac"))
    _flac(library / "Artist" / "Album", "01 Whole.flac")
    made = music_script("conversion_queue_manager.py", "--home", home, "--init",
                        "--library", library)  # fmt: skip
    assert made.returncode == 0, made.stderr
    run = music_script("process_conversion_batch.py", "--home", home, "--output", out,
                       "--profile", "flac")  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "02 Rot.flac: does not decode at 0:01." in run.stdout
    assert "Traceback" not in run.stderr
    assert not out.exists() or not list(out.rglob("*.flac"))
    queue = json.loads((home / "status" / "conversions" / "processing_queue.json").read_text())
    assert [i["status"] for i in queue["items"]] == ["error"]


def _png(*, broken: bool) -> bytes:
    """A 1x1 PNG; ``broken``: its image chunk's CRC fails (a bit flipped in its data)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    header = bytes.fromhex("00000001" "00000001" "08" "02" "00" "00" "00")  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    made = bytearray(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
                     + chunk(b"IEND", b""))  # fmt: skip
    if broken:
        made[made.index(b"IDAT") + 4 + len(pixels) // 2] ^= 0x01
    return bytes(made)


def test_a_damaged_cover_is_not_damaged_audio(tmp_path, music_script):
    """The frames' CRC check was asked of every decoder ffmpeg opened, the cover's PNG
    decoder too: a FLAC whose audio is whole, ``flac -t`` finds it ok, was said "does not
    decode: CRC mismatch in chunk" by verify and refused by a conversion. The check is the
    audio's alone; damage in the audio is still found beside that cover."""
    library, home = tmp_path / "lib", tmp_path / "home"
    album = library / "Artist" / "Album"
    whole = synth.tagged(_flac(album, "01 Whole.flac"), {}, cover=_png(broken=True))
    assert not integrity.check(EXE, whole, analyse=False).damaged
    output = tmp_path / "01 Whole.flac"
    assert convert(EXE, whole, output, PROFILES["flac"]).action == "encoded"
    rotted = _rotted(synth.tagged(_flac(album, "02 Rot.flac"), {}, cover=_png(broken=True)))
    assert integrity.check(EXE, rotted, analyse=False).damaged

    made = music_script("verify_queue_manager.py", "--home", home, "--init", "--library",
                        library)  # fmt: skip
    assert made.returncode == 0, made.stderr
    run = music_script("process_verify_batch.py", "--home", home)
    assert run.returncode == 1, run.stdout + run.stderr
    [record] = (home / "outputs" / "verify").rglob("*.json")
    found = {f["path"].rsplit("/", 1)[-1] for f in json.loads(record.read_text())["findings"]}
    assert found == {"02 Rot.flac"}, run.stdout
