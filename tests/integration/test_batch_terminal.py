"""How a batch looks to a person: the real music batch on a demo-like library (the demo's
albums and artists whose names are longer than a terminal line), in a real terminal (tmux at 80
columns by 30 rows), in a pipe, and with NO_COLOR set."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from rich.cells import cell_len

from mediakeeper.demo.tracks import make_track
from mediakeeper.demo.walkthrough import build_library
from tests.helpers import wait_until

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
TMUX = shutil.which("tmux")
WIDTH, HEIGHT = 80, 30

LONG = "The Extraordinarily Long-Named Orchestra and Chorus of the Very Distant Northern Province"
UNDATED = "Somebody With A Name So Long That It Cannot Possibly Fit On One Line Of A Terminal"
ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|[()][A-Z0-9])")
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|38;|9[0-7])[0-9;]*m")


def _tracks(folder: Path, artist: str, *, year: str | None) -> None:
    for n in (1, 2):
        tags = {"title": f"Song {n}", "artist": artist, "album": "Album", "albumartist": artist}
        tags |= {"tracknumber": str(n)} | ({"date": year} if year else {})
        make_track(folder / "Album" / f"0{n} - Song {n}.mp3", "mp3", tags)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The demo's nine artists, four clean artists with long names, and one long-named artist
    whose tracks have no year (a finding no fix answers: it needs a decision)."""
    music = tmp_path_factory.mktemp("library") / "Music"
    build_library(music)
    for n in range(4):
        _tracks(music / f"{LONG} {n}", f"{LONG} {n}", year="2001")
    _tracks(music / UNDATED, UNDATED, year=None)
    return music


@pytest.fixture
def library(built, tmp_path) -> Path:
    """A copy of the library for each test: a batch fixes tags in place."""
    return Path(shutil.copytree(built, tmp_path / "Music"))


def _batch_args(home: Path, library: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(REPO_ROOT / "utilities" / "process_music_batch.py"),
        "--home",
        str(home),
        "--library",
        str(library),
        "--batch-size",
        "50",
        "--workers",
        "1",
        *extra,
    ]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TMUX")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("MEDIAKEEPER_HOME", None)
    return {**env, "TERM": "xterm-256color", **extra}


class Tmux:
    """One private tmux server (its own socket) with one 80x30 window."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        self.socket = tmp / f"tmux-{uuid.uuid4().hex[:8]}"
        self.env = env

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [TMUX, "-S", str(self.socket), "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def run(self, argv: list[str], raw: Path) -> tuple[int, str]:
        """Run ``argv`` in the window to its end; its exit code and the screen after it
        (wrapped lines joined: a line longer than the window shows as one). Everything the
        program wrote, escape codes and all, goes to ``raw``."""
        go, ended = raw.with_suffix(".go"), raw.with_suffix(".status")
        script = (f"while [ ! -e {_quote(str(go))} ]; do sleep 0.02; done; "
                  + run_recording_exit(argv, ended))  # fmt: skip
        size = ["-x", str(WIDTH), "-y", str(HEIGHT)]
        self("new-session", "-d", *size, "-s", "t", "sh", "-c", script)
        try:
            self("set-option", "-t", "t", "remain-on-exit", "on")
            self("pipe-pane", "-t", "t", "-o", f"cat > {_quote(str(raw))}")
            go.touch()
            # The pane is dead once tmux has read the last of the output.
            assert wait_until(lambda: self("display", "-p", "-t", "t", "#{pane_dead}") == "1\n")
            assert ended.exists(), self("capture-pane", "-p", "-t", "t")
            return int(ended.read_text()), self("capture-pane", "-p", "-J", "-t", "t")
        finally:
            subprocess.run([TMUX, "-S", str(self.socket), "kill-server"], capture_output=True)


class Prompted:
    """A command in an 80x30 tmux window that asks questions, answered as a person would
    type; the window stays after the command ends (``then``) so its screen can be read."""

    def __init__(self, tmp: Path, argv: list[str], env: dict[str, str]):
        if TMUX is None:
            pytest.skip("tmux is not installed")
        self.tmux = Tmux(tmp, env)
        self.ended = tmp / f"prompted-{uuid.uuid4().hex[:8]}.status"
        script = run_recording_exit(argv, self.ended, then="sleep 60")
        self.tmux("new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), "-s", "t",
                  "sh", "-c", script)  # fmt: skip

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-t", "t")

    def answer(self, question: str, text: str) -> None:
        """Wait for ``question`` on the last line of the screen, type ``text`` and Enter."""

        def asked() -> bool:
            lines = self.screen().rstrip().splitlines()
            # the question, and nothing typed after it yet
            return bool(lines) and lines[-1].startswith(question) and lines[-1].endswith(":")

        assert wait_until(asked), self.screen()
        if text:
            self.tmux("send-keys", "-t", "t", "-l", text)
        self.tmux("send-keys", "-t", "t", "Enter")

    def status(self) -> int:
        assert wait_until(self.ended.exists), self.screen()
        return int(self.ended.read_text())

    def close(self) -> None:
        subprocess.run([TMUX, "-S", str(self.tmux.socket), "kill-server"], capture_output=True)


def prompted_script(tmp: Path, script: str, *args: str) -> Prompted:
    """One of the user's scripts (``utilities/``) in a real terminal, asking its questions."""
    argv = [sys.executable, str(REPO_ROOT / "utilities" / script), *args]
    return Prompted(tmp, argv, _env())


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_recording_exit(argv: list[str], ended: Path, *, then: str = "") -> str:
    """Shell that runs ``argv``, writes its exit code into ``ended`` whole, then runs
    ``then``: ``echo $? > ended`` makes the file before it writes, so a reader waiting for
    it could read it empty; the code is written aside and renamed."""
    part = _quote(str(ended.with_name(ended.name + ".part")))
    record = f"echo $? > {part} && mv {part} {_quote(str(ended))}"
    return "; ".join(step for step in (" ".join(map(_quote, argv)), record, then) if step)


