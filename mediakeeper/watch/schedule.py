"""What ``mediakeeper schedule`` prints and installs: systemd user units (a ``.service`` and a
``.timer`` per nightly job) and the same jobs as crontab lines, each naming this installation's
interpreter and the data home by absolute path, so that they run from anywhere, with no
environment activated.

A nightly batch per kind with a library, one after another, a scrub of the verify library,
and the watcher as a service of its own. ``Persistent=true``: a night the machine was off is
caught up at the next start. The units only ever run the toolkit's own commands; enabling
them is the person's step.

Only jobs that can run as written are made (``refusals``): each batch is checked as its dry
run checks it, with the settings a nightly job reads (the home's ``mediakeeper.toml``, none
of this shell's environment), so that no job fails every night for an output folder given
once on the command line or a key set in one terminal."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import MediakeeperError, UsageError
from mediakeeper.core.home import config_folder
from mediakeeper.runs.batch import prepare

FIRST_BATCH = (2, 0)  # the first kind's batch, 02:00; the next kinds half an hour apart
SCRUB_AT = (4, 30)
SCRUB_PERCENT = 5  # the whole library every 20 nights
UNIT_PREFIX = "mediakeeper-"
CRON_LOG = "cron.log"  # in the data home: what the crontab lines' jobs say on stderr


@dataclass(frozen=True)
class Job:
    """One nightly job: its unit name (without suffix), what it does, when, and its argv."""

    name: str
    description: str
    hour: int
    minute: int
    argv: tuple[str, ...]

    def service(self) -> str:
        return (
            "[Unit]\n"
            f"Description={self.description}\n"
            "\n[Service]\n"
            "Type=oneshot\n"
            f"ExecStart={' '.join(systemd_quote(a) for a in self.argv)}\n"
            "Nice=10\n"
            "IOSchedulingClass=idle\n"
        )

    def timer(self) -> str:
        return (
            "[Unit]\n"
            f"Description={self.description}, nightly\n"
            "\n[Timer]\n"
            f"OnCalendar=*-*-* {self.hour:02d}:{self.minute:02d}:00\n"
            "Persistent=true\n"
            "\n[Install]\n"
            "WantedBy=timers.target\n"
        )

    def units(self) -> dict[str, str]:
        return {f"{self.name}.service": self.service(), f"{self.name}.timer": self.timer()}

    def crontab(self) -> str:
        return f"{self.minute} {self.hour} * * * {cron_command(self.argv)}"


def check_home(home: Path) -> None:
    """A UsageError for a home no job can name: a line break ends a crontab line, and a
    unit's line, wherever it stands."""
    if any(c in str(home) for c in "\n\r"):
        raise UsageError(f"the data home {str(home)!r} holds a line break in its path, which "
                         "no unit or crontab line can hold: move the home to a path without "
                         "one, then schedule it")  # fmt: skip


def jobs(home: Path, batch_kinds: Iterable[str], scrub: bool,
         python: str = sys.executable) -> list[Job]:  # fmt: skip
    """The nightly jobs of ``home``: a batch of each of ``batch_kinds``, and a scrub."""
    base = (python, "-m", "mediakeeper", "--home", os.path.abspath(home))
    found = []
    hour, minute = FIRST_BATCH
    for kind in batch_kinds:
        found.append(Job(f"{UNIT_PREFIX}{kind}-batch", f"mediakeeper: the next {kind} batch",
                         hour, minute, (*base, kind, "batch")))  # fmt: skip
        hour, minute = divmod(hour * 60 + minute + 30, 60)
        hour %= 24
    if scrub:
        argv = (*base, "verify", "scrub", "--percent", str(SCRUB_PERCENT))
        what = f"mediakeeper: scrub {SCRUB_PERCENT} percent of the verify library"
        found.append(Job(f"{UNIT_PREFIX}verify-scrub", what, *SCRUB_AT, argv))
    return found


