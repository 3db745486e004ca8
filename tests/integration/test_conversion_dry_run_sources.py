"""A dry run says what the real run would do with a source that holds no audio (an empty
file, a text file under an audio name): the run fails its album on it, or leaves it out
([conversions] damaged = "leave-out"); the dry run must not list it as "encoded"."""

from __future__ import annotations

from pathlib import Path

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from tests.integration.test_conversions import convert  # noqa: F401 (a fixture)

EXE = ffmpeg.find()


def _album(library: Path) -> Path:
    album = library / "Artist" / "Album"
    synth.tagged(synth.tone(EXE, album / "01 Good.flac", 1.0), {"title": "Good"})
    (album / "02 Empty.flac").write_bytes(b"")
    (album / "03 Text.flac").write_text("not audio at all\n")
    return album


def test_a_dry_run_says_a_source_with_no_audio_fails_its_album(tmp_path, convert):  # noqa: F811
    library = tmp_path / "lib"
    _album(library)
    said = convert("--library", library, "--dry-run")
    assert said.returncode == 0, said.stderr
    lines = said.stdout.splitlines()
    assert "  01 Good.flac: encoded to 01 Good.opus (opus)" in lines
    empty = next(line for line in lines if "02 Empty.flac" in line)
    text = next(line for line in lines if "03 Text.flac" in line)
    assert "encoded" not in empty and "encoded" not in text
    assert "fails the album" in empty and "is empty (0 bytes)" in empty
    assert "fails the album" in text and "holds no audio" in text
    # What the real run then does: it fails the album on that file.
    run = convert("--library", library)
    assert run.returncode == 1 and "02 Empty.flac: is empty (0 bytes)" in run.stdout


def test_a_dry_run_says_such_a_source_is_left_out_where_the_settings_say(
    tmp_path, convert  # noqa: F811
):
    library, home = tmp_path / "lib", tmp_path / "home"
    _album(library)
    home.mkdir()
    (home / "mediakeeper.toml").write_text('[conversions]\ndamaged = "leave-out"\n')
    said = convert("--library", library, "--dry-run")
    assert said.returncode == 0, said.stderr
    empty = next(line for line in said.stdout.splitlines() if "02 Empty.flac" in line)
    assert "left out" in empty and "is empty (0 bytes)" in empty and "encoded" not in empty
    run = convert("--library", library)  # (exit 1: the files left out wait for a decision)
    assert run.returncode == 1 and "needs you: 1 decision" in run.stdout, run.stdout
    assert sorted(p.name for p in (tmp_path / "out" / "Artist" / "Album").iterdir()) == [
        "01 Good.opus"
    ]