def _in_tmux(tmp_path: Path, library: Path, **env: str) -> tuple[int, list[str], str]:
    if TMUX is None:
        pytest.skip("tmux is not installed")
    raw = tmp_path / "raw.out"
    status, screen = Tmux(tmp_path, _env(**env)).run(_batch_args(tmp_path / "h", library), raw)
    return status, screen.rstrip("\n").split("\n"), raw.read_bytes().decode("utf-8", "replace")


def _drawn_lines(raw: str) -> list[str]:
    """Each line the program drew, as it stood before the next redraw or line."""
    return [ESCAPE.sub("", part) for part in re.split(r"\r\n|\r|\n|\x1b\[2K", raw)]


def test_in_a_terminal_one_live_line_fits_the_width_and_only_what_needs_you_stays(
    tmp_path, library
):
    status, screen, raw = _in_tmux(tmp_path, library)
    assert status == 1, "\n".join(screen)  # the undated artist needs a decision
    # While the batch ran, its live line fitted the 80 columns, long names cut short...
    drawn = _drawn_lines(raw)
    bars = [line for line in drawn if line.startswith("artists ")]
    assert bars, raw
    home = str(tmp_path / "h")  # lines that name a path print it whole, to be copied
    assert max(cell_len(line.rstrip()) for line in drawn if home not in line) <= WIDTH, drawn
    assert any(line.rstrip().endswith("…") and LONG[:20] in line for line in bars), bars
    # ... and its ETA was labelled, once known.
    assert any(re.search(r" ETA \d+:\d\d:\d\d ", line) for line in bars), bars
    # On a terminal, colour.
    assert COLOUR.search(raw), raw
    # After the run: no live line left, nothing wider than the window but paths, one line
    # (and its detail) per artist that needs a decision, none for the clean ones.
    assert not [line for line in screen if "ETA" in line or "━" in line], screen
    too_wide = [line for line in screen if cell_len(line) > WIDTH and home not in line]
    assert not too_wide, screen
    text = "\n".join(screen)
    assert f"✓ {UNDATED} —" in text.replace("\n", " ").replace("  ", " "), text
    assert LONG not in text and "Daft Punk" not in text, text  # clean: no line of their own
    assert "14 artists completed, 0 failed, 0 skipped" in text


def test_no_color_keeps_the_live_line_and_drops_the_colours(tmp_path, library):
    status, screen, raw = _in_tmux(tmp_path, library, NO_COLOR="1")
    assert status == 1, "\n".join(screen)
    assert any(line.startswith("artists ") for line in _drawn_lines(raw)), raw
    assert not COLOUR.search(raw), raw


