"""What a fixing pass costs on files of real size, side by side in one run.

Builds a library of real-sized tracks (FLAC of 20-30 MB, MP3 of 6-10 MB: real tags from the
project's templates, audio-like bytes after them), about 30% with a safe fix (a title's
stray spaces), then times, with the page cache dropped before each (when root and allowed):

  bare      mutagen.File() of every file (the floor: reading the tags at all)
  mutagen   mutagen's own in-place save() of the same fixes (what Picard and beets do)
  in-place  the music batch, fixes on, write_mode "in-place" (the default)
  one-worker  the same with ``--workers 1``: one process doing the jobs, the batch's own
            process beside it
  N-workers  with ``--more-workers N``: the same with ``--workers N``, to see whether more
            processes than cores fill the cores while others wait for the disk
  copy      the music batch, fixes on, write_mode "copy" (a changed copy of each fixed file)
  no-fix    the music batch with --no-fix: its own cost (start, scan, reports, queue) without
            a byte written to the library, so in-place minus no-fix is what the fixes cost
  start     the music batch over an empty library: its fixed cost (the program loaded from a
            cold page cache, the queue, the closing reports), paid once per batch whatever its
            size; "python" is the same for the interpreter and mutagen alone (the bare read's)
  warm      the batch as a long-lived process would run it: in a process that has already
            run it once (over the empty library), timed from then on; "warm-bare" is the
            bare read in a process that has imported mutagen. What the batch would take if
            it were not a new process each time

Each runs in its own process; "written" is what the kernel accounted to it and its children
as written to storage (getrusage ``ru_oublock``: pages dirtied, journals and reports
included). Between methods every file's head (where its tags are) is put back as built, so
each method starts from the same library without copying gigabytes. Every method but copy
runs ``--rounds`` times, interleaved, and its medians are printed; copy runs once, last.

    python benchmarks/real_size_writes.py --tracks 600 --rounds 3

At the reference user's size (930 artists, 17,274 tracks: about 300 GB) the library is built
``--sparse``: each file keeps its real size, its first 256 KB and its last 64 KB hold data
(tags, headers, the frames after them; ID3v1 and APEv2 at the end), and the middle, which no
tag reader reads, is a hole. The disk then holds 5.5 GB, and every read either side makes
still goes to the disk. Copy mode is left out there (``--no-copy``): copying writes the holes
out, 90 GB at that size.

    python benchmarks/real_size_writes.py --artists 930 --tracks 17274 --sparse --no-copy
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from checkouts import compiled
from page_cache import drop_caches

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

HEAD = 64 << 10  # the tags of these files live in their first bytes (a few KB)
SPARSE_HEAD, SPARSE_TAIL = 256 << 10, 64 << 10  # what a sparse file's ends hold


def build(root: Path, tracks: int, artists: int, sparse: bool) -> list[Path]:
    """The library (``tracks`` spread over ``artists``, up to 12 a record); returns the tracks
    that need a fix. ``sparse``: only each file's ends hold data (see the module's doc)."""
    from mediakeeper.demo import tracks as synth

    rng = random.Random(35)
    noise = rng.randbytes(32 << 20)
    needs = []
    per_artist, extra = divmod(tracks, artists)
    n = 0
    for a in range(artists):
        artist = f"Artist {a:04d}"
        for k in range(per_artist + (a < extra)):
            fmt = "flac" if n % 2 == 0 else "mp3"
            fixed = rng.random() < 0.3
            title = f"Song  {n} " if fixed else f"Song {n}"
            album, number = f"Record {k // 12}", str(k % 12 + 1)
            tags = {"title": title, "artist": artist, "albumartist": artist, "album": album,
                    "tracknumber": number, "date": "1999", "genre": "Rock"}  # fmt: skip
            path = root / artist / album / f"{k % 12 + 1:02d} - Song {n}.{fmt}"
            synth.make_track(path, fmt, tags)
            size = rng.randint(20, 30) << 20 if fmt == "flac" else rng.randint(6, 10) << 20
            with open(path, "r+b") as f:  # not "ab": appends ignore the seek over the hole
                f.seek(0, os.SEEK_END)
                _fill(f, size - f.tell(), noise, rng, sparse)
            if fixed:
                needs.append(path)
            n += 1
    return needs


def _fill(f, left: int, noise: bytes, rng: random.Random, sparse: bool) -> None:
    """``left`` bytes of audio-like noise after the tags; ``sparse``: only the first
    SPARSE_HEAD and the last SPARSE_TAIL of them, a hole between."""
    if sparse and left > SPARSE_HEAD + SPARSE_TAIL:
        start = rng.randrange(0, len(noise) - SPARSE_HEAD - SPARSE_TAIL)
        f.write(noise[start : start + SPARSE_HEAD])
        f.seek(left - SPARSE_HEAD - SPARSE_TAIL, os.SEEK_CUR)
        f.write(noise[start + SPARSE_HEAD : start + SPARSE_HEAD + SPARSE_TAIL])
        return
    while left > 0:
        start = rng.randrange(0, len(noise) - (1 << 20))
        chunk = noise[start : start + min(left, len(noise) - start)]
        f.write(chunk)
        left -= len(chunk)


def heads(files: list[Path]) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_size, _head(p)) for p in files}


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(HEAD)


def restore(saved: dict[Path, tuple[int, bytes]]) -> None:
    """Every file as built (a method changed only heads: sizes are checked)."""
    for path, (size, head) in saved.items():
        with open(path, "r+b") as f:
            f.seek(0)
            if f.read(len(head)) != head:
                f.seek(0)
                f.write(head)
            f.truncate(size)


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s, bytes written) of a command and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"{command[1]} failed: {done.stderr.decode()[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, (after.ru_oublock - before.ru_oublock) * 512


def child(mode: str, listing: Path, batch: list[str]) -> None:
    """A method in its own process: ``bare`` reads every file, ``mutagen`` saves each fix;
    ``warm-bare`` and ``warm`` time themselves after a warm-up (``warmed``). ``batch``, for
    ``warm``: the warm-up's library and data home, then the batch's options."""
    if mode == "warm":
        library, home, options = batch[0], batch[1], batch[2:]
        # Given twice, an option's last value wins: the warm-up's library and home.
        warm_up = [*options, "--library", library, "--home", home]
        warmed(functools.partial(_batch, options), warm_up)
    elif mode == "warm-bare":
        warmed(functools.partial(_read, listing), None)
    else:
        _read(listing, fix=mode == "mutagen")


def _read(listing: Path, fix: bool = False) -> None:
    import mutagen

    for line in listing.read_text().splitlines():
        audio = mutagen.File(line)
        if fix:
            key = "TIT2" if "TIT2" in audio.tags else "TITLE"
            value = str(audio.tags[key][0] if key == "TITLE" else audio.tags[key].text[0])
            if key == "TIT2":
                audio.tags[key].text = [" ".join(value.split())]
            else:
                audio.tags[key] = [" ".join(value.split())]
            audio.save()


def _batch(options: list[str]) -> None:
    """The music batch in this process."""
    import mediakeeper.cli.startup  # noqa: F401
    from mediakeeper.cli.main import command_of

    with contextlib.suppress(SystemExit):  # 1: artists that need a person
        command_of("music", "batch")(options, standalone_mode=False)


def warmed(work, warm_up: list[str] | None) -> None:
    """``work`` timed in a process already loaded: the batch run once first (over the empty
    library: every module it needs loaded, its templates compiled), the bare read's modules
    imported. The parent dropped the cache before this process started; what the warm-up
    wrote is flushed before the clock starts. Prints RESULT: wall, CPU and bytes written (this
    process and the batch's workers)."""
    if warm_up is None:
        import mutagen.flac
        import mutagen.mp3  # noqa: F401
    else:
        _batch(warm_up)
    os.sync()
    before, started = _own_usage(), time.perf_counter()
    work()
    wall, after = time.perf_counter() - started, _own_usage()
    cpu, written = (a - b for a, b in zip(after, before, strict=True))
    print(f"RESULT {wall} {cpu} {written}", flush=True)


def _own_usage() -> tuple[float, int]:
    """(CPU s, bytes written) of this process and its ended children."""
    both = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in both), sum(u.ru_oublock for u in both) * 512


