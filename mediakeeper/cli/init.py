"""``mediakeeper init``: make a data home and record it, so every command finds it from any
folder. On a terminal it asks (the library folders, the output profiles from presets), shows
what it will write and writes it when told yes; ``--yes`` takes the flags and defaults without
asking (for scripts)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click

from mediakeeper.batch.staged import relation
from mediakeeper.cli.command import Command, home_given
from mediakeeper.core import kinds
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import ConfigError
from mediakeeper.core.home import CONFIG_FILE, recorded_before, user_config
from mediakeeper.core.units import BITRATE_KBPS, bitrate_problem
from mediakeeper.fs.atomic import atomic_write_text, keep_replaced, replaced_stamp
from mediakeeper.media.convert import PROFILES
from mediakeeper.text.visible import shell_word


class BitRate(click.ParamType):
    """A bit rate as the ``[audiobooks] bitrate`` setting takes it (``units.bitrate_problem``):
    the flag and the wizard's answer refused as the setting would be, before anything is
    written."""

    name = "RATE"

    def convert(self, value, param, ctx):
        if (problem := bitrate_problem(value)) is not None:
            self.fail(problem, param, ctx)
        return value.strip()


# setting (section, key) -> (flag, what the wizard asks). Order is the order of the questions.
FOLDERS = {
    ("music", "library"): ("--music", "Music library (a folder per artist)"),
    ("movies", "library"): ("--movies", "Movie library (a folder per movie)"),
    ("conversions", "library"): ("--rips", "Albums to convert (any folder of albums)"),
    ("conversions", "output"): ("--converted", "Where converted albums go"),
    ("audiobooks", "library"): ("--books", "Audiobooks to join (a folder per book)"),
    ("audiobooks", "output"): ("--audiobooks-output", "Where the joined M4B books go"),
}
# setting -> (flag, what the wizard asks, the values it takes, said to a person, default)
CHOICES = {
    ("conversions", "profile"): ("--profile", "Conversion profile", click.Choice(tuple(PROFILES)),
                                 ", ".join(PROFILES), "opus"),
    ("audiobooks", "bitrate"): ("--bitrate", "Audiobook bit rate", BitRate(),
                                "{}k to {}k".format(*BITRATE_KBPS), "128k"),
}  # fmt: skip


@dataclass
class Plan:
    home: Path
    values: dict[tuple[str, str], str] = field(default_factory=dict)

    def toml(self) -> str:
        lines = ["# mediakeeper settings, written by mediakeeper init (docs/reference.md#settings)"]
        for section in dict.fromkeys(s for s, _ in self.values):
            lines += ["", f"[{section}]"]
            for (s, key), value in self.values.items():
                if s == section:
                    lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        return "\n".join(lines) + "\n"


def _ask(plan: Plan, given: dict[str, str | None]) -> None:
    """The wizard's questions; a library left empty is a kind not used (yet), whose output
    and profile are then not asked."""
    for (section, key), (flag, question) in FOLDERS.items():
        if key == "output" and (section, "library") not in plan.values:
            continue
        needed = _needed(plan, section, key)
        while True:
            asked = f"{question} ({'needed' if needed else 'empty: none'})"
            answer = click.prompt(asked, default=given[flag] or "", show_default=False).strip()
            if not answer and not needed:
                break
            folder = str(Path(answer).expanduser().resolve()) if answer else ""
            problem = _folder_problem(plan.home, section, key, folder)
            if problem is None:
                plan.values[(section, key)] = folder
                break
            click.echo(f"{problem}: give {'another' if answer else 'a'} folder", err=True)
            given[flag] = None  # not offered again as the default
    for (section, key), (flag, question, values, said, default) in CHOICES.items():
        if (section, "library") in plan.values:
            answer = click.prompt(
                f"{question} ({said})",
                type=values,
                default=given[flag] or default,
                show_choices=False,
            )
            plan.values[(section, key)] = answer


def _from_flags(plan: Plan, given: dict[str, str | None]) -> None:
    for (section, key), (flag, _) in FOLDERS.items():
        if given[flag]:
            plan.values[(section, key)] = str(Path(given[flag]).expanduser().resolve())
    for (section, key), (flag, *_, default) in CHOICES.items():
        if given[flag] or (section, "library") in plan.values:
            plan.values[(section, key)] = given[flag] or default


def _folder_problem(home: Path, section: str, key: str, folder: str) -> str | None:
    """What is wrong with ``folder`` as the ``section``'s ``key`` (a library must be a
    folder there, apart from the data home; an output must be a folder if it is there at
    all); None: nothing."""
    flag = FOLDERS[(section, key)][0]
    if not folder:  # a needed output left empty
        where = FOLDERS[(section, key)][1]
        return (f"{_library_flag(section)} needs {flag} ({where[0].lower()}{where[1:]}): "
                "its batch cannot run without it")  # fmt: skip
    if key == "library" and not os.path.isdir(folder):
        return f"{flag} {folder}: " + ("not a folder" if os.path.exists(folder) else "not there")
    if key != "library" and os.path.exists(folder) and not os.path.isdir(folder):
        return f"{flag} {folder}: not a folder"
    how = relation(home, Path(folder)) if key == "library" else None
    if how is None:
        return None
    why = (
        "the library would lie among the files the toolkit writes and clears"
        if how == "holds"
        else f"its reports and working copies would be taken for {kinds.noun(section)}s"
    )
    return (
        f"the data home {home} {how} the {section} library {folder}: {why}; choose a home "
        "apart from the library (neither in it nor holding it)"
    )


def _library_flag(section: str) -> str:
    return FOLDERS[(section, "library")][0]


def _refuse_bad_folders(plan: Plan) -> None:
    """Flags (``--yes``): a library not there, or one the home is in, or one whose kind
    needs an output (its batch refuses to run without one) given none, is refused before
    anything is written."""
    for section, key in FOLDERS:
        folder = plan.values.get((section, key))
        if folder is None and not _needed(plan, section, key):
            continue
        if problem := _folder_problem(plan.home, section, key, folder or ""):
            raise ConfigError(problem)


def _needed(plan: Plan, section: str, key: str) -> bool:
    """An output is needed once its library is given: the kind's batch refuses to run
    without one (and ``schedule`` leaves it out)."""
    return key == "output" and (section, "library") in plan.values


def _refuse_unmakeable(plan: Plan) -> None:
    """Before a question is asked: a home that cannot be made where it is asked (a file on
    its way, a folder this user cannot write in)."""
    there = next(p for p in (plan.home, *plan.home.parents) if os.path.lexists(p))
    if not there.is_dir():
        raise ConfigError(f"--home {plan.home}: {there} is a file, not a folder",
                          "choose another home: a file holds no folders")  # fmt: skip
    if not os.access(there, os.W_OK | os.X_OK):
        raise ConfigError(f"--home {plan.home}: {there} cannot be written by you",
                          "choose a home in a folder of yours")  # fmt: skip


def _refuse_existing(plan: Plan, force: bool) -> None:
    """Before a question is asked: a home's settings are replaced only when told to."""
    config = plan.home / CONFIG_FILE
    if config.exists() and not force:
        raise ConfigError(f"{config} already exists", "give --force to replace it")


