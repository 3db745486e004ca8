"""Settings: defaults, then ``mediakeeper.toml`` in the data home, then environment, then flags.

Later wins. Every key is also the environment variable ``MEDIAKEEPER_<SECTION>_<KEY>``
(``MEDIAKEEPER_MUSICBRAINZ_URL``); the data home itself is found by ``home.py``.
A malformed file, an unknown key or a value of the wrong type is a one-line ``ConfigError``;
a file's values are held to their TOML types (``_file_value``), the environment's and the
flags' text is parsed; each value is given its type and held to its limits by pydantic-core
(``_validator``). A ``MEDIAKEEPER_`` variable that names nothing the toolkit reads is found
here (``stray_variables``) and said once a command by the command line.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediakeeper.core import decisions, kinds
from mediakeeper.core.bounded import SETTINGS_FILE, TooLarge, read_bounded, toml_of
from mediakeeper.core.errors import ConfigError, NoDataHome
from mediakeeper.core.home import CONFIG_FILE, find_home
from mediakeeper.core.kinds import KINDS, Limit

# The public contract: section -> key -> default. The default's type is the key's type.
DEFAULTS: dict[str, dict[str, Any]] = {
    **{kind.name: kind.setting_defaults() for kind in KINDS.values()},
    "musicbrainz": {
        "url": "https://musicbrainz.org",
        "coverart_url": "https://coverartarchive.org",
        "rate_limit": 1.0,
        "contact": "",
        "timeout": 30.0,
        "retries": 4,
    },
    "tmdb": {
        "url": "https://api.themoviedb.org",
        "api_key": "",
        "rate_limit": 4.0,
        "timeout": 30.0,
        "retries": 4,
        "images_url": "https://image.tmdb.org/t/p/original",
        # the candidates' posters a decision shows, at the size a list shows them
        "posters_url": "https://image.tmdb.org/t/p/w342",
        "language": "en-US",
    },
    "acoustid": {
        "url": "https://api.acoustid.org",
        "key": "",  # an application key (a secret: never in logs, caches or reports)
        "rate_limit": 3.0,  # the service's limit for free use
        "timeout": 30.0,
        "retries": 4,
    },
    "ffmpeg": {"path": ""},  # empty: ffmpeg on PATH, else the one imageio-ffmpeg ships
    # ``mediakeeper serve``: loopback unless told; any other address needs the token (a
    # secret: never in logs). base_path: the prefix a reverse proxy serves it under.
    "serve": {"host": "127.0.0.1", "port": 8000, "token": "", "base_path": ""},
    # A batch's failure streaks (``batch/alerts.py``): threshold failed items of a kind in a
    # row (0: off) alert once, POSTed to webhook_url when set, and sent to each Apprise URL
    # (ntfy, Discord, e-mail, ...); each may hold a secret.
    "alerts": {"threshold": 5, "webhook_url": "", "apprise": ()},
    # `mediakeeper watch`: how long a folder must stand still before it is queued, the
    # longest it may keep changing before it is given up with a note, whether to run the
    # kind's batch for what was queued, more names to pass over (globs, by commas), and
    # scanning instead of inotify (a network share that sends no events)
    # The heavy steps sent to a Dask distributed cluster (``batch/cluster.py``): its scheduler
    # (tcp:// or tls://; empty: the local pool), the kinds sent (empty: each kind's own
    # declaration, by cost), plain tcp:// to a scheduler off loopback allowed, the TLS
    # files (Dask's distributed.comm TLS settings), how long a batch waits with no worker
    # before its items go back to pending, and how long a worker's heartbeat may be silent
    # before the steps it holds go to another (far below Dask's own worker-ttl, 5 min).
    "cluster": {"scheduler": "", "send": (), "insecure": False, "tls_ca_file": "",
                "tls_cert": "", "tls_key": "", "wait_for_workers": 120.0,
                "silent_worker_seconds": 30.0},
    "watch": {"settle_seconds": 30.0, "max_wait_seconds": 3600.0, "run": False, "ignore": "",
              "polling": False},
}

_TINY = 1e-9  # "more than 0"
_SOME_RATE = "0 (no limit) or requests per second >= 0.001"


# The limits of the services' number settings (each kind's are in its record: ``Kind.limits``).
# The least a number may be, where 0 would break something: a timeout of 0 fails every request
# at once. (Elsewhere 0 means "none": no rate limit, no retries, never skip.) The most: beyond
# these a value is a typo, and some (a timeout of 1e300, a billion retries) overflow the
# clocks and sleeps of every request.
_SECONDS = "a number of seconds > 0"
SERVICE_LIMITS: dict[str, dict[str, Limit]] = {
    service: {
        "timeout": Limit(3600, least=_TINY, least_words=_SECONDS),
        # A spacing of one request per 1/rate seconds: a rate near 0 is a spacing past any clock.
        "rate_limit": Limit(1000, least=0.001, least_words=_SOME_RATE),
        "retries": Limit(20),
    }
    for service in ("musicbrainz", "tmdb", "acoustid")
}
# The toolkit's own services' numbers (the web app, the alerts).
OWN_LIMITS: dict[str, dict[str, Limit]] = {
    "serve": {"port": Limit(65535, least=1, least_words="a port number from 1")},
    "alerts": {"threshold": Limit(10_000)},
    "cluster": {
        "wait_for_workers": Limit(86_400, least=1, least_words="a number of seconds >= 1"),
        "silent_worker_seconds": Limit(86_400, least=1, least_words="a number of seconds >= 1"),
    },
    "watch": {
        "settle_seconds": Limit(86_400, least=0.1, least_words="a number of seconds >= 0.1"),
        "max_wait_seconds": Limit(7 * 86_400, least=1, least_words="a number of seconds >= 1"),
    },
}


def limit_of(section: str, key: str) -> Limit | None:
    """The range of a number setting: a service's, or the kind's (its record's own limits and
    those every kind has), for a kind registered at run time too."""
    if section in SERVICE_LIMITS:
        return SERVICE_LIMITS[section].get(key)
    if section in OWN_LIMITS:
        return OWN_LIMITS[section].get(key)
    return kinds.get(section).setting_limits().get(key)


_NOT_SHOWN = "the value is not shown: it may hold a secret"


def _webhook_problem(url: str) -> str | None:
    """A webhook is an http(s) URL with a host, or none (""): a blank one is a mistake, not
    a receiver. The value is never said: its path or query may hold a secret."""
    try:
        parts = urlsplit(url)
        fits = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        fits = False
    if url == "" or (fits and url.strip() == url):
        return None
    return "expected an http:// or https:// URL, or none (" + _NOT_SHOWN + ")"


def _apprise_problem(urls: tuple[str, ...]) -> str | None:
    """Each an Apprise URL (``scheme://...``): none blank. Not shown, as a webhook's."""
    if all(url.strip() == url and "://" in url for url in urls):
        return None
    return "expected Apprise URLs (scheme://...); one is blank or has none (" + _NOT_SHOWN + ")"


# A service's settings held to a check of their own (a kind's: its record's ``checks``): the
# check says what is wrong with a value, or None.
CHECKED: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("alerts", "webhook_url"): _webhook_problem,
    ("alerts", "apprise"): _apprise_problem,
}

