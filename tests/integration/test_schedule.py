"""``mediakeeper schedule``: the printed systemd units and crontab lines, parsed, checked by
systemd itself where it is installed, and run as systemd or cron would run them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, script_env
from tests.integration.watching import home_for, library


def schedule(home: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mediakeeper", "schedule", "--home", str(home), *args],
        cwd=REPO_ROOT, env={**script_env(), **(env or {})}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def units_of(text: str) -> dict[str, dict[str, list[str]]]:
    """Each printed unit (by file name): {"Section.Key": [values]}."""
    found: dict[str, dict[str, list[str]]] = {}
    current, section = None, ""
    for line in text.splitlines():
        header = re.fullmatch(r"# (/.+/(mediakeeper-[\w-]+\.(?:service|timer)))", line)
        if header:
            current, section = found.setdefault(header.group(2), {}), ""
        elif current is not None and re.fullmatch(r"\[\w+\]", line):
            section = line.strip("[]")
        elif current is not None and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            current.setdefault(f"{section}.{key}", []).append(value)
        elif line.startswith("# enable") or line.startswith("# or"):
            current = None
    return found


def exec_argv(value: str, environ: dict[str, str] | None = None) -> list[str]:
    """An ExecStart= line as systemd splits it (our units quote like a shell, no specifiers
    but %% for a percent sign) and then substitutes its variables, as systemd.service(5)
    says: ``${NAME}`` within a word is the variable's value (``environ``), ``$$`` a dollar
    sign."""
    environ = environ or {}

    def substituted(word: str) -> str:
        return re.sub(r"\$\$|\$\{(\w+)\}",
                      lambda m: "$" if m.group(0) == "$$" else environ.get(m.group(1), ""),
                      word)  # fmt: skip

    return [substituted(word.replace("%%", "%")) for word in shlex.split(value)]


@pytest.fixture
def scheduled(tmp_path):
    music = library(tmp_path / "My Music", "A")
    albums = library(tmp_path / "Albums", "B")
    home = home_for(tmp_path / "a home with spaces", music=music, verify=albums)
    return home


def test_the_units_and_crontab_lines_name_this_python_and_the_home(scheduled, tmp_path):
    printed = schedule(scheduled)
    assert printed.returncode == 0, printed.stderr
    units = units_of(printed.stdout)
    nightly = {f"mediakeeper-{name}.{suffix}"
               for name in ("music-batch", "verify-batch", "verify-scrub")
               for suffix in ("service", "timer")}  # fmt: skip
    assert set(units) == nightly | {"mediakeeper-watch.service"}
    crontab = [line for line in printed.stdout.splitlines() if re.match(r"\d+ \d+ \* \* \* ", line)]
    assert len(crontab) == 3
    watch = units.pop("mediakeeper-watch.service")
    watch_argv = exec_argv(watch["Service.ExecStart"][0])
    assert watch_argv == [sys.executable, "-m", "mediakeeper", "--home", str(scheduled), "watch"]
    assert watch["Service.Restart"] == ["on-failure"]
    log = f"2>>{scheduled / 'cron.log'}"  # what a job says on stderr: there without a mail agent
    assert shlex.split(next(c for c in printed.stdout.splitlines() if c.startswith("@reboot ")))[
        1:] == [*watch_argv, log]  # fmt: skip
    for name, unit in units.items():
        if name.endswith(".timer"):
            assert unit["Timer.Persistent"] == ["true"]
            assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:00", unit["Timer.OnCalendar"][0])
            assert unit["Install.WantedBy"] == ["timers.target"]
            continue
        argv = exec_argv(unit["Service.ExecStart"][0])
        assert argv[:5] == [sys.executable, "-m", "mediakeeper", "--home", str(scheduled)]
        assert unit["Service.Type"] == ["oneshot"]
        minute, hour = (int(x) for x in units[name.replace(".service", ".timer")][
            "Timer.OnCalendar"][0].split()[1].split(":")[1::-1])  # fmt: skip
        line = next(c for c in crontab if shlex.split(c.replace("\\%", "%"))[5:] == [*argv, log])
        assert line.startswith(f"{minute} {hour} * * * ")
    scrub = exec_argv(units["mediakeeper-verify-scrub.service"]["Service.ExecStart"][0])
    assert scrub[5:] == ["verify", "scrub", "--percent", "5"]
    # Run as systemd would: from another folder, with no PYTHONPATH and no MEDIAKEEPER_HOME.
    env = {k: v for k, v in script_env().items() if k not in ("PYTHONPATH",)}
    ran = subprocess.run(scrub, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "verified B/Album: fine" in ran.stdout
    # And its crontab line as cron runs it: its command by /bin/sh, cron's \% read as %.
    line = next(c for c in crontab if shlex.split(c.replace("\\%", "%"))[5:-1] == scrub)
    ran = subprocess.run(["/bin/sh", "-c", cron_part(line)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "verified B/Album: fine" in ran.stdout


def cron_part(line: str) -> str:
    """The command of a crontab line (after its five time fields), as cron hands it to sh."""
    return line.split(" ", 5)[5].replace("\\%", "%")


def test_a_crontab_job_that_cannot_start_leaves_its_error_in_the_home(scheduled, tmp_path):
    """cron mails what a job prints; without a mail agent (most desktops) a nightly batch
    whose Python had moved failed every night and left no trace anywhere."""
    printed = schedule(scheduled)
    assert printed.returncode == 0, printed.stderr
    line = next(c for c in printed.stdout.splitlines()
                if re.match(r"\d+ \d+ \* \* \* ", c)
                and shlex.split(c)[-3:-1] == ["music", "batch"])  # fmt: skip
    moved = tmp_path / "an old venv" / "bin" / "python"
    command = cron_part(line).replace(shlex.quote(sys.executable), shlex.quote(str(moved)), 1)
    assert str(moved) in command
    ran = subprocess.run(["/bin/sh", "-c", command], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 127, ran
    said = (scheduled / "cron.log").read_text()
    assert str(moved) in said and "not found" in said, said
    assert ran.stderr == ""  # all of it in the log: nothing left for a mail never sent


def test_install_writes_the_units_where_systemd_reads_them_and_enables_nothing(
    scheduled, tmp_path
):
    config = tmp_path / "config"
    installed = schedule(scheduled, "--install", env={"XDG_CONFIG_HOME": str(config)})
    assert installed.returncode == 0, installed.stderr
    folder = config / "systemd" / "user"
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 7 and all(n.startswith("mediakeeper-") for n in names)
    assert "systemctl --user enable --now mediakeeper-music-batch.timer" in installed.stdout
    assert installed.stdout.rstrip().endswith("mediakeeper-watch.service")
    assert not (folder / "timers.target.wants").exists()  # nothing enabled
    assert units_of(schedule(scheduled).stdout)["mediakeeper-music-batch.service"] == units_of(
        "# /x/mediakeeper-music-batch.service\n"
        + (folder / "mediakeeper-music-batch.service").read_text()
    )["mediakeeper-music-batch.service"]
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the units were not checked by systemd")
    checked = subprocess.run(["systemd-analyze", "verify", "--man=no",
                              *sorted(str(p) for p in folder.iterdir())],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "Unknown" not in checked.stderr and "ignoring" not in checked.stderr, checked.stderr


def test_install_says_the_units_it_installed_before_and_no_longer_schedules(tmp_path):
    """A batch refused now (its output setting gone) was left out of the install, but its
    units of the last install stayed, enabled and failing every night, with not a word."""
    rips = library(tmp_path / "Rips", "C")
    home = home_for(tmp_path, f'output = "{tmp_path / "Phone"}"\n', conversions=rips)
    config = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    folder = tmp_path / "config" / "systemd" / "user"
    assert schedule(home, "--install", env=config).returncode == 0
    assert (folder / "mediakeeper-conversions-batch.timer").is_file()
    (home / "mediakeeper.toml").write_text(f'[conversions]\nlibrary = "{rips}"\n')
    again = schedule(home, "--install", env=config)
    assert again.returncode == 0, again.stderr
    said = [line for line in again.stderr.splitlines() if "installed before" in line]
    assert len(said) == 1, again.stderr
    assert "mediakeeper-conversions-batch" in said[0]
    assert "systemctl --user disable --now mediakeeper-conversions-batch.timer" in said[0]
    # Said, not deleted: a person may have enabled it, and it is theirs to take away.
    assert (folder / "mediakeeper-conversions-batch.timer").is_file()
    # What is scheduled now is never said so.
    assert "mediakeeper-watch" not in said[0] and "verify" not in again.stderr


def test_install_for_a_second_home_is_refused_and_leaves_the_first_home_s_units(tmp_path):
    """The units are named by job: a second home's install would replace the first's, and
    its nights would stop, without a word. Refused, naming the home they run; nothing
    written. The same home installs again as before."""
    first = home_for(tmp_path / "first 100%", music=library(tmp_path / "Music", "A"))
    second = home_for(tmp_path / "second", music=library(tmp_path / "Other", "B"))
    config = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    folder = tmp_path / "config" / "systemd" / "user"
    assert schedule(first, "--install", env=config).returncode == 0
    units = {p.name: p.read_bytes() for p in folder.iterdir()}
    refused = schedule(second, "--install", env=config)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.startswith(
        f"Error: the units in {folder} schedule another data home, {first} ("
    ), refused.stderr
    assert "systemctl --user disable --now mediakeeper-music-batch.timer" in refused.stderr
    assert "Written" not in refused.stdout
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == units
    assert schedule(first, "--install", env=config).returncode == 0

def test_a_home_whose_path_holds_a_dollar_sign_is_the_home_its_units_run(tmp_path):
    """systemd substitutes ``${NAME}`` in an ExecStart= word (and takes ``$$`` for a dollar
    sign): a home under a folder named ``${USER}`` was written as it is, and the nightly job
    ran with ``--home`` the path with the user's name in its place."""
    home = home_for(tmp_path / "${USER} $$ 5$", music=library(tmp_path / "Music", "A"))
    config = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    installed = schedule(home, "--install", env=config)
    assert installed.returncode == 0, installed.stderr
    unit = tmp_path / "config" / "systemd" / "user" / "mediakeeper-music-batch.service"
    [line] = [v for k, v in units_of(f"# /x/{unit.name}\n{unit.read_text()}")[unit.name].items()
              if k == "Service.ExecStart"]  # fmt: skip
    argv = exec_argv(line[0], {"USER": "someone"})
    assert argv[argv.index("--home") + 1] == str(home)
    # The same home installs again: its units are read back as running it, not another.
    again = schedule(home, "--install", env=config)
    assert again.returncode == 0, again.stderr


