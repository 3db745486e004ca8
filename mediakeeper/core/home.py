"""Which data home a command works in, from wherever it is run.

In order: ``--home DIR``; ``MEDIAKEEPER_HOME``; the current folder when it is a data home
(a ``status/`` folder at its top: the project's own layout, the scripts run from it) or holds
a ``mediakeeper.toml``, else the nearest parent holding a ``mediakeeper.toml``; last the home
``mediakeeper init`` recorded in the user's config (``$XDG_CONFIG_HOME/mediakeeper/
config.toml``, ``~/.config`` by default). With none of these a command is refused with one
line saying how to name one: a home is never started empty in whatever folder a person
happens to be in.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from mediakeeper.core.bounded import SETTINGS_FILE, TooLarge, read_bounded
from mediakeeper.core.errors import NoDataHome

CONFIG_FILE = "mediakeeper.toml"  # a data home's settings
USER_CONFIG = "config.toml"  # the user's: the recorded home (``cli/init.py`` writes it)


def user_config(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/mediakeeper/config.toml`` (``~/.config`` when that is unset)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "mediakeeper" / USER_CONFIG


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
    environ = os.environ if environ is None else environ
    given = flag or environ.get("MEDIAKEEPER_HOME")
    if given:
        return Path(given).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    if (here / "status").is_dir():
        return here
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    if not required and not _read_recorded(user_config(environ)):
        return here
    return recorded_home(environ, here)


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


def _read_recorded(config: Path) -> Path | None:
    try:
        text = read_bounded(config, SETTINGS_FILE, "settings file").decode("utf-8")
        home = tomllib.loads(text).get("home")
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
