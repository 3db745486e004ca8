"""Pipelines: every validation error, a dry run that writes nothing, steps in order with a
failure at step N keeping 1..N-1, a changed pipeline noticed; and the replaygain processor's
values against ffmpeg's own measurement, tag keys per format read back with mutagen."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen
import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg, replaygain
from tests.helpers import run_pasted, step, write_pipeline
from tests.integration.test_conversions import mounts  # noqa: F401 (a fixture: tmpfs mounts)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "utilities" / "pipeline.py"


@pytest.fixture(scope="module")
def exe() -> str:
    return ffmpeg.find()


def run(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def library(exe: str, root: Path) -> Path:
    for album in ("Artist/One", "Artist/Two"):
        for n in (1, 2):
            synth.tone(exe, root / "lib" / album / f"0{n}.flac", 1.0, frequency=300 * n)
    return root / "lib"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_validation_names_every_error_with_file_step_and_key(tmp_path):
    bad = write(tmp_path / "bad.yaml", """\
name: phone
input: {missing}
output: {out}
colour: red
settings: {{checkpoint_evry: 5}}
steps:
  - name: a
    processor: convrt
    parms: {{}}
  - name: a
    processor: convert
    params: {{bitrate: 5}}
  - name: cut
    processor: split
    params: {{mode: fixed, seconds: -3}}
    settings: {{checkpoint_every: 5}}
  - just text
  - name: none
""".format(missing=tmp_path / "nowhere", out=tmp_path / "out"))
    result = run("validate", bad, cwd=tmp_path)
    assert result.returncode == 2
    err = result.stderr
    assert "Traceback" not in err
    assert f"input: the folder {tmp_path / 'nowhere'} does not exist" in err
    assert "step 1 (a): processor: no processor 'convrt'; did you mean convert?" in err
    assert "step 2 (a): name: 'a' is used twice" in err
    assert "step 2 (a): params.codec: required by convert, missing" in err
    assert "step 2 (a): params.bitrate: must be kilobits per second like 128k, not 5" in err
    assert "step 3 (cut): params.seconds: must be at least 1, not -3" in err
    assert "bad.yaml: line 4: unknown key 'colour' (known: name, description, input, " in err
    assert ("bad.yaml: line 5: settings: unknown key 'checkpoint_evry' (known: "
            "checkpoint_every, ") in err  # fmt: skip
    assert "step 1 (a): unknown key 'parms' (known: name, processor, params)" in err
    # A step's settings are the pipeline's: said with the step's keys, not the settings'.
    assert "step 3 (cut): unknown key 'settings' (known: name, processor, params)" in err
    assert "step 4: must be a mapping of name, processor, params" in err
    assert "step 5 (none): processor: missing (one of: convert, copy, merge-m4b, " in err
    assert len(err.strip().splitlines()) == 12, err  # each problem once
    assert all(line.startswith(("Error: bad.yaml", "bad.yaml")) or str(bad) in line
               for line in err.strip().splitlines())  # fmt: skip

    broken = write(tmp_path / "broken.yaml", "name: x\nsteps: [a, b\n")
    result = run("validate", broken, cwd=tmp_path)
    assert result.returncode == 2
    assert re.search(r"broken\.yaml: line \d+, column \d+: not valid YAML", result.stderr)
    assert "Traceback" not in result.stderr


LAUGHS = "".join(  # each level nine of the one before: 9 ** 9 texts, in 500 bytes of YAML
    f"{name}: &{name} [{', '.join([f'*{below}'] * 9)}]\n"
    for below, name in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize("where", ["name", "input", "steps[0].processor", "steps[0].name",
                                   "steps[0].params.codec", "steps[0].params.bitrate"])  # fmt: skip
def test_a_value_that_aliases_expand_to_billions_is_said_in_a_short_line(tmp_path, where):
    """YAML's aliases make a 500-byte file a list of 387 million texts: validate wrote
    it all into its one line (a gigabyte, minutes of CPU) where a name or a value was
    wanted."""
    lib = tmp_path / "lib"
    lib.mkdir()
    fields = {"name": "laughs", "input": str(lib), "output": str(tmp_path / "out")}
    step = {"name": "one", "processor": "convert", "params": {"codec": "opus"}}
    if where.startswith("steps[0].params."):
        step["params"][where.rsplit(".", 1)[1]] = "*i"
    elif where.startswith("steps[0]."):
        step[where.rsplit(".", 1)[1]] = "*i"
    else:
        fields[where] = "*i"
    text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + LAUGHS
    text += "".join(f"{key}: {value}\n" for key, value in fields.items())
    params = ", ".join(f"{k}: {v}" for k, v in step["params"].items())
    text += (f"steps:\n  - {{name: {step['name']}, processor: {step['processor']}, "
             f"params: {{{params}}}}}\n")  # fmt: skip
    given = write(tmp_path / "laughs.yaml", text)
    result = run("validate", given, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    said = [line for line in result.stderr.splitlines() if "unknown key" not in line]
    assert len(said) == 1 and len(said[0]) < 1000, result.stderr[:3000]
    assert "Traceback" not in result.stderr


def test_each_problem_names_the_line_of_the_file_it_is_on(tmp_path):
    """A problem named its step and key, never the line: in a long file, or a step that is
    not named, a person counted steps to find it, where an editor goes to a line."""
    lib = tmp_path / "lib"
    lib.mkdir()
    given = write(tmp_path / "p.yaml", f"""\
