"""A real watcher in a real subprocess (``python -m mediakeeper watch``), its output read as
it comes, and the libraries and data homes the watch tests share."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.queue.store import QueueStore
from tests.helpers import REPO_ROOT, build_library, script_env, wait_until

SETTLE = "1.5"  # seconds: short, so the tests do not wait half a minute per folder


def track(title: str, artist: str = "Artist", album: str = "Album") -> dict:
    return {"tags": {"title": title, "artist": artist, "albumartist": artist,
                     "album": album, "tracknumber": "1", "date": "2001"}}  # fmt: skip


def home_for(tmp_path: Path, settings: str = "", **libraries: Path) -> Path:
    """A data home whose settings name each kind's library (``music=path``), followed by
    ``settings`` (more sections: ``"[watch]\\npolling = true\\n"``)."""
    home = tmp_path / "home"
    (home / "status").mkdir(parents=True, exist_ok=True)
    text = "".join(f'[{kind}]\nlibrary = "{path}"\n' for kind, path in libraries.items())
    (home / "mediakeeper.toml").write_text(text + settings, encoding="utf-8")
    return home


def library(root: Path, *artists: str) -> Path:
    return build_library(root, {f"{a}/Album/01 - One.flac": track("One", a) for a in artists})


def items(home: Path, kind: str = "music") -> dict[str, dict]:
    store = QueueStore(home / "status" / kind, kind)
    if not store.exists():
        return {}
    return {item["name"]: item for item in store.peek()["items"]}


def in_user_namespace(inotify_watches: int) -> list[str]:
    """The words that run a command in a user namespace of its own (as its root, which
    reads no file of a user it does not map: one owned by ``STRANGER`` with no permission
    for others is unreadable there, as for a person's own watcher), where the kernel lets
    it hold ``inotify_watches`` inotify watches at most: the limit a watcher reaches for
    real. Skips the test where user namespaces cannot be made."""
    probe = subprocess.run(["unshare", "-U", "-r", "cat", LIMIT_FILE], capture_output=True,
                           text=True, check=False)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"no user namespace can be made here: {probe.stderr.strip()}")
    return ["unshare", "-U", "-r", "sh", "-c", f'echo "$0" > {LIMIT_FILE} && exec "$@"',
            str(inotify_watches)]  # fmt: skip


LIMIT_FILE = "/proc/sys/user/max_inotify_watches"  # the namespace's own limit
STRANGER = 4321  # a user no namespace of the tests maps


class Watching:
    """``python -m mediakeeper watch --home H ...`` running; ``lines()`` what it said.
    ``within``: the words the watcher is run in (``in_user_namespace``)."""

    def __init__(self, tmp_path: Path, home: Path, *args: str, settle: str = SETTLE,
                 within: list[str] = ()):  # fmt: skip
        self.out = tmp_path / f"watch-{len(list(tmp_path.glob('watch-*')))}.log"
        self.handle = self.out.open("w")
        self.proc = subprocess.Popen(
            [*within, sys.executable, "-m", "mediakeeper", "watch", "--home", str(home),
             "--settle", settle, *args],
            cwd=REPO_ROOT, env=script_env(), stdout=self.handle, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def said(self, words: str, *, limit: float = 60) -> bool:
        return wait_until(lambda: words in self.text() or self.proc.poll() is not None,
                          limit=limit) and words in self.text()  # fmt: skip

    def stop(self, sig: int = signal.SIGTERM, limit: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=limit)
        finally:
            self.handle.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.handle.close()


class HeldDecoder:
    """An ``[ffmpeg] path`` that the test holds: while ``hold()`` is on, every run of it
    waits (after saying so in ``entered``) until ``release()``, then is the toolkit's own
    ffmpeg. A verify batch started by ``watch --run`` is thus held inside its first decode
    for as long as the test needs: the watcher waits on that batch at a known instant."""

    def __init__(self, folder: Path):
        from mediakeeper.media import ffmpeg

        folder.mkdir(parents=True, exist_ok=True)
        self.gate, self.entered = folder / "hold", folder / "entered"
        self.path = folder / "ffmpeg"
        self.path.write_text(
            "#!/bin/sh\n"
            f'while [ -e "{self.gate}" ]; do touch "{self.entered}"; sleep 0.05; done\n'
            f'exec "{ffmpeg.find()}" "$@"\n', encoding="utf-8")  # fmt: skip
        self.path.chmod(0o755)

    @property
    def setting(self) -> str:
        return f'[ffmpeg]\npath = "{self.path}"\n'

    def hold(self) -> None:
        self.gate.touch()
        self.entered.unlink(missing_ok=True)

    def held(self, limit: float = 120) -> bool:
        """Whether a run of it is waiting (within ``limit`` seconds)."""
        return wait_until(self.entered.exists, limit=limit)

    def release(self) -> None:
        self.gate.unlink(missing_ok=True)