def _in_place_of(home: Path) -> str:
    """Every command finds the home recorded last: the one this takes the place of, said
    before anything is written (its files stay; ``--home`` reaches it still)."""
    before = recorded_before()
    if before is None or before.resolve() == home:
        return ""
    reach = f"--home {shell_word(str(before))}"
    return f", in place of {before} (its files stay: {reach} still reaches it)"


def _write(plan: Plan) -> tuple[Path, Path | None]:
    """Write the settings and record the home: (the config recording it, the copy of the
    settings replaced (--force), kept beside them: they may hold keys typed by hand)."""
    config = plan.home / CONFIG_FILE
    plan.home.mkdir(parents=True, exist_ok=True)
    kept = None
    if config.exists():
        kept = keep_replaced(config, replaced_stamp(plan.home, f"{datetime.now():%Y%m%dT%H%M%S}"))
    atomic_write_text(config, plan.toml())
    load_settings(plan.home)  # what was written reads back as settings (a bad value: one line)
    (plan.home / "status").mkdir(exist_ok=True)  # a data home from now on
    recorded = user_config()
    recorded.parent.mkdir(parents=True, exist_ok=True)
    home = json.dumps(str(plan.home), ensure_ascii=False)
    atomic_write_text(recorded, f"# written by mediakeeper init\nhome = {home}\n")
    return recorded, kept


def _options(f):
    for flag, question in reversed(list(FOLDERS.values())):
        f = click.option(flag, type=click.Path(file_okay=False), help=question + ".")(f)
    for flag, question, values, said, default in CHOICES.values():
        shown = "" if isinstance(values, click.Choice) else f": {said}"  # a Choice lists its own
        f = click.option(flag, type=values, help=f"{question}{shown} (default {default}).")(f)
    return f


@click.command(cls=Command, says_home=False)
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    callback=home_given,  # `mediakeeper --home DIR init` too
    help="The data home to make (default: the current folder).",
)
@click.option("--yes", is_flag=True, help="Ask nothing: take the flags (and defaults) and write.")
@click.option(
    "--force",
    is_flag=True,
    help=f"Replace an existing {CONFIG_FILE} (kept beside it as {CONFIG_FILE}.replaced-<time>).",
)
@_options
def main(home, yes, force, **given):
    """Make a data home: ask the library folders and the output profiles, show the settings it
    will write, write them to <home>/mediakeeper.toml and record the home in your config
    ($XDG_CONFIG_HOME/mediakeeper/config.toml), so every command finds it from any folder."""
    plan = Plan(Path(home or ".").expanduser().resolve())
    flags = [flag for flag, *_ in (*FOLDERS.values(), *CHOICES.values())]
    given = {flag: given[flag.lstrip("-").replace("-", "_")] for flag in flags}
    _refuse_unmakeable(plan)
    _refuse_existing(plan, force)
    if yes:
        _from_flags(plan, given)
        _refuse_bad_folders(plan)
    elif not sys.stdin.isatty():
        raise click.UsageError("not a terminal to ask on: give --yes and the folders as flags")
    else:
        click.echo(f"Making a data home in {plan.home}: status/, outputs/ and issues/ go there.")
        _ask(plan, given)
    click.echo(f"{plan.home / CONFIG_FILE}:\n\n{plan.toml()}")
    click.echo(f"and the home recorded in {user_config()}{_in_place_of(plan.home)}")
    if not yes and not click.confirm("Write these?", default=True):
        click.echo("Nothing written.")
        return
    recorded, kept = _write(plan)
    if kept is not None:
        click.echo(f"The settings replaced are kept in {kept}.")
    click.echo(f"Written. Every command now finds {plan.home} from any folder ({recorded}).")


if __name__ == "__main__":
    main()
