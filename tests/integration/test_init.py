"""``mediakeeper init``: the first-run wizard on a real terminal (tmux), and its flags."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, wait_until
from tests.integration.test_batch_terminal import Prompted


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MEDIAKEEPER_HOME", "TMUX")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return {**env, "TERM": "xterm-256color"}


@pytest.fixture
def wizard(tmp_path):
    """``mediakeeper init`` in an 80x30 tmux window, answered as a person would type."""
    made: list[Prompted] = []

    def start(*args: str) -> Prompted:
        argv = [sys.executable, "-m", "mediakeeper", "init", *args]
        made.append(Prompted(tmp_path, argv, _env(tmp_path)))
        return made[-1]

    yield start
    for w in made:
        w.close()


def test_the_wizard_asks_shows_writes_and_records_the_home(wizard, tmp_path):
    home, music, rips, out = (tmp_path / n for n in ("home", "Music", "Rips", "Phone"))
    music.mkdir(), rips.mkdir()
    w = wizard("--home", str(home))
    w.answer("Music library", str(music))
    w.answer("Movie library", "")  # not used: no [movies] section
    w.answer("Albums to convert", str(rips))
    w.answer("Where converted albums go", str(out))
    w.answer("Audiobooks to join", "")  # so no output or bit rate is asked
    w.answer("Conversion profile (opus, aac, mp3, flac, alac) [opus]", "aac")
    w.answer("Write these? [Y/n]", "y")
    assert w.status() == 0, w.screen()
    shown = w.screen()
    # what it would write was shown before the question, as written
    written = (home / "mediakeeper.toml").read_text()
    assert "[conversions]" in shown and f'output = "{out}"' in shown
    assert shown.index('profile = "aac"') < shown.index("Write these?")
    assert tomllib.loads(written) == {
        "music": {"library": str(music)},
        "conversions": {"library": str(rips), "output": str(out), "profile": "aac"},
    }
    assert "Audiobook bit rate" not in shown and "Where the joined" not in shown
    recorded = tmp_path / "config" / "mediakeeper" / "config.toml"
    assert tomllib.loads(recorded.read_text()) == {"home": str(home)}
    # ... and from any folder, the commands find that home
    done = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "music", "queue", "summary"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
    )  # fmt: skip
    assert f"no music queue at {home}/status/music" in done.stderr


def test_a_wrong_choice_is_asked_again_and_declining_writes_nothing(wizard, tmp_path):
    home = tmp_path / "home"
    (tmp_path / "Rips").mkdir(), (tmp_path / "Books").mkdir()
    w = wizard("--home", str(home))
    w.answer("Music library", "")
    w.answer("Movie library", "")
    w.answer("Albums to convert", str(tmp_path / "Rips"))
    w.answer("Where converted albums go", str(tmp_path / "Out"))
    w.answer("Audiobooks to join", str(tmp_path / "Books"))
    w.answer("Where the joined M4B books go", str(tmp_path / "M4B"))
    w.answer("Conversion profile", "ogg")
    assert wait_until(lambda: "Error: 'ogg' is not one of 'opus', 'aac'" in w.screen())
    w.answer("Conversion profile", "")  # asked again: Enter takes the preset
    w.answer("Audiobook bit rate (6k to 512k) [128k]", "64")  # refused as the setting is
    assert wait_until(lambda: "write 64k for kilobits per second" in w.screen())
    w.answer("Audiobook bit rate (6k to 512k) [128k]", "64k")
    w.answer("Write these? [Y/n]", "n")
    assert w.status() == 0
    assert "Nothing written." in w.screen()
    assert 'profile = "opus"' in w.screen() and 'bitrate = "64k"' in w.screen()
    assert not home.exists()
    assert not (tmp_path / "config").exists()


def run_init(tmp_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mediakeeper", "init", *args], cwd=cwd or tmp_path,
        env=_env(tmp_path), capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_yes_takes_the_flags_without_asking_and_an_existing_config_needs_force(tmp_path):
    books, home, music = tmp_path / "Books", tmp_path / "home", tmp_path / "x"
    books.mkdir(), home.mkdir(), music.mkdir()
    done = run_init(tmp_path, "--yes", "--books", str(books), "--audiobooks-output", "M4B",
                    cwd=home)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert tomllib.loads((home / "mediakeeper.toml").read_text()) == {
        "audiobooks": {"library": str(books), "output": str(home / "M4B"), "bitrate": "128k"}
    }
    assert (home / "status").is_dir()
    again = run_init(tmp_path, "--yes", "--music", "../x", cwd=home)
    assert again.returncode == 2
    assert again.stderr == (
        f"Error: {home / 'mediakeeper.toml'} already exists (give --force to replace it)\n"
    )
    forced = run_init(tmp_path, "--yes", "--force", "--music", "../x", cwd=home)
    assert forced.returncode == 0
    assert tomllib.loads((home / "mediakeeper.toml").read_text()) == {
        "music": {"library": str(music)}
    }


def test_without_a_terminal_it_asks_for_yes_and_writes_nothing(tmp_path):
    done = run_init(tmp_path, "--music", "x")
    assert done.returncode == 2
    assert "not a terminal to ask on: give --yes and the folders as flags" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_group_s_home_is_the_home_init_makes(tmp_path):
    (tmp_path / "M").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(tmp_path / "h"), "init", "--yes",
         "--music", "M"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert tomllib.loads((tmp_path / "h" / "mediakeeper.toml").read_text()) == {
        "music": {"library": str(tmp_path / "M")}
    }
    recorded = tomllib.loads((tmp_path / "config" / "mediakeeper" / "config.toml").read_text())
    assert recorded == {"home": str(tmp_path / "h")}


def test_a_second_home_says_which_home_it_takes_the_place_of_before_writing(tmp_path):
    """Every command finds the home init recorded last: a second init says, before it
    writes, which home was recorded before and how to reach it still (its files stay)."""
    (tmp_path / "M").mkdir()
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_init(tmp_path, "--yes", "--home", str(first), "--music", "M").returncode == 0
    again = run_init(tmp_path, "--yes", "--home", str(first), "--force", "--music", "M")
    assert again.returncode == 0 and "in place of" not in again.stdout  # the same home
    done = run_init(tmp_path, "--yes", "--home", str(second), "--music", "M")
    assert done.returncode == 0, done.stderr
    config = tmp_path / "config" / "mediakeeper" / "config.toml"
    assert (f"and the home recorded in {config}, in place of {first} (its files stay: "
            f"--home {first} still reaches it)") in done.stdout
    assert tomllib.loads(config.read_text()) == {"home": str(second)}
    assert (first / "mediakeeper.toml").is_file()


@pytest.mark.parametrize("flag", ["--music", "--movies", "--rips", "--books"])
def test_a_library_that_is_not_there_is_refused_in_one_line_and_nothing_is_written(
    tmp_path, flag
):
    done = run_init(tmp_path, "--home", "home", "--yes", flag, "/nonexistent")
    assert done.returncode == 2
    assert done.stderr == f"Error: {flag} /nonexistent: not there\n"
    assert list(tmp_path.iterdir()) == []  # no home, no config


@pytest.mark.parametrize(("home", "how"), [("Music/mkhome", "is inside"), ("Music", "is"),
                                           (".", "holds")])  # fmt: skip
def test_a_home_in_or_holding_a_library_is_refused_and_nothing_is_written(tmp_path, home, how):
    (tmp_path / "Music" / "Artist").mkdir(parents=True)
    done = run_init(tmp_path, "--home", home, "--yes", "--music", "Music")
    assert done.returncode == 2
    assert done.stderr == (
        f"Error: the data home {(tmp_path / home).resolve()} {how} the music library "
        f"{tmp_path / 'Music'}: "
        + ("the library would lie among the files the toolkit writes and clears"
           if how == "holds" else "its reports and working copies would be taken for artists")
        + "; choose a home apart from the library (neither in it nor holding it)\n"
    )  # fmt: skip
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "Music", "Music/Artist"]  # fmt: skip


def test_the_wizard_asks_again_for_a_library_that_is_not_there(wizard, tmp_path):
    home, music = tmp_path / "home", tmp_path / "Music"
    music.mkdir()
    w = wizard("--home", str(home))
    w.answer("Music library", str(tmp_path / "Musik"))
    said = f"--music {tmp_path / 'Musik'}: not there: give another folder"
    assert wait_until(lambda: said in w.screen())
    w.answer("Music library", str(home / "x"))  # not there either: asked again
    w.answer("Music library", str(music))
    w.answer("Movie library", "")
    w.answer("Albums to convert", "")
    w.answer("Audiobooks to join", "")
    w.answer("Write these? [Y/n]", "y")
    assert w.status() == 0, w.screen()
    assert tomllib.loads((home / "mediakeeper.toml").read_text()) == {
        "music": {"library": str(music)}}


def test_force_keeps_the_settings_it_replaces_beside_them_with_their_mode(tmp_path):
    """--force replaces the settings: what they held (a key typed by hand) is kept beside
    them, as private as it was, and a second --force keeps a copy of its own."""
    home, music = tmp_path / "home", tmp_path / "x"
    home.mkdir(), music.mkdir()
    config = home / "mediakeeper.toml"
    config.write_text('[tmdb]\napi_key = "k-typed-by-hand"\n')
    config.chmod(0o600)
    forced = run_init(tmp_path, "--yes", "--force", "--music", "../x", cwd=home)
    assert forced.returncode == 0, forced.stderr
    [kept] = home.glob("mediakeeper.toml.replaced-*")
    assert kept.read_text() == '[tmdb]\napi_key = "k-typed-by-hand"\n'
    assert kept.stat().st_mode & 0o777 == 0o600
    assert f"The settings replaced are kept in {kept}.\n" in forced.stdout
    again = run_init(tmp_path, "--yes", "--force", "--music", "../x", cwd=home)
    assert again.returncode == 0, again.stderr
    copies = sorted(home.glob("mediakeeper.toml.replaced-*"))
    assert len(copies) == 2 and kept in copies  # the first copy never written over
    assert tomllib.loads(config.read_text()) == {"music": {"library": str(music)}}


def test_a_home_below_a_file_is_refused_in_one_line_before_the_settings_are_shown(tmp_path):
    (tmp_path / "afile").write_text("")
    (tmp_path / "x").mkdir()
    done = run_init(tmp_path, "--home", "afile/sub", "--yes", "--music", "x")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"Error: --home {tmp_path / 'afile' / 'sub'}: {tmp_path / 'afile'} is "
                           "a file, not a folder (choose another home: a file holds no folders)\n")
    assert done.stdout == ""  # nothing shown as to be written, nothing recorded
    assert not (tmp_path / "config").exists()


@pytest.mark.parametrize("rate", ["48k", "320k", "96000"])
def test_the_bit_rate_flag_takes_what_the_setting_takes(tmp_path, rate):
    (tmp_path / "Books").mkdir()
    done = run_init(tmp_path, "--home", "home", "--yes", "--books", "Books",
                    "--audiobooks-output", "M4B", "--bitrate", rate)  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = tomllib.loads((tmp_path / "home" / "mediakeeper.toml").read_text())
    assert written["audiobooks"]["bitrate"] == rate


@pytest.mark.parametrize(("rate", "said"), [
    ("64", "64 would be 64 bits per second, too little for any audio: write 64k"),
    ("1000k", "must be between 6k and 512k, not 1000k"),
])  # fmt: skip
def test_a_bit_rate_the_setting_refuses_is_refused_before_anything_is_written(
    tmp_path, rate, said
):
    (tmp_path / "Books").mkdir()
    done = run_init(tmp_path, "--home", "home", "--yes", "--books", "Books",
                    "--audiobooks-output", "M4B", "--bitrate", rate)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(f"Error: Invalid value for '--bitrate': {said}")
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize(("library", "output", "where"), [
    ("--books", "--audiobooks-output", "where the joined M4B books go"),
    ("--rips", "--converted", "where converted albums go"),
])  # fmt: skip
def test_a_library_whose_batch_needs_an_output_is_refused_without_one(
    tmp_path, library, output, where
):
    """Its batch would refuse every run (and ``schedule`` leave it out): said now."""
    (tmp_path / "In").mkdir()
    done = run_init(tmp_path, "--home", "home", "--yes", library, "In")
    assert done.returncode == 2
    assert done.stderr == (f"Error: {library} needs {output} ({where}): its batch cannot run "
                           "without it\n")  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["In"]  # no home, no config


def test_the_wizard_asks_again_for_a_needed_output_left_empty(wizard, tmp_path):
    home, books = tmp_path / "home", tmp_path / "Books"
    books.mkdir()
    w = wizard("--home", str(home))
    w.answer("Music library", "")
    w.answer("Movie library", "")
    w.answer("Albums to convert", "")
    w.answer("Audiobooks to join", str(books))
    w.answer("Where the joined M4B books go (needed)", "")
    said = "--books needs --audiobooks-output (where the joined M4B books go)"
    assert wait_until(lambda: said in w.screen())
    w.answer("Where the joined M4B books go (needed)", str(tmp_path / "M4B"))
    w.answer("Audiobook bit rate", "")
    w.answer("Write these? [Y/n]", "y")
    assert w.status() == 0, w.screen()
    assert tomllib.loads((home / "mediakeeper.toml").read_text()) == {"audiobooks": {
        "library": str(books), "output": str(tmp_path / "M4B"), "bitrate": "128k"}}  # fmt: skip


def test_a_relative_xdg_config_home_is_ignored_so_the_home_is_found_from_any_folder(tmp_path):
    """The XDG spec: a relative ``$XDG_CONFIG_HOME`` is invalid and ignored. Taken as it is,
    init recorded the home below the folder it ran in, and said every command would find it
    from any folder: none did from another folder."""
    (tmp_path / "M").mkdir()
    (tmp_path / "elsewhere").mkdir()
    env = {**_env(tmp_path), "XDG_CONFIG_HOME": "config", "HOME": str(tmp_path / "user")}
    done = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "init", "--home", str(tmp_path / "h"), "--yes",
         "--music", "M"], cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    recorded = tmp_path / "user" / ".config" / "mediakeeper" / "config.toml"
    assert f"({recorded})" in done.stdout and not (tmp_path / "config").exists()
    found = subprocess.run([sys.executable, "-m", "mediakeeper", "decide"],
                           cwd=tmp_path / "elsewhere", env=env, capture_output=True,
                           text=True)  # fmt: skip
    assert (found.returncode, found.stderr) == (0, ""), found.stderr
