"""How fast is a full offline pass over a library the size of the reference user's?

Builds a library of --artists folders holding --tracks tracks in total (mixed formats, about
one track in five with a fixable problem), then, in the same run, times:

  (a) a bare single-process loop: mutagen.File() on every file and read its tags;
  (b) a full offline pass of utilities/process_music_batch.py over every artist, fixes on.

and prints both times, their ratio, tracks per second, and the peak memory of (b): the peak
summed PSS of its whole process tree (sampled from /proc) and the largest single process
(exact, from the kernel's accounting). Every artist must complete: a pass in which one
errored (and so skipped its work) is not a measurement, and the benchmark stops.
Then (c): the same pass again over the library (b) left behind, with a fresh data home: a
re-check of a library whose fixable problems are fixed (no tag writes), for the cost of the
pass without the writes. And in each round (d): mutagen's own save of the changes (b) wrote
(read from its change journal), over a copy of the library as built, in one process: each
file opened, its tags set and saved, with no journal, no flush and no undo, as a tagger that
trusts the disk writes them. (a) + (d) is the pass's floor, what reading every file and
writing its fixes costs at the least; (b) over it is the figure to set beside the 300-file
pass's (``real_size_writes.py``), whose floor is the same sum.

On a shared or virtual machine one process's speed drifts by half from minute to minute
(the same bare loop took 3.4 s in one run and 6.3 s a few minutes later), so (a) and (b) are
taken in --rounds rounds (default 3): each round copies the freshly built library, syncs,
then times (a), (b) and (a) again back to back over that copy. A round's ratio compares (b)
with the mean of the two reads around it, so a drift during the round moves both sides; the
verdict is the median of the rounds' ratios, and every round is printed.
CPU seconds are printed beside wall times; the pass's three phases (its own process alone
before the workers' first artist, the cores kept busy while they work, its process alone
after their last: the closing reports); and what creating one file costs in the
benchmark's folder: the pass creates thousands (a temp copy per tag write, atomic outputs), a
bare read none. The build's writes reach the disk before anything is timed.

``--with DIR``: another checkout's pass (a `git worktree` of the code before) is timed in the
same rounds, on its own copy of the library, between the same two reads, the two passes
taking turns first: (b') and its ratios beside (b)'s, and (b)/(b') paired round by round.

What the pass's writes cost depends on the file system (creating a file, a flush), what the
read costs hardly at all: ``--dir`` puts the library and the data homes on the one to measure
(a journaled ext4, tmpfs for the CPU alone).

    python benchmarks/library_scale.py --artists 930 --tracks 17274
    python benchmarks/library_scale.py --rounds 1 --dir /mnt/ext4
    python benchmarks/library_scale.py --rounds 5 --with ../before
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import mutagen

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from checkouts import compiled  # noqa: E402

from mediakeeper.changes.journal import read_journal  # noqa: E402
from mediakeeper.demo import tracks as synth  # noqa: E402
from mediakeeper.music.batch import PLAN as MUSIC_PLAN  # noqa: E402

FORMATS = ("mp3", "flac", "ogg", "m4a", "opus")


def build(root: Path, artists: int, tracks: int) -> int:
    """A library of ``artists`` folders, ``tracks`` tracks, 1-3 albums each."""
    templates: dict[str, Path] = {}  # one untagged file per format, copied then tagged
    made = 0
    per_artist, extra = divmod(tracks, artists)
    for a in range(artists):
        name = f"Artist {a:04d}"
        count = per_artist + (1 if a < extra else 0)
        albums = 1 + a % 3
        fmt = FORMATS[a % len(FORMATS)]
        for n in range(count):
            album = f"{1970 + (a + n % albums) % 50} - Album {n % albums + 1}"
            number = n // albums + 1
            path = root / name / album / f"{number:02d} - Song {number}.{fmt}"
            values = {
                "title": f"Song {number}",
                "artist": name,
                "albumartist": name,
                "album": album.split(" - ", 1)[1],
                "tracknumber": str(number),
                "date": album[:4],
            }
            if (a + n) % 8 == 0:
                values["title"] += "  "  # whitespace: fixed by the batch
            if (a + n) % 13 == 0:
                del values["date"]  # missing-year: filled from the folder name
            if fmt not in templates:
                templates[fmt] = synth.make_track(root / f".template.{fmt}", fmt, {})
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(templates[fmt], path)
            _tag_in_place(path, values)
            made += 1
    for template in templates.values():
        template.unlink()
    return made


def _tag_in_place(path: Path, values: dict[str, str]) -> None:
    """Tag a fresh copy where it lies. The toolkit's own atomic write would replace each copy
    with a new file, and the 17,274 files it frees would slow the file creations of the passes
    measured minutes later (ext4 without a journal skips recently freed inodes)."""
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.update(values)
    audio.save()


def bare_loop(root: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, files) of one bare read of every file."""
    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            audio = mutagen.File(os.path.join(dirpath, name))
            if audio is not None and audio.tags is not None:
                dict(audio.tags)
            count += 1
    return time.perf_counter() - started, time.process_time() - cpu, count