def test_where_nothing_would_run_the_jobs_it_is_said(tmp_path):
    """On a machine with no systemd user manager running (a container, a server no one has
    logged in to), ``--install`` wrote the units and said to enable them with ``systemctl
    --user``, which fails there ("Failed to connect to bus"); and where no ``crontab``
    command is installed either, the crontab lines were offered all the same."""
    import socket

    home = home_for(tmp_path, music=library(tmp_path / "Music", "A"))
    runtime = tmp_path / "run"
    runtime.mkdir()
    bare = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_RUNTIME_DIR": str(runtime),
            "PATH": str(Path(sys.executable).parent)}  # no crontab there  # fmt: skip
    installed = schedule(home, "--install", env=bare)
    assert installed.returncode == 0, installed.stderr
    said = [line for line in installed.stderr.splitlines() if "user manager" in line]
    assert said == [f"Warning: no systemd user manager runs for this user (none listens at "
                    f"{runtime}/systemd/private): the units will not run until one does; "
                    "the crontab lines `mediakeeper schedule` prints run the same jobs"], \
        installed.stderr  # fmt: skip
    printed = schedule(home, env=bare)
    assert "no crontab command is installed" in printed.stderr, printed.stderr
    assert "user manager" in printed.stderr

    (runtime / "systemd").mkdir()
    manager = socket.socket(socket.AF_UNIX)
    manager.bind(str(runtime / "systemd" / "private"))  # where systemctl --user reaches it
    try:
        again = schedule(home, "--install", env=bare)
    finally:
        manager.close()
    assert again.returncode == 0 and "user manager" not in again.stderr, again.stderr