# Settings a value may also come from under a conventional name.
ALIASES = {("tmdb", "api_key"): "TMDB_API_KEY"}

# Settings that may hold a secret: no message says their value.
SECRETS = frozenset({("acoustid", "key"), ("tmdb", "api_key"), ("serve", "token"),
                     ("alerts", "webhook_url"), ("alerts", "apprise")})  # fmt: skip

PREFIX = "MEDIAKEEPER_"
# Set for a command the toolkit starts itself (``started_environment``): the command a person
# ran said its stray variables, and a batch ``watch --run``, ``serve`` or ``sessions resume``
# starts inherits them, to say them again into its log at each batch. Its value is the pid of
# the command that said them, which holds for that command's own children alone
# (``strays_said_by_parent``): set by hand, or inherited further (a shell a batch opened),
# it silences nothing.
STRAYS_SAID = "MEDIAKEEPER_STRAYS_SAID"
# The toolkit's variables that are no setting: the data home (``home.py``), where the tests'
# pages keep their screenshots (tests/integration/test_page_views.py), and the above.
OTHER_VARIABLES = frozenset({"MEDIAKEEPER_HOME", "MEDIAKEEPER_SCREENSHOTS", STRAYS_SAID})


def variable_of(section: str, key: str) -> str:
    """The environment variable of a setting: ``MEDIAKEEPER_MUSIC_LIBRARY``."""
    return f"{PREFIX}{section.upper()}_{key.upper()}"


