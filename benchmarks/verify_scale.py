"""Is the verify batch at least as fast as `flac -t` over the same files, on the same cores?

Makes tracks the size of a user's (default 8 tracks of 4.5 minutes, one album: 16-bit
stereo pink noise, each about 28 MB of FLAC, which is how music of that length compresses,
not like a sine tone), then times, in one run, all on the same cores (the benchmark pins
itself and so everything it starts to ``--cores``; each side runs one process per core):

- Debian's `flac -t` over every file (decode and MD5 check: what users run by hand);
- plain ffmpeg decoding every file to nothing (`-f null`): the decode-bound floor;
- the verify decode by ffmpeg alone: the very ffmpeg command the batch runs for a file
  without the analysis (``integrity.outputs``), one per core, no Python around it: what a
  FLAC costs where `flac` is not installed, or one `flac -t` fails;
- ``process_verify_batch.py`` from start to exit: without the analysis
  (``MEDIAKEEPER_VERIFY_ANALYSE=false``: each FLAC checked by `flac -t`), a first pass with
  it (each file decoded by ffmpeg and analysed), and a later pass with it (the first pass
  untimed, every album requeued: the measures are kept, and each file's audio bytes are
  compared with the first pass's, decoded only if they changed, as on every regular
  bit-rot pass): every file's damage found, its checksum recorded, reports written;
- for the same audio as MP3 (V2) and Opus (128 kb/s, ``--other-tracks`` of them): plain
  ffmpeg's decode against the batch, the decode-bound pass for formats `flac -t` cannot check.

Before each timed run the page cache is dropped when the benchmark runs as root and the
kernel allows it, then the programs are read back (``--help``, ``-version``): every side
reads its audio files from the disk, none pays for reading its own program more than a
user's long pass would; the FLAC sides are then timed again from the warm cache, where
the decoders' CPU alone counts. Otherwise every side reads them warm, and says so.
The sides run in turn, ``--runs`` rounds, the order rotated each round; each figure is
the median of its rounds (the least and most beside it).

    python benchmarks/verify_scale.py [--tracks 8] [--seconds 270] [--runs 3] [--cores N]

`make bench-verify` installs Debian's `flac` first where it is missing.

Each side's wall time and CPU seconds (its processes' and their children's) are printed,
and the ratios of both: on a shared host the wall time is the share the scheduler gave,
the CPU time what the work cost. On 2026-11-24 (2 cores, load under 1, 24 tracks of 4.5
min, 3 rounds, ``--quick``), page cache dropped, wall and CPU ratios to `flac -t`: a later
pass 0.18 / 0.09, the batch without the analysis 1.00 / 0.92; warm: 0.12 / 0.08 and
1.23 / 1.12. Details and why: docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from checkouts import compiled  # noqa: E402
from page_cache import drop_caches  # noqa: E402

from mediakeeper.media import ffmpeg, integrity  # noqa: E402

PER_ALBUM = 8
# Each track's two channels: one pink noise, and a far quieter second one making the sides
# differ, so the FLAC is about 28 MB for 4.5 minutes (a whole second noise: 37 MB).
STEREO = "[0][1]amerge=inputs=2,pan=stereo|c0=c0+c1|c1=c0-c1"
CODECS = {"flac": ["-sample_fmt", "s16"], "mp3": ["-q:a", "2"], "opus": ["-b:a", "128k"]}


def build(library: Path, exe: str, tracks: int, seconds: float, ext: str) -> list[Path]:
    made = []
    for n in range(tracks):
        dest = library / f"Artist {n // PER_ALBUM}" / "Album" / f"{n % PER_ALBUM + 1:02d}.{ext}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        noise = [f"anoisesrc=color=pink:duration={seconds}:amplitude={a}:seed={n + s}"
                 for a, s in ((0.3, 1), (0.003, 1001))]  # fmt: skip
        rate = "48000" if ext == "opus" else "44100"
        run = ffmpeg.run(exe, ["-f", "lavfi", "-i", noise[0], "-f", "lavfi", "-i", noise[1],
                               "-filter_complex", STEREO, "-ar", rate, *CODECS[ext], "-y",
                               str(dest)])  # fmt: skip
        if run.returncode != 0:
            sys.exit(f"could not make {dest}: {run.error}")
        made.append(dest)
    return made


def cold_but(warm: list[list[str]]) -> bool:
    """Empty the page cache (``page_cache.drop_caches``): True if done. Then run ``warm``: the
    programs themselves are read back (a user's pass over thousands of files starts them from
    the disk once), so only the audio files are cold."""
    if not drop_caches():
        return False
    for command in warm:
        subprocess.run(command, capture_output=True)
    return True


# A timer: settle() is called just before its clock starts; it returns (wall, CPU) seconds.
Timer = Callable[[Callable[[], None]], tuple[float, float]]


class Clock:
    """Wall seconds, and the CPU seconds (user and system) of every process started and
    waited for meanwhile, their children's included: on a shared host the wall time is the
    share the scheduler gave, the CPU time what the work cost."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), _children_cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, _children_cpu() - self.cpu

    @property
    def seconds(self) -> tuple[float, float]:
        return self.wall, self.cpu


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def per_core(commands: list[list[str]], cores: int) -> Timer:
    """A timer of ``commands`` run one process per core at a time."""

    def timed(settle: Callable[[], None]) -> tuple[float, float]:
        settle()
        with Clock() as clock, ThreadPoolExecutor(max_workers=cores) as pool:
            for code in pool.map(lambda c: subprocess.run(c, capture_output=True).returncode,
                                 commands):  # fmt: skip
                if code != 0:
                    sys.exit(f"a plain run failed ({code}): {commands[0]}")
        return clock.seconds

    return timed


