"""Issue 63: a pipeline session resumes from anywhere. Its file lies outside the data home's
``pipelines/`` and is given by a path relative to where the run started; the run is killed
(SIGKILL) mid-way, and ``sessions resume``, from another folder, runs the file the session
recorded (its absolute path), refusing in one line while that file has changed or is gone.
And a pipeline or settings file far larger than any real one is refused before it is parsed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO_ROOT, script_env, step, wait_until, write_pipeline
from tests.integration.test_conversions import make_album
from tests.integration.test_sessions_kinds import _completed, _queue


def script(name: str, *args, cwd: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO_ROOT / "utilities" / name),
                             *map(str, args)], cwd=cwd, env=script_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)  # fmt: skip


def finished(name: str, *args, cwd: Path) -> subprocess.CompletedProcess:
    proc = script(name, *args, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:  # timed out: not left running
            proc.kill()
            proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_killed_run_of_a_file_outside_the_home_resumes_from_another_folder(tmp_path):
    for n in range(3):
        make_album(tmp_path / "lib" / f"Artist {n}" / "Album", f"Artist {n}", tracks=3,
                   seconds=4.0)  # fmt: skip
    started, elsewhere, home = tmp_path / "mine", tmp_path / "elsewhere", tmp_path / "home"
    started.mkdir(), elsewhere.mkdir()
    pipeline = write_pipeline(started / "phone.yaml",
                              step("to-opus", "convert", codec="opus", bitrate="96k"),
                              input=tmp_path / "lib", output=tmp_path / "out")  # fmt: skip
    text = pipeline.read_text(encoding="utf-8")
    run = script("pipeline.py", "run", "phone.yaml", "--home", home, cwd=started)
    try:
        assert wait_until(lambda: _completed(home, "pipeline-phone") >= 1, limit=120)
    finally:
        run.kill()
        run.communicate(timeout=60)
    assert run.returncode == -9

    [session] = [line.split()[0] for line in finished("sessions.py", "list", "--home", home,
                                                      cwd=elsewhere).stdout.splitlines()[1:]]
    shown = finished("sessions.py", "show", session, "--home", home, cwd=elsewhere).stdout
    assert f"pipeline file: {pipeline}\n" in shown

    pipeline.write_text(text + "# changed since\n", encoding="utf-8")
    changed = finished("sessions.py", "resume", "--home", home, cwd=elsewhere)
    assert changed.returncode == 2, changed.stdout + changed.stderr
    [line] = changed.stderr.splitlines()
    assert line.startswith("Error: session 20") and "ran the pipeline file " in line
    assert f"{pipeline}, which has changed since (its content hash differs)" in line

    shutil.move(pipeline, tmp_path / "away.yaml")
    gone = finished("sessions.py", "resume", "--home", home, cwd=elsewhere)
    assert gone.returncode == 2, gone.stdout + gone.stderr
    [line] = gone.stderr.splitlines()
    assert line.endswith(f"ran the pipeline file {pipeline}, which is no longer there: it "
                         "cannot be resumed")  # fmt: skip

    pipeline.write_text(text, encoding="utf-8")  # as it was when the session ran it
    resumed = finished("sessions.py", "resume", "--home", home, cwd=elsewhere)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"run {pipeline} --home " in resumed.stdout  # the recorded file, absolute
    assert [i["status"] for i in _queue(home, "pipeline-phone")] == ["completed"] * 3
    for n in range(3):
        assert len(list((tmp_path / "out" / f"Artist {n}" / "Album").glob("*.opus"))) == 3


def test_a_file_far_larger_than_any_real_one_is_refused_before_it_is_parsed(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "w", encoding="utf-8") as f:  # 40 MB of steps: PyYAML took ~20 s on it
        f.write("name: big\ninput: /tmp\noutput: /tmp/out\nsteps:\n")
        f.write("  - {name: a, processor: copy}\n" * 1_290_000)
    refused = finished("pipeline.py", "validate", big, cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr == (f"Error: {big}: 40.0 MB, larger than a pipeline file may be "
                              "(1.0 MB at most): not read\n")  # fmt: skip

    home = tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text("[music]\n" + "# a note\n" * 200_000)
    settings = finished("process_music_batch.py", "--home", home, "--dry-run", cwd=tmp_path)
    assert settings.returncode == 2, settings.stdout + settings.stderr
    assert settings.stderr == (f"Error: {home / 'mediakeeper.toml'}: 1.8 MB, larger than a "
                               "settings file may be (1.0 MB at most): not read\n")  # fmt: skip


def test_a_file_nested_deeper_than_its_parser_recurses_is_refused_in_one_line(tmp_path):
    """Small enough to be read, a few thousand levels deep: PyYAML and tomllib parse by
    recursion and ended the command in a RecursionError's traceback."""
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: deep\nsteps: " + "[" * 5000 + "]" * 5000 + "\n")
    refused = finished("pipeline.py", "validate", deep, cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr == f"Error: {deep}: not valid YAML: it nests too deep to be read\n"

    home = tmp_path / "home"
    home.mkdir()
    (home / "mediakeeper.toml").write_text("[music]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    settings = finished("process_music_batch.py", "--home", home, "--dry-run", cwd=tmp_path)
    assert settings.returncode == 2, settings.stdout + settings.stderr
    assert settings.stderr == (f"Error: {home / 'mediakeeper.toml'}: not valid TOML: it nests "
                               "too deep to be read\n")  # fmt: skip
