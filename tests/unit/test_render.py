"""Names from folders and tags stay data in the Markdown reports; compiled templates are
kept in the data home and are safe to lose."""

from __future__ import annotations

import io
import marshal
import os
import pickle
import stat
import tempfile
from hashlib import sha1
from pathlib import Path

import pytest
from jinja2 import Environment
from jinja2.bccache import bc_magic

from mediakeeper.music.outputs import render_report
from mediakeeper.reports import render
from mediakeeper.reports.weekly import start_command


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
    assert start_command("/data/my music") == (
        "python utilities/music_queue_manager.py --home '/data/my music' --init --library PATH"
    )


# ---- compiled templates kept in the data home ---------------------------------------------

ARTIST = {
    "name": "Nirvana",
    "folder_name": "Nirvana",
    "processed_at": "2026-11-22T10:00:00+00:00",
    "session": "20261122_session_001",
    "musicbrainz": None,
}


@pytest.fixture
def new_run():
    """Start each "run" with a new environment (as a new process would) and leave none
    holding a cache folder behind for the other tests."""
    render.environment.cache_clear()
    yield lambda: render.environment.cache_clear()
    render.environment.cache_clear()


def cache_folder(home: Path) -> Path:
    (folder,) = (home / render.TEMPLATE_CACHE).iterdir()
    return folder


def no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a template was compiled")

    monkeypatch.setattr(Environment, "_parse", refuse)


def test_the_next_run_renders_from_the_compiled_templates(tmp_path, new_run, monkeypatch):
    render.keep_compiled(tmp_path)
    expected = render_report(ARTIST, [], [])
    folder = cache_folder(tmp_path)
    assert folder.name == render.fingerprint(Path(render.__file__).read_bytes())
    assert [p.suffix for p in folder.iterdir()] == [".cache"]

    new_run()
    no_compiling(monkeypatch)
    render.keep_compiled(tmp_path)
    assert render_report(ARTIST, [], []) == expected


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
def test_a_damaged_compiled_template_is_compiled_again(tmp_path, new_run, monkeypatch, damage):
    render.keep_compiled(tmp_path)
    expected = render_report(ARTIST, [], [])
    (cached,) = cache_folder(tmp_path).iterdir()
    cached.write_bytes(DAMAGE[damage](cached.read_bytes()))

    new_run()
    render.keep_compiled(tmp_path)
    assert render_report(ARTIST, [], []) == expected

    new_run()  # and written again, whole: the run after that compiles nothing
    no_compiling(monkeypatch)
    render.keep_compiled(tmp_path)
    assert render_report(ARTIST, [], []) == expected


def test_another_version_gets_its_own_folder_and_the_old_one_goes(tmp_path, new_run):
    old = tmp_path / render.TEMPLATE_CACHE / "0123456789abcdef"
    old.mkdir(parents=True)
    (old / "stale.cache").write_bytes(b"compiled by another version")
    render.keep_compiled(tmp_path)
    render_report(ARTIST, [], [])
    assert cache_folder(tmp_path).name != old.name
    # Whatever sets the environment up (this module's source) or the versions: a new name.
    assert render.fingerprint(b"autoescape=True") != render.fingerprint(b"autoescape=False")


def compiles_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    parse = Environment._parse

    def counting(self, source, name, filename):
        parsed.append(name)
        return parse(self, source, name, filename)

    monkeypatch.setattr(Environment, "_parse", counting)
    return parsed


def test_the_folder_is_the_users_own_and_no_one_elses_is_trusted(tmp_path, new_run, monkeypatch):
    render.keep_compiled(tmp_path)
    expected = render_report(ARTIST, [], [])
    folder = cache_folder(tmp_path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # these files are code
    folder.chmod(0o777)  # a shared data home: anyone could have put code in here

    new_run()
    parsed = compiles_counted(monkeypatch)
    render.keep_compiled(tmp_path)
    assert render_report(ARTIST, [], []) == expected
    assert parsed == ["artist_issues.md.j2"]


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_owned_by_another_user_is_not_trusted(tmp_path, new_run, monkeypatch):
    render.keep_compiled(tmp_path)
    render_report(ARTIST, [], [])
    os.chown(cache_folder(tmp_path), 65534, 65534)  # nobody

    new_run()
    parsed = compiles_counted(monkeypatch)
    render.keep_compiled(tmp_path)
    render_report(ARTIST, [], [])
    assert parsed == ["artist_issues.md.j2"]


def test_a_cache_folder_that_cannot_be_made_only_means_compiling(tmp_path, new_run):
    (tmp_path / "status").mkdir()
    (tmp_path / "status" / "cache").write_text("a file where the folder should be")
    render.keep_compiled(tmp_path)
    assert "0 tracks in `Nirvana`" in render_report(ARTIST, [], [])
    assert (tmp_path / "status" / "cache").read_text() == "a file where the folder should be"


def test_nothing_is_kept_without_a_data_home(tmp_path, new_run, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    render_report(ARTIST, [], [])
    assert list(tmp_path.iterdir()) == []
