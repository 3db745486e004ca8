"""Settings: defaults < mediakeeper.toml < environment < flags, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediakeeper.core.config import (
    DEFAULTS,
    limit_of,
    load_settings,
    resolve_home,
    stray_variables,
    variable_of,
)
from mediakeeper.core.errors import ConfigError

SOME_RATE = "0 (no limit) or requests per second >= 0.001"


def write_toml(home: Path, text: str) -> Path:
    path = home / "mediakeeper.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path):
    settings = load_settings(tmp_path, environ={})
    assert settings.home == tmp_path.resolve()
    assert settings.status_dir == tmp_path.resolve() / "status"
    assert settings.get("music", "checkpoint_every") == 50
    assert settings.get("music", "max_attempts") == 3
    assert settings.get("musicbrainz", "url") == "https://musicbrainz.org"
    assert settings.get("musicbrainz", "rate_limit") == 1.0
    assert settings.get("tmdb", "url") == "https://api.themoviedb.org"
    assert settings.get("tmdb", "api_key") == ""
    assert settings.library("music") is None


def test_each_layer_overrides_the_one_before(tmp_path):
    write_toml(
        tmp_path,
        '[music]\nlibrary = "/from/toml"\ncheckpoint_every = 20\nmax_attempts = 5\n'
        '[musicbrainz]\nurl = "http://toml.invalid"\nrate_limit = 2.5\n',
    )
    environ = {
        "MEDIAKEEPER_MUSIC_CHECKPOINT_EVERY": "30",
        "MEDIAKEEPER_MUSIC_LIBRARY": "/from/env",
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0.5",
    }
    flags = {"music": {"library": "/from/flag", "max_attempts": None}}
    settings = load_settings(tmp_path, flags, environ)
    music = settings.section("music")
    assert music["library"] == "/from/flag"  # flag > env > toml
    assert settings.library("music") == Path("/from/flag")
    assert music["checkpoint_every"] == 30  # env > toml
    assert music["max_attempts"] == 5  # toml > default; a flag given as None is "not given"
    assert settings.get("musicbrainz", "url") == "http://toml.invalid"
    assert settings.get("musicbrainz", "rate_limit") == 0.5
    assert settings.get("movies", "checkpoint_every") == 50  # untouched default


def test_environment_strings_take_the_key_type(tmp_path):
    settings = load_settings(
        tmp_path,
        environ={"MEDIAKEEPER_TMDB_RETRIES": "7", "MEDIAKEEPER_TMDB_TIMEOUT": "2.5"},
    )
    assert settings.get("tmdb", "retries") == 7
    assert settings.get("tmdb", "timeout") == 2.5


def test_an_empty_environment_variable_counts_as_unset(tmp_path):
    write_toml(tmp_path, "[music]\nmax_attempts = 4\n")
    settings = load_settings(tmp_path, environ={"MEDIAKEEPER_MUSIC_MAX_ATTEMPTS": ""})
    assert settings.get("music", "max_attempts") == 4


ONE_OF = {("music", "write_mode"): "copy", ("music", "hard_links"): "separate"}


def test_every_key_has_its_environment_variable(tmp_path):
    for section, keys in DEFAULTS.items():
        for key, default in keys.items():
            value = {str: "/somewhere", bool: str(not default).lower()}.get(type(default), "9")
            value = ONE_OF.get((section, key), value)  # a setting with a few words
            value = {"bitrate": "96k", "sample_rate": "22050"}.get(key, value)  # with a unit
            value = {"webhook_url": "https://hooks.example/x",  # a URL's own form
                     "apprise": "ntfy://topic"}.get(key, value)  # fmt: skip
            name = f"MEDIAKEEPER_{section.upper()}_{key.upper()}"
            got = load_settings(tmp_path, environ={name: value}).get(section, key)
            expected = (not default) if isinstance(default, bool) else type(default)(value)
            expected = (value,) if isinstance(default, tuple) else expected  # a list of one
            assert got == expected, name


def test_home_comes_from_flag_then_environment_then_current_folder(tmp_path, monkeypatch):
    flag_home, env_home, cwd = tmp_path / "flag", tmp_path / "env", tmp_path / "cwd"
    for folder in (flag_home, env_home, cwd):
        folder.mkdir()
    monkeypatch.chdir(cwd)
    # An environment without XDG_CONFIG_HOME looks in ~/.config: not the home of the person
    # running the tests, where an `init` of theirs records one.
    monkeypatch.setenv("HOME", str(tmp_path))
    environ = {"MEDIAKEEPER_HOME": str(env_home)}
    assert resolve_home(str(flag_home), environ) == flag_home.resolve()
    assert resolve_home(None, environ) == env_home.resolve()
    (cwd / "status").mkdir()  # a data home (tests/unit/test_home.py: how else one is found)
    assert resolve_home(None, {}) == cwd.resolve()
    assert load_settings(None, environ={}).home == cwd.resolve()


def test_mediakeeper_home_selects_whose_toml_is_read(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    write_toml(home, "[music]\nmax_attempts = 8\n")
    settings = load_settings(None, environ={"MEDIAKEEPER_HOME": str(home)})
    assert settings.home == home.resolve()
    assert settings.get("music", "max_attempts") == 8


def test_home_with_a_tilde_is_expanded(tmp_path):
    environ = {"MEDIAKEEPER_HOME": "~/media"}
    assert resolve_home(None, environ) == (Path.home() / "media").resolve()


def test_tmdb_api_key_alias(tmp_path):
    write_toml(tmp_path, '[tmdb]\napi_key = "from-toml"\n')
    assert load_settings(tmp_path, environ={}).get("tmdb", "api_key") == "from-toml"
    alias = load_settings(tmp_path, environ={"TMDB_API_KEY": "from-alias"})
    assert alias.get("tmdb", "api_key") == "from-alias"
    both = load_settings(
        tmp_path, environ={"TMDB_API_KEY": "from-alias", "MEDIAKEEPER_TMDB_API_KEY": "specific"}
    )
    assert both.get("tmdb", "api_key") == "specific"
    flag = load_settings(tmp_path, {"tmdb": {"api_key": "flag"}}, {"TMDB_API_KEY": "alias"})
    assert flag.get("tmdb", "api_key") == "flag"


# ---- errors: one line naming the file and the key --------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[music\nlibrary = "/x"\n', ["not valid TOML", "line 1"]),
        ("[music]\nlibrary = \n", ["not valid TOML", "line 2"]),
        ('[music]\nlibrary = "/x"\nlibrary = "/y"\n', ["not valid TOML"]),
        (
            "[music]\nmax_attempts = 3\n[podcasts]\nlibrary = '/x'\n",
            ["[podcasts]", "music, movies"],
        ),
        ("[music]\nlibary = '/x'\n", ["'music.libary'", "library"]),
        ("[tmdb]\napi-key = 'k'\n", ["'tmdb.api-key'", "api_key"]),
        ("music = 3\n", ["'music'", "[section]"]),
        ("[music]\ncheckpoint_every = 'lots'\n", ["music.checkpoint_every", '"lots"']),
        ("[music]\nmax_attempts = -1\n", ["music.max_attempts", "-1"]),
        ("[music]\nmax_attempts = 2.5\n", ["music.max_attempts", "2.5"]),
        ("[music]\nmax_attempts = true\n", ["music.max_attempts", "true"]),
        ("[music]\nlibrary = 42\n", ["music.library", "string", "42"]),
        ("[musicbrainz]\nrate_limit = 'fast'\n", ["musicbrainz.rate_limit", '"fast"']),
        ("[musicbrainz]\nurl = ['a', 'b']\n", ["musicbrainz.url", "string"]),
    ],
)
def test_a_bad_file_is_a_one_line_error_naming_file_and_key(tmp_path, text, names):
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for name in names:
        assert name in message


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path):
    path = tmp_path / "mediakeeper.toml"
    path.write_bytes(b"[music]\nlibrary = '\xff\xfe'\n")
    with pytest.raises(ConfigError, match="cannot be read") as caught:
        load_settings(tmp_path, environ={})
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MEDIAKEEPER_MUSIC_MAX_ATTEMPTS", "three"),
        ("MEDIAKEEPER_MUSIC_CHECKPOINT_EVERY", "-5"),
        ("MEDIAKEEPER_TMDB_RATE_LIMIT", "fast"),
    ],
)
def test_a_bad_environment_value_names_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={name: value})
    message = str(caught.value)
    assert f"environment {name}" in message and repr(value) in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MEDIAKEEPER_MUSICBRAINZ_TIMEOUT", "0", "a number of seconds > 0, at most 3,600"),
        ("MEDIAKEEPER_TMDB_TIMEOUT", "0.0", "a number of seconds > 0, at most 3,600"),
        # No finite number, or none at all: said by the setting's own bounds (it said ">= 0"
        # of a setting whose least is 1).
        ("MEDIAKEEPER_MUSICBRAINZ_TIMEOUT", "inf", "a number of seconds > 0, at most 3,600"),
        ("MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT", "nan", f"{SOME_RATE}, at most 1,000"),
        ("MEDIAKEEPER_TMDB_RATE_LIMIT", "-inf", f"{SOME_RATE}, at most 1,000"),
        ("MEDIAKEEPER_MUSIC_CHECKPOINT_EVERY", "abc", "a whole number >= 1, at most 1,000,000"),
        ("MEDIAKEEPER_MUSIC_CHECKPOINT_EVERY", "0", "a whole number >= 1, at most 1,000,000"),
        ("MEDIAKEEPER_MOVIES_CHECKPOINT_EVERY", "0", "a whole number >= 1, at most 1,000,000"),
        # Numbers that pass as finite and then overflow every request's clock or spacing.
        ("MEDIAKEEPER_MUSICBRAINZ_TIMEOUT", "1e300", "a number of seconds > 0, at most 3,600"),
        ("MEDIAKEEPER_TMDB_TIMEOUT", "3601", "a number of seconds > 0, at most 3,600"),
        ("MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT", "1e-300", f"{SOME_RATE}, at most 1,000"),
        ("MEDIAKEEPER_TMDB_RATE_LIMIT", "1e300", f"{SOME_RATE}, at most 1,000"),
        ("MEDIAKEEPER_TMDB_RETRIES", "1000000", "a whole number >= 0, at most 20"),
        ("MEDIAKEEPER_MUSIC_MAX_ATTEMPTS", "1001", "a whole number >= 0, at most 1,000"),
        ("MEDIAKEEPER_MOVIES_CHECKPOINT_EVERY", "1000001", "a whole number >= 1, at most 1,000,000"),  # noqa: E501
        # Below 0: said by the setting's own bound, not ">= 0" when its least is more.
        ("MEDIAKEEPER_WATCH_SETTLE_SECONDS", "-1", "a number of seconds >= 0.1, at most 86,400"),
        ("MEDIAKEEPER_MUSICBRAINZ_TIMEOUT", "-2", "a number of seconds > 0, at most 3,600"),
        ("MEDIAKEEPER_SERVE_PORT", "-5", "a port number from 1, at most 65,535"),
        ("MEDIAKEEPER_TMDB_RETRIES", "-1", "a whole number >= 0, at most 20"),
    ],
)
def test_a_value_that_would_break_every_item_is_refused_when_read(tmp_path, name, value, expected):
    """A timeout of 0 or NaN used to be found by each item's lookup, turning every artist
    into an error (and after three runs into skipped); checkpoints every 0 never came."""
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={name: value})
    assert str(caught.value) == f"environment {name}: expected {expected}, got {value!r}"


def test_the_least_values_and_zeros_that_mean_none_are_accepted(tmp_path):
    (tmp_path / "mediakeeper.toml").write_text(
        "[music]\ncheckpoint_every = 1\nmax_attempts = 0\n"
        "[musicbrainz]\ntimeout = 0.0005\nrate_limit = 0\nretries = 0\n"
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.get("music", "checkpoint_every") == 1
    assert settings.get("musicbrainz", "timeout") == 0.0005  # more than 0, as the rule says
    assert settings.get("musicbrainz", "rate_limit") == 0.0
    # 0 means none: kept as 0, not taken for "unset" and given the default (3, 4)
    assert settings.get("music", "max_attempts") == 0
    assert settings.get("musicbrainz", "retries") == 0
    with pytest.raises(ConfigError, match=r"mediakeeper.toml: music.checkpoint_every: expected a"):
        (tmp_path / "mediakeeper.toml").write_text("[music]\ncheckpoint_every = 0\n")
        load_settings(tmp_path, environ={})


def test_every_number_has_a_limit_and_the_bounds_themselves_are_accepted(tmp_path):
    numbers = {(s, k) for s, keys in DEFAULTS.items() for k, v in keys.items()
               if type(v) in (int, float)}  # fmt: skip
    assert all(limit_of(section, key) is not None for section, key in numbers)
    write_toml(tmp_path, "[musicbrainz]\ntimeout = 3600\nrate_limit = 0.001\nretries = 20\n"
                         "[tmdb]\nrate_limit = 1000\n[movies]\nmax_attempts = 1000\n")  # fmt: skip
    settings = load_settings(tmp_path, environ={})
    assert settings.get("musicbrainz", "timeout") == 3600.0
    assert settings.get("musicbrainz", "rate_limit") == 0.001
    assert settings.get("tmdb", "rate_limit") == 1000.0


def test_a_number_out_of_range_names_its_file_key_or_flag(tmp_path):
    write_toml(tmp_path, "[musicbrainz]\ntimeout = 1e300\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})
    assert str(caught.value) == (
        f"{tmp_path / 'mediakeeper.toml'}: musicbrainz.timeout: "
        "expected a number of seconds > 0, at most 3,600, got 1e+300"
    )
    write_toml(tmp_path, "")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, {"music": {"checkpoint_every": 10**9}}, {})
    assert str(caught.value) == (
        "--checkpoint-every: expected a whole number >= 1, at most 1,000,000, got 1000000000"
    )


def test_a_bad_flag_value_names_the_flag(tmp_path):
    with pytest.raises(ConfigError, match="--max-attempts") as caught:
        load_settings(tmp_path, {"music": {"max_attempts": "many"}}, {})
    assert "\n" not in str(caught.value)


def test_an_error_in_the_file_wins_even_when_env_would_override(tmp_path):
    """A broken file is reported, not silently papered over by a later layer."""
    write_toml(tmp_path, "[music]\nmax_attempts = 'x'\n")
    with pytest.raises(ConfigError, match=r"music\.max_attempts"):
        load_settings(tmp_path, environ={"MEDIAKEEPER_MUSIC_MAX_ATTEMPTS": "4"})


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("OFF", False), ("1", True),
                                               ("no", False)])  # fmt: skip
def test_switches_read_the_usual_words(tmp_path, raw, expected):
    settings = load_settings(tmp_path, environ={"MEDIAKEEPER_MUSIC_LOOKUPS": raw})
    assert settings.get("music", "lookups") is expected


def test_a_switch_with_another_word_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path, environ={"MEDIAKEEPER_MUSIC_LOOKUPS": "maybe"})
    assert "MEDIAKEEPER_MUSIC_LOOKUPS" in str(err.value) and "true/false" in str(err.value)


def test_a_list_setting_from_the_file_and_from_the_environment(tmp_path):
    write_toml(tmp_path, '[alerts]\napprise = ["ntfy://topic", "mailto://a@b.example"]\n')
    assert load_settings(tmp_path, environ={}).get("alerts", "apprise") == (
        "ntfy://topic", "mailto://a@b.example")  # fmt: skip
    spaced = {"MEDIAKEEPER_ALERTS_APPRISE": " ntfy://other\njson://127.0.0.1/x "}
    assert load_settings(tmp_path, environ=spaced).get("alerts", "apprise") == (
        "ntfy://other", "json://127.0.0.1/x")  # fmt: skip
    assert load_settings(tmp_path / "none", environ={}).get("alerts", "apprise") == ()
    write_toml(tmp_path, "[alerts]\napprise = [1]\n")
    with pytest.raises(ConfigError, match=r"alerts.apprise: expected an array of strings, got an "
                                          r"array \(the value is not shown"):  # fmt: skip
        load_settings(tmp_path, environ={})


# ---- the file's values are held to their TOML types -----------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[music]\nmax_attempts = "3"\n',
         'music.max_attempts: expected a whole number, got a string "3" (write 3, not "3")'),
        ("[music]\nmax_attempts = 3.0\n",
         "music.max_attempts: expected a whole number, got a float 3.0 (write 3, not 3.0)"),
        ('[musicbrainz]\ntimeout = "2.5"\n',
         'musicbrainz.timeout: expected a number, got a string "2.5" (write 2.5, not "2.5")'),
        # A fix the setting would refuse in turn is none: its type, and a value it takes.
        ('[music]\nmax_attempts = "-1"\n', 'music.max_attempts: expected a whole number, got a '
         'string "-1" (write a whole number without quotes, like 3)'),
        ('[musicbrainz]\ntimeout = "0"\n', 'musicbrainz.timeout: expected a number, got a '
         'string "0" (write a number without quotes, like 30.0)'),
        ("[music]\nwrite_mode = 5\n", "music.write_mode: expected a string, got an integer 5 "
         "(write it in double quotes)"),
        ('[musicbrainz]\ntimeout = "soon"\n', 'musicbrainz.timeout: expected a number, got a '
         'string "soon" (write a number without quotes, like 30.0)'),
        ('[music]\nlookups = "no"\n',
         'music.lookups: expected true or false, got a string "no" (write false, not "no")'),
        ("[watch]\npolling = 1\n",
         "watch.polling: expected true or false, got an integer 1 (write true, not 1)"),
        ("[audiobooks]\nbitrate = 96000\n",
         'audiobooks.bitrate: expected a string, got an integer 96000 (write "96000", not 96000)'),
        ('[cluster]\nsend = "conversions"\n', 'cluster.send: expected an array of strings, got '
         'a string "conversions" (write ["conversions"], not "conversions")'),
        ('[cluster]\nsend = "conversions, audiobooks"\n', 'cluster.send: expected an array of '
         'strings, got a string "conversions, audiobooks" (write ["conversions", "audiobooks"], '
         'not "conversions, audiobooks")'),
        ("[cluster]\nsend = [1]\n", "cluster.send: expected an array of strings, got an array "
         '[1] (write an array of strings, each in quotes: ["one", "two"])'),
        ("[music]\nlibrary = 1979-05-27\n", "music.library: expected a string, got a date or "
         "time 1979-05-27 (write it in double quotes)"),
        ("[music]\nlibrary = [{ a = 1 }]\n", "music.library: expected a string, got an array "
         "[{...}] (write it in double quotes)"),
        ('[music]\nlibrary = ["\\u202e3pm.exe"]\n', 'music.library: expected a string, got an '
         'array ["\\u202e3pm.exe"] (write it in double quotes)'),  # a hidden control shown
        # A secret's value is said by neither what was got nor the fix.
        ("[serve]\ntoken = 123456789012345678\n", "serve.token: expected a string, got an "
         "integer (the value is not shown: it may hold a secret) (write it in double quotes)"),
        ('[alerts]\napprise = "ntfy://s3cret"\n', "alerts.apprise: expected an array of "
         "strings, got a string (the value is not shown: it may hold a secret) (write an array "
         'of strings, each in quotes: ["one", "two"])'),
    ],
)  # fmt: skip
def test_a_file_value_of_another_toml_type_is_refused_with_its_fix(tmp_path, text, said):
    """The environment's text is parsed ("3" is a number there); a TOML file has types, and a
    quoted number or a word for a switch in it is a mistake, said, not taken."""
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})
    assert str(caught.value) == f"{path}: {said}"


def test_the_file_s_own_types_are_taken(tmp_path):
    """An integer for a number of seconds, an array for a list: as ``init`` and the docs
    write them."""
    write_toml(tmp_path, '[musicbrainz]\ntimeout = 30\n[cluster]\nsend = ["conversions"]\n'
               '[music]\nlookups = false\nlibrary = "/m"\nmax_attempts = 4\n')  # fmt: skip
    settings = load_settings(tmp_path, environ={})
    assert settings.get("musicbrainz", "timeout") == 30.0
    assert settings.get("cluster", "send") == ("conversions",)
    assert settings.get("music", "lookups") is False
    assert settings.get("music", "max_attempts") == 4


# ---- a MEDIAKEEPER_ variable that names no setting is said ------------------------------


def test_the_variables_that_name_nothing_the_toolkit_reads():
    """Said by every command (tests/integration/test_settings_said.py); found here."""
    environ = {"MEDIAKEEPER_MUSIC_LIBRAY": "/x", "MEDIAKEEPER_QWERTY": "1",
               "MEDIAKEEPER_MUSIC_LIBRARY": "/m", "MEDIAKEEPER_HOME": "/h",
               "MEDIAKEEPER_SCREENSHOTS": "/s", "TMDB_API_KEY": "k", "PATH": "/bin"}  # fmt: skip
    assert stray_variables(environ) == ["MEDIAKEEPER_MUSIC_LIBRAY", "MEDIAKEEPER_QWERTY"]
    every = {variable_of(s, k): "1" for s, keys in DEFAULTS.items() for k in keys}
    assert stray_variables(every) == []


def test_a_command_the_toolkit_starts_gets_no_page_token(monkeypatch):
    """``serve`` started with MEDIAKEEPER_SERVE_TOKEN in its environment passed it to every
    batch the page started (and ``watch --run`` to its batches): no batch reads it, and a
    secret goes nowhere it is not needed. The keys a batch does read stay."""
    from mediakeeper.core.config import started_environment

    monkeypatch.setenv("MEDIAKEEPER_SERVE_TOKEN", "s3cret-token-of-the-page")
    monkeypatch.setenv("MEDIAKEEPER_TMDB_API_KEY", "tmdb-key")
    started = started_environment(NO_COLOR="1")
    assert "MEDIAKEEPER_SERVE_TOKEN" not in started
    assert "s3cret-token-of-the-page" not in started.values()
    assert started["MEDIAKEEPER_TMDB_API_KEY"] == "tmdb-key" and started["NO_COLOR"] == "1"
