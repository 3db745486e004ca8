"""How many MusicBrainz requests does a batch make per artist?

Runs utilities/process_music_batch.py over a library of --artists artists (two albums each)
against a local fake MusicBrainz that speaks the real XML web service, and counts the requests
the server received:

  1. first run over the library (no ids in the tags);
  2. a second run over the same library (--artist re-runs, same data home: the cache);
  3. a first run over a copy whose files already carry the MusicBrainz artist id
     (a fresh data home, so nothing is cached).

Plus one artist with 230 release groups (three browse pages), and --namesakes of the artists
sharing their name with another MusicBrainz artist (scored 86 beside their 100, as the live
search scores same-named artists): each costs one browse more, to compare the albums. For
comparison: beets' importer has no persistent cache and makes about six MusicBrainz requests
per album.

    python benchmarks/lookup_requests.py --artists 100
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

from mediakeeper import tags  # noqa: E402
from mediakeeper.demo import tracks as synth  # noqa: E402
from tests.servers.musicbrainz import FakeMusicBrainz  # noqa: E402


def build(root: Path, artists, *, with_ids: bool) -> None:
    for artist in artists:
        for number, group in enumerate(artist.release_groups[:2], 1):
            folder = root / artist.name / f"{group.first_release_date[:4]} - {group.title}"
            values = {
                "title": f"Song {number}",
                "artist": artist.name,
                "albumartist": artist.name,
                "album": group.title,
                "tracknumber": "1",
                "date": group.first_release_date[:4],
            }
            if with_ids:
                values["musicbrainz_albumartistid"] = artist.id
            path = synth.make_track(folder / "01 - Song 1.flac", "flac", {})
            tags.write(path, values)


def batch(fake: FakeMusicBrainz, home: Path, library: Path, *extra: str) -> tuple[int, float]:
    env = {
        **os.environ,
        "MEDIAKEEPER_MUSIC_LOOKUPS": "true",
        "MEDIAKEEPER_MUSICBRAINZ_URL": fake.url,
        "MEDIAKEEPER_MUSICBRAINZ_RATE_LIMIT": "0",  # a local mirror: count requests, not wait
    }
    command = [sys.executable, str(REPO / "utilities/process_music_batch.py"), "--home",
               str(home), "--library", str(library), "--batch-size", "100000", *extra]  # fmt: skip
    fake.clear_requests()
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"batch failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr}")
    return len(fake.requests), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artists", type=int, default=100)
    parser.add_argument(
        "--namesakes", type=int, default=10, help="artists with a same-named rival (default 10)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mk-lookups-"))
    fake = FakeMusicBrainz().start()
    try:
        artists = fake.add_synthetic_artists(args.artists, release_groups=3)
        for artist in artists[: args.namesakes]:  # the artist scores 100, its namesake less
            fake.add_artist(artist.name, type="Group", disambiguation="namesake", score=86,
                            release_groups=[(f"{artist.name} Other", "1970")])  # fmt: skip
        prolific = fake.find("The Prolific Test Ensemble")
        plain, tagged = work / "Music", work / "Tagged"
        build(plain, artists + prolific, with_ids=False)
        build(tagged, artists + prolific, with_ids=True)
        n = len(artists) + len(prolific)

        first, t1 = batch(fake, work / "home", plain)
        # Every artist again, same data home: re-processing reads the cache.
        subprocess.run([sys.executable, str(REPO / "utilities/music_queue_manager.py"),
                        "--home", str(work / "home"), "--reset-all", "--yes"],
                       capture_output=True, check=True)  # fmt: skip
        second, t2 = batch(fake, work / "home", plain)
        with_ids, t3 = batch(fake, work / "home-ids", tagged)

        namesakes = min(args.namesakes, len(artists))
        print(f"{n} artists ({len(artists)} with 3 release groups, 1 with 230), 2 albums each; "
              f"{namesakes} share their name with another artist\n")  # fmt: skip
        print(f"{'run':<46}{'requests':>10}{'per artist':>12}{'seconds':>10}")
        for label, count, seconds in (
            ("1. first run, no ids in the tags", first, t1),
            ("2. second run, same data home (cache)", second, t2),
            ("3. first run, artist ids already in tags", with_ids, t3),
        ):
            print(f"{label:<46}{count:>10}{count / n:>12.2f}{seconds:>10.1f}")
        print("\ntargets: <= 2 per artist (+1 per extra page of 100 release groups, +1 per "
              "same-named artist compared), <= 1 with ids, 0 on the second run")  # fmt: skip
        print(f"for comparison (the brief's figure for beets, not measured here): about 6 "
              f"requests per album and no persistent cache, so ~{6 * 2 * n} requests on every "
              f"import of this library")  # fmt: skip
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
