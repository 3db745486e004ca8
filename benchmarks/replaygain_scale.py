"""How fast does the replaygain processor tag a small library, against one plain ffmpeg
``ebur128`` pass per file?

Makes ``--albums`` albums of ``--tracks`` FLAC tracks of ``--seconds`` each (sine tones from
ffmpeg's own test sources), then times:

- the processor: ``replaygain.tag_album`` per album (one ebur128 pass per track with its
  true peak and each 400 ms block's loudness printed, the album's loudness gated over the
  tracks' blocks without another decode, the tags written with mutagen);
- plain ffmpeg: one ``-af ebur128=peak=true -f null -`` pass per file, nothing written.

Both run one file at a time. It prints files per second for each and their ratio. The
processor reads ten lines of ffmpeg's log a second of audio more than the plain pass, so
the aim is at most 1.2 times plain ffmpeg.

    python benchmarks/replaygain_scale.py [--albums 4] [--tracks 6] [--seconds 20]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mediakeeper.demo import sound as synth  # noqa: E402
from mediakeeper.media import ffmpeg, replaygain  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--albums", type=int, default=4)
    parser.add_argument("--tracks", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    exe = ffmpeg.find()
    root = Path(tempfile.mkdtemp(prefix="replaygain-bench-"))
    try:
        albums = []
        for a in range(args.albums):
            albums.append([
                synth.tone(exe, root / f"album{a}" / f"{t:02d}.flac", args.seconds,
                           frequency=220 + 40 * t)
                for t in range(args.tracks)
            ])  # fmt: skip
        files = [f for album in albums for f in album]

        started = time.perf_counter()
        for path in files:
            subprocess.run([exe, "-nostdin", "-hide_banner", "-i", str(path), "-af",
                            "ebur128=peak=true", "-f", "null", "-"], capture_output=True,
                           check=True)  # fmt: skip
        plain = time.perf_counter() - started

        started = time.perf_counter()
        for album in albums:
            replaygain.tag_album(exe, album, album=True)
        ours = time.perf_counter() - started
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = len(files)
    print(f"{n} files of {args.seconds:g} s")
    print(f"plain ffmpeg ebur128, one pass per file: {plain:.2f} s ({n / plain:.1f} files/s)")
    print(f"replaygain processor (track + album):   {ours:.2f} s ({n / ours:.1f} files/s)")
    print(f"ratio: {ours / plain:.2f}")


if __name__ == "__main__":
    main()
