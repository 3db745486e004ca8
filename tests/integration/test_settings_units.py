"""Every number's range and unit is checked before any work (issue 34): a pipeline's
``split`` with ``threshold_db: .nan`` or ``min_silence: .inf``, a ``bitrate`` of 99999999999k,
and an audiobook ``--bitrate 64`` (no "k": 64 bits per second) are refused up front, each
with what to write, never "valid" and a failure (or a 22 kb/s book) at run time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediakeeper.pipelines.spec import PipelineInvalid, load
from tests.helpers import step, write_pipeline

ROOT = Path(__file__).resolve().parents[2]


def script(name: str, *args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MEDIAKEEPER_HOME", None)
    command = [sys.executable, str(ROOT / "utilities" / name), *map(str, args)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("step", "said"),
    [
        ("{processor: split, params: {mode: silence, threshold_db: .nan}}",
         "params.threshold_db: must be a finite number, not nan"),
        ("{processor: split, params: {mode: silence, min_silence: .inf}}",
         "params.min_silence: must be a finite number, not inf"),
        ("{processor: split, params: {mode: fixed, seconds: 1.0e+12}}",
         "params.seconds: must be at most 86400"),
        ("{processor: convert, params: {codec: opus, bitrate: 99999999999k}}",
         "params.bitrate: must be between 6k and 512k, not 99999999999k"),
        ("{processor: convert, params: {codec: opus, bitrate: 64}}",
         "params.bitrate: must be kilobits per second like 128k, not 64"),
        ("{processor: convert, params: {codec: opus, bitrate: '64'}}",
         "params.bitrate: 64 would be 64 bits per second, too little for any audio: write 64k"),
        ("{processor: merge-m4b, params: {bitrate: fast}}",
         "params.bitrate: must be kilobits per second like 128k, not 'fast'"),
    ],
)  # fmt: skip
def test_a_pipeline_with_a_number_out_of_range_is_invalid(tmp_path, step, said):
    (tmp_path / "lib").mkdir()
    spec = tmp_path / "p.yaml"
    spec.write_text(f"name: p\ninput: {tmp_path / 'lib'}\noutput: {tmp_path / 'out'}\n"
                    f"steps:\n  - {{name: s, {step[1:]}\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(PipelineInvalid) as invalid:
        load(spec)
    assert any(said in problem for problem in invalid.value.problems), invalid.value.problems


def test_pipeline_validate_says_so_in_one_line_and_exit_2(tmp_path):
    (tmp_path / "lib").mkdir()
    spec = write_pipeline(tmp_path / "p.yaml", step("s", "split", mode="silence",
                                                    threshold_db=float("nan")),
                          input=tmp_path / "lib", output=tmp_path / "out")  # fmt: skip
    result = script("pipeline.py", "validate", spec, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "params.threshold_db: must be a finite number, not nan" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("bitrate", "said"),
    [
        ("64", "--bitrate: 64 would be 64 bits per second, too little for any audio: write 64k"),
        ("99999999999k", "--bitrate: must be between 6k and 512k"),
        ("128kbps", "--bitrate: must be kilobits per second like 128k"),
    ],
)
def test_an_audiobook_bitrate_without_its_unit_is_refused_up_front(tmp_path, bitrate, said):
    (tmp_path / "lib" / "Author - Title").mkdir(parents=True)
    result = script("process_audiobook_batch.py", "--home", tmp_path / "home", "--library",
                    tmp_path / "lib", "--output", tmp_path / "out", "--bitrate", bitrate,
                    cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2, result.stdout
    assert said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_bitrate_in_the_settings_file_is_checked_too(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "mediakeeper.toml").write_text('[audiobooks]\nbitrate = "64"\n')
    (tmp_path / "lib").mkdir()
    result = script("process_audiobook_batch.py", "--home", tmp_path / "home", "--library",
                    tmp_path / "lib", "--output", tmp_path / "out", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "audiobooks.bitrate: 64 would be 64 bits per second" in result.stderr