@dataclass(frozen=True)
class Settings:
    home: Path
    values: Mapping[str, Mapping[str, Any]]
    # section -> key -> where a value that is not the default came from, for messages:
    # "--library", "environment MEDIAKEEPER_MUSIC_LIBRARY", "/home/mediakeeper.toml: music.library"
    origins: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def get(self, section: str, key: str) -> Any:
        return self.values[section][key]

    def origin(self, section: str, key: str) -> str:
        """Where the value came from ("" for the default)."""
        return self.origins.get(section, {}).get(key, "")

    def section(self, section: str) -> Mapping[str, Any]:
        return self.values[section]

    def library(self, kind: str) -> Path | None:
        raw = self.values[kind]["library"]
        return Path(raw).expanduser() if raw else None

    @property
    def status_dir(self) -> Path:
        return self.home / "status"


def resolve_home(flag: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Where a home's own files would be (a user's pipelines), for a command that needs no
    home: ``home.find_home``, else the current folder."""
    return find_home(flag, environ, required=False)


def existing_home(flag: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The data home of a command that reads one: a folder without ``status/`` is none (every
    run writes there first), so a mistyped ``--home`` is refused, and nothing is created."""
    home = find_home(flag, environ)
    if not (home / "status").is_dir():
        raise NoDataHome(
            f"no data home at {home} (no status/ folder): check --home, or run a batch there first"
        )
    return home


def load_settings(
    home: str | Path | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[tuple[str, str], str] | None = None,
) -> Settings:
    """Build the settings for one run. ``overrides`` are command-line flags (None = not given),
    each named ``--key`` in what is said of it unless ``flags`` names it otherwise (``{("watch",
    "settle_seconds"): "--settle"}``)."""
    environ = os.environ if environ is None else environ
    home_path = find_home(home, environ)
    values = {section: dict(keys) for section, keys in DEFAULTS.items()}
    origins: dict[str, dict[str, str]] = {section: {} for section in DEFAULTS}

    def put(section: str, key: str, value: Any, where: str) -> None:
        values[section][key] = _coerce(value, DEFAULTS[section][key], where, (section, key))
        origins[section][key] = where

    config_path = home_path / CONFIG_FILE
    for section, key, value in _read_file(config_path):
        where = f"{config_path}: {section}.{key}"
        put(section, key, _file_value(value, DEFAULTS[section][key], where, (section, key)), where)

    for section, keys in DEFAULTS.items():
        for key in keys:
            names = [variable_of(section, key)]
            if (section, key) in ALIASES:
                names.insert(0, ALIASES[(section, key)])
            for name in names:
                if environ.get(name, "") != "":
                    put(section, key, environ[name], f"environment {name}")

    for section, keys in (overrides or {}).items():
        for key, value in keys.items():
            if value is not None:
                flag = (flags or {}).get((section, key)) or f"--{key.replace('_', '-')}"
                put(section, key, value, flag)
    return Settings(home=home_path, values=values, origins=origins)


def known_variables() -> list[str]:
    """Every ``MEDIAKEEPER_`` variable the toolkit reads: each setting's, and the others."""
    settings = [variable_of(section, key) for section, keys in DEFAULTS.items() for key in keys]
    return [*settings, *sorted(OTHER_VARIABLES)]


def stray_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """The ``MEDIAKEEPER_`` variables set that name nothing the toolkit reads (a typo:
    ``MEDIAKEEPER_MUSIC_LIBRAY``), to be said, not refused: a script may set a variable a
    later release reads. Said by the command line once a command (``cli/command.py``), not
    here: a command reads its settings more than once."""
    environ = os.environ if environ is None else environ
    known = set(known_variables())
    return sorted(name for name in environ if name.startswith(PREFIX) and name not in known)


