"""The music batch's largest process is its parent: what it holds per artist while it runs and
writes its closing reports is what a large library costs in memory. Measured with tracemalloc
inside a real offline batch (started by a short wrapper, its workers forked as always and not
traced) over two library sizes: the peak's growth per artist between them, a count of bytes,
never a time. Both sizes are past the pieces the closing reports hold at most (a run of sorted
rows, a page of the issue index), so what grows between them is what the batch keeps per item:
about 40 bytes an artist (the store's offsets and key index, the taken keys, the tallies;
140 when this test was written), against about 2,100 on 40508cb (every item's JSON line held
by the store, the closing reports' lists and pages whole) and 593 on d71e3b9 (every
artist's CSV rows held to join tracks.csv), which fail this bound."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen

from mediakeeper.demo import tracks as synth

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = """\
import atexit, os, runpy, sys, tracemalloc
tracemalloc.start()
os.register_at_fork(after_in_child=tracemalloc.stop)  # the workers run untraced, at speed
atexit.register(lambda: print("PEAK", tracemalloc.get_traced_memory()[1], file=sys.__stderr__))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
MOST_PER_ARTIST = 400  # bytes of peak per artist: about 40 measured, 2,076 on 40508cb


def _library(root: Path, artists: int) -> Path:
    """``artists`` folders of one tagged MP3 each, every other one with a title to fix."""
    template = synth.make_track(root.parent / f"template-{artists}.mp3", "mp3", {})
    for a in range(artists):
        name = f"Artist {a:04d}"
        path = root / name / "2001 - Album" / "01 - Song.mp3"
        path.parent.mkdir(parents=True)
        shutil.copyfile(template, path)
        audio = mutagen.File(path, easy=True)
        audio.add_tags()
        audio.tags.update({"title": "Song" + "  " * (a % 2), "artist": name, "albumartist": name,
                           "album": "Album", "tracknumber": "1", "date": "2001"})  # fmt: skip
        audio.save()
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
    assert f"{artists:,} artists completed, 0 failed" in done.stdout  # every artist's work done
    return int(re.findall(r"^PEAK (\d+)$", done.stderr, re.M)[-1])


def test_the_parents_peak_grows_by_less_than_a_bound_per_artist(tmp_path, child_env):
    small, large = 500, 1_250
    per_artist = (_peak(tmp_path, large, child_env) - _peak(tmp_path, small, child_env)) / (
        large - small
    )
    assert per_artist < MOST_PER_ARTIST, f"{per_artist:.0f} bytes of peak per artist"
