"""What deciding a whole group costs as it grows: ``decide music --all --dismiss CODE`` (with
``--choose``: ``--all --group CODE --choose 1``, which writes tags) over one open question in
each of --artists artists, from this checkout and, side by side, from another (``--with DIR``,
say the code before a change).

Each artist holds one album of three real FLAC files whose first two tracks have their tag
numbers swapped (a ``filename-mismatch`` the batch cannot settle alone: one decision each).
The offline batch runs once per round and checkout, into a new data home; only the decision
is timed, as a real subprocess (start-up included).

    python benchmarks/decide_group.py --artists 300,930 --with ../before
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from checkouts import compiled  # noqa: E402

from mediakeeper.demo import tracks as synth  # noqa: E402

CODE = "filename-mismatch"


def build(library: Path, artists: int) -> None:
    for a in range(artists):
        artist = f"Artist {a:04d}"
        for n in (1, 2, 3):
            tags = {"title": f"Song {n}", "artist": artist, "albumartist": artist,
                    "album": "Album", "date": "2001", "tracknumber": str({1: 2, 2: 1}.get(n, n))}
            synth.make_track(library / artist / "2001 - Album" / f"0{n} - Song {n}.flac", "flac",
                             tags)  # fmt: skip


def run(checkout: Path, script: str, *args: str | Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(checkout / "utilities" / script), *map(str, args)],
                          env=env, capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{checkout}/{script}: exit {done.returncode}: {done.stderr[-2000:]}")
    return wall, done.stdout


def decided(checkout: Path, library: Path, home: Path, artists: int, answer: list[str]) -> float:
    """Seconds of the group's decision (``answer``), after a batch over the library into
    ``home``."""
    run(checkout, "process_music_batch.py", "--home", home, "--library", library, "--offline",
        "--batch-size", "1000000", "-q")  # fmt: skip
    wall, said = run(checkout, "decide.py", "--home", home, "music", "--all", *answer)
    if f"{artists} decisions in {artists} artists closed" not in said:
        sys.exit(f"{checkout}: the group was not decided whole: {said[-500:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", default="300,930", help="sizes, comma-separated")
    parser.add_argument("--with", dest="with_", type=Path, help="another checkout, side by side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--choose", action="store_true",
                        help="take the file names' numbers (every artist's tags written, its "
                             "album's findings found again) instead of dismissing")  # fmt: skip
    args = parser.parse_args()
    answer = ["--group", CODE, "--choose", "1"] if args.choose else ["--dismiss", CODE]
    compiled(HERE, args.with_)  # both sides as `make compile` leaves them
    checkouts = {"this": HERE, **({"with": args.with_.resolve()} if args.with_ else {})}
    with tempfile.TemporaryDirectory(prefix="decide-group-") as where:
        print(f"{'artists':>8}  " + "  ".join(f"{name:>10}" for name in checkouts)
              + ("  ratio" if args.with_ else ""))  # fmt: skip
        for artists in map(int, args.artists.split(",")):
            library = Path(where) / f"lib-{artists}"
            build(library, artists)
            seconds: dict[str, list[float]] = {name: [] for name in checkouts}
            for round_ in range(args.rounds):
                for name, checkout in checkouts.items():
                    home = Path(where) / f"home-{artists}-{name}-{round_}"
                    if args.choose:  # a choice writes the files: each home its own library
                        library = Path(where) / f"lib-{artists}-{name}-{round_}"
                        build(library, artists)
                    seconds[name].append(decided(checkout, library, home, artists, answer))
            medians = {name: statistics.median(s) for name, s in seconds.items()}
            line = f"{artists:>8}  " + "  ".join(f"{m:>9.2f}s" for m in medians.values())
            if args.with_:
                line += f"  {medians['this'] / medians['with']:.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
