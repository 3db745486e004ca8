"""A settings file's values held to their TOML types, as a person meets them: the commands
run in real subprocesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_script
from tests.integration.watching import home_for, library


def tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ('max_attempts = "3"\n',  # in [music], after its library
         'music.max_attempts: expected a whole number, got a string "3" (write 3, not "3")'),
        ('[cluster]\nsend = "conversions"\n',
         'cluster.send: expected an array of strings, got a string "conversions" '
         '(write ["conversions"], not "conversions")'),
        ('lookups = "no"\n',
         'music.lookups: expected true or false, got a string "no" (write false, not "no")'),
    ],
)  # fmt: skip
def test_a_file_value_of_another_type_stops_a_batch_before_anything_is_touched(
    tmp_path, settings, said
):
    """These were taken as the environment's text is ("3" read as 3), where the reference
    says a value of the wrong type in the file is refused."""
    music = library(tmp_path / "Music", "Artist")
    home = home_for(tmp_path, settings, music=music)
    before = tree(home), tree(music)
    result = run_script("process_music_batch.py", "--home", home, "--offline")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == f"Error: {home / 'mediakeeper.toml'}: {said}\n"
    assert (tree(home), tree(music)) == before
