"""What does converting an album again cost when one of its tracks changed?

Makes one album of 12 FLAC tracks (``--seconds`` each, sine tones from ffmpeg's own test
sources, tagged, with a cover), converts it to Opus once, then times, alternately, the
conversion again after track 3 was retagged (a better rip put in its place):

- kept: ``process_conversion_batch.py --album Artist/Album --overwrite`` as it is: the 11
  unchanged tracks' earlier outputs kept (copied, their bytes checked, each decoded to verify
  it), track 3 encoded;
- every track: the same run with the album's record of what it placed made from
  (``status/conversions/made/<slug>.json``) deleted first: every track encoded again, as
  before that record existed.

Each run is the whole script from start to exit. It prints each run's seconds, the median of
each, and their ratio.

    python benchmarks/conversion_changed_track.py [--tracks 12] [--seconds 240] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mediakeeper.demo import sound as synth  # noqa: E402
from mediakeeper.demo.tracks import PNG_1X1  # noqa: E402
from mediakeeper.media import ffmpeg  # noqa: E402


def convert(home: Path, library: Path, out: Path, *more: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(home / "xdg")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(REPO / "utilities" / "process_conversion_batch.py"), "--home",
         str(home), "--library", str(library), "--output", str(out), "--profile", "opus", *more],
        env=env, capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the batch failed ({done.returncode}): {done.stdout}{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    exe = ffmpeg.find()
    root = Path(tempfile.mkdtemp(prefix="mk-changed-"))
    try:
        library, home, out = root / "lib", root / "home", root / "out"
        album = library / "Artist" / "Album"
        for n in range(1, args.tracks + 1):
            path = synth.tone(exe, album / f"{n:02d}.flac", args.seconds, frequency=110 + 40 * n)
            synth.tagged(path, {"title": f"Track {n}", "artist": "Artist", "album": "Album",
                                "tracknumber": str(n)}, cover=PNG_1X1)  # fmt: skip
        print(f"first conversion: {convert(home, library, out):.2f} s")
        made = next((home / "status" / "conversions" / "made").glob("*.json"))
        times: dict[str, list[float]] = {"kept": [], "every track": []}
        for run in range(args.runs):
            for way in times:
                synth.tagged(album / "03.flac", {"title": f"Track 3 (take {run}, {way})"})
                if way == "every track":
                    made.unlink()
                times[way].append(convert(home, library, out, "--album", "Artist/Album",
                                          "--overwrite"))  # fmt: skip
                print(f"run {run + 1}, {way}: {times[way][-1]:.2f} s")
        kept, every = (statistics.median(times[w]) for w in ("kept", "every track"))
        print(f"median: kept {kept:.2f} s, every track {every:.2f} s: {kept / every:.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
