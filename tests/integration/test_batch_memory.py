"""The music batch's largest process is its parent: what it holds per artist while it runs and
writes its closing reports is what a large library costs in memory. Measured with tracemalloc
inside a real offline batch (started by a three-line wrapper, its workers forked as always)
over two library sizes: the peak's growth per artist between them, a count of bytes, never a
time. The peak is the closing reports'; it is not flat yet (what is still held, there and
while the batch runs: docs/performance.md). The bound keeps what was let go from coming back:
the items' results and the queue store held through the closing reports and the change
journals read whole by them (8.5 KB an artist here), then the queue parsed whole into dicts
and every session's item events kept by the reports (4.1 KB an artist on 243a515, which fails
this bound)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mediakeeper import tags
from mediakeeper.music import synth

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = """\
import atexit, runpy, sys, tracemalloc
tracemalloc.start()
atexit.register(lambda: print("PEAK", tracemalloc.get_traced_memory()[1], file=sys.__stderr__))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
TRACKS = 6  # an artist's tracks, one with a title to fix
MOST_PER_ARTIST = 1_500  # bytes of peak per artist: about 780 measured, 4,058 on 243a515


def _library(root: Path, artists: int) -> Path:
    """``artists`` folders of TRACKS tagged MP3s, made as synth makes them."""
    template = synth.make_track(root.parent / f"template-{artists}.mp3", "mp3", {})
    for a in range(artists):
        name = f"Artist {a:04d}"
        for n in range(1, TRACKS + 1):
            path = root / name / "2001 - Album" / f"{n:02d} - Song {n}.mp3"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(template.read_bytes())
            title = f"Song {n}" + ("  " if n == 1 else "")  # whitespace: fixed by the batch
            values = {"title": title, "artist": name, "albumartist": name, "album": "Album",
                    "tracknumber": str(n), "date": "2001"}  # fmt: skip
            tags.write(path, values)
    return root


def _peak(tmp_path: Path, artists: int, child_env: dict[str, str]) -> int:
    library = _library(tmp_path / f"lib-{artists}", artists)
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(ROOT / "utilities" / "process_music_batch.py"),
         "--home", str(tmp_path / f"home-{artists}"), "--library", str(library),
         "--batch-size", "100000", "--offline", "--workers", "2"],
        capture_output=True, text=True, env=child_env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{artists} artists completed, 0 failed" in done.stdout  # every artist's work done
    return int(re.findall(r"^PEAK (\d+)$", done.stderr, re.M)[-1])


def test_the_parents_peak_grows_by_less_than_a_bound_per_artist(tmp_path, child_env):
    small, large = 30, 180
    per_artist = (_peak(tmp_path, large, child_env) - _peak(tmp_path, small, child_env)) / (
        large - small
    )
    assert per_artist < MOST_PER_ARTIST, f"{per_artist:.0f} bytes of peak per artist"