def _piped(tmp_path: Path, library: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "h"
    done = subprocess.run(
        _batch_args(home, library, *extra),
        env=_env(),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout + done.stderr  # no escape code, no live line
    return done


def test_in_a_pipe_plain_lines_only_for_what_needs_you(tmp_path, library):
    out = _piped(tmp_path, library).stdout
    lines = out.splitlines()
    # a log keeps each line whole (no wrapping at 80 columns): grep finds the artist
    assert [line for line in lines if line.startswith(f"✓ {UNDATED} — completed: 2 tracks")]
    # and its issue report named, whole, to open (issue 36: "its issue report says which")
    assert [line for line in lines if line.startswith("  1 decision for you (see /")
            and "/issues/music/somebody-with-a-name-so-long" in line], out  # fmt: skip
    assert LONG not in out and "Daft Punk" not in out, out
    assert not [line for line in lines if "ETA" in line], out


def test_verbose_gives_every_artist_its_line_and_quiet_only_the_summary(tmp_path, library):
    verbose = _piped(tmp_path / "v", library, "-v").stdout
    finished = [line for line in verbose.splitlines() if line.startswith("✓ ")]
    assert len(finished) == 14, verbose
    assert re.search(rf"✓ {re.escape(LONG)} 0 — completed: .* \(\d+\.\ds\)$", verbose, re.M)
    quiet = _piped(tmp_path / "q", library, "--quiet").stdout
    assert "Daft Punk" not in quiet and LONG not in quiet, quiet
    assert f"✓ {UNDATED} — completed" in quiet, quiet  # it needs a decision: still said
    assert "14 artists completed, 0 failed, 0 skipped" in quiet, quiet


def test_the_mediakeeper_group_s_v_and_q_are_the_batch_s(tmp_path, library):
    """``mediakeeper -v music batch``: -v and -q given before the command hold for it."""
    outputs = {}
    for flag in ("-v", "-q"):
        args = _batch_args(tmp_path / flag / "h", library)[2:]  # without the script
        done = subprocess.run(
            [sys.executable, "-m", "mediakeeper", flag, "music", "batch", *args],
            env=_env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr  # the library leaves decisions (issue 36)
        outputs[flag] = [line for line in done.stdout.splitlines() if line.startswith("✓ ")]
    assert len(outputs["-v"]) == 14, outputs
    # quiet: only the artists that need you (as --quiet gives, above)
    assert any(line.startswith(f"✓ {UNDATED} — completed") for line in outputs["-q"])
    assert not [line for line in outputs["-q"] if "Daft Punk" in line or LONG in line]


def test_quiet_and_verbose_together_are_a_usage_error(tmp_path, library):
    done = subprocess.run(
        _batch_args(tmp_path / "h", library, "-q", "-v"),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done
    assert "give -q/--quiet or -v/--verbose, not both" in done.stderr
    assert not (tmp_path / "h").exists()


def test_a_dumb_terminal_s_lines_are_wrapped_at_its_own_width(tmp_path, library):
    """rich takes ``TERM=dumb`` (Emacs' shell, a serial console) to be 80 columns wide and
    wrapped the finished items' lines there, on a terminal 40 wide: each line then broke
    again at 40. They wrap at the terminal's own width, as on any other terminal."""
    script = shutil.which("script")
    if script is None:
        pytest.skip("script (util-linux) is not installed")
    batch = " ".join(map(_quote, _batch_args(tmp_path / "h", library, "-v")))
    typescript = tmp_path / "typescript"
    done = subprocess.run([script, "-q", "-e", "-c", f"stty cols 40 rows 30; {batch}",
                           str(typescript)], env=_env(TERM="dumb"), capture_output=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 1, done.stdout  # the undated artist needs a decision
    said = typescript.read_bytes().decode("utf-8", "replace").split("\n", 1)[1]
    lines = [ESCAPE.sub("", line) for line in re.split(r"\r\n|\n", said)]
    assert any(line.startswith("✓ ") for line in lines), lines
    home = str(tmp_path / "h")
    wide = [line for line in lines if cell_len(line.rstrip()) > 40 and home not in line
            and not line.startswith("Script ")]  # fmt: skip
    assert not wide, wide
