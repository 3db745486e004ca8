"""Names from folders and tags stay data in the Markdown reports; compiled templates are
kept beside the templates and are safe to lose."""

from __future__ import annotations

import io
import marshal
import pickle
import sys
from hashlib import sha1
from pathlib import Path

import jinja2
import pytest
from jinja2 import Environment
from jinja2.bccache import bc_magic

from mediakeeper.music.outputs import render_report
from mediakeeper.reports.weekly import start_lines
from mediakeeper.text import render
from mediakeeper.text.commands import queue_manager


def test_a_folder_name_with_backticks_stays_inside_its_code_span():
    artist = {
        "name": "Art`ist",
        "folder_name": "Art`ist ``Live``",
        "processed_at": "2026-11-22T10:00:00+00:00",
        "session": "20261122_session_001",
        "musicbrainz": None,
    }
    report = render_report(artist, [], [])
    # A fence longer than any run inside, padded where the text starts or ends with one.
    assert report.splitlines()[2].startswith("0 tracks in ``` Art`ist ``Live`` ``` ·")


def test_the_first_queue_command_names_the_real_script():
    said, create, _ = start_lines("/data/my music")  # no such home: no settings, music first
    assert said == "Create the music queue, one item per artist folder"
    assert create == f"{queue_manager('music', '/data/my music')} --init --library PATH"
    assert "--home '/data/my music' --init" in create


# ---- compiled templates kept beside the templates -------------------------------------------

ARTIST = {
    "name": "Nirvana",
    "folder_name": "Nirvana",
    "processed_at": "2026-11-22T10:00:00+00:00",
    "session": "20261122_session_001",
    "musicbrainz": None,
}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """The compiled templates go to a folder of this test's; each new_run() starts with a new
    environment, as a new process would."""
    folder = tmp_path / "__pycache__"
    monkeypatch.setattr(render, "COMPILED", folder)
    render.environment.cache_clear()
    yield folder
    render.environment.cache_clear()


def new_run() -> None:
    render.environment.cache_clear()


def compiles_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    parse = Environment._parse

    def counting(self, source, name, filename):
        parsed.append(name)
        return parse(self, source, name, filename)

    monkeypatch.setattr(Environment, "_parse", counting)
    return parsed


def test_compiled_templates_live_beside_the_templates_not_in_a_data_home():
    """A pin: they are code, so they sit with the templates, as Python keeps its own."""
    assert render.COMPILED == render.TEMPLATES / "__pycache__"
    assert (render.TEMPLATES / "artist_issues.md.j2").is_file()


def test_the_next_run_renders_from_the_compiled_templates(cache_dir, monkeypatch):
    expected = render_report(ARTIST, [], [])
    (cached,) = cache_dir.iterdir()
    assert cached.name.startswith(render.VERSION + "-") and cached.suffix == ".cache"

    new_run()
    parsed = compiles_counted(monkeypatch)
    assert render_report(ARTIST, [], []) == expected
    assert parsed == []


DAMAGE = {
    "empty": lambda good: b"",
    "torn": lambda good: good[: len(good) // 2],
    "torn in its checksum": lambda good: good[: len(bc_magic) + 5],
    "noise": lambda good: bytes(range(256)) * 4,
    "header, then noise": lambda good: bc_magic + pickle.dumps(sha1(b"x").hexdigest(), 2) + b"\0",
    "not code": lambda good: good[: len(bc_magic)] + _checksum_part(good) + marshal.dumps(42),
}


def _checksum_part(good: bytes) -> bytes:
    rest = good[len(bc_magic) :]
    stream = io.BytesIO(rest)
    pickle.load(stream)
    return rest[: stream.tell()]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_compiled_template_is_compiled_again(cache_dir, monkeypatch, damage):
    expected = render_report(ARTIST, [], [])
    (cached,) = cache_dir.iterdir()
    cached.write_bytes(DAMAGE[damage](cached.read_bytes()))

    new_run()
    assert render_report(ARTIST, [], []) == expected

    new_run()  # and written again, whole: the run after that compiles nothing
    parsed = compiles_counted(monkeypatch)
    assert render_report(ARTIST, [], []) == expected
    assert parsed == []


def test_another_versions_files_are_neither_read_nor_removed(cache_dir, monkeypatch):
    expected = render_report(ARTIST, [], [])
    (ours,) = cache_dir.iterdir()
    monkeypatch.setattr(render, "VERSION", render.fingerprint(b"trim_blocks=False"))
    new_run()
    parsed = compiles_counted(monkeypatch)
    assert render_report(ARTIST, [], []) == expected
    assert parsed == ["artist_issues.md.j2"]  # compiled for this version, not taken
    assert ours in cache_dir.iterdir() and len(list(cache_dir.iterdir())) == 2


def test_the_name_changes_with_the_set_up_and_the_versions(monkeypatch):
    name = render.fingerprint(b"trim_blocks=True")
    assert render.fingerprint(b"trim_blocks=False") != name
    monkeypatch.setattr(jinja2, "__version__", "3.9.9")
    assert render.fingerprint(b"trim_blocks=True") != name
    monkeypatch.undo()
    monkeypatch.setattr(sys, "version", "3.99.0 (another build)")
    assert render.fingerprint(b"trim_blocks=True") != name


def test_a_cache_folder_that_cannot_be_made_only_means_compiling(cache_dir, monkeypatch):
    cache_dir.write_text("a file where the folder should be")
    assert "0 tracks in `Nirvana`" in render_report(ARTIST, [], [])
    new_run()
    parsed = compiles_counted(monkeypatch)
    render_report(ARTIST, [], [])
    assert parsed == ["artist_issues.md.j2"]
    assert cache_dir.read_text() == "a file where the folder should be"


def test_a_change_names_its_file_from_the_findings_album_or_the_artist_folder():
    """Two albums' "01 - Intro.flac" and a disc folder's track must not read alike: a change
    names its file from the album of its finding, or from the artist folder for an
    artist-wide finding (the report used to show the base name only)."""
    artist = {"name": "Madonna", "folder_name": "Madonna", "processed_at": "2026-11-22T10:00:00",
              "session": "s", "musicbrainz": None}  # fmt: skip

    def change(path: str) -> dict:
        return {"path": path, "tag": "artist", "old": "madonna", "new": "Madonna"}

    findings = [
        {"code": "artist-name-variant", "severity": "warning", "path": "", "album": "",
         "message": "m", "fixable": True, "fixed": True, "not_written": None, "details": {},
         "changes": [change("1990 - A/01 - Intro.flac"), change("1992 - B/01 - Intro.flac")]},
        {"code": "inconsistent-album", "severity": "warning", "path": "1979 - W",
         "album": "1979 - W", "message": "m", "fixable": True, "fixed": True,
         "not_written": None, "details": {}, "changes": [change("1979 - W/CD2/01 - T.flac")]},
    ]  # fmt: skip
    report = render_report(artist, [], findings)
    assert '1990 - A/01 - Intro.flac artist: "madonna" → "Madonna"; 1992 - B/01 - Intro.flac' in (
        report
    )
    assert '| CD2/01 - T.flac artist: "madonna" → "Madonna" |' in report