def strays_said_by_parent(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the command that started this one said the stray variables already: its mark
    (``started_environment``) names this process's parent. Any other value, "1" typed in a
    shell or the mark of a command further up, is no mark: the variables are said."""
    environ = os.environ if environ is None else environ
    return environ.get(STRAYS_SAID) == str(os.getppid())


def started_environment(**more: str) -> dict[str, str]:
    """The environment of a command the toolkit starts (a batch): this one's, its stray
    variables marked as said by this process (``STRAYS_SAID``), and ``more``; without the
    page's token, which no batch reads (``serve`` started with it in its environment passed
    it to every batch)."""
    environ = {**os.environ, STRAYS_SAID: str(os.getpid()), **more}
    environ.pop(variable_of("serve", "token"), None)
    return environ


def _read_file(path: Path):
    if not path.exists():
        return
    try:
        data = toml_of(read_bounded(path, SETTINGS_FILE, "settings file").decode("utf-8"))
    except TooLarge as err:
        raise ConfigError(str(err)) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read: {err}") from None
    for section, keys in data.items():
        if section == decisions.RULES:  # a person's rules, not settings: checked, read apart
            decisions.check_rules(keys, str(path))
            continue
        if section not in DEFAULTS:
            raise ConfigError(
                f"{path}: unknown section [{section}]",
                f"known sections: {', '.join(DEFAULTS)}",
            )
        if not isinstance(keys, dict):
            raise ConfigError(f"{path}: '{section}' must be a [section], not a value")
        for key, value in keys.items():
            if key not in DEFAULTS[section]:
                raise ConfigError(
                    f"{path}: unknown key '{section}.{key}'",
                    f"known keys in [{section}]: {', '.join(DEFAULTS[section])}",
                )
            yield section, key, value


# A file's values are held to their TOML types, which a person wrote: "3" for a number is a
# mistake, said with its fix, where the environment's and a flag's text can only be parsed.
# Checked here, without pydantic-core, which ``_coerce`` loads only for what it must parse.
_TOML_TYPES: dict[type, tuple[type, ...]] = {
    int: (int,), float: (float, int), bool: (bool,), str: (str,), tuple: (list,),
}  # fmt: skip
_TOML_EXPECTED = {int: "a whole number", float: "a number", bool: "true or false",
                  str: "a string", tuple: "an array of strings"}  # fmt: skip
_TOML_NAMES = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
               list: "an array", dict: "a table"}  # fmt: skip


def _file_value(value: Any, default: Any, where: str, name: tuple[str, str]) -> Any:
    """``value`` as the file gave it, if its TOML type is the setting's (an array as a
    tuple); else a one-line ``ConfigError``: what was expected, what was got, and the fix.
    A secret's value is never said, nor put in its fix."""
    kind = type(default)
    if type(value) in _TOML_TYPES[kind]:
        if kind is not tuple:
            return value
        if all(type(item) is str for item in value):
            return tuple(value)
    secret = name in SECRETS
    got = _TOML_NAMES.get(type(value), "a date or time")
    if secret:
        got += f" ({_NOT_SHOWN})"
    elif not isinstance(value, dict):
        got += f" {_toml(value)}"
    meant = None if secret else _meant(value, default, name)
    # A value the setting refuses in turn ("-1" for max_attempts) is no fix: the type's is.
    fix = f"write {_toml(meant)}, not {_toml(value)}" if meant is not None else _how(kind, default)
    raise ConfigError(f"{where}: expected {_TOML_EXPECTED[kind]}, got {got}", fix)


def _meant(value: Any, default: Any, name: tuple[str, str]) -> Any:
    """The value ``value`` plainly means, as the setting would take it from the environment's
    text (a quoted number, a switch's word, a string for a list, its words parted by spaces or
    commas; a number for a text setting as its digits), through the setting's own validator:
    so a fix it suggests is one the setting takes. None where there is none."""
    if type(default) is str and type(value) in (int, float):
        value = repr(value)
    elif type(default) is tuple and isinstance(value, str):  # "a, b" in a file meant two
        value = value.replace(",", " ")
    try:
        meant = _coerce(value, default, "", name)
    except ConfigError:
        return None
    return list(meant) if type(meant) is tuple else meant


def _toml(value: Any) -> str:
    """A file's value as TOML writes it (a string in double quotes, ``true``), each character
    that is not printable escaped as Python writes it (``\\u202e``): nothing hidden in the
    file acts on the terminal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        quoted = json.dumps(value, ensure_ascii=False)
        return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in quoted)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{...}"  # a table: its keys are no part of the setting
    return value.isoformat()  # a date, a time


def _how(kind: type, default: Any) -> str:
    """How a value of the setting's type is written, its default for an example."""
    if kind is bool:
        return "write true or false, without quotes"
    if kind is str:
        return "write it in double quotes"
    if kind is tuple:
        return 'write an array of strings, each in quotes: ["one", "two"]'
    return f"write {_TOML_EXPECTED[kind]} without quotes, like {default!r}"


