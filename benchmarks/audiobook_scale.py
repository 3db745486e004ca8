"""How much does the audiobook batch cost beyond the one ffmpeg command a user would type,
and do its chapter marks drift?

Makes two books from ffmpeg's own test sources, as the issue sets them: a 3-hour book of 40
VBR MP3 chapters without a Xing header, a 2-hour book of 40 AAC chapters (each chapter 0.5 s
of silence then a tone, so where its audio begins can be found in the output; a few distinct
chapters are made and linked in turn, which the batch cannot tell from 40). Then, in one run:

- the MP3 book through ``process_audiobook_batch.py`` (backup, every file's packets listed,
  one encode decoded meanwhile to verify it, the chapters, a read-back, tags) against the plain
  ``ffmpeg -f concat -safe 0 -i list.txt -c:a aac -b:a 128k book.m4b`` (no chapters);
- the AAC book through the batch (joined as it is) against the batch forced to re-encode it
  (the same book, one MP3 chapter added at the end);
- the worst drift of any chapter mark from where its file's audio begins in each output.

Aims (issue 27): the MP3 book within 1.1 times plain ffmpeg; the stream copy at least 20 times
faster than re-encoding; drift under 50 ms.

    python benchmarks/audiobook_scale.py [--chapters 40] [--mp3-hours 3] [--aac-hours 2]
"""

from __future__ import annotations

import argparse
import array
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mutagen.mp4 import MP4  # noqa: E402

from mediakeeper.media import ffmpeg  # noqa: E402

RATE = 44100


def chapter(exe: str, dest: Path, seconds: float, n: int, codec: list[str]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tone = f"sine=frequency={200 + 20 * n}:sample_rate={RATE}:duration={seconds - 0.5}"
    args = ["-f", "lavfi", "-i", f"anullsrc=r={RATE}:d=0.5", "-f", "lavfi", "-i", tone,
            "-filter_complex", "[0][1]concat=n=2:v=0:a=1", "-ac", "2", *codec, "-y",
            os.fspath(dest)]  # fmt: skip
    result = ffmpeg.run(exe, args)
    if result.returncode != 0:
        raise SystemExit(f"{dest}: {result.last_error}")


MP3 = ["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"]
AAC = ["-c:a", "aac", "-b:a", "96k"]


def batch(home: Path, library: Path, out: Path) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(REPO / "utilities" / "process_audiobook_batch.py"), "--home",
         str(home), "--library", str(library), "--output", str(out), "--workers", "1", "-q"],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return time.monotonic() - started


def plain(exe: str, folder: Path, out: Path) -> float:
    listing = folder.parent / f"{folder.name}.txt"
    files = sorted(folder.glob("*.mp3"))
    listing.write_text("".join(f"file '{p}'\n" for p in files), encoding="utf-8")
    started = time.monotonic()
    subprocess.run([exe, "-nostdin", "-v", "error", "-f", "concat", "-safe", "0", "-i",
                    str(listing), "-c:a", "aac", "-b:a", "128k", "-y", str(out)],
                   check=True)  # fmt: skip
    return time.monotonic() - started


def worst_drift(exe: str, m4b: Path) -> float:
    raw = subprocess.run([exe, "-nostdin", "-v", "error", "-i", str(m4b), "-f", "s16le", "-ac",
                          "1", "-ar", str(RATE), "-"], capture_output=True, check=True).stdout
    samples = array.array("h")
    samples.frombytes(raw)
    worst = 0.0
    for c in MP4(m4b).chapters:
        start = int((c.start + 0.25) * RATE)  # inside the chapter's leading silence
        onset = next(i for i in range(start, len(samples)) if abs(samples[i]) > 1000) / RATE
        worst = max(worst, abs(onset - 0.5 - c.start))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", type=int, default=40)
    parser.add_argument("--mp3-hours", type=float, default=3.0)
    parser.add_argument("--aac-hours", type=float, default=2.0)
    parser.add_argument("--distinct", type=int, default=4, help="distinct chapters made")
    args = parser.parse_args()
    exe = ffmpeg.find()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mp3_book = root / "mp3lib" / "Jane Doe - Variable"
        aac_book = root / "aaclib" / "Jane Doe - Copied"
        mixed_book = root / "mixedlib" / "Jane Doe - Forced"
        mp3_seconds = args.mp3_hours * 3600 / args.chapters
        aac_seconds = args.aac_hours * 3600 / args.chapters
        for n in range(1, args.chapters + 1):
            made = (n - 1) % args.distinct + 1
            for book, seconds, codec, ext in ((mp3_book, mp3_seconds, MP3, "mp3"),
                                              (aac_book, aac_seconds, AAC, "m4a")):  # fmt: skip
                if made == n:
                    chapter(exe, book / f"{n:03d}.{ext}", seconds, n, codec)
                else:
                    os.link(book / f"{made:03d}.{ext}", book / f"{n:03d}.{ext}")
            mixed_book.mkdir(parents=True, exist_ok=True)
            os.link(aac_book / f"{n:03d}.m4a", mixed_book / f"{n:03d}.m4a")
        os.link(mp3_book / "001.mp3", mixed_book / f"{args.chapters + 1:03d}.mp3")
        print(f"a {args.mp3_hours:g} h book of {args.chapters} VBR MP3 chapters, a "
              f"{args.aac_hours:g} h book of {args.chapters} AAC chapters (the same AAC book "
              "with one MP3 chapter more to force a re-encode)")
        ours = batch(root / "h1", mp3_book.parent, root / "out1")
        theirs = plain(exe, mp3_book, root / "plain.m4b")
        copied = batch(root / "h2", aac_book.parent, root / "out2")
        forced = batch(root / "h3", mixed_book.parent, root / "out3")
        mp3_out = next((root / "out1").rglob("*.m4b"))
        aac_out = next((root / "out2").rglob("*.m4b"))
        print(f"plain ffmpeg concat + encode (no chapters):  {theirs:7.2f} s")
        print(f"batch, VBR MP3 book (encoded once):          {ours:7.2f} s  "
              f"ratio {ours / theirs:.2f} (aim: at most 1.1)")
        print(f"batch, AAC book joined as it is:             {copied:7.2f} s")
        print(f"batch, the AAC book forced to re-encode:     {forced:7.2f} s  "
              f"{forced / copied:.1f} times the copy (aim: at least 20)")
        print(f"worst chapter drift: MP3 book {worst_drift(exe, mp3_out) * 1000:.1f} ms, "
              f"AAC copy {worst_drift(exe, aac_out) * 1000:.1f} ms (aim: under 50)")


if __name__ == "__main__":
    main()