name: lines
input: {lib}
output: {tmp_path / 'out'}
colour: red
steps:
  - name: one
    processor: convert
    params: {{codec: opus, bitrate: 128}}
  - name: two
    processor: nosuch
  - processor: split
settings:
  stall_timeout: -1
""")
    result = run("validate", given, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.removeprefix("Error: ").replace(f"{tmp_path}/", "").splitlines()
    expected = [  # in the file's order
        "p.yaml: line 4: unknown key 'colour'",
        "p.yaml: line 8: step 1 (one): params.bitrate: must be kilobits per second like 128k",
        "p.yaml: line 10: step 2 (two): processor: no processor 'nosuch'",
        "p.yaml: line 11: step 3: name: missing",
        "p.yaml: line 11: step 3: params.mode: required by split, missing",
        "p.yaml: line 13: settings.stall_timeout: must be at least 1, not -1",
    ]
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_a_bit_rate_written_as_a_bare_number_is_said_to_miss_its_k(tmp_path):
    """`bitrate: 128`, as most would write it, said "must be text, not int 128": quoted
    ("128") it would still be refused. It is said as the rate it misses the unit of."""
    lib = tmp_path / "lib"
    lib.mkdir()
    given = write(tmp_path / "p.yaml", f"""\
name: phone
input: {lib}
output: {tmp_path / 'out'}
steps:
  - {{name: small, processor: convert, params: {{codec: opus, bitrate: 128}}}}