Change = tuple[Path, str, str | None]  # a path in the library, a tag, its new value


def journaled_changes(home: Path, library: Path) -> list[Change]:
    """The tag changes a pass over ``library`` wrote, as its change journal in ``home`` says
    (``read_journal``: a change whose write left its file alone is not among them): (path in
    the library, tag, new value; None: removed), in their order."""
    return [(Path(e.path).relative_to(library), e.tag, e.new)
            for e in read_journal(home / "status" / "music")]  # fmt: skip


def mutagen_saves(library: Path, changes: list[Change]) -> tuple[float, float]:
    """(wall s, CPU s) of mutagen's own save of ``changes`` in ``library``: each file opened
    once (mutagen's easy interface, whose names are the toolkit's), its tags set, saved."""
    by_file: dict[Path, list[tuple[str, str | None]]] = {}
    for path, tag, new in changes:
        by_file.setdefault(path, []).append((tag, new))
    started, cpu = time.perf_counter(), time.process_time()
    for path, edits in by_file.items():
        audio = mutagen.File(library / path, easy=True)
        for tag, new in edits:
            if new is None:
                audio.pop(tag, None)
            else:
                audio[tag] = [new]
        audio.save()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    for path, edits in by_file.items():  # not timed: each file holds what (b) wrote in it
        audio = mutagen.File(library / path, easy=True)
        for tag, new in edits:
            if audio.get(tag) != ([new] if new is not None else None):
                sys.exit(f"(d) left {path}'s {tag} at {audio.get(tag)!r}, not {new!r}")
    return seconds, cpu


