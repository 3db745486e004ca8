"""How often does a conversion read each source? Side by side with another checkout.

Makes one album of ``--tracks`` FLAC tracks (``--seconds`` each, pink noise from ffmpeg's
own test sources: it compresses as music does, a tone would not; tagged), then converts it
to Opus with the real job (``ConversionJob.process``:
the album copied into its working folder and verified, each track encoded, placed), in a
new process of each checkout (this one, and ``--before DIR``: a `git worktree` or `git
archive` of another version), from a new data home each run, in alternated runs. Each run
says:

- the bytes the job's own process read (``/proc/self/io`` ``rchar``: every read call, from
  the page cache or the disk; the encoders' own reads, in their processes, are not counted),
  as a multiple of the album's bytes: the copy reads each source once and its check reads
  the copy once; what more is read is read again;
- the job's wall seconds.

Medians of ``--runs`` (least and most beside them). The page cache is not dropped.

    python benchmarks/conversion_source_reads.py [--tracks 12] [--seconds 60] [--runs 3]
        [--before DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from checkouts import reads_side_by_side, run_in  # noqa: E402

from mediakeeper.demo import sound as synth  # noqa: E402
from mediakeeper.media import ffmpeg  # noqa: E402

# Run in a new process of a checkout (its PYTHONPATH): the job's reads and seconds, as JSON.
ONE_RUN = """
import json, sys, time, uuid
from pathlib import Path
from mediakeeper.conversions.job import ConversionJob

def rchar():
    return int(next(l for l in open("/proc/self/io") if l.startswith("rchar")).split()[1])

warm, album, home, out = map(Path, sys.argv[1:5])
job = ConversionJob(home, "s", out, profile="opus", threads=2)

def item(folder):
    key = folder.relative_to(folder.parent.parent).as_posix()
    return {"key": key, "name": key, "path": str(folder), "run_token": uuid.uuid4().hex}

job.process(item(warm))
read, started = rchar(), time.perf_counter()
job.process(item(album))
seconds, read = time.perf_counter() - started, rchar() - read
print(json.dumps({"read": read, "seconds": seconds}))
"""


def one_run(checkout: Path, warm: Path, album: Path, work: Path) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return run_in(checkout, ONE_RUN, warm, album, work / "home", work / "out",
                  what="the conversion", env={"XDG_CONFIG_HOME": str(work / "xdg")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout, run beside this one")
    args = parser.parse_args()
    exe = ffmpeg.find()
    root = Path(tempfile.mkdtemp(prefix="mk-source-reads-"))
    try:
        album, warm = root / "lib" / "Artist" / "Album", root / "lib" / "Warm" / "Up"
        synth.tone(exe, warm / "01.flac", 1.0)
        for n in range(1, args.tracks + 1):
            path = synth.noise(exe, album / f"{n:02d}.flac", args.seconds, seed=n)
            synth.tagged(path, {"title": f"Track {n}", "artist": "Artist", "album": "Album",
                                "tracknumber": str(n)})  # fmt: skip
        size = sum(p.stat().st_size for p in album.iterdir())
        print(f"album: {args.tracks} tracks, {size / 1e6:.1f} MB")
        sides = {"this checkout": REPO, **({"--before": args.before.resolve()}
                                            if args.before else {})}  # fmt: skip
        reads_side_by_side(sides, args.runs,
                           lambda checkout: one_run(checkout, warm, album, root / "work"),
                           size, "album")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