def _coerce(value: Any, default: Any, where: str, name: tuple[str, str]) -> Any:
    """Give ``value`` the type of ``default`` (strings from the environment are parsed), and
    hold it to the setting's own check (``CHECKED``) and limits (``limit_of``): all through
    one pydantic-core validator per kind of setting (``_validator``)."""
    limit = limit_of(*name) if isinstance(default, int | float) else None
    # a service's check, or the kind's record's
    check = CHECKED.get(name) or kinds.get(name[0]).checks.get(name[1])
    if type(value) is type(default) and type(default) in _TAKEN_AS_GIVEN and check is None:
        # Nothing to parse and nothing to hold it to (a text flag's or a file's text for a
        # text setting, a switch for a switch: the validator would hand it back unchanged),
        # so pydantic-core is not loaded for it: most batches are started so.
        return value
    from pydantic_core import ValidationError

    validator = _validator(type(default), limit, check, name[1] == "rate_limit")
    try:
        return validator.validate_python(value)
    except ValidationError as err:
        cause = err.errors()[0].get("ctx", {}).get("error")
        if isinstance(cause, _Refused):
            said = str(cause) if cause.says_all else f"{cause}, got {value!r}"
        elif limit is not None:
            # No number at all, or below 0, refused by the type before the setting's own
            # bounds are asked: said by those bounds, the least of which may be more than 0
            # (checkpoint_every: 1, --settle: 0.1), not by the type's.
            said = f"{_expected(type(default), limit)}, got {value!r}"
        else:
            said = f"expected a {_TYPE_NAMES[type(default)]}, got {value!r}"
        raise ConfigError(f"{where}: {said}") from None


class _Refused(ValueError):
    """A value of the right type that its setting does not take; ``says_all`` when the text
    already says what it got."""

    def __init__(self, text: str, *, says_all: bool = False):
        super().__init__(text)
        self.says_all = says_all


@cache
def _validator(
    kind: type, limit: Limit | None, check: Callable[[Any], str | None] | None, zero_is_none: bool
) -> Any:
    """The validator for a setting of type ``kind``, held to ``check`` and ``limit``
    (``zero_is_none``: 0 means "no limit", not a value below the least, as for a rate).
    pydantic-core's own schema API (pydantic v2's validator, without pydantic's model layer):
    every real home has settings, and importing pydantic's would be most of a batch's start.
    Built at the first value read."""
    from pydantic_core import SchemaValidator, core_schema

    def checked(value: Any) -> Any:
        if problem := check(value):
            raise _Refused(problem, says_all=True)
        return value

    def within(number: Any) -> Any:
        below = limit.least is not None and number < limit.least
        if (below and not (zero_is_none and number == 0)) or number > limit.most:
            raise _Refused(_expected(kind, limit))
        return number

    schema = _schema_of(kind)
    for rule, used in ((checked, check), (within, limit)):
        if used:
            schema = core_schema.no_info_after_validator_function(rule, schema)
    return SchemaValidator(schema)


def _expected(kind: type, limit: Limit) -> str:
    """What a number setting takes: its least in the limit's words, else its type's, and its
    most."""
    least = limit.least_words if limit.least is not None else None
    return f"expected {least or f'a {_TYPE_NAMES[kind]}'}, at most {limit.most:,}"


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):  # TOML's true is no number (pydantic would read it as 1)
        raise ValueError("true/false is not a number")
    return value


def _words(value: Any) -> Any:
    return value.split() if isinstance(value, str) else value  # the environment's: by spaces


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def _schema_of(kind: type) -> Any:
    """What a setting of type ``kind`` accepts: a file's TOML value, or the environment's or
    a flag's text (pydantic's lax mode: "8000" is a number, "yes" is true)."""
    from pydantic_core import core_schema as cs

    before = cs.no_info_before_validator_function
    return {
        bool: lambda: before(_stripped, cs.bool_schema()),
        int: lambda: before(_no_bool, cs.int_schema(ge=0)),
        float: lambda: before(_no_bool, cs.float_schema(ge=0, allow_inf_nan=False)),
        str: lambda: before(_text, cs.str_schema()),
        tuple: lambda: before(_words, cs.tuple_schema([cs.str_schema()], variadic_item_index=0)),
    }[kind]()


# The types whose schema (``_schema_of``) takes a value of the type itself as it is, with no
# bound of its own: numbers are held to >= 0 and their limits, lists to text items.
_TAKEN_AS_GIVEN = (str, bool)

_TYPE_NAMES = {
    bool: "true/false",
    int: "whole number >= 0",
    float: "finite number >= 0",
    str: "string",
    tuple: "list of strings",
}