def batch(library: Path, work: Path, *, analyse: bool, later: bool = False,
          repo: Path = REPO) -> Timer:  # fmt: skip
    """A timer of the whole batch over ``library``, from a new home each time. ``later``: a
    later pass (the regular bit-rot check): a first pass, untimed, then every album requeued
    (``--reset-all``) and the batch timed again. ``repo``: the checkout whose batch runs
    (``--before``: another version of the toolkit, its modules first on the path)."""
    # Its own modules first on the path: an installed mediakeeper (an editable install of
    # another checkout) must not answer for them.
    env = {**os.environ, "MEDIAKEEPER_VERIFY_ANALYSE": "true" if analyse else "false",
           "PYTHONPATH": str(repo)}  # fmt: skip

    def timed(settle: Callable[[], None]) -> tuple[float, float]:
        home = Path(tempfile.mkdtemp(prefix="home-", dir=work))
        command = [sys.executable, str(repo / "utilities" / "process_verify_batch.py"),
                   "--home", str(home), "--library", str(library), "--batch-size", "1000",
                   "-q"]  # fmt: skip
        if later:
            _ran(command, env)
            _ran([sys.executable, str(repo / "utilities" / "verify_queue_manager.py"),
                  "--home", str(home), "--reset-all", "--yes"], env)  # fmt: skip
        settle()
        with Clock() as clock:
            _ran(command, env)
        shutil.rmtree(home, ignore_errors=True)
        return clock.seconds

    return timed


