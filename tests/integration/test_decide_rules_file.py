"""``decide --remember`` and ``--forget`` edit the person's own ``mediakeeper.toml`` (issue 69
point 19): rules written as a dotted key (``decisions.inconsistent-year = "dismiss"``) or
as an inline table are kept in that form, every other line and comment stays as the person
wrote it, the file still parses for every command, and ``--forget`` really removes the rule
(or says it was not there). Real files, real scripts, the file read back with tomllib."""

from __future__ import annotations

import tomllib

import pytest

from tests.helpers import run_script
from tests.helpers.deciding import decide

CODE = "filename-mismatch"


@pytest.fixture
def asked(tmp_path, music_library):
    """One artist whose first two tracks have their tag numbers swapped: one open
    filename-mismatch decision."""
    lib, home = tmp_path / "lib", tmp_path / "home"
    spec = {}
    for n in (1, 2, 3):
        tags = {"title": f"Song {n}", "artist": "Abba", "albumartist": "Abba", "album": "Album",
                "date": "2001", "tracknumber": str({1: 2, 2: 1}.get(n, n))}  # fmt: skip
        spec[f"Abba/2001 - Album/0{n} - Song {n}.flac"] = {"tags": tags, "picture": True}
    music_library(lib, spec)
    home.mkdir()
    batch = run_script("process_music_batch.py", "--home", home, "--library", lib, "--offline")
    assert batch.returncode == 1, batch.stdout + batch.stderr
    return home


DOTTED = """# my settings, by hand
decisions.inconsistent-year = "dismiss"  # my compilations disagree

[verify]
analyse = false  # slow disks
"""
INLINE = """# my settings, by hand
decisions = { inconsistent-year = "dismiss" }  # my compilations disagree

[verify]
analyse = false  # slow disks
"""


@pytest.mark.parametrize("written", [DOTTED, INLINE], ids=["dotted-key", "inline-table"])
def test_remember_adds_to_the_persons_own_form_and_keeps_every_comment(asked, written):
    home = asked
    config = home / "mediakeeper.toml"
    config.write_text(written, encoding="utf-8")
    took = decide(home, "music", "--all", "--dismiss", CODE, "--remember")
    assert took.returncode == 0, took.stdout + took.stderr
    assert f'rule recorded in {config}: {CODE} = "dismiss"' in took.stdout
    text = config.read_text(encoding="utf-8")
    assert tomllib.loads(text) == {
        "decisions": {"inconsistent-year": "dismiss", CODE: "dismiss"},
        "verify": {"analyse": False},
    }, text
    assert text.count("decisions") == (2 if written is DOTTED else 1), text  # no second table
    for comment in ("# my settings, by hand", "# my compilations disagree", "# slow disks"):
        assert comment in text
    rules = decide(home, "--rules")  # every command still reads the file
    assert rules.returncode == 0, rules.stderr
    assert rules.stdout.splitlines() == ['inconsistent-year = "dismiss"', f'{CODE} = "dismiss"']
    assert decide(home).returncode == 0


@pytest.mark.parametrize("written", [DOTTED, INLINE], ids=["dotted-key", "inline-table"])
def test_forget_really_removes_the_rule_or_says_it_was_not_there(asked, written):
    home = asked
    config = home / "mediakeeper.toml"
    config.write_text(written, encoding="utf-8")
    forgot = decide(home, "--forget", "inconsistent-year")
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    assert "rule for inconsistent-year removed" in forgot.stdout
    text = config.read_text(encoding="utf-8")
    assert "inconsistent-year" not in tomllib.loads(text).get("decisions", {}), text
    assert tomllib.loads(text)["verify"] == {"analyse": False}
    assert "# my settings, by hand" in text and "# slow disks" in text
    assert decide(home, "--rules").stdout.strip() == "No rules recorded."

    again = decide(home, "--forget", "inconsistent-year")
    assert again.returncode == 2 and "no rule for 'inconsistent-year'" in again.stderr
    assert config.read_text(encoding="utf-8") == text  # nothing written


def test_remember_creates_the_file_and_table_where_there_is_none(asked):
    home = asked
    took = decide(home, "music", "--all", "--dismiss", CODE, "--remember")
    assert took.returncode == 0, took.stdout + took.stderr
    text = (home / "mediakeeper.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text) == {"decisions": {CODE: "dismiss"}}, text