def test_a_manager_that_stops_at_log_out_is_said_with_the_command_that_keeps_it(tmp_path):
    """A user's systemd manager runs while they have a session and stops with the last one,
    unless lingering is on: the units were installed, enabled and never ran at 02:00 for a
    person who logs out at night (a server reached by ssh, every night), with nothing said."""
    import pwd
    import socket

    from mediakeeper.watch.schedule import LINGER_DIR, not_lingering

    user = pwd.getpwuid(os.getuid()).pw_name
    assert not_lingering(tmp_path) == f"loginctl enable-linger {user}"
    (tmp_path / user).touch()  # as loginctl enable-linger leaves it
    assert not_lingering(tmp_path) is None

    home = home_for(tmp_path, music=library(tmp_path / "Music", "A"))
    runtime = tmp_path / "run"
    (runtime / "systemd").mkdir(parents=True)
    manager = socket.socket(socket.AF_UNIX)
    manager.bind(str(runtime / "systemd" / "private"))
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_RUNTIME_DIR": str(runtime)}
    try:
        runs = [schedule(home, *args, env=env) for args in (("--install",), ())]
    finally:
        manager.close()
    # This machine's own lingering, as logind keeps it, decides what is said.
    lingers = (LINGER_DIR / user).exists()
    for run in runs:
        assert run.returncode == 0, run.stderr
        said = [line for line in run.stderr.splitlines() if "lingering" in line]
        assert said == ([] if lingers else [
            "Warning: this user's systemd manager stops when they log out (lingering is off): "
            "the units run only while they are logged in; to run them every night: "
            f"loginctl enable-linger {user}"]), run.stderr  # fmt: skip


def test_a_home_whose_path_breaks_a_line_is_refused_before_any_unit_is_written(tmp_path):
    """Its units and crontab lines were printed and installed cut in two at the break: jobs
    that could never run as written."""
    home = home_for(tmp_path / "two\nlines", music=library(tmp_path / "Music", "A"))
    config = tmp_path / "config"
    for args in ((), ("--install",)):
        refused = schedule(home, *args, env={"XDG_CONFIG_HOME": str(config)})
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert refused.stdout == "" and "line break" in refused.stderr, refused.stderr
        assert not config.exists()