def _ran(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{command[1]} failed ({done.returncode}): {done.stdout}{done.stderr}")


def decodes(exe: str, files: list[Path]) -> list[list[str]]:
    return [ffmpeg.command(exe, ["-i", str(f), "-map", "0:a:0", "-f", "null", "-"])
            for f in files]  # fmt: skip


def verify_decodes(exe: str, files: list[Path]) -> list[list[str]]:
    """The batch's own ffmpeg command for each file, without the analysis."""
    return [ffmpeg.command(exe, ["-loglevel", "level+info", "-i", str(f), *integrity.outputs(
        f, integrity.read_header(f), analyse=False)]) for f in files]  # fmt: skip


def rounds(sides: dict[str, Timer], runs: int, warm: list | None) -> dict:
    """Each side timed ``runs`` times, the sides in turn, the order rotated each round; the
    page cache dropped just before each is timed (then ``warm`` run) unless ``warm`` is None."""
    names, times = list(sides), {name: [] for name in sides}
    settle = (lambda: None) if warm is None else (lambda: cold_but(warm))
    for r in range(runs):
        for name in names[r % len(names):] + names[: r % len(names)]:
            times[name].append(sides[name](settle))
    return times


def sides_of(ext: str, exe: str, flac: str, files: list[Path], library: Path, work: Path,
             args: argparse.Namespace) -> dict[str, Timer]:  # fmt: skip
    cores = args.cores
    sides = {"flac -t, one per core": per_core([[flac, "-s", "-t", str(f)] for f in files],
                                               cores)} if ext == "flac" else {}  # fmt: skip
    sides["plain ffmpeg decode, one per core"] = per_core(decodes(exe, files), cores)
    if ext == "flac" and not args.quick:
        sides["verify's ffmpeg alone, one per core"] = per_core(verify_decodes(exe, files), cores)
    sides[BARE] = batch(library, work, analyse=False)
    if not args.quick:
        sides[FULL] = batch(library, work, analyse=True)
    sides[LATER] = batch(library, work, analyse=True, later=True)
    if args.before is not None:
        before = args.before.resolve()
        sides[BARE + BEFORE] = batch(library, work, analyse=False, repo=before)
        sides[LATER + BEFORE] = batch(library, work, analyse=True, later=True, repo=before)
    return sides


def report(ext: str, times: dict[str, list[tuple[float, float]]]) -> None:
    print(f"\n{ext}: median (least-most) of {len(next(iter(times.values())))} rounds, wall "
          "seconds, then CPU seconds")  # fmt: skip
    for name, t in times.items():
        walls, cpus = [w for w, _ in t], [c for _, c in t]
        print(f"  {name:40s} {statistics.median(walls):7.2f} s ({min(walls):.2f}-{max(walls):.2f})"
              f"  CPU {statistics.median(cpus):6.2f} s ({min(cpus):.2f}-{max(cpus):.2f})")
    for i, what in enumerate(("wall", "CPU")):
        ratios({name: statistics.median(x[i] for x in t) for name, t in times.items()}, what)


BARE = "verify batch, damage and bit rot only"
FULL = "verify batch, with the analysis"
LATER = "verify batch, a later pass (analysed)"
BEFORE = " [--before]"


def ratios(median: dict[str, float], what: str) -> None:
    for base in ("flac -t, one per core", "plain ffmpeg decode, one per core"):
        if base not in median:
            continue
        aim = " (aim: at most 1.0)" if base.startswith("flac") else ""
        said = [f"{median[name] / median[base]:.2f} {label}"
                for name, label in ((BARE, "without the analysis"), (FULL, "with it"),
                                    (LATER, "a later pass"),
                                    (BARE + BEFORE, "without the analysis, --before"),
                                    (LATER + BEFORE, "a later pass, --before"))
                if name in median]  # fmt: skip
        print(f"  {what} ratio to {base.split(',')[0]}: {', '.join(said)}{aim}")
    alone = median.get("verify's ffmpeg alone, one per core")
    if alone is not None:
        print(f"  {what}: verify's ffmpeg alone to flac -t: "
              f"{alone / median['flac -t, one per core']:.2f}")


def programs(exe: str, flac: str, work: Path, before: Path | None) -> list[list[str]]:
    """What reads every side's programs and Python modules back into the cache: each
    checkout's batch over an empty library (``--help`` alone imports less than a batch)."""
    (work / "empty").mkdir(exist_ok=True)
    warm = [[exe, "-version"], [flac, "--version"]]
    for repo in [REPO] + ([before.resolve()] if before is not None else []):
        warm.append(["env", f"PYTHONPATH={repo}", sys.executable,
                     str(repo / "utilities" / "process_verify_batch.py"), "--home",
                     str(work / f"warm-{len(warm)}"), "--library", str(work / "empty"), "-q"])
    return warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=8, help="FLAC tracks")
    parser.add_argument("--other-tracks", type=int, default=4, help="MP3 and Opus tracks")
    parser.add_argument("--seconds", type=float, default=270.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cores", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--before", type=Path, help="another checkout of the toolkit (git "
                        "worktree, git archive) whose batch is timed beside this one's, in "
                        "the same rounds")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="leave out the first pass with "
                        "the analysis and verify's ffmpeg alone (the slowest sides)")  # fmt: skip
    args = parser.parse_args()
    compiled(REPO, args.before)  # both sides as `make compile` leaves them
    flac = shutil.which("flac")
    if flac is None:
        sys.exit("Debian's flac is needed: `make bench-verify` installs it (apt-get install flac)")
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    exe = ffmpeg.find()
    work = Path(tempfile.mkdtemp(prefix="mk-verify-"))
    cold = os.geteuid() == 0 and drop_caches()
    print(f"{args.tracks} FLAC tracks of {args.seconds:g} s, {args.other_tracks} of MP3 and "
          f"Opus; {args.cores} cores; page cache {'dropped before each run' if cold else 'warm'}"
          f"; {exe}")  # fmt: skip
    try:
        for ext in ("flac", "mp3", "opus"):
            count = args.tracks if ext == "flac" else args.other_tracks
            if not count:  # --other-tracks 0: FLAC against flac -t alone
                continue
            library = work / ext
            files = build(library, exe, count, args.seconds, ext)
            if ext == "flac":
                sizes = [f.stat().st_size / 1e6 for f in files]
                print(f"FLAC files {min(sizes):.1f}-{max(sizes):.1f} MB")
            sides = sides_of(ext, exe, flac, files, library, work, args)
            warm = programs(exe, flac, work, args.before) if cold else None
            report(ext, rounds(sides, args.runs, warm))
            if ext == "flac" and cold:  # and from the cache: what the decoders cost alone
                report("flac, warm page cache", rounds(sides, args.runs, None))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
