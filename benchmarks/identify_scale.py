"""What does identifying tracks by their sound cost, against one plain decode of each file?

Makes ``--tracks`` untagged FLAC tracks of ``--seconds`` each (pink noise from ffmpeg's own
test sources, one seed each) in one artist folder, then times, side by side:

- plain ffmpeg: one ``-f null -`` decode per file (what any fingerprinter must at least do
  for the duration), one file at a time;
- the fingerprints alone: ``chromaprint.fingerprint`` per file (the chromaprint muxer over the
  first 120 s and a decode to the end, one ffmpeg);
- the batch: ``process_music_batch.py`` over the folder against a local fake AcoustID that
  knows every fingerprint (``[acoustid] rate_limit = 3``, the service's own), from start to
  exit, with the requests it sent;
- the batch again after ``--reset-all``: the fingerprints and answers from the caches.

    python benchmarks/identify_scale.py [--tracks 24] [--seconds 240]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mediakeeper.demo import sound as synth  # noqa: E402
from mediakeeper.media import chromaprint, ffmpeg  # noqa: E402
from mediakeeper.queue.store import QueueStore  # noqa: E402
from tests.servers.acoustid import (  # noqa: E402
    API_KEY,
    FakeAcoustID,
    match,
    recording,
    release_group,
)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def batch(home: Path, library: Path, fake: FakeAcoustID) -> tuple[float, dict]:
    """(seconds, the artist's queue item as the batch left it)."""
    env = {**os.environ, "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
           "MEDIAKEEPER_MUSICBRAINZ_URL": "http://127.0.0.1:9",
           "MEDIAKEEPER_MUSICBRAINZ_RETRIES": "0",
           "MEDIAKEEPER_ACOUSTID_URL": fake.url, "MEDIAKEEPER_ACOUSTID_KEY": API_KEY}  # fmt: skip
    command = [sys.executable, str(REPO / "utilities/process_music_batch.py"), "--home",
               str(home), "--library", str(library), "--workers", "1", "-q"]  # fmt: skip
    done: list[subprocess.CompletedProcess] = []
    seconds = timed(lambda: done.append(subprocess.run(command, env=env, capture_output=True,
                                                       text=True)))  # fmt: skip
    # Exit 1 is also "done, with decisions waiting for you": untagged noise asks for some.
    # The artist must have completed, whatever the code says.
    (item,) = QueueStore(home / "status" / "music", "music").load()["items"]
    if done[0].returncode not in (0, 1) or item["status"] != "completed":
        sys.exit(f"the batch did not complete its artist (exit {done[0].returncode}, "
                 f"{item['status']}): {done[0].stdout[-1500:]}{done[0].stderr[-1500:]}")
    return seconds, item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=240.0)
    args = parser.parse_args()
    exe = chromaprint.fingerprinter()
    root = Path(tempfile.mkdtemp(prefix="identify-scale-"))
    try:
        library = root / "Music"
        files = [synth.noise(exe, library / "Artist" / "Album" / f"{n:02d}.flac", args.seconds,
                             seed=n) for n in range(1, args.tracks + 1)]  # fmt: skip
        decode = timed(lambda: [ffmpeg.decoded_length(exe, f) for f in files])
        prints: list[chromaprint.Fingerprint] = []
        fingerprint = timed(lambda: prints.extend(chromaprint.fingerprint(exe, f) for f in files))
        group = release_group("Album", "Artist")
        with FakeAcoustID() as fake:
            for n, p in enumerate(prints, 1):
                rec = recording(f"Track {n}", "Artist", round(p.duration), group)
                fake.add_track(p.fingerprint, p.duration, [match(0.97, rec)])
            first, _ = batch(root / "home", library, fake)
            sent = len(fake.requests)
            subprocess.run([sys.executable, str(REPO / "utilities/music_queue_manager.py"),
                            "--home", str(root / "home"), "--reset-all"], input=b"y\n",
                           check=True, capture_output=True)  # fmt: skip
            again, item = batch(root / "home", library, fake)
            resent = len(fake.requests) - sent
        decoded = item["details"]["identified"]["fingerprinted"]
        n, audio = len(files), len(files) * args.seconds
        print(f"{n} tracks of {args.seconds:g} s ({audio / 60:.0f} min of audio), one at a time")
        print(f"  plain decode          {decode:6.2f} s   {decode / n * 1000:6.0f} ms a track")
        print(f"  fingerprints          {fingerprint:6.2f} s   {fingerprint / n * 1000:6.0f} ms "
              f"a track   {fingerprint / decode:.2f}x the decode")  # fmt: skip
        print(f"  batch, first run      {first:6.2f} s   {sent} requests (3 a second at most)")
        print(f"  batch, again          {again:6.2f} s   {resent} requests, {decoded} "
              "fingerprints decoded")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
