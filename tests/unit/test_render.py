"""Compiled templates are kept between runs, and a cache that cannot work is no cache."""

from __future__ import annotations

import os
import tempfile

import jinja2

from mediakeeper.reports.render import compiled_templates, environment

TEMPLATE = "artist_issues.md.j2"
CONTEXT = {
    "artist": {
        "name": "Nina Simone",
        "folder_name": "Nina Simone",
        "processed_at": "2026-11-22T10:00:00+00:00",
        "session": "20261122_session_001",
        "musicbrainz": None,
    },
    "track_count": 3,
    "albums": [],
    "fixed": [],
    "open": [],
}


def _env(cache) -> jinja2.Environment:
    env = environment().overlay(bytecode_cache=cache)
    env.cache = None  # no in-memory templates: every get_template goes to the loader
    return env


def test_a_second_run_renders_from_the_compiled_template(tmp_path, monkeypatch):
    first = _env(compiled_templates(str(tmp_path)))
    source = first.get_template(TEMPLATE)
    assert list(tmp_path.iterdir())  # compiled into the cache folder

    def compile_again(*args, **kwargs):
        raise AssertionError("the template was compiled again")

    second = _env(compiled_templates(str(tmp_path)))
    monkeypatch.setattr(second, "compile", compile_again)
    assert second.get_template(TEMPLATE).render(CONTEXT) == source.render(CONTEXT)


def test_a_cache_folder_that_cannot_be_written_only_costs_a_compile(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    env = _env(compiled_templates(str(blocked)))
    assert "No issues found" in env.get_template(TEMPLATE).render(CONTEXT)


def test_no_cache_where_the_temp_folder_is_not_safe(tmp_path, monkeypatch):
    # Jinja's own folder must be a directory of this user's, mode 0700: here it is a file.
    (tmp_path / f"_jinja2-cache-{os.getuid()}").write_text("someone else's")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert compiled_templates() is None
