"""kill -9 of an audiobook batch at random moments, then resumed: every book ends exactly as
an uninterrupted run made it (byte for byte), nothing partial is ever seen in the output, no
ffmpeg outlives the batch, and each book has one backup."""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

import pytest

from mediakeeper.demo.tracks import PNG_1X1
from mediakeeper.fs.workdir import PARTIAL
from tests.integration.test_audiobooks import make
from tests.integration.test_conversion_kills import _descendants, _files, kill_9


def _library(root: Path) -> Path:
    for n in range(1, 4):  # a book encoded (MP3) and one joined as it is (AAC)
        make(root / "Jane Doe - Encoded" / f"{n:02d}.mp3", f"sine=d=2:frequency={200 * n}")
        make(root / "Jane Doe - Copied" / f"{n:02d}.m4a", f"sine=d=2:frequency={300 * n}",
             "-c:a", "aac")  # fmt: skip
    (root / "Jane Doe - Encoded" / "cover.png").write_bytes(PNG_1X1)
    return root


def _whole_or_absent(out: Path, reference: dict[str, bytes]) -> None:
    for book in out.glob("*/*"):
        if book.name.startswith(PARTIAL):
            continue
        prefix = f"{book.parent.name}/{book.name}/"
        got = {f"{prefix}{k}": v for k, v in _files(book).items()}
        assert got == {k: v for k, v in reference.items() if k.startswith(prefix)}, book


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_ends_as_an_uninterrupted_run(
    tmp_path, music_script, music_popen
):
    library = _library(tmp_path / "lib")
    common = ["--library", library, "--batch-size", "10", "--workers", "1"]
    started = time.monotonic()
    done = music_script("process_audiobook_batch.py", "--home", tmp_path / "ref_home",
                        "--output", tmp_path / "ref_out", *common)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    whole_run = time.monotonic() - started
    reference = _files(tmp_path / "ref_out")
    assert len(reference) == 3  # two books, one with its cover
    home, out = tmp_path / "home", tmp_path / "out"
    args = ["--home", home, "--output", out, *common]
    rng = random.Random(27)
    kills, scale = 0, 1.0
    for _attempt in range(8):
        proc = music_popen(*args, script="process_audiobook_batch.py")
        time.sleep(rng.uniform(0.05, 0.9) * whole_run * scale)
        seen = _descendants(proc.pid) if proc.poll() is None else {}
        if proc.poll() is not None:
            if kills:
                break
            proc.communicate()
            for folder in (home, out):
                shutil.rmtree(folder, ignore_errors=True)
            scale /= 2
            continue
        kill_9(proc, seen, tmp_path)
        kills += 1
        _whole_or_absent(out, reference)
    assert kills >= 1
    final = music_script("process_audiobook_batch.py", *args)
    assert final.returncode == 0, final.stdout + final.stderr
    assert _files(out) == reference
    queue = json.loads((home / "status" / "audiobooks" / "processing_queue.json").read_text())
    assert {i["status"] for i in queue["items"]} == {"completed"}
    backups = sorted(p.name for p in (home / "backup").iterdir())  # hidden partial ones too
    assert [name.rsplit("_", 2)[0] for name in backups] == ["Jane Doe - Copied",
                                                            "Jane Doe - Encoded"]  # fmt: skip
