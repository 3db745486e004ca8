"""What a fixing pass costs on files of real size, side by side in one run.

Builds a library of real-sized tracks (FLAC of 20-30 MB, MP3 of 6-10 MB: real tags from the
project's templates, audio-like bytes after them), about 30% with a safe fix (a title's
stray spaces), then times, with the page cache dropped before each (when root and allowed):

  bare      mutagen.File() of every file (the floor: reading the tags at all)
  mutagen   mutagen's own in-place save() of the same fixes (what Picard and beets do)
  in-place  the music batch, fixes on, write_mode "in-place" (the default)
  copy      the music batch, fixes on, write_mode "copy" (a changed copy of each fixed file)
  no-fix    the music batch with --no-fix: its own cost (start, scan, reports, queue) without
            a byte written to the library, so in-place minus no-fix is what the fixes cost

Each runs in its own process; "written" is what the kernel accounted to it and its children
as written to storage (getrusage ``ru_oublock``: pages dirtied, journals and reports
included). Between methods every file's head (where its tags are) is put back as built, so
each method starts from the same library without copying gigabytes.

    python benchmarks/real_size_writes.py --tracks 240
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

HEAD = 256 << 10  # the tags of these files live in their first bytes


def build(root: Path, tracks: int) -> list[Path]:
    """The library; returns the tracks that need a fix."""
    from mediakeeper.music import synth

    rng = random.Random(35)
    noise = rng.randbytes(32 << 20)
    needs = []
    for n in range(tracks):
        fmt = "flac" if n % 2 == 0 else "mp3"
        artist = f"Artist {n // 8:03d}"
        fixed = rng.random() < 0.3
        title = f"Song  {n} " if fixed else f"Song {n}"
        tags = {"title": title, "artist": artist, "albumartist": artist, "album": "Record",
                "tracknumber": str(n % 8 + 1), "date": "1999", "genre": "Rock"}  # fmt: skip
        path = root / artist / "Record" / f"{n % 8 + 1:02d} - Song {n}.{fmt}"
        synth.make_track(path, fmt, tags)
        size = rng.randint(20, 30) << 20 if fmt == "flac" else rng.randint(6, 10) << 20
        with open(path, "ab") as f:
            left = size - path.stat().st_size
            while left > 0:
                start = rng.randrange(0, len(noise) - (1 << 20))
                chunk = noise[start : start + min(left, len(noise) - start)]
                f.write(chunk)
                left -= len(chunk)
        if fixed:
            needs.append(path)
    return needs


def heads(files: list[Path]) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_size, p.read_bytes()[:HEAD]) for p in files}


def restore(saved: dict[Path, tuple[int, bytes]]) -> None:
    """Every file as built (a method changed only heads: sizes are checked)."""
    for path, (size, head) in saved.items():
        with open(path, "r+b") as f:
            f.seek(0)
            if f.read(len(head)) != head:
                f.seek(0)
                f.write(head)
            f.truncate(size)


def drop_caches() -> bool:
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        return False
    return True


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


def child(mode: str, listing: Path) -> None:
    """A method in its own process: ``bare`` reads every file, ``mutagen`` saves each fix."""
    import mutagen

    for line in listing.read_text().splitlines():
        audio = mutagen.File(line)
        if mode == "mutagen":
            key = "TIT2" if "TIT2" in audio.tags else "TITLE"
            value = str(audio.tags[key][0] if key == "TITLE" else audio.tags[key].text[0])
            if key == "TIT2":
                audio.tags[key].text = [" ".join(value.split())]
            else:
                audio.tags[key] = [" ".join(value.split())]
            audio.save()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=240)
    parser.add_argument("--dir", type=Path, default=None, help="where to build (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as where:
        root, work = Path(where) / "Music", Path(where)
        started = time.perf_counter()
        needs = build(root, args.tracks)
        files = sorted(root.rglob("*.*"))
        total = sum(p.stat().st_size for p in files)
        print(f"library: {len(files)} tracks, {total / 1e9:.1f} GB, {len(needs)} needing a fix "
              f"({len(needs) / len(files):.0%}); built in {time.perf_counter() - started:.0f} s")
        (work / "all").write_text("\n".join(map(str, files)))
        (work / "fixes").write_text("\n".join(map(str, needs)))
        saved = heads(files)
        me = [sys.executable, __file__, "--child"]
        batch = [sys.executable, str(REPO / "utilities" / "process_music_batch.py"), "--library",
                 str(root), "--batch-size", "1000000", "--offline"]  # fmt: skip
        methods = {
            "bare": ([*me, "bare", str(work / "all")], None),
            "mutagen": ([*me, "mutagen", str(work / "fixes")], None),
            "in-place": ([*batch, "--home", str(work / "home-in-place")], None),
            "copy": ([*batch, "--home", str(work / "home-copy")],
                     {"MEDIAKEEPER_MUSIC_WRITE_MODE": "copy"}),
            "no-fix": ([*batch, "--home", str(work / "home-no-fix"), "--no-fix"], None),
        }  # fmt: skip
        figures = {}
        dropped = True
        for name, (command, env) in methods.items():
            restore(saved)
            dropped = drop_caches() and dropped
            figures[name] = run(command, env)
        restore(saved)
        print(f"page cache dropped before each: {'yes' if dropped else 'no (not allowed here)'}")
        bare, mut = figures["bare"][0], figures["mutagen"][2]
        print(f"{'method':<10} {'wall':>8} {'CPU':>8} {'written':>12}  vs bare read"
              "  vs mutagen bytes")
        for name, (wall, cpu, written) in figures.items():
            ratio = f"{written / mut:.2f}x" if mut else "-"
            print(f"{name:<10} {wall:7.2f}s {cpu:7.2f}s {written / 1e6:10.2f} MB"
                  f"  {wall / bare:10.2f}x  {ratio:>14}")
        (wall, _, written), (base, _, own) = figures["in-place"], figures["no-fix"]
        print(f"the fixes themselves (in-place minus no-fix): {wall - base:+.2f} s, "
              f"{(written - own) / 1e6:.2f} MB ({(written - own) / mut:.2f}x mutagen's bytes)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