""")
    result = run("validate", given, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "step 1 (small): params.bitrate: must be kilobits per second like 128k, not 128" \
        in result.stderr, result.stderr  # fmt: skip
    assert "must be text" not in result.stderr


def test_validate_refuses_the_places_run_refuses(tmp_path):
    """An output or archive in, or the same as, its input: run refused it; validate said
    "valid"."""
    lib = tmp_path / "lib"
    lib.mkdir()
    inside, beside = lib / "out", tmp_path / "out"
    for where, said in [({"output": inside}, f"the output folder {inside} is inside the input "
                                             f"{lib}"),
                        ({"output": beside, "archive": lib},
                         f"the archive folder {lib} is the input {lib}")]:  # fmt: skip
        spec = write_pipeline(tmp_path / "places.yaml", step("loudness", "replaygain"),
                              input=lib, **where)
        for asked in (("validate", spec), ("run", spec, "--dry-run")):
            result = run(*asked, cwd=tmp_path)
            assert result.returncode == 2, (asked, result.stdout + result.stderr)
            assert said in result.stderr and "valid (" not in result.stdout, result.stderr


def test_validate_says_every_place_that_overlaps_at_its_line_among_the_other_problems(tmp_path):
    """The overlap was looked for only once the rest of the file was right, and the first
    alone: a file with a bad parameter said that alone, then, mended, its output, then its
    archive. Every problem is said at once, each at its line, in the file's order."""
    lib = tmp_path / "lib"
    lib.mkdir()
    spec = write_pipeline(tmp_path / "places.yaml", step("small", "convert", codec="opus",
                                                         bitrate=64),
                          input=lib, output=lib / "out", archive=tmp_path)  # fmt: skip
    written = spec.read_text(encoding="utf-8").splitlines()

    def line_of(key: str) -> str:
        at = next(n for n, text in enumerate(written, 1) if text.lstrip().startswith(key))
        return f"line {at}"

    result = run("validate", spec, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.removeprefix("Error: ").splitlines()
    assert [line.split(": ")[1:3] for line in lines] == [
        [line_of("output:"), "output"], [line_of("archive:"), "archive"],
        [line_of("bitrate:"), "step 1 (small)"]], lines  # fmt: skip
    assert f"the output folder {lib / 'out'} is inside the input {lib}" in lines[0]
    assert f"the archive folder {tmp_path} holds the input {lib}" in lines[1]


def phone(tmp_path: Path, lib: Path, steps: str, archive: str = "") -> Path:
    return write(tmp_path / "phone.yaml", f"""\
name: phone
input: {lib}
output: {tmp_path / 'out'}
{archive}
steps:
{steps}""")


TO_FLAC = "  - {name: to-flac, processor: convert, params: {codec: flac}}\n"
LOUDNESS = "  - {name: loudness, processor: replaygain, params: {album: true}}\n"
ARCHIVE = "  - {name: keep, processor: copy}\n"


def blocked_archive(tmp_path: Path) -> str:
    """An archive whose place for each album already holds a file no run placed: a ``copy``
    step fails there, mid-run (it never replaces a file it did not place)."""
    arch = tmp_path / "arch"
    for album in ("One", "Two"):
        (arch / "Artist" / album).mkdir(parents=True)
        (arch / "Artist" / album / "01.flac").write_bytes(b"not this pipeline's")
    return f"archive: {arch}"


def tree(root: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_a_dry_run_shows_each_step_and_writes_nothing(tmp_path, exe):
    lib = library(exe, tmp_path)
    pipeline = phone(tmp_path, lib, TO_FLAC + LOUDNESS)
    before = tree(tmp_path)
    result = run("run", pipeline, "--dry-run", "--home", tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Step 1: to-flac (convert)" in result.stdout
    assert "Step 2: loudness (replaygain) album: true - " in result.stdout  # as written
    assert "Artist/One: 2 files, needs about" in result.stdout
    assert "2 albums would be taken" in result.stdout
    assert tree(tmp_path) == before  # not even the data home or the queue


def test_a_dry_run_shows_an_album_named_with_an_escape_sequence_on_one_line(tmp_path, exe):
    """An album folder's name is shown as every terminal line shows a name (``one_line``):
    an escape sequence in it (an OSC 8 link, a window title) is its escape, never sent to the
    terminal raw, and a line feed keeps the album on its line."""
    name = "Evil\x1b]8;;https:evil.example\x1b\\Click\x1b]0;pwned\x07\nAlbum"
    synth.tone(exe, tmp_path / "lib" / "Artist" / name / "01.flac", 1.0, frequency=300)
    pipeline = phone(tmp_path, tmp_path / "lib", TO_FLAC)
    result = run("run", pipeline, "--dry-run", "--home", tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr, result.stdout
    assert ("  Artist/Evil\\x1b]8;;https:evil.example\\x1b\\Click\\x1b]0;pwned\\x07\\x0aAlbum: "
            "1 file, needs about") in result.stdout, result.stdout


def test_each_run_takes_what_its_input_holds_now_and_its_dry_run_says_so(tmp_path, exe):
    """A pipeline's queue was made once, at its first run: an album folder added to its
    input after it was never converted (the run said "0 albums completed"), while the dry
    run listed every folder on disk, done or not. Each run now refreshes it first."""
    lib = library(exe, tmp_path)
    home = tmp_path / "home"
    pipeline = phone(tmp_path, lib, TO_FLAC)
    assert run("run", pipeline, "--home", home, cwd=tmp_path).returncode == 0
    out = tmp_path / "out" / "Artist"
    assert sorted(os.listdir(out)) == ["One", "Two"]

    synth.tone(exe, lib / "Artist" / "Three" / "01.flac", 1.0)
    before = tree(tmp_path)
    dry = run("run", pipeline, "--dry-run", "--home", home, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "  Artist/Three: 1 file, needs about" in dry.stdout
    assert "Artist/One" not in dry.stdout and "Artist/Two" not in dry.stdout, dry.stdout
    assert "\n1 album would be taken;" in dry.stdout
    assert tree(tmp_path) == before  # the queue not refreshed: read as it would be
    added = run("run", pipeline, "--home", home, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "  added   Artist/Three" in added.stdout
    assert "1 album completed" in added.stdout
    assert sorted(os.listdir(out)) == ["One", "Three", "Two"]

    # An album changed since it completed is done again, its own earlier output replaced.
    synth.tone(exe, lib / "Artist" / "One" / "01.flac", 3.0, frequency=300)
    changed = run("run", pipeline, "--home", home, cwd=tmp_path)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "  changed Artist/One" in changed.stdout
    assert abs(ffmpeg.decoded_length(exe, out / "One" / "01.flac") - 3.0) < 0.1

    dry = run("run", pipeline, "--dry-run", "--home", home, cwd=tmp_path)
    assert "\n0 albums would be taken;" in dry.stdout, dry.stdout
    idle = run("run", pipeline, "--home", home, "--retry-errors", cwd=tmp_path)
    assert idle.returncode == 0, idle.stderr
    assert (f"Nothing to do: no pending albums or errors. Album folders new or changed in "
            f"{lib} are taken by the next run.") in idle.stdout  # fmt: skip


def hinted(said: str) -> list[str]:
    """The command a hint names between backquotes, as words."""
    return shlex.split(re.search(r"`([^`]+)`", said).group(1))


def test_a_damaged_queue_says_how_to_recover_with_commands_that_exist(tmp_path, exe):
    """A pipeline's queue that cannot be read: its hint named `pipeline-flac queue
    --init --force` (and, with a checkpoint, `--restore-checkpoint`), which do not exist. It
    says to move the file aside and names the `pipeline run` that then makes a new queue; the
    dashboard, which does not know the pipeline, names its next batch."""
    home, lib, out = tmp_path / "home", library(exe, tmp_path), tmp_path / "portable"
    first = run("run", "flac", "--home", home, "--input", lib, "--output", out, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    queue = home / "status" / "pipeline-flac" / "processing_queue.json"
    queue.write_text('{"garbage')  # no library named in it any more
    refused = run("run", "flac", "--home", home, "--input", lib, "--output", out, cwd=tmp_path)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "pipeline-flac queue" not in refused.stderr, refused.stderr
    assert f"move {queue} aside: `" in refused.stderr, refused.stderr
    command = hinted(refused.stderr)
    assert command[-8:] == ["--home", str(home), "run", "flac", "--input", str(lib),
                            "--output", str(out)]  # fmt: skip
    queue.rename(tmp_path / "damaged.json")  # as the hint says
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Created the pipeline-flac queue with 2 albums" in again.stdout

    queue.write_text('{"garbage')
    dashboard = [sys.executable, ROOT / "utilities" / "media_dashboard.py", "--home", home]
    board = subprocess.run(dashboard, env=env, capture_output=True, text=True, timeout=120)
    assert board.returncode == 0, board.stderr
    [said] = [line for line in board.stdout.splitlines() if "cannot be read" in line]
    assert "pipeline-flac queue" not in said and f"move {queue} aside: its next batch" in said


def test_two_pipelines_each_count_their_week_under_their_own_name(tmp_path, exe):
    """The dashboard's week said "items completed 1 · items completed 2" and the weekly
    report two rows "Items completed": which pipeline made which could not be told."""
    home, lib = tmp_path / "home", library(exe, tmp_path)
    for name, size in (("flac", 1), ("opus", 2)):
        made = run("run", name, "--home", home, "--input", lib, "--output", tmp_path / name,
                   "--batch-size", size, cwd=tmp_path)  # fmt: skip
        assert made.returncode == 0, made.stdout + made.stderr
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    board = subprocess.run([sys.executable, ROOT / "utilities" / "media_dashboard.py",
                            "--home", home],
                           env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert board.returncode == 0, board.stderr
    week = board.stdout.split("THIS WEEK")[1].splitlines()
    assert week[1] == "  pipeline-flac items completed 1 · pipeline-opus items completed 2", week
    weekly = subprocess.run([sys.executable, ROOT / "utilities" / "weekly_report.py",
                             "--home", home],
                            env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert weekly.returncode == 0, weekly.stderr
    text = Path(weekly.stdout.splitlines()[0]).read_text(encoding="utf-8")
    assert "| Pipeline-flac items completed | 1 |" in text, text
    assert "| Pipeline-opus items completed | 2 |" in text, text


def test_its_hints_name_pipeline_run_which_runs(tmp_path, exe):
    """A pipeline has no queue manager: its hints named `mediakeeper pipeline-opus queue
    --refresh` and `... --init --force`, which do not exist."""
    home, lib, out = tmp_path / "home", tmp_path / "rips", tmp_path / "portable"
    lib.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    empty = run("run", "flac", "--home", home, "--input", lib, "--output", out, cwd=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert f"Warning: {lib} has no album folders" in empty.stderr
    command = hinted(empty.stderr)
    assert command[-8:] == ["--home", str(home), "run", "flac", "--input", str(lib),
                            "--output", str(out)]  # fmt: skip
    synth.tone(exe, lib / "Album" / "01.flac", 1.0)
    taken = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)  # fmt: skip
    assert taken.returncode == 0, taken.stderr
    assert os.listdir(out / "Album") == ["01.flac"]

    other = tmp_path / "other"
    synth.tone(exe, other / "Album" / "01.flac", 1.0)
    for dry in ((), ("--dry-run",)):  # the dry run refuses what the run refuses
        refused = run("run", "flac", "--home", home, "--input", other, "--output", out, *dry,
                      cwd=tmp_path)  # fmt: skip
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert f"is for the folder {lib}, not {other}" in refused.stderr
        assert "mediakeeper pipeline-flac" not in refused.stderr, refused.stderr
    again = subprocess.run(hinted(refused.stderr), cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "Nothing to do: no pending albums." in again.stdout

    a_file = lib / "Album" / "01.flac"
    refused = run("run", "flac", "--home", home, "--input", a_file, "--output", out, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == f"Error: --input: {a_file} is not a folder\n"


def test_a_failing_step_keeps_the_steps_before_it_and_resume_goes_on_from_it(tmp_path, exe):
    lib = library(exe, tmp_path)
    home = tmp_path / "home"
    # Step 2 copies to the archive, where a file no run placed lies: it fails, step 1 stays.
    pipeline = phone(tmp_path, lib, TO_FLAC + ARCHIVE + LOUDNESS, blocked_archive(tmp_path))
    first = run("run", pipeline, "--home", home, "--batch-size", "1", cwd=tmp_path)
    assert first.returncode == 1
    assert "step 2 (keep): " in first.stderr, first.stderr
    wd = home / "working" / "pipeline-phone" / next(iter(
        os.listdir(home / "working" / "pipeline-phone")))  # fmt: skip
    names = sorted(os.listdir(wd))
    assert [n.split("-")[0] for n in names] == ["1", "_source", "state.json"], names
    # Step 1's result is not made again: a mark left in it reaches the output.
    (wd / names[0] / "mark.txt").write_text("step 1 kept")
    assert not (tmp_path / "out").exists()

    shutil.rmtree(tmp_path / "arch")
    again = run("run", pipeline, "--home", home, "--resume", "--batch-size", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    out = tmp_path / "out" / "Artist" / "One"
    assert sorted(os.listdir(out)) == ["01.flac", "02.flac", "mark.txt"]
    assert sorted(os.listdir(tmp_path / "arch" / "Artist" / "One")) == [
        "01.flac", "02.flac", "mark.txt"]  # fmt: skip
    assert replaygain.read(out / "01.flac")  # step 3 ran on step 2's outputs
    assert not wd.exists()


def test_a_changed_pipeline_redoes_the_album_from_its_first_changed_step(tmp_path, exe):
    lib = library(exe, tmp_path)
    home = tmp_path / "home"
    pipeline = phone(tmp_path, lib, TO_FLAC + ARCHIVE, blocked_archive(tmp_path))
    assert run("run", pipeline, "--home", home, "--batch-size", "1", cwd=tmp_path).returncode == 1
    wd = home / "working" / "pipeline-phone"
    step1 = next(next(wd.iterdir()).glob("1-*"))
    (step1 / "mark.txt").write_text("made by the old step 1")

    to_mp3 = "  - {name: to-flac, processor: convert, params: {codec: mp3}}\n"
    phone(tmp_path, lib, to_mp3 + LOUDNESS)
    again = run("run", pipeline, "--home", home, "--resume", "--batch-size", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    logs = home / "status" / "pipeline-phone" / "session_logs"
    last = max(os.listdir(logs))  # named by date and number; a listing's order is the disk's
    assert "changed since this album was started: redone from step 1 (to-flac)" in (
        logs / last).read_text()
    assert sorted(os.listdir(tmp_path / "out" / "Artist" / "One")) == ["01.mp3", "02.mp3"]


def ffmpeg_loudness(exe: str, paths: list[Path]) -> tuple[float, float]:
    """ffmpeg's own ebur128 summary, run directly: (integrated LUFS, true peak dBFS)."""
    inputs = [a for p in paths for a in ("-i", str(p))]
    joined = "".join(f"[{i}:a]" for i in range(len(paths)))
    graph = f"{joined}concat=n={len(paths)}:v=0:a=1,ebur128=peak=true"
    err = subprocess.run([exe, "-nostdin", "-hide_banner", *inputs, "-filter_complex", graph,
                          "-f", "null", "-"], capture_output=True, text=True).stderr  # fmt: skip
    summary = err.rpartition("Summary:")[2]
    loud = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return loud, peak


@pytest.mark.parametrize("ext", ["flac", "mp3", "ogg", "m4a", "opus", "wv"])
def test_replaygain_values_and_keys_per_format(tmp_path, exe, ext):
    files = [synth.tone(exe, tmp_path / f"0{n}.{ext}", 1.0 + n, frequency=220 * n) for n in (1, 2)]
    old = mutagen.File(files[0])
    if old.tags is None:
        old.add_tags()
    if ext in ("flac", "ogg", "wv", "opus"):  # an old variant in another letter case goes
        old.tags["replaygain_track_gain"] = "+1.00 dB" if ext == "wv" else ["+1.00 dB"]
        old.save()
    replaygain.tag_album(exe, files, album=True)
    track_lufs, track_peak = ffmpeg_loudness(exe, files[:1])
    album_lufs, _ = ffmpeg_loudness(exe, files)
    tags = mutagen.File(files[0]).tags
    if ext == "opus":
        keys = {k.upper() for k in tags.keys()}  # noqa: SIM118
        assert {"R128_TRACK_GAIN", "R128_ALBUM_GAIN"} <= keys
        assert not [k for k in keys if k.startswith("REPLAYGAIN_")]  # never in Opus
        assert abs(int(tags["R128_TRACK_GAIN"][0]) / 256 - (-23 - track_lufs)) < 0.5
        assert abs(int(tags["R128_ALBUM_GAIN"][0]) / 256 - (-23 - album_lufs)) < 0.5
        return
    if ext == "mp3":
        gain = tags["TXXX:REPLAYGAIN_TRACK_GAIN"].text[0]
        album = tags["TXXX:REPLAYGAIN_ALBUM_GAIN"].text[0]
        peak = tags["TXXX:REPLAYGAIN_TRACK_PEAK"].text[0]
    elif ext == "m4a":
        key = "----:com.apple.iTunes:replaygain_"
        gain, album, peak = (bytes(tags[key + n][0]).decode()
                             for n in ("track_gain", "album_gain", "track_peak"))  # fmt: skip
    else:
        gain, album, peak = (str(tags[n] if ext == "wv" else tags[n][0]) for n in (
            "REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_ALBUM_GAIN", "REPLAYGAIN_TRACK_PEAK"))  # fmt: skip
        # The old lower-case one is gone: one field of that name, written upper-case.
        pairs = tags.keys() if ext == "wv" else [k for k, _ in tags]
        assert [k for k in pairs if k.upper() == "REPLAYGAIN_TRACK_GAIN"] == [
            "REPLAYGAIN_TRACK_GAIN"]  # fmt: skip
    assert abs(float(gain.split()[0]) - (-18 - track_lufs)) < 0.5
    assert abs(float(album.split()[0]) - (-18 - album_lufs)) < 0.5
    assert abs(float(peak) - 10 ** (track_peak / 20)) < 0.01


def test_continue_on_error_false_stops_the_run_at_the_first_failed_album(tmp_path, exe):
    lib = library(exe, tmp_path)
    home = tmp_path / "home"
    pipeline = phone(tmp_path, lib, TO_FLAC + ARCHIVE, blocked_archive(tmp_path)
                     + "\nsettings: {continue_on_error: false}")  # fmt: skip
    result = run("run", pipeline, "--home", home, "--batch-size", "2", cwd=tmp_path)
    assert result.returncode == 1
    queue = (home / "status" / "pipeline-phone" / "processing_queue.json").read_text()
    assert queue.count('"status": "pending"') == 1  # the second album was not taken


def test_a_failure_naming_a_file_with_a_line_feed_is_said_on_one_line(tmp_path, exe):
    """The album's line, the closing lines (say) and the errors listed after them broke
    where the error named a file whose name holds a line feed: each keeps to one line."""
    album = tmp_path / "lib" / "Twin\nPeaks"
    for n in (1, 2):
        synth.tone(exe, album / f"0{n} Bad\nName.flac", 1.0, frequency=300 * n)
    cut = album / "02 Bad\nName.flac"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    pipeline = phone(tmp_path, tmp_path / "lib", TO_FLAC,
                     archive="settings: {continue_on_error: false}")  # fmt: skip
    result = run("run", pipeline, "--home", tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = "step 1 (to-flac): 02 Bad\\x0aName.flac: its frames stop in frame "  # cut
    assert f"\n✗ Twin\\x0aPeaks — error: {failed}" in result.stdout, result.stdout
    assert "\nstopped early: Twin\\x0aPeaks failed, and the first" in result.stdout
    assert result.stderr.startswith(f"Twin\\x0aPeaks: {failed}"), result.stderr
    session = re.search(r"session log: .*/(\S+)\.log", result.stdout)[1]
    shown = subprocess.run([sys.executable, "-m", "mediakeeper", "sessions", "show", session,
                            "--home", str(tmp_path / "home")], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert f"  error: {failed}" in shown.stdout, shown.stdout + shown.stderr
    said = result.stdout + result.stderr + shown.stdout
    assert not re.search("^(Peaks|Name)", said, re.MULTILINE), said


def test_split_cuts_at_a_fixed_length_and_at_silences(tmp_path, exe):
    lib = tmp_path / "lib" / "Book"
    lib.mkdir(parents=True)
    # 1 s tone, 1 s silence, 1 s tone: one silence to cut at.
    graph = "[0:a][1:a][0:a]concat=n=3:v=0:a=1"
    ffmpeg.run(exe, ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-f", "lavfi", "-i",
                     "anullsrc=r=44100:cl=mono:d=1", "-filter_complex", graph,
                     "-y", str(lib / "talk.flac")])  # fmt: skip
    cut = "  - {name: cut, processor: split, params: {mode: fixed, seconds: 1}}\n"
    fixed = phone(tmp_path, tmp_path / "lib", cut)
    result = run("run", fixed, "--home", tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    parts = sorted(os.listdir(tmp_path / "out" / "Book"))
    assert parts == ["talk - 001.flac", "talk - 002.flac", "talk - 003.flac"]
    lengths = [ffmpeg.decoded_length(exe, tmp_path / "out" / "Book" / p) for p in parts]
    assert abs(sum(lengths) - 3.0) < 0.1

    shutil_rmtree(tmp_path / "out", tmp_path / "home")
    silence = phone(tmp_path, tmp_path / "lib", "  - {name: cut, processor: split, params: "
                    "{mode: silence, threshold_db: -50, min_silence: 0.5}}\n")  # fmt: skip
    result = run("run", silence, "--home", tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    parts = sorted(os.listdir(tmp_path / "out" / "Book"))
    assert parts == ["talk - 001.flac", "talk - 002.flac"]
    first = ffmpeg.decoded_length(exe, tmp_path / "out" / "Book" / parts[0])
    assert 1.2 < first < 1.8  # cut in the middle of the silence


def test_split_names_the_file_that_does_not_decode(tmp_path, exe):
    """It said "step 1 (cut): Error marking filters as finished": neither the file nor that
    it does not decode."""
    (tmp_path / "lib" / "B").mkdir(parents=True)
    (tmp_path / "lib" / "B" / "01.flac").write_text("junk\n")
    cut = "  - {name: cut, processor: split, params: {mode: fixed, seconds: 4}}\n"
    result = run("run", phone(tmp_path, tmp_path / "lib", cut), "--home", tmp_path / "home",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "B: step 1 (cut): 01.flac does not decode: " in result.stderr, result.stderr


def shutil_rmtree(*folders: Path) -> None:
    import shutil

    for folder in folders:
        shutil.rmtree(folder)


def test_merge_m4b_joins_an_album_into_one_book(tmp_path, exe):
    from mediakeeper.pipelines.steps import registry

    assert "merge-m4b" in registry.names()
    for n in (1, 2):
        synth.tone(exe, tmp_path / "lib" / "Book" / f"0{n}.mp3", 1.0, frequency=300 * n)
    step = "  - {name: book, processor: merge-m4b, params: {bitrate: 64k}}\n"
    result = run("run", phone(tmp_path, tmp_path / "lib", step), "--home", tmp_path / "home",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert os.listdir(tmp_path / "out" / "Book") == ["Book.m4b"]
    assert abs(ffmpeg.decoded_length(exe, tmp_path / "out" / "Book" / "Book.m4b") - 2.0) < 0.5


def test_merge_m4b_names_a_book_in_an_author_folder_after_its_own_folder(tmp_path, exe):
    """A book at "Author/Book" (as every library nests them) failed at the step, "No such
    file or directory: .mediakeeper-partial-Book.m4b": its default title was the album's
    path, whose "/" made a folder of the file's name. A title given with a "/" met the same;
    it is the book's tag still, its file named as the audiobooks name one."""
    for book in ("Author/Book", "Author/Live"):
        for n in (1, 2):
            synth.tone(exe, tmp_path / "lib" / book / f"0{n}.mp3", 1.0, frequency=300 * n)
    step = "  - {name: book, processor: merge-m4b, params: {bitrate: 64k}}\n"
    result = run("run", phone(tmp_path, tmp_path / "lib", step), "--home", tmp_path / "home",
                 "--batch-size", "1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert os.listdir(tmp_path / "out" / "Author" / "Book") == ["Book.m4b"]
    titled = "  - {name: book, processor: merge-m4b, params: {title: 'AC/DC: Live'}}\n"
    result = run("run", phone(tmp_path, tmp_path / "lib", titled), "--home", tmp_path / "home",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    placed = tmp_path / "out" / "Author" / "Live"
    assert os.listdir(placed) == ["AC_DC_ Live.m4b"]
    assert mutagen.File(placed / "AC_DC_ Live.m4b")["\xa9nam"] == ["AC/DC: Live"]


def test_merge_m4b_refuses_a_file_cut_short_saying_how_much_is_missing(tmp_path, exe):
    """Issue 63: a chapter file cut to 60% reads without an error (its packets just end), and
    the book must not be joined with it; the album fails at the step, nothing is placed."""
    for n in (1, 2):
        synth.tone(exe, tmp_path / "lib" / "Book" / f"0{n}.mp3", 4.0, frequency=300 * n)
    cut = tmp_path / "lib" / "Book" / "02.mp3"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size * 6 // 10])
    step = "  - {name: book, processor: merge-m4b, params: {bitrate: 64k}}\n"
    result = run("run", phone(tmp_path, tmp_path / "lib", step), "--home", tmp_path / "home",
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "02.mp3" in said and "missing" in said, said
    assert not (tmp_path / "out" / "Book" / "Book.m4b").exists()


def test_list_shows_the_built_in_pipelines_yours_and_files_given(tmp_path):
    home = tmp_path / "home"
    (home / "pipelines").mkdir(parents=True)
    phone(tmp_path, tmp_path, TO_FLAC).rename(home / "pipelines" / "phone.yaml")
    other = write(tmp_path / "other.yaml", "name: other\nsteps: []\n")
    result = run("list", "--home", home, other, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pipelines = result.stdout.split("\n\n")[0].splitlines()  # the processors follow
    assert [line.split()[0] for line in pipelines] == [
        "opus", "aac", "mp3", "flac", "alac", "phone", "other"]  # fmt: skip
    assert "INVALID" in pipelines[-1]  # said, not a traceback
    assert "\nprocessors (the steps a pipeline can use):\n  convert        built-in  " in (
        result.stdout)  # fmt: skip


def test_a_track_replaced_after_its_album_failed_is_read_anew_on_retry(tmp_path, exe):
    """The album's copy in its working folder was kept after a failed step: the empty file
    removed and the cut one replaced from a good copy, `--retry-errors` failed again on
    the old copies. The input changed since it was copied: the album starts again from it."""
    lib = library(exe, tmp_path)
    cut = lib / "Artist" / "One" / "02.flac"
    whole = cut.read_bytes()
    cut.write_bytes(whole[: len(whole) // 2])
    (lib / "Artist" / "One" / "03.flac").write_bytes(b"")
    home, out = tmp_path / "home", tmp_path / "out"
    given = ("run", "opus", "--home", home, "--input", lib, "--output", out)
    first = run(*given, cwd=tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "Artist/One" in first.stderr and "replace it from a good copy" in first.stderr
    cut.write_bytes(whole)
    (lib / "Artist" / "One" / "03.flac").unlink()
    again = run(*given, "--retry-errors", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(os.listdir(out / "Artist" / "One")) == ["01.opus", "02.opus"]


def test_a_read_only_output_is_refused_before_any_step_runs(tmp_path, exe, mounts):  # noqa: F811
    """Every step of every album ran (an hour of encodes, for a library), then each album
    failed at placing with "Read-only file system": the output is checked first, as a
    conversion's is, and nothing is copied nor encoded."""
    lib = library(exe, tmp_path)
    out = mounts("ro_out", "1m", "ro")
    home = tmp_path / "home"
    result = run("run", "opus", "--home", home, "--input", lib, "--output", out / "phone",
                 "--batch-size", "1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"preparing: cannot write under {out}: it is a read-only file system" in \
        result.stderr, result.stderr  # fmt: skip
    working = home / "working"
    assert not working.exists() or not any(p.is_file() for p in working.rglob("*"))


def test_a_placement_that_fills_the_output_leaves_no_folder_it_made(tmp_path, exe, mounts):  # noqa: F811
    """A pipeline whose output is a small file system gone full failed cleanly at placing
    but left an empty `<output>/Artist` folder behind: a failed placement takes away every
    folder it made, and a filler file of another's is never touched."""
    lib = library(exe, tmp_path)
    out = mounts("small_out", "256k")
    free = os.statvfs(out)
    filler = out / "filler"  # the volume full but for a few blocks: room for folders only
    filler.write_bytes(b"\0" * ((free.f_bavail - 4) * free.f_frsize))
    result = run("run", "opus", "--home", tmp_path / "home", "--input", lib, "--output", out,
                 "--batch-size", "1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Error: disk full: could not write " in result.stderr, result.stderr
    assert sorted(os.listdir(out)) == ["filler"], list(out.rglob("*"))


def test_nothing_to_do_names_the_failed_album_and_the_run_that_takes_it(tmp_path, exe):
    """A run finding no pending album said "Nothing to do" and nothing of the album failed
    before: it names it and the run with --retry-errors that takes it, which works pasted
    from elsewhere though this run was given its folders relative to its own."""
    lib = library(exe, tmp_path)
    (lib / "Artist" / "One" / "03.flac").write_bytes(b"")
    given = ("run", "opus", "--home", "home", "--input", "lib", "--output", "out")
    assert run(*given, cwd=tmp_path).returncode == 1
    (lib / "Artist" / "One" / "03.flac").unlink()
    plain = run(*given, cwd=tmp_path)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    lines = plain.stdout.splitlines()
    at = lines.index("Still waiting, 1 failed album: Artist/One")
    assert lines[at - 1].startswith("Nothing to do: no pending albums. "), lines
    retry = lines[at + 1].strip().removesuffix(" retries the errors")
    assert retry.endswith(f" --input {tmp_path / 'lib'} --output {tmp_path / 'out'} "
                          "--retry-errors"), retry  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = run_pasted(retry, elsewhere)
    assert again.returncode == 0, again.stdout + again.stderr
    assert sorted(os.listdir(tmp_path / "out" / "Artist" / "One")) == ["01.opus", "02.opus"]


def test_a_copy_step_without_an_archive_is_refused_when_the_file_is_read(tmp_path, exe):
    """A `copy` step in a pipeline that names no archive was said valid, and the run failed
    every album at that step, mid-batch ("the copy step needs an archive"), after the steps
    before it had run on each."""
    lib = library(exe, tmp_path)
    pipeline = write_pipeline(tmp_path / "keep.yaml", step("to-flac", "convert", codec="flac"),
                              step("keep", "copy"), input=lib, output=tmp_path / "out")
    said = ("keep.yaml: line 10: step 2 (keep): processor: copy writes the album into the "
            "pipeline's archive: set `archive:` (a folder) in the pipeline")  # fmt: skip
    for asked in (("validate", pipeline), ("run", pipeline, "--home", tmp_path / "home")):
        result = run(*asked, cwd=tmp_path)
        assert result.returncode == 2, (asked, result.stdout + result.stderr)
        assert said in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "home").exists(), "refused before anything was written"


def test_run_json_prints_the_session_alone_on_standard_output(tmp_path, exe):
    """The reference says `pipeline run --json` prints the run's session once it ends, as
    every kind's batch does; it said "No such option '--json'", exit 2."""
    pipeline = write_pipeline(tmp_path / "gain.yaml", step("loudness", "replaygain"),
                              input=library(exe, tmp_path), output=tmp_path / "out")
    result = run("run", pipeline, "--home", tmp_path / "home", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    shown = json.loads(result.stdout)  # the one document, alone
    assert shown["kind"] == "pipeline-gain", shown
    assert sorted(i["name"] for i in shown["items"]) == ["Artist/One", "Artist/Two"], shown
    assert "2 albums completed" in result.stderr, result.stderr
    refused = run("run", pipeline, "--home", tmp_path / "home", "--json", "--dry-run",
                  cwd=tmp_path)  # fmt: skip
    assert refused.returncode == 2 and "--dry-run has none of" in refused.stderr, refused.stderr