def refusals(home: Path, batch_kinds: Iterable[str],
             environ: dict[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """Each of ``batch_kinds`` whose nightly batch would be refused as written, and why,
    read as its dry run reads it (nothing is written). ``environ``: this shell's, to say
    where a value set only there must go instead."""
    nightly = load_settings(home, environ={})  # a timer's or cron's job: no shell variables
    here = load_settings(home, environ=dict(os.environ if environ is None else environ))
    found = {}
    for kind in batch_kinds:
        why = _refused(nightly, kind)
        if why is not None:
            if _refused(here, kind) is None:
                why += (" (this shell's environment sets it, which a nightly job does not "
                        "see: put it in the data home's mediakeeper.toml)")  # fmt: skip
            found[kind] = why
    return found


def _refused(settings, kind: str) -> str | None:
    try:
        # The scheduler is not asked: whether it and its workers are up now says nothing
        # of the night (a desktop worker switched off); its address and files are checked.
        prepare(settings, kind, ask_scheduler=False).eligible()
    except (MediakeeperError, OSError) as err:
        return str(err)
    return None


@dataclass(frozen=True)
class Service:
    """The watcher, kept running: started with the user's session, started again if it
    fails (``Restart=on-failure``: a SIGTERM from ``systemctl stop`` ends it with exit 0)."""

    name: str
    argv: tuple[str, ...]

    def units(self) -> dict[str, str]:
        text = (
            "[Unit]\n"
            "Description=mediakeeper: keep watch over the libraries\n"
            "\n[Service]\n"
            "Type=simple\n"
            f"ExecStart={' '.join(systemd_quote(a) for a in self.argv)}\n"
            "Restart=on-failure\n"
            "RestartSec=30\n"
            "Nice=10\n"
            "\n[Install]\n"
            "WantedBy=default.target\n"
        )
        return {f"{self.name}.service": text}

    def crontab(self) -> str:
        return f"@reboot {cron_command(self.argv)}"


def watcher(home: Path, python: str = sys.executable) -> Service:
    return Service(f"{UNIT_PREFIX}watch",
                   (python, "-m", "mediakeeper", "--home", os.path.abspath(home), "watch"))


def cron_command(argv: tuple[str, ...]) -> str:
    """``argv`` as a crontab line's command, what it says on stderr appended to the home's
    ``CRON_LOG``: cron mails a job's output, and where no mail agent is installed (most
    desktops) a job that cannot start (its Python moved, its home unmounted) would leave no
    trace at all. (In the home itself, not in a folder of it: a redirection into a folder
    not yet made would keep the job from starting.)"""
    log = os.path.join(argv[argv.index("--home") + 1], CRON_LOG)
    line = f"{shlex.join(argv)} 2>>{shlex.quote(log)}"
    return line.replace("%", "\\%")  # cron reads a bare % as a new line


def systemd_quote(arg: str) -> str:
    """One word of an ``ExecStart=`` line: quoted when it holds a space or a quote, ``%``
    doubled (systemd's specifier sign) and ``$`` doubled (systemd substitutes ``${NAME}``
    in a word: a folder named ``${USER}`` would become the user's name)."""
    text = arg.replace("%", "%%").replace("$", "$$")
    if text and not any(c in text for c in ' \t"\'\\;$'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def manager_missing(environ: dict[str, str] | None = None) -> str | None:
    """Why no systemd user manager would run the units now, or None: ``systemctl --user``
    reaches the user's manager at its socket, ``$XDG_RUNTIME_DIR/systemd/private``
    (``/run/user/UID`` without the variable), which is there while the manager runs. None
    runs in most containers, nor for a user with no session (no login, no lingering)."""
    environ = dict(os.environ if environ is None else environ)
    runtime = environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    private = Path(runtime) / "systemd" / "private"
    try:
        if stat.S_ISSOCK(private.stat().st_mode):
            return None
    except OSError:
        pass
    return f"none listens at {private}"


# Where logind keeps one empty file per user whose manager outlives their sessions
# (``loginctl enable-linger`` makes it, ``disable-linger`` removes it).
LINGER_DIR = Path("/var/lib/systemd/linger")


def not_lingering(linger_dir: Path = LINGER_DIR) -> str | None:
    """The command that keeps the user's manager, and so the timers, running when they log
    out, where it is not on; else None. Without it the manager stops with the user's last
    session: a nightly job at 02:00 runs only for someone still logged in then."""
    import pwd

    user = pwd.getpwuid(os.getuid()).pw_name
    if (linger_dir / user).exists():
        return None
    return f"loginctl enable-linger {shlex.quote(user)}"


def cron_missing() -> str | None:
    """Why the crontab lines cannot be installed here, or None."""
    return None if shutil.which("crontab") else "no crontab command is installed"


def user_unit_dir(environ: dict[str, str] | None = None) -> Path:
    """Where systemd looks for a user's own units: ``$XDG_CONFIG_HOME/systemd/user``."""
    return config_folder(environ) / "systemd" / "user"


def installed_before(folder: Path, written: Iterable[str]) -> dict[str, list[str]]:
    """The toolkit's units in ``folder`` that an install did not write now (a job no
    longer scheduled), by unit: {"mediakeeper-conversions-batch": [".service", ".timer"]}.
    Left where they are: one may be enabled, and what a person enabled is theirs to stop."""
    written = set(written)
    found: dict[str, list[str]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob(f"{UNIT_PREFIX}*")):
            if path.suffix in (".service", ".timer") and path.name not in written:
                found.setdefault(path.stem, []).append(path.suffix)
    return found


def another_home(folder: Path, home: Path) -> tuple[str, list[str]] | None:
    """Another data home than ``home`` that the toolkit's services in ``folder`` run, with
    those services: the units are named by job, not by home, so an install would replace
    them. None where there is none."""
    others = {h: units for h, units in _homes_installed(folder).items()
              if h != os.path.abspath(home)}  # fmt: skip
    return next(iter(others.items()), None)


def _homes_installed(folder: Path) -> dict[str, list[str]]:
    """The data homes the toolkit's services in ``folder`` run, each with its services: the
    ``--home`` of their ``ExecStart=`` lines (as ``systemd_quote`` wrote them)."""
    found: dict[str, list[str]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob(f"{UNIT_PREFIX}*.service")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for line in text.splitlines():
            if not line.startswith("ExecStart="):
                continue
            try:
                argv = [_unquoted(a) for a in shlex.split(line[len("ExecStart="):])]
            except ValueError:
                break
            if "--home" in argv[:-1]:
                found.setdefault(argv[argv.index("--home") + 1], []).append(path.name)
            break
    return found


def _unquoted(word: str) -> str:
    """A word of an ``ExecStart=`` line as ``systemd_quote`` wrote it, shell-split: its
    doubled ``%`` and ``$`` made single again."""
    return re.sub(r"([%$])\1", r"\1", word)


def enable_command(found: list[Job], service: Service | None = None) -> str:
    units = [f"{job.name}.timer" for job in found]
    if service is not None:
        units.append(f"{service.name}.service")
    return f"systemctl --user daemon-reload && systemctl --user enable --now {' '.join(units)}"
