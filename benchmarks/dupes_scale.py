"""Duplicates at the reference user's size: how fast is fingerprinting, grouping, and a
second scan with nothing changed?

Three parts, in one run:

1. **Fingerprinting**, per hour of audio: ``--files`` FLAC files of ``--seconds`` each
   (pink noise under a sine: music's compression, not a tone's), fingerprinted one after
   the other by the toolkit (the bundled ffmpeg's ``chromaprint`` muxer, only the first
   120 s decoded, the duration from the header, as the dupes job does) and by ``fpcalc -raw``
   (Debian's ``libchromaprint-tools``; its column says "not installed" where it is not),
   side by side on the same files.
2. **Grouping** ``--tracks`` tracks (default 17,274, albums of ``--per-album``) of synthetic
   fingerprints (900 random sub-fingerprints, about two minutes; every twentieth album again
   as a lossy copy with 5 % of its bits flipped and a delay): the time of
   ``grouping.group`` and the process's peak memory (ru_maxrss) before and after.
3. **A second scan with nothing changed**, through ``mediakeeper.runs.dupes.scan``: a
   library of that many small files (a copy of ``mediakeeper/data/silence.mp3`` each) whose
   fingerprint caches hold the synthetic fingerprints (so the first scan's batch finds every
   file fingerprinted, as after a real first scan), the first scan run, then the second timed.

    python benchmarks/dupes_scale.py [--tracks 17274] [--per-album 10] [--files 3] [--seconds 300]

Figures measured on 2026-11-25 (2 cores shared with other work, load about 6) are in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mediakeeper.dupes.grouping import Track, group  # noqa: E402

POINTS = 900


def fingerprinting(folder: Path, files: int, seconds: int) -> None:
    from mediakeeper.media import chromaprint

    made = []
    for n in range(files):
        path = folder / f"{n}.flac"
        source = (f"anoisesrc=color=pink:seed={n + 1}:d={seconds}:a=0.2[n];"
                  f"sine=f={220 + 40 * n}:d={seconds}[s];[n][s]amix=inputs=2")  # fmt: skip
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-filter_complex", source, "-ar", "44100",
                        "-ac", "2", str(path)], check=True)  # fmt: skip
        made.append(path)
    hours = files * seconds / 3600
    exe = chromaprint.fingerprinter()
    started = time.monotonic()
    for path in made:
        chromaprint.raw_fingerprint(exe, path, whole=False)  # as the dupes job does
    ours = time.monotonic() - started
    fpcalc = shutil.which("fpcalc")
    theirs = None
    if fpcalc:
        started = time.monotonic()
        for path in made:
            # fpcalc 1.5 exits 3 after its fingerprint on "End of file": read its output
            said = subprocess.run([fpcalc, "-raw", str(path)], capture_output=True, text=True)
            assert "FINGERPRINT=" in said.stdout, said.stderr
        theirs = time.monotonic() - started
    print(f"fingerprinting {files} files of {seconds} s ({hours * 60:.0f} min of audio):")
    print(f"  mediakeeper (ffmpeg chromaprint muxer): {ours:.2f} s, {ours / hours:.1f} s per hour")
    if theirs is None:
        print("  fpcalc: not installed (apt-get install libchromaprint-tools)")
    else:
        print(f"  fpcalc -raw:                            {theirs:.2f} s, "
              f"{theirs / hours:.1f} s per hour")  # fmt: skip


def synthetic(tracks: int, per_album: int) -> list[tuple[str, array]]:
    """(album/track name, sub-fingerprints): distinct albums, every twentieth again as a lossy
    copy (5 % of bits flipped, 7 sub-fingerprints of delay)."""
    rng = random.Random(64)
    made: list[tuple[str, array]] = []
    album = 0
    while len(made) < tracks:
        songs = [array("I", (rng.getrandbits(32) for _ in range(POINTS))) for _ in range(per_album)]
        made += [(f"Album {album:05d}/{n:02d}.mp3", s) for n, s in enumerate(songs)]
        if album % 20 == 0:
            for n, s in enumerate(songs):
                mask = [sum(1 << b for b in range(32) if rng.random() < 0.05) for _ in s]
                made.append(
                    (
                        f"Album {album:05d} (copy)/{n:02d}.mp3",
                        array("I", [p ^ m for p, m in zip(s, mask, strict=True)][7:]),
                    )
                )
        album += 1
    return made[:tracks]


def grouping(made: list[tuple[str, array]]) -> None:
    tracks = [Track(name, name.rpartition("/")[0], 120.0, points) for name, points in made]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.monotonic()
    found = group(tracks)
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    levels = {level: sum(g.level == level for g in found) for level in ("album", "track")}
    print(
        f"grouping {len(tracks)} tracks: {took:.2f} s, {levels}; peak memory "
        f"{before:.0f} MB with the fingerprints held, {after:.0f} MB after grouping"
    )


def second_scan(folder: Path, made: list[tuple[str, array]]) -> None:
    from mediakeeper.dupes.job import cache_path, encode, settings_of
    from mediakeeper.media import chromaprint
    from mediakeeper.runs.dupes import scan
    from mediakeeper.text.slug import slugify

    library, home = folder / "Music", folder / "home"
    (home / "status").mkdir(parents=True)
    template = (REPO / "mediakeeper" / "data" / "silence.mp3").read_bytes()
    settings = settings_of(chromaprint.fingerprinter())
    albums: dict[str, dict] = {}
    for name, points in made:
        path = library / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(template)
        st = path.stat()
        albums.setdefault(str(path.parent), {})[path.name] = {
            "size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino,
            "made": settings, "duration": 120.0, "fingerprint": encode(list(points)),
            "format": "mp3", "bitrate": 128000, "lossless": False, "tags": {},
        }  # fmt: skip
    import json

    for folder_path, files in albums.items():
        key = Path(folder_path).relative_to(library).as_posix()
        target = cache_path(home, slugify(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"key": key, "folder": folder_path, "files": files}))
    started = time.monotonic()
    first = scan(home, library=library)
    print(f"first scan of {len(made)} tracks in {len(albums)} albums, every file's fingerprint "
          f"cached: {time.monotonic() - started:.1f} s, {len(first.groups)} groups")  # fmt: skip
    started = time.monotonic()
    again = scan(home, library=library)
    took = time.monotonic() - started
    assert again.batch is None and again.groups == first.groups
    print(f"second scan, nothing changed: {took:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=17274)
    parser.add_argument("--per-album", type=int, default=10)
    parser.add_argument("--files", type=int, default=3, help="files fingerprinted (part 1)")
    parser.add_argument("--seconds", type=int, default=300, help="each file's length (part 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dupes-scale-") as tmp:
        fingerprinting(Path(tmp), args.files, args.seconds)
        made = synthetic(args.tracks, args.per_album)
        grouping(made)
        second_scan(Path(tmp), made)


if __name__ == "__main__":
    main()
