"""Is the verify batch at least as fast as `flac -t` over the same files, on the same cores?

Makes 24 tracks of 60 s FLAC (3 albums of 8; pink noise from ffmpeg's own test sources,
which compresses like music, not like a sine tone), then times, in one run, all on the same
number of cores (one process per core):

- Debian's `flac -t` over every file (decode and MD5 check: what users run by hand);
- plain ffmpeg decoding every file to nothing (`-f null`): the decode-bound floor;
- ``process_verify_batch.py`` from start to exit, with the analysis (clipping, silences,
  lossy origin) and without it (``MEDIAKEEPER_VERIFY_ANALYSE=false``): every file decoded,
  its FLAC MD5 compared, its audio checksum recorded, reports written;
- the same three for the same audio as MP3 (V2) and Opus (128 kb/s): plain ffmpeg's decode
  against the batch, a decode-bound pass for formats `flac -t` cannot check.

Prints each time, the batch's ratio to `flac -t` (aim: at most 1.0) and to plain ffmpeg.

    python benchmarks/verify_scale.py [--tracks 24] [--seconds 60]

`make bench-verify` installs Debian's `flac` first where it is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mediakeeper.media import ffmpeg  # noqa: E402

PER_ALBUM = 8
CORES = os.cpu_count() or 1


def build(library: Path, exe: str, tracks: int, seconds: float, ext: str) -> list[Path]:
    made = []
    for n in range(tracks):
        dest = library / f"Artist {n // PER_ALBUM}" / "Album" / f"{n % PER_ALBUM + 1:02d}.{ext}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        # 16-bit FLAC, as a CD rip is (ffmpeg would make 24-bit from the noise's doubles).
        codec = {"flac": ["-sample_fmt", "s16"], "mp3": ["-q:a", "2"],
                 "opus": ["-b:a", "128k"]}[ext]
        run = ffmpeg.run(exe, ["-f", "lavfi", "-i", f"anoisesrc=color=pink:duration={seconds}:"
                               f"amplitude=0.25:seed={n + 1}", "-ac", "2", "-ar", "48000"
                               if ext == "opus" else "44100", *codec, "-y", str(dest)])  # fmt: skip
        if run.returncode != 0:
            sys.exit(f"could not make {dest}: {run.error}")
        made.append(dest)
    return made


def per_core(commands: list[list[str]]) -> float:
    """Wall time of ``commands``, one process per core at a time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CORES) as pool:
        for code in pool.map(lambda c: subprocess.run(c, capture_output=True).returncode,
                             commands):  # fmt: skip
            if code != 0:
                sys.exit(f"a plain run failed ({code})")
    return time.perf_counter() - started


def batch(library: Path, home: Path, *, analyse: bool) -> float:
    env = {**os.environ, "MEDIAKEEPER_VERIFY_ANALYSE": "true" if analyse else "false"}
    command = [sys.executable, str(REPO / "utilities" / "process_verify_batch.py"), "--home",
               str(home), "--library", str(library), "--batch-size", "1000", "-q"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the batch failed ({done.returncode}): {done.stdout}{done.stderr}")
    return elapsed


def decodes(exe: str, files: list[Path]) -> list[list[str]]:
    return [ffmpeg.command(exe, ["-i", str(f), "-map", "0:a:0", "-f", "null", "-"])
            for f in files]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    flac = shutil.which("flac")
    if flac is None:
        sys.exit("Debian's flac is needed: `make bench-verify` installs it (apt-get install flac)")
    exe = ffmpeg.find()
    work = Path(tempfile.mkdtemp(prefix="mk-verify-"))
    minutes = args.tracks * args.seconds / 60
    print(f"{args.tracks} tracks of {args.seconds:g} s ({minutes:.0f} min) per format, "
          f"{CORES} cores, {exe}")  # fmt: skip
    try:
        for ext in ("flac", "mp3", "opus"):
            library = work / ext
            files = build(library, exe, args.tracks, args.seconds, ext)
            plain = per_core(decodes(exe, files))
            full = batch(library, work / f"home-{ext}", analyse=True)
            bare = batch(library, work / f"home-{ext}-bare", analyse=False)
            print(f"\n{ext}:")
            if ext == "flac":
                tested = per_core([[flac, "-s", "-t", str(f)] for f in files])
                print(f"  flac -t, one per core:                 {tested:6.2f} s")
            print(f"  plain ffmpeg decode, one per core:     {plain:6.2f} s")
            print(f"  verify batch, with the analysis:       {full:6.2f} s")
            print(f"  verify batch, damage and bit rot only: {bare:6.2f} s")
            if ext == "flac":
                print(f"  ratio to flac -t: {full / tested:.2f} with the analysis, "
                      f"{bare / tested:.2f} without (aim: at most 1.0)")  # fmt: skip
            print(f"  ratio to plain ffmpeg: {full / plain:.2f} with the analysis, "
                  f"{bare / plain:.2f} without")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
