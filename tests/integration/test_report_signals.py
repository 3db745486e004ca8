"""Ctrl+C while the weekly report or the dashboard is written: exit 130, one word, no
traceback, and every report as it was or whole and new. A report's .md and .html are one
report in two forms: they are replaced together, so a pair is never this run's .md beside
the last run's .html.

The weekly reports of three years (157 pairs, a few seconds to write) give the signal time to
land at different moments: as the script starts, once the first pair is written, half-way,
and one signal after another until the process ends."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediakeeper.queue.items import iso, new_item, new_queue
from mediakeeper.queue.store import QueueStore
from tests.helpers import REPO_ROOT, wait_until

NOW = "2026-11-20T10:00Z"
OLD = 946684800  # 2000-01-01: the previous reports' time, before any this test writes


def _home(root: Path) -> Path:
    """A queue of 930 artists completed one a day over three years."""
    start = datetime(2023, 11, 20, tzinfo=UTC)
    items = []
    for i in range(930):
        item = new_item(f"a{i:04d}", f"Artist {i}", f"/nowhere/a{i:04d}")
        done = iso(start + timedelta(hours=26 * i))
        item.update(status="completed", started_at=done, completed_at=done, track_count=18)
        items.append(item)
    QueueStore(root / "status" / "music", "music").create(
        new_queue("music", "/nowhere", items, start)
    )
    return root


def _script(name: str, home: Path, *args: str) -> list[str]:
    return [sys.executable, str(REPO_ROOT / "utilities" / name), "--home", str(home), *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("MEDIAKEEPER_HOME", None)
    return env


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> tuple[Path, dict[str, bytes]]:
    """The data home, and every report file as a whole run writes it (name -> bytes)."""
    home = _home(tmp_path_factory.mktemp("reports") / "home")
    reference = tmp_path_factory.mktemp("reference") / "home"
    shutil.copytree(home, reference)
    done = subprocess.run(
        _script("weekly_report.py", reference, "--all", "--now", NOW),
        env=_env(),
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    folder = reference / "status" / "reports"
    return home, {p.name: p.read_bytes() for p in folder.iterdir()}


def _previous(home: Path, new: dict[str, bytes], tmp: Path) -> Path:
    """A copy of ``home`` whose reports folder holds a previous version of every report."""
    copy = Path(shutil.copytree(home, tmp / "home"))
    folder = copy / "status" / "reports"
    folder.mkdir()
    for name in new:
        (folder / name).write_bytes(b"previous " + name.encode())
        os.utime(folder / name, (OLD, OLD))
    return copy


def _started(pid: int) -> bool:
    """The script runs its own code: it catches SIGTERM (Python alone does not), or it is
    importing the report templates' engine (its compiled part is mapped)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        caught = next(line for line in status if line.startswith("SigCgt:"))
    if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
        return True
    with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
        return "markupsafe" in maps.read()


def _replaced(folder: Path) -> int:
    """How many reports have been replaced (temp files, which come and go, left aside)."""
    return sum(
        1
        for entry in os.scandir(folder)
        if not entry.name.startswith(".") and entry.stat().st_mtime > OLD + 1
    )


def _stopped(code: int, err: bytes) -> None:
    """Exit 130 and one word (none when a second signal ended it at once), no traceback."""
    assert code == 130, err
    assert set(err.decode().splitlines()) <= {"interrupted"}, err


def _check(folder: Path, new: dict[str, bytes], done: subprocess.CompletedProcess) -> None:
    _stopped(done.returncode, done.stderr)
    assert sorted(p.name for p in folder.iterdir()) == sorted(new)  # no temp file left
    for name in new:
        if name.endswith(".md"):
            html = name.removesuffix(".md") + ".html"
            pair = ((folder / name).read_bytes(), (folder / html).read_bytes())
            previous = (b"previous " + name.encode(), b"previous " + html.encode())
            assert pair in (previous, (new[name], new[html])), name


# "repeated": from the first report on, one signal after another until the process ends
@pytest.mark.parametrize("moment", ["at the start", "after one report", "half-way", "repeated"])
def test_ctrl_c_while_the_weekly_reports_are_written(reports, tmp_path, moment):
    home, new = reports
    copy = _previous(home, new, tmp_path)
    folder = copy / "status" / "reports"
    proc = subprocess.Popen(
        _script("weekly_report.py", copy, "--all", "--now", NOW),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        if moment == "at the start":
            assert wait_until(lambda: _started(proc.pid))
        else:
            wanted = 2 if moment != "half-way" else len(new) // 2
            assert wait_until(lambda: _replaced(folder) >= wanted, limit=120)
        proc.send_signal(signal.SIGINT)
        while moment == "repeated" and proc.poll() is None:
            time.sleep(0.005)
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _check(folder, new, subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    if moment == "half-way":  # it stopped before the end, and the next run writes the rest
        assert _replaced(folder) < len(new)


@pytest.mark.parametrize("moment", ["at the start", "repeated"])
def test_ctrl_c_while_the_dashboard_is_written(reports, tmp_path, moment):
    home, _ = reports
    page = tmp_path / "dashboard.html"
    page.write_bytes(b"previous dashboard")
    proc = subprocess.Popen(
        _script("media_dashboard.py", home, "--html", str(page), "--now", NOW),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_until(lambda: _started(proc.pid))
        proc.send_signal(signal.SIGINT)
        while moment == "repeated" and proc.poll() is None:
            time.sleep(0.005)
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _stopped(proc.returncode, err)
    text = page.read_bytes()
    assert text == b"previous dashboard" or text.rstrip().endswith(b"</html>"), text[-200:]
    assert [p.name for p in tmp_path.iterdir()] == ["dashboard.html"]
