"""A rule plugin that prints (tests/plugins/chatty, built and installed by pip): what it
printed, to its standard output or error, through a program it ran or in a warning, went
straight to the terminal, into the batch's progress line. It now goes to the session's log,
each line after the plugin's name and the artist, also when the rule then raised; the
batch's own output holds none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_plugin_failures import one_track_album
from tests.integration.test_plugins import install, run

PRINTED = ["looking at 1 tracks", "a note on stderr", "no line end", "from a program it ran",
           "Warning: a rule plugin's warning"]  # fmt: skip


@pytest.fixture(scope="module")
def chatty(tmp_path_factory) -> Path:
    return install(tmp_path_factory.mktemp("chatty") / "site", "chatty")


def test_what_a_rule_plugin_prints_goes_to_the_session_log_not_the_terminal(
    tmp_path, chatty, music_library
):
    lib = music_library(tmp_path / "Music", {**one_track_album("Bang", "Boom"),
                                             **one_track_album("Calm", "Hush")})  # fmt: skip
    home = tmp_path / "home"
    ran = run(chatty, "process_music_batch.py", "--home", home, "--library", lib, "--offline",
              cwd=tmp_path)  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr  # Bang failed: its rule raised
    for said in [*PRINTED, "about to fail", "cannot go on"]:
        assert said not in ran.stdout.replace("RuntimeError: cannot go on", ""), ran.stdout
        assert said not in ran.stderr, ran.stderr
    assert "rule plugin 'chatty'" in ran.stdout  # the failure is named, as before

    [log] = (home / "status" / "music" / "session_logs").glob("*.log")
    lines = [line.split("  ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    for artist in ("Bang", "Calm"):
        printed = [line for line in lines if line.startswith(f"PRINTED {artist}: ")]
        expected = [f"PRINTED {artist}: rule plugin 'chatty' printed: {text}"
                    for text in PRINTED]  # fmt: skip
        if artist == "Bang":  # what it printed before it raised is kept too
            expected.append("PRINTED Bang: rule plugin 'chatty' printed: about to fail on "
                            "2001 - Loud/01 - Boom.flac")  # fmt: skip
        assert printed == expected, lines