def file_costs(folder: Path, n: int = 300) -> tuple[float, float]:
    """Milliseconds to create one empty file, and to rename one, in a new folder here. The
    files stay until the end: deleting them would slow every file creation of the passes
    timed in the next minutes (ext4 without a journal skips inodes freed in the last minute,
    one by one), which is the probe changing what it measures."""
    probe = folder / "create-probe"
    probe.mkdir()
    started = time.perf_counter()
    for i in range(n):
        os.close(os.open(probe / f"f{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    created = time.perf_counter()
    for i in range(n):
        os.rename(probe / f"f{i}", probe / f"g{i}")
    renamed = time.perf_counter()
    return (created - started) * 1000 / n, (renamed - created) * 1000 / n


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_pids(root_pid: int) -> list[int]:
    """The process and its descendants, from each thread's list of children. (Listing all of
    /proc instead cost the sampler 2.7 ms of CPU a sample, taken from the pass it measures;
    it is the fallback for a kernel built without those lists.)"""
    if not os.path.exists(f"/proc/{root_pid}/task/{root_pid}/children"):
        return _tree_pids_by_scan(root_pid)
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # gone already
        for tid in threads:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    stack.extend(int(child) for child in f.read().split())
            except OSError:
                continue
    return found


def _tree_pids_by_scan(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _pss_kb(pid: int) -> int:
    """One process's PSS in kB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def _stat_times(pid: int) -> tuple[float, float, float, float] | None:
    """(user, system, children's user, children's system) CPU seconds of a process, from
    /proc (its children: those it has waited for); None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return tuple(int(v) / TICK for v in fields[11:15])  # utime stime cutime cstime


def _schedstat(pid: int) -> tuple[float, float] | None:
    """(seconds on a core, seconds runnable but waiting for one) of a process's main thread."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            on_cpu, waiting, _ = f.read().split()
    except (OSError, ValueError):
        return None
    return int(on_cpu) / 1e9, int(waiting) / 1e9


@dataclass
class Account:
    """Where a pass's time went: the CPU of the batch's own process and of its workers (user
    and system), and each worker's life split into on a core / waiting for one (other
    processes had the cores) / neither (waiting for the disk, or for its next item): a
    worker "waiting" is a loaded host, "neither" flushes or a main process too slow."""

    main_user: float = 0.0
    main_system: float = 0.0
    workers_user: float = 0.0
    workers_system: float = 0.0
    lives: list[tuple[float, float, float]] = field(default_factory=list)  # life, on, waiting
    # The pass in three phases (``phases``): its own process alone before the workers' first
    # artist, the workers at work, its own process alone after their last (the closing).
    alone_before: float = 0.0
    alone_after: float = 0.0
    busy_between: float = 0.0  # cores kept busy while the workers work

    def split(self) -> tuple[float, float, float]:
        """The workers' on a core / waiting for one / neither, as shares of their lives."""
        life = sum(x[0] for x in self.lives) or 1.0
        on, waiting = sum(x[1] for x in self.lives), sum(x[2] for x in self.lives)
        return on / life, waiting / life, max(0.0, life - on - waiting) / life


def full_pass(
    root: Path, home: Path, workers: int, checkout: Path = REPO
) -> tuple[float, float, int, Account]:
    """(wall s, CPU s of the batch and its workers, peak PSS kB of its process tree, where
    the time went), the batch of ``checkout``."""
    command = [
        sys.executable, str(checkout / "utilities" / "process_music_batch.py"),
        "--home", str(home), "--library", str(root), "--batch-size", "1000000",
        "--offline", "--workers", str(workers),
    ]  # fmt: skip
    peak = {"pss": 0}
    cpu = _children_cpu()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    main_times: list[tuple[float, float, float, float]] = []  # the last sample of the batch's
    seen: dict[int, list[float]] = {}  # worker pid -> [first seen, last seen, on, waiting]
    series: list[tuple[float, float, float]] = []  # (instant, on a core: its own, workers')

    def sample():
        while proc.poll() is None:
            pids = _tree_pids(proc.pid)
            pss = sum(_pss_kb(pid) for pid in pids)
            peak["pss"] = max(peak["pss"], pss)
            now = time.perf_counter()
            for pid in pids[1:]:
                if (sched := _schedstat(pid)) is not None:
                    seen.setdefault(pid, [now, now, 0.0, 0.0])[1:] = [now, *sched]
            if (times := _stat_times(proc.pid)) is not None:
                main_times[:] = [times]
            if (own := _schedstat(proc.pid)) is not None:
                workers = sum(v[2] for v in seen.values())  # those gone too: their last
                series.append((now - started, own[0], workers))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu  # the workers are the batch's children: counted in it
    sampler.join()
    if proc.returncode != 0:  # 1: some artists errored and skipped their work
        sys.exit(f"the pass did not complete (exit {proc.returncode}): {err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user, system = after.ru_utime - usage.ru_utime, after.ru_stime - usage.ru_stime
    # The workers are waited for before the closing reports, so the batch's last sample
    # holds their whole CPU; the batch's own is the rest (exact but for a clock tick).
    workers_user, workers_system = main_times[0][2:] if main_times else (0.0, 0.0)
    before, after, busy = phases(series, elapsed)
    account = Account(
        main_user=user - workers_user, main_system=system - workers_system,
        workers_user=workers_user, workers_system=workers_system,
        lives=[(last - first, on, waiting) for first, last, on, waiting in seen.values()
               if pid_is_worker(on)],
        alone_before=before, alone_after=after, busy_between=busy,
    )  # fmt: skip
    return elapsed, cpu, peak["pss"], account


def phases(series: list[tuple[float, float, float]], elapsed: float) -> tuple[float, float, float]:
    """(seconds before the workers work, seconds after, cores busy in between) from the
    samples: the workers "work" from the sample their CPU passes 1% of its total to the one
    it reaches 99% (their start-up and their exit left out); in between, the CPU of the batch's
    own process and of its workers over the time between those samples."""
    if len(series) < 3 or series[-1][2] <= 0:
        return 0.0, 0.0, 0.0
    total = series[-1][2]
    start = next(s for s in series if s[2] > 0.01 * total)
    end = next(s for s in series if s[2] >= 0.99 * total)
    span = end[0] - start[0]
    used = (end[1] - start[1]) + (end[2] - start[2])
    return start[0], elapsed - end[0], used / span if span > 0 else 0.0


def pid_is_worker(on_cpu: float) -> bool:
    """A process of the tree that ran at all (the batch's helpers that only fork and wait,
    such as a cluster's, take no CPU to speak of)."""
    return on_cpu > 0.05


def _account_lines(name: str, accounts: list[Account], bare_cpu: float) -> list[tuple[str, str]]:
    """Where a pass's CPU went, medians of the rounds, beside the bare read's CPU: the batch's
    own process and its workers, user / system; and the workers' lives split."""
    lines = []
    for label, user, system in (
        ("its own process", [a.main_user for a in accounts], [a.main_system for a in accounts]),
        ("its workers", [a.workers_user for a in accounts], [a.workers_system for a in accounts]),
    ):
        total = median(u + s for u, s in zip(user, system, strict=True))
        lines.append((f"{name} CPU: {label}, user / system",
                      f"{median(user):.2f} / {median(system):.2f}s"))  # fmt: skip
        lines.append((f"{name}   the same, x the bare read's CPU", f"{total / bare_cpu:.2f}"))
    splits = [a.split() for a in accounts if a.lives]
    if splits:
        on, waiting, neither = (median(x[i] for x in splits) for i in range(3))
        lines.append((f"{name} workers on a core / waiting / neither",
                      f"{on:.0%} / {waiting:.0%} / {neither:.0%}"))  # fmt: skip
    if any(a.busy_between for a in accounts):
        before = median(a.alone_before for a in accounts)
        after = median(a.alone_after for a in accounts)
        lines.append((f"{name} its process alone: before / after the workers",
                      f"{before:.2f} / {after:.2f}s"))  # fmt: skip
        lines.append((f"{name} cores busy while the workers work",
                      f"{median(a.busy_between for a in accounts):.2f}"))  # fmt: skip
    return lines


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f} - {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=930)
    parser.add_argument("--tracks", type=int, default=17274)
    parser.add_argument("--workers", type=int, default=MUSIC_PLAN.workers,
                        help=f"the batch's --workers, both checkouts' (default "
                             f"{MUSIC_PLAN.workers}: the music batch's own)")  # fmt: skip
    parser.add_argument("--with-workers", type=int, default=None,
                        help="the --with checkout's --workers, where it differs (with --with "
                             "this checkout: two worker counts side by side)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3, help="(a)-(b)-(a) rounds, default 3")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument(
        "--with", dest="with_", type=Path, default=None,
        help="another checkout (the code before): its pass timed in the same rounds",
    )  # fmt: skip
    parser.add_argument(
        "--dir", type=Path, default=None,
        help="the file system to measure on: the library and data homes go in a temp folder "
        "here (default: the system's temp folder)",
    )  # fmt: skip
    args = parser.parse_args()
    other_workers = args.workers if args.with_workers is None else args.with_workers
    compiled(REPO, args.with_)  # both sides as `make compile` leaves them

    if args.dir is not None:  # as real_size_writes.py: a folder named is made, not refused
        args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mk-libscale-", dir=args.dir))
    try:
        pristine = work / "pristine"
        print(f"building {args.artists} artists / {args.tracks} tracks in {work} ...", flush=True)
        t0 = time.perf_counter()
        made = build(pristine, args.artists, args.tracks)
        print(f"built {made} tracks in {time.perf_counter() - t0:.1f}s", flush=True)
        create_ms, rename_ms = file_costs(work)

        rounds = []  # (a wall, a cpu: the two reads' mean; b wall, b cpu, peak pss kB)
        others = []  # (b') wall, cpu, peak pss kB: --with's pass in the same rounds
        saves = []  # (d) wall, cpu: mutagen's own save of (b)'s changes
        for n in range(1, args.rounds + 1):
            library, home = work / f"Music-{n}", work / f"home-{n}"
            shutil.copytree(pristine, library, symlinks=True)
            saved = work / f"Music-{n}-mutagen"
            shutil.copytree(pristine, saved, symlinks=True)
            home.mkdir()
            if args.with_ is not None:
                other_library, other_home = work / f"Music-{n}-with", work / f"home-{n}-with"
                shutil.copytree(pristine, other_library, symlinks=True)
                other_home.mkdir()
            os.sync()  # the copy's writes must not land in either measurement
            before, before_cpu, files = bare_loop(library)
            if args.with_ is not None and n % 2 == 0:  # the two passes take turns first
                others.append(full_pass(other_library, other_home, other_workers, args.with_))
                os.sync()
            batch = full_pass(library, home, args.workers)
            os.sync()  # nor the pass's writes in the read after it
            if args.with_ is not None and n % 2 == 1:
                others.append(full_pass(other_library, other_home, other_workers, args.with_))
                os.sync()
            saves.append(mutagen_saves(saved, journaled_changes(home, library)))
            os.sync()
            after, after_cpu, _ = bare_loop(library)
            bare_seconds, bare_cpu = (before + after) / 2, (before_cpu + after_cpu) / 2
            rounds.append((bare_seconds, bare_cpu, *batch))
            other = f"  (b') {others[-1][0]:.2f}s" if others else ""
            print(f"round {n}: (a) {before:.2f}s, {after:.2f}s after  (b) {batch[0]:.2f}s{other}  "
                  f"(d) {saves[-1][0]:.2f}s  ratio {batch[0] / bare_seconds:.2f}, over the floor "
                  f"{batch[0] / (bare_seconds + saves[-1][0]):.2f}", flush=True)  # fmt: skip
        # The largest any (b) process ever was: exact, where sampling can miss a peak. Read
        # now, before (c) runs: the kernel's figure covers every child waited for so far.
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        changes = sum(  # one line per change; a spare empty line (see append_lines) is none
            sum(1 for line in p.read_text("utf-8").splitlines() if line)
            for p in (home / "status/music/changes").glob("*.jsonl")
        )
        recheck_home = work / "home-recheck"
        recheck_home.mkdir()
        recheck_seconds, recheck_cpu, *_ = full_pass(library, recheck_home, args.workers)
        after_seconds, after_cpu, _ = bare_loop(library)  # (c)'s own neighbour

        ratios = [r[2] / r[0] for r in rounds]
        cpu_ratios = [r[3] / r[1] for r in rounds]
        bare_seconds = median([r[0] for r in rounds])
        batch_seconds = median([r[2] for r in rounds])
        batch_cpu = median([r[3] for r in rounds])
        pss_kb = max(r[4] for r in rounds)
        busy = median(r[3] / r[2] for r in rounds)
        bare_cpu_median = median(r[1] for r in rounds)
        print()
        print(f"{'measure (a median of the rounds, unless said)':<46}{'value':>14}")
        print(f"{'(a) bare mutagen loop, 1 process':<46}{bare_seconds:>13.2f}s")
        print(f"{f'(b) process_music_batch.py, {args.workers} workers':<46}{batch_seconds:>13.2f}s")
        # Each round's ratio compares two runs seconds apart; the two medians above may come
        # from different rounds, so their quotient is printed too, as such.
        print(f"{'ratio (b)/(a), median of the rounds':<46}{median(ratios):>14.2f}")
        quotient = batch_seconds / bare_seconds
        print(f"{'  (b) median / (a) median, for comparison':<46}{quotient:>14.2f}")
        print(f"{'  the rounds, lowest - highest':<46}{_spread(ratios):>14}")
        print(f"{'  (a) lowest - highest, seconds':<46}{_spread([r[0] for r in rounds]):>14}")
        print(f"{'CPU ratio (b)/(a), median of the rounds':<46}{median(cpu_ratios):>14.2f}")
        print(f"{'(b) CPU seconds, all its processes':<46}{batch_cpu:>13.2f}s")
        print(f"{'(b) cores kept busy (CPU s / wall s)':<46}{busy:>14.2f}")
        for label, value in _account_lines("(b)", [r[5] for r in rounds], bare_cpu_median):
            print(f"{label:<46}{value:>14}")
        print(f"{'(a) tracks per second':<46}{files / bare_seconds:>14,.0f}")
        print(f"{'(b) tracks per second':<46}{made / batch_seconds:>14,.0f}")
        print(f"{'(b) peak memory, whole tree (PSS), any round':<46}{pss_kb / 1024:>12.1f}MB")
        print(f"{'(b) peak memory, largest process, any round':<46}{rss_kb / 1024:>12.1f}MB")
        print(f"{'(b) tag changes written (its journal)':<46}{changes:>14,}")
        floors = [r[0] + d[0] for r, d in zip(rounds, saves, strict=True)]
        over = [r[2] / f for r, f in zip(rounds, floors, strict=True)]
        over_cpu = [r[3] / (r[1] + d[1]) for r, d in zip(rounds, saves, strict=True)]
        saving = median(d[0] for d in saves)
        print(f"{'(d) mutagen saving the same changes, 1 proc.':<46}{saving:>13.2f}s")
        print(f"{'  its CPU seconds':<46}{median(d[1] for d in saves):>13.2f}s")
        print(f"{'the floor, (a) + (d)':<46}{median(floors):>13.2f}s")
        print(f"{'ratio (b)/((a) + (d)), median of the rounds':<46}{median(over):>14.2f}")
        print(f"{'  the rounds, lowest - highest':<46}{_spread(over):>14}")
        print(f"{'CPU ratio (b)/((a) + (d))':<46}{median(over_cpu):>14.2f}")
        print(f"{'(c) same pass, library already fixed, once':<46}{recheck_seconds:>13.2f}s")
        print(f"{'ratio (c)/(a), (a) right after (c)':<46}{recheck_seconds / after_seconds:>14.2f}")
        print(f"{'CPU ratio (c)/(a)':<46}{recheck_cpu / after_cpu:>14.2f}")
        if others:
            print(f"(b') the pass of {args.with_}, {other_workers} workers, in the same rounds")
            with_ratios = [o[0] / r[0] for o, r in zip(others, rounds, strict=True)]
            with_cpu = [o[1] / r[1] for o, r in zip(others, rounds, strict=True)]
            paired = [r[2] / o[0] for o, r in zip(others, rounds, strict=True)]
            paired_cpu = [r[3] / o[1] for o, r in zip(others, rounds, strict=True)]
            lines = [
                ("  (b') seconds, median", f"{median(o[0] for o in others):.2f}s"),
                ("  ratio (b')/(a), median of the rounds", f"{median(with_ratios):.2f}"),
                ("  CPU ratio (b')/(a), median of the rounds", f"{median(with_cpu):.2f}"),
                ("  (b') CPU seconds, all its processes", f"{median(o[1] for o in others):.2f}s"),
                ("(b)/(b'), paired: wall / CPU, median",
                 f"{median(paired):.2f} / {median(paired_cpu):.2f}"),
            ]  # fmt: skip
            lines += _account_lines("  (b')", [o[3] for o in others], bare_cpu_median)
            for label, value in lines:
                print(f"{label:<46}{value:>14}")
        costs = f"{create_ms:.3f} / {rename_ms:.3f} ms"
        print(f"{'creating one file here / renaming one':<46}{costs:>14}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