def test_a_home_without_any_library_is_refused(tmp_path):
    refused = schedule(home_for(tmp_path))
    assert refused.returncode == 2
    assert "no kind has a library: nothing to schedule" in refused.stderr


def test_only_jobs_that_can_run_as_written_are_scheduled_and_the_rest_say_what_they_miss(
    tmp_path
):
    rips = library(tmp_path / "Rips", "C")
    home = home_for(tmp_path, conversions=rips)
    # The output folder given once on the command line: the queue is made, the setting not.
    once = subprocess.run(
        [sys.executable, "-m", "mediakeeper", "--home", str(home), "conversions", "batch",
         "--output", str(tmp_path / "Phone"), "--dry-run"],
        cwd=REPO_ROOT, env=script_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert once.returncode == 0, once.stdout + once.stderr
    printed = schedule(home, env={"TMDB_API_KEY": "a-key-in-this-shell-only"})
    assert printed.returncode == 0, printed.stderr
    assert "mediakeeper-conversions-batch" not in printed.stdout
    assert ("Not scheduled: the conversions batch, which would be refused every night: no "
            "output folder") in printed.stderr, printed.stderr
    assert "set [conversions] output in mediakeeper.toml" in printed.stderr
    assert "mediakeeper-watch.service" in printed.stdout  # the watcher is still kept running
    # Once the setting is there, the job is written, and it runs as written.
    with (home / "mediakeeper.toml").open("a", encoding="utf-8") as settings:
        settings.write(f'output = "{tmp_path / "Phone"}"\n')
    printed = schedule(home)
    assert printed.returncode == 0 and "Not scheduled" not in printed.stderr, printed.stderr
    job = exec_argv(units_of(printed.stdout)["mediakeeper-conversions-batch.service"][
        "Service.ExecStart"][0])  # fmt: skip
    env = {k: v for k, v in script_env().items() if k not in ("PYTHONPATH",)}
    ran = subprocess.run(job, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_a_batch_sent_to_a_cluster_is_scheduled_whether_its_scheduler_answers_now_or_not(
    tmp_path
):
    """Checked as its dry run checks it: the scheduler and its workers are up at night or
    not, as they may be now or not (a desktop worker switched off); one that did not answer
    while the schedule was made left the batch out, "refused every night"."""
    rips = library(tmp_path / "Rips", "C")
    cluster = '[cluster]\nscheduler = "{}"\n'
    output = f'output = "{tmp_path / "Phone"}"\n'
    home = home_for(tmp_path, output + cluster.format("tcp://127.0.0.1:9"), conversions=rips)
    printed = schedule(home)
    assert printed.returncode == 0 and "Not scheduled" not in printed.stderr, printed.stderr
    assert "mediakeeper-conversions-batch.service" in printed.stdout
    # What the settings say is still checked: an address no night can reach is refused.
    home = home_for(tmp_path, output + cluster.format("tcp:/nowhere"), conversions=rips)
    printed = schedule(home)
    assert "mediakeeper-conversions-batch" not in printed.stdout
    assert "Not scheduled: the conversions batch" in printed.stderr
    assert "is not a scheduler address" in printed.stderr


def test_a_key_set_only_in_this_shell_is_no_key_for_a_nightly_job(tmp_path):
    movies = tmp_path / "Movies"
    (movies / "Heat (1995)").mkdir(parents=True)
    home = home_for(tmp_path, movies=movies)
    printed = schedule(home, env={"TMDB_API_KEY": "a-key-in-this-shell-only"})
    assert printed.returncode == 0, printed.stderr
    assert "mediakeeper-movies-batch" not in printed.stdout
    assert "Not scheduled: the movies batch" in printed.stderr
    assert "this shell's environment sets it, which a nightly job does not see" in (
        printed.stderr)


def test_without_the_watch_extra_the_watcher_is_not_scheduled_and_it_is_said(tmp_path):
    home = home_for(tmp_path, music=library(tmp_path / "Music", "A"))
    code = ("import sys; sys.modules['watchfiles'] = None\n"
            "from mediakeeper.cli.main import main\n"
            f"sys.argv = ['mediakeeper', 'schedule', '--home', {str(home)!r}]\nmain()")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=script_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "mediakeeper-watch" not in done.stdout
    assert "mediakeeper-music-batch.service" in done.stdout
    assert ("Not scheduled: the watcher, which would be refused at every start: mediakeeper "
            "watch needs the watch extra") in done.stderr, done.stderr
    assert "pip install 'mediakeeper[watch]'" in done.stderr
