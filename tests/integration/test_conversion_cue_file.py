"""A ``.cue`` file beside a single-file album rip (``CDImage.flac`` + ``CDImage.cue``, as EAC
and foobar2000 write them): the converted album's ``.cue`` names the converted file, its
type word the one cue readers expect of it, every other byte as it was, in the sheet's own
encoding (a UTF-8 BOM kept, a Windows-1252 sheet kept so, its line ends kept).

Real FLAC made by ffmpeg, converted by the real script; the output read back with ffprobe
and mutagen, the ``.cue`` by its bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from tests.helpers.pipelines import step, write_pipeline
from tests.integration.test_conversions import convert  # noqa: F401 (a fixture)

EXE = ffmpeg.find()

# A foobar2000-style sheet: CRLF line ends, a title beyond ASCII, a blank line, REM lines.
SHEET = (
    'REM GENRE "Café Jazz"\r\n'
    "REM DATE 1999\r\n"
    'PERFORMER "Zoë Keating"\r\n'
    'TITLE "Café Noir"\r\n'
    'FILE "CDImage.flac" WAVE\r\n'
    "\r\n"
    "  TRACK 01 AUDIO\r\n"
    '    TITLE "Première"\r\n'
    "    INDEX 01 00:00:00\r\n"
    "  TRACK 02 AUDIO\r\n"
    '    TITLE "Deuxième"\r\n'
    "    INDEX 01 00:01:00\r\n"
)


def _album(library: Path, sheet: bytes) -> Path:
    album = library / "Artist" / "Album"
    synth.tagged(synth.tone(EXE, album / "CDImage.flac", 2.0), {"title": "Café Noir"})
    (album / "CDImage.cue").write_bytes(sheet)
    return album


def _probe(path: Path) -> dict:
    said = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format",
                           "-of", "json", str(path)], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return json.loads(said.stdout)


ENCODINGS = {
    "utf-8 with a BOM": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "utf-8": lambda text: text.encode("utf-8"),
    "windows-1252": lambda text: text.encode("cp1252"),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    ("profile", "name", "line", "codec"),
    [("mp3", "CDImage.mp3", 'FILE "CDImage.mp3" MP3', "mp3"),
     ("opus", "CDImage.opus", 'FILE "CDImage.opus" WAVE', "opus")],
)  # fmt: skip
def test_the_cue_file_names_the_converted_file_in_its_own_encoding(
    tmp_path, convert, encoding, profile, name, line, codec  # noqa: F811
):
    library = tmp_path / "lib"
    sheet = ENCODINGS[encoding](SHEET)
    album = _album(library, sheet)
    result = convert("--library", library, "--profile", profile)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = tmp_path / "out" / "Artist" / "Album"
    assert sorted(p.name for p in folder.iterdir()) == ["CDImage.cue", name]
    # The file it names is there, and is what the type word says.
    probed = _probe(folder / name)
    assert [s["codec_name"] for s in probed["streams"]] == [codec]
    assert float(probed["format"]["duration"]) == pytest.approx(2.0, abs=0.1)
    assert mutagen.File(folder / name) is not None
    # Byte for byte the sheet, but for its FILE line.
    expected = ENCODINGS[encoding](SHEET.replace('FILE "CDImage.flac" WAVE', line))
    assert (folder / "CDImage.cue").read_bytes() == expected
    assert (album / "CDImage.cue").read_bytes() == sheet  # the original untouched
    report = next((tmp_path / "home" / "issues" / "conversions").glob("artist-album-*.md"))
    assert f"| kept: its FILE line rewritten to name {name} |" in report.read_text()


def test_a_sheet_naming_the_wav_it_was_ripped_to_names_the_converted_file(
    tmp_path, convert  # noqa: F811
):
    """EAC's sheet often names the WAV it ripped, compressed to FLAC afterwards."""
    library = tmp_path / "lib"
    sheet = SHEET.replace("CDImage.flac", "CDImage.wav").encode("cp1252")
    _album(library, sheet)
    result = convert("--library", library, "--profile", "mp3")
    assert result.returncode == 0, result.stdout + result.stderr
    cue = (tmp_path / "out" / "Artist" / "Album" / "CDImage.cue").read_bytes()
    assert cue == sheet.replace(b'FILE "CDImage.wav" WAVE', b'FILE "CDImage.mp3" MP3')


def test_a_flac_target_keeps_the_sheet_as_it_was(tmp_path, convert):  # noqa: F811
    library = tmp_path / "lib"
    sheet = SHEET.encode("cp1252")
    _album(library, sheet)
    result = convert("--library", library, "--profile", "flac")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "Artist" / "Album" / "CDImage.cue").read_bytes() == sheet


def test_the_dry_run_says_the_cue_file_is_rewritten(tmp_path, convert):  # noqa: F811
    library = tmp_path / "lib"
    _album(library, SHEET.encode("cp1252"))
    said = convert("--library", library, "--profile", "mp3", "--dry-run")
    assert said.returncode == 0, said.stderr
    assert "  CDImage.cue: copied, its FILE line rewritten to name CDImage.mp3" in (
        said.stdout.splitlines()
    ), said.stdout
    assert not (tmp_path / "out").exists()


def test_a_pipeline_s_convert_step_names_the_converted_file_in_the_sheet(tmp_path, child_env):
    """A pipeline's ``convert`` step passed the ``.cue`` through as it was, naming a
    ``CDImage.flac`` its output does not hold; it names the converted file as a conversion's
    does, in the sheet's own encoding."""
    library = tmp_path / "lib"
    sheet = ENCODINGS["windows-1252"](SHEET)
    _album(library, sheet)
    pipeline = write_pipeline(tmp_path / "phone.yaml", step("to-mp3", "convert", codec="mp3"),
                              input=library, output=tmp_path / "out")  # fmt: skip
    ran = subprocess.run([sys.executable, "-m", "mediakeeper", "pipeline", "run", str(pipeline),
                          "--home", str(tmp_path / "home")], env=child_env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    folder = tmp_path / "out" / "Artist" / "Album"
    assert sorted(p.name for p in folder.iterdir()) == ["CDImage.cue", "CDImage.mp3"]
    assert [s["codec_name"] for s in _probe(folder / "CDImage.mp3")["streams"]] == ["mp3"]
    expected = SHEET.replace('FILE "CDImage.flac" WAVE', 'FILE "CDImage.mp3" MP3')
    assert (folder / "CDImage.cue").read_bytes() == expected.encode("cp1252")
