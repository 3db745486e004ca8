"""How much does the conversion batch cost beyond the encodes themselves?

Makes 48 tracks of 30 s FLAC (6 albums of 8, sine tones from ffmpeg's own test sources),
then times, in one run:

- the batch: ``process_conversion_batch.py --profile opus`` over the 6 albums, from start to
  exit (copy and verify, encode, decode to verify, tags and cover, place; one album at a
  time, its tracks two at a time on two cores);
- plain ffmpeg doing the same work two at a time: each encode followed by one full decode
  of its output (the decode the batch's verification needs);
- plain ffmpeg doing the bare encodes two at a time.

It prints the three times, the batch's ratio to each, and the peak memory (resident set) of
the largest process the batch ran (Python or ffmpeg). Aim: at most 1.15 times the encodes
with their decodes, peak memory under 150 MB.

    python benchmarks/conversion_scale.py [--tracks 48] [--seconds 30]
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

from mediakeeper.demo import sound as synth  # noqa: E402
from mediakeeper.demo.tracks import PNG_1X1  # noqa: E402
from mediakeeper.media import ffmpeg  # noqa: E402
from mediakeeper.media.convert import PROFILES, encode_args  # noqa: E402

PER_ALBUM = 8


def build(library: Path, exe: str, tracks: int, seconds: float) -> list[Path]:
    made = []
    for n in range(tracks):
        album = library / f"Artist {n // PER_ALBUM}" / "Album"
        path = synth.tone(exe, album / f"{n % PER_ALBUM + 1:02d} Track.flac", seconds,
                          frequency=110 + 20 * n)  # fmt: skip
        synth.tagged(path, {"title": f"Track {n}", "artist": f"Artist {n // PER_ALBUM}",
                            "album": "Album", "tracknumber": str(n % PER_ALBUM + 1)},
                     cover=PNG_1X1)  # fmt: skip
        made.append(path)
    return made


def two_at_a_time(jobs) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for result in pool.map(lambda job: job(), jobs):
            if result != 0:
                sys.exit(f"plain ffmpeg failed ({result})")
    return time.perf_counter() - started


def plain(exe: str, source: Path, out: Path, *, decode: bool):
    def job() -> int:
        args = encode_args(source, out, PROFILES["opus"])
        code = subprocess.run(ffmpeg.command(exe, args), capture_output=True).returncode
        if code == 0 and decode:
            code = subprocess.run(
                ffmpeg.command(exe, ["-i", str(out), "-map", "0:a:0", "-f", "null", "-"]),
                capture_output=True,
            ).returncode
        return code

    return job


MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], capture_output=True).returncode
elapsed = time.perf_counter() - started
print(code, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=None, help="the batch's --workers")
    args = parser.parse_args()
    exe = ffmpeg.find()
    work = Path(tempfile.mkdtemp(prefix="mk-convert-"))
    try:
        library = work / "Rips"
        sources = build(library, exe, args.tracks, args.seconds)
        audio_minutes = args.tracks * args.seconds / 60
        print(f"{args.tracks} tracks of {args.seconds:g} s FLAC ({audio_minutes:.0f} min), "
              f"{os.cpu_count()} cores, {exe}")  # fmt: skip

        plain_dir = work / "plain"
        plain_dir.mkdir()
        outs = [plain_dir / f"{n}.opus" for n in range(len(sources))]
        with_decode = two_at_a_time(
            [plain(exe, s, o, decode=True) for s, o in zip(sources, outs, strict=True)]
        )
        bare = two_at_a_time(
            [plain(exe, s, o, decode=False) for s, o in zip(sources, outs, strict=True)]
        )

        home = work / "home"
        command = [
            sys.executable, str(REPO / "utilities" / "process_conversion_batch.py"),
            "--home", str(home), "--library", str(library), "--output", str(work / "Portable"),
            "--profile", "opus", "--batch-size", str(len(sources)), "-q",
        ]  # fmt: skip
        if args.workers:
            command += ["--workers", str(args.workers)]
        env = {**os.environ, "MEDIAKEEPER_CONVERSIONS_MIN_FREE_MB": "0"}
        measured = subprocess.run(
            [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=env
        )
        code, batch, peak_kb = measured.stdout.split()
        if code != "0":
            sys.exit(f"the batch failed ({code})")
        batch = float(batch)
        converted = sorted((work / "Portable").rglob("*.opus"))
        if len(converted) != len(sources):
            sys.exit(f"the batch made {len(converted)} files, not {len(sources)}")

        print(f"plain ffmpeg, encodes only, two at a time:        {bare:6.2f} s")
        print(f"plain ffmpeg, encode + one decode, two at a time: {with_decode:6.2f} s")
        print(f"process_conversion_batch.py (start to exit):      {batch:6.2f} s")
        print(f"ratio to encode + decode: {batch / with_decode:.2f}  (aim: at most 1.15)")
        print(f"ratio to bare encodes:    {batch / bare:.2f}")
        print(f"peak memory of any process of the batch: {int(peak_kb) / 1024:.0f} MB "
              "(aim: under 150 MB)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