def run_warm(command: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s, bytes written) of a ``warm`` method, as it timed itself."""
    done = subprocess.run(command, capture_output=True, text=True)
    results = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not results:
        sys.exit(f"{command[3]} failed (exit {done.returncode}): {done.stderr[-2000:]}")
    wall, cpu, written = results[-1]
    return float(wall), float(cpu), int(written)


def methods_of(
    root: Path, work: Path, round_: int, more_workers: int | None = None
) -> dict[str, tuple[list[str], dict | None]]:
    """Each method's command (a batch gets a new data home each round). ``copy`` is last: the
    gigabytes it writes are still being written back by the host below a virtual disk after
    ``sync`` returns, which slowed whatever ran next by seconds."""
    me = [sys.executable, __file__, "--child"]
    script = [sys.executable, str(REPO / "utilities" / "process_music_batch.py")]

    def options(name: str, library: Path = root) -> list[str]:
        return ["--library", str(library), "--batch-size", "1000000", "--offline", "--home",
                str(work / f"home-{name}-{round_}")]  # fmt: skip

    def batch(name: str, library: Path = root) -> list[str]:
        return [*script, *options(name, library)]

    warm_up = [str(work / "empty"), str(work / f"home-warm-up-{round_}")]
    more = f"{more_workers}-workers"
    return {
        "bare": ([*me, "bare", str(work / "all")], None),
        "mutagen": ([*me, "mutagen", str(work / "fixes")], None),
        "in-place": (batch("in-place"), None),
        "one-worker": ([*batch("one-worker"), "--workers", "1"], None),
        **({more: ([*batch(more), "--workers", str(more_workers)], None)} if more_workers else {}),
        "no-fix": ([*batch("no-fix"), "--no-fix"], None),
        "start": (batch("start", work / "empty"), None),
        "python": ([sys.executable, "-c", "import mutagen.flac, mutagen.mp3"], None),
        "warm-bare": ([*me, "warm-bare", str(work / "all")], None),
        "warm": ([*me, "warm", str(work / "all"), *warm_up, *options("warm")], None),
        "copy": (batch("copy"), {"MEDIAKEEPER_MUSIC_WRITE_MODE": "copy"}),
    }


def measure(
    root: Path, work: Path, saved: dict, rounds: int, copy: bool = True,
    more_workers: int | None = None,
) -> tuple[dict, bool]:  # fmt: skip
    """Each method's (wall, CPU, written): the median of ``rounds`` rounds (``copy`` once,
    in the last: minutes of writing, and its figures vary least; not at all without
    ``copy``); whether the page cache could be dropped before each."""
    runs: dict[str, list[tuple[float, float, int]]] = {}
    dropped = True
    for round_ in range(rounds):
        for name, (command, env) in methods_of(root, work, round_, more_workers).items():
            if name == "copy" and (round_ < rounds - 1 or not copy):
                continue
            restore(saved)
            dropped = drop_caches() and dropped
            figures = run_warm(command) if name.startswith("warm") else run(command, env)
            runs.setdefault(name, []).append(figures)
    restore(saved)
    medians = {
        name: tuple(statistics.median(r[i] for r in figures) for i in range(3))
        for name, figures in runs.items()
    }
    return medians, dropped


def report(figures: dict, rounds: int, dropped: bool) -> None:
    copy = "copy: one" if "copy" in figures else "copy left out"
    print(f"page cache dropped before each: {'yes' if dropped else 'no (not allowed here)'}; "
          f"medians of {rounds} rounds ({copy})")
    bare, mut = figures["bare"][0], figures["mutagen"][2]
    print(f"{'method':<11} {'wall':>8} {'CPU':>8} {'written':>12}  vs bare read"
          "  vs mutagen bytes")
    for name, (wall, cpu, written) in figures.items():
        ratio = f"{written / mut:.2f}x" if mut else "-"
        print(f"{name:<11} {wall:7.2f}s {cpu:7.2f}s {written / 1e6:10.2f} MB"
              f"  {wall / bare:10.2f}x  {ratio:>14}")
    (wall, _, written), (base, _, own) = figures["in-place"], figures["no-fix"]
    print(f"the fixes themselves (in-place minus no-fix): {wall - base:+.2f} s, "
          f"{(written - own) / 1e6:.2f} MB ({(written - own) / mut:.2f}x mutagen's bytes)")
    fixed, python = figures["start"][0], figures["python"][0]
    print(f"less the fixed costs (in-place minus start, bare minus python): "
          f"{wall - fixed:.2f} s against {bare - python:.2f} s, "
          f"{(wall - fixed) / max(bare - python, 1e-3):.2f}x")
    warm, warm_bare = figures["warm"][0], figures["warm-bare"][0]
    print(f"a long-lived process (warm): the batch {warm:.2f} s, {warm / bare:.2f}x the bare "
          f"read, {warm / warm_bare:.2f}x the bare read in such a process ({warm_bare:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=240)
    parser.add_argument("--artists", type=int, help="default: one folder per 8 tracks")
    parser.add_argument("--sparse", action="store_true", help="only each file's ends on disk")
    parser.add_argument("--no-copy", action="store_true", help="leave copy mode out")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to build (default: temp)")
    parser.add_argument("--more-workers", type=int, metavar="N",
                        help="also time the in-place batch with --workers N")  # fmt: skip
    args = parser.parse_args()
    # Compiled first, as `make compile` does: where PYTHONDONTWRITEBYTECODE is set, a module
    # changed since its last compile is compiled again at every start, which cost a cold
    # batch more than its whole write path (an empty batch 2.96 s, 1.1 s compiled).
    compiled(REPO)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as where:
        root, work = Path(where) / "Music", Path(where)
        started = time.perf_counter()
        artists = args.artists or max(1, args.tracks // 8)
        needs = build(root, args.tracks, artists, args.sparse)
        files = sorted(root.rglob("*.*"))
        total = sum(p.stat().st_size for p in files)
        print(f"library: {artists} artists, {len(files)} tracks, {total / 1e9:.1f} GB"
              f"{' (sparse)' if args.sparse else ''}, {len(needs)} needing a fix "
              f"({len(needs) / len(files):.0%}); built in {time.perf_counter() - started:.0f} s")
        (work / "all").write_text("\n".join(map(str, files)))
        (work / "fixes").write_text("\n".join(map(str, needs)))
        (work / "empty").mkdir()
        figures, dropped = measure(
            root, work, heads(files), args.rounds, not args.no_copy, args.more_workers
        )
        report(figures, args.rounds, dropped)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
    else:
        main()
