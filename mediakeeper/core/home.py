"""Which data home a command works in, from wherever it is run.

In order: ``--home DIR``; ``MEDIAKEEPER_HOME``; the current folder, or else the nearest
parent, when it is a data home: one holding a ``mediakeeper.toml`` or a queue
(``status/<kind>/processing_queue.json``); then the home ``mediakeeper init`` recorded in
the user's config (``$XDG_CONFIG_HOME/mediakeeper/config.toml``, ``~/.config`` by default);
last, with no home recorded, the current folder when it has the project's layout (a
``status/`` folder at its top: a clone, the scripts run from it). A clone's tracked
``status/README.md`` alone makes no home: inside it, the recorded home is used, never a
second one by surprise. With none of these a command is refused with one line saying how
to name one: a home is never started empty in whatever folder a person happens to be in.
``notice`` says, on a command's first line, when the home in use is not the recorded one.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from mediakeeper.core.bounded import SETTINGS_FILE, TooLarge, read_bounded, toml_of
from mediakeeper.core.errors import NoDataHome

CONFIG_FILE = "mediakeeper.toml"  # a data home's settings
QUEUE_FILE = "processing_queue.json"  # a kind's queue, in status/<kind>/
USER_CONFIG = "config.toml"  # the user's: the recorded home (``cli/init.py`` writes it)


def config_folder(environ: Mapping[str, str] | None = None) -> Path:
    """The user's configuration folder: ``$XDG_CONFIG_HOME``, or ``~/.config`` when that is
    unset or not absolute (the XDG spec has a relative one ignored, as systemd does: taken
    as it is, init would record a home only the folder it ran in finds)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".config")
    return Path(base)


def user_config(environ: Mapping[str, str] | None = None) -> Path:
    """``mediakeeper/config.toml`` in the user's configuration folder (``config_folder``)."""
    return config_folder(environ) / "mediakeeper" / USER_CONFIG


def find_home(
    flag: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    *,
    required: bool = True,
) -> Path:
    """The data home, absolute (see the module's docstring for the order). Not ``required``
    (a command that only looks for files a home may hold: ``pipeline list``): the current
    folder when none is found, never an error."""
    return which_home(flag, environ, cwd, required=required)[0]


def which_home(
    flag: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    *,
    required: bool = True,
) -> tuple[Path, str]:
    """The data home (``find_home``) and how it was found: "--home", "MEDIAKEEPER_HOME",
    "folder" (the current one or a parent), "recorded", "layout" (a folder with status/,
    no home recorded) or "" (none: the current folder, for a command that needs none)."""
    environ = os.environ if environ is None else environ
    if flag:
        return Path(flag).expanduser().resolve(), "--home"
    if given := environ.get("MEDIAKEEPER_HOME"):
        return Path(given).expanduser().resolve(), "MEDIAKEEPER_HOME"
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_home(folder):
            return folder, "folder"
    if _read_recorded(user_config(environ)) is not None:
        return recorded_home(environ, here), "recorded"
    if (here / "status").is_dir():
        return here, "layout"
    if not required:
        return here, ""
    return recorded_home(environ, here), "recorded"  # refused: none recorded either


def is_home(folder: Path) -> bool:
    """Whether ``folder`` is a data home: it holds a ``mediakeeper.toml`` or a queue."""
    if (folder / CONFIG_FILE).is_file():
        return True
    try:
        kinds = list(os.scandir(folder / "status"))
    except OSError:
        return False
    return any(k.is_dir() and os.path.isfile(os.path.join(k.path, QUEUE_FILE)) for k in kinds)


def notice(flag: str | Path | None, environ: Mapping[str, str] | None = None) -> str:
    """What a command says first when the home it uses is not the one ``init`` recorded
    (found from the current folder or MEDIAKEEPER_HOME), and how to use the recorded one;
    "" when it is, when none is recorded, or when ``--home`` named it on this very line."""
    environ = os.environ if environ is None else environ
    try:
        home, how = which_home(flag, environ)
        recorded = _read_recorded(user_config(environ))
    except NoDataHome:
        return ""  # the command says why itself
    if how in ("--home", "recorded", "") or recorded is None:
        return ""
    if recorded.resolve() == home:
        return ""
    where = "MEDIAKEEPER_HOME" if how == "MEDIAKEEPER_HOME" else "the current folder"
    return (f"Using the data home {home} (from {where}), not the one `mediakeeper init` "
            f"recorded, {recorded}: give --home {recorded} to use that one")  # fmt: skip


def recorded_home(environ: Mapping[str, str], here: Path) -> Path:
    config = user_config(environ)
    home = _read_recorded(config)
    if home is None:
        raise NoDataHome(
            f"no data home found from {here}: give --home DIR (or MEDIAKEEPER_HOME), run from "
            "your data home, or make one with: mediakeeper init"
        )
    if not home.is_dir():
        raise NoDataHome(
            f"the data home recorded in {config}, {home}, is not there: give --home DIR, or "
            "record another with: mediakeeper init"
        )
    return home


def recorded_before(environ: Mapping[str, str] | None = None) -> Path | None:
    """The home ``init`` recorded, for ``init`` to say which one it takes the place of: None
    when none is recorded, or when its record cannot be read (``init`` writes it anew)."""
    try:
        return _read_recorded(user_config(os.environ if environ is None else environ))
    except NoDataHome:
        return None


def _read_recorded(config: Path) -> Path | None:
    try:
        text = read_bounded(config, SETTINGS_FILE, "settings file").decode("utf-8")
        home = toml_of(text).get("home")
    except FileNotFoundError:
        return None
    except TooLarge as err:
        raise NoDataHome(f"{err}: correct or delete it") from None
    except UnicodeDecodeError:
        raise NoDataHome(f"cannot read {config}: not UTF-8 text: correct or delete it") from None
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise NoDataHome(f"cannot read {config}: {err}: correct or delete it") from err
    if not isinstance(home, str) or not home:
        raise NoDataHome(f'{config} names no home (home = "/path"): correct or delete it')
    return Path(home).expanduser()
