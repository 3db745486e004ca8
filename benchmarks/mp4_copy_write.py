"""A copy-mode tag write of a large audiobook (``.m4b``): how many times its bytes are read,
and how long it takes, side by side with another checkout.

Makes one book as ffmpeg writes it (its movie atom last, after the audio, no room to spare
in its tags): ``--minutes`` of ``--codec`` (AAC at 64 kbps, or ALAC: lossless; ten minutes
of pink noise encoded, then repeated by ffmpeg's stream copy to the length asked) with a
cover of about 500 KB (random bytes in a JPEG's frame). Then, in a new process of each
checkout (this one, and ``--before DIR``: a `git worktree` of another version), in
alternated runs, each from the book as made, its title is changed through
``tags.write_many`` in ``copy`` write mode with what it replaced kept for an exact undo
(``made``, as the music batch and ``undo_changes.py`` write). Each run says:

- the bytes the writing process read (``/proc/self/io`` ``rchar``: every read call, the
  kernel's copy too, from the page cache or the disk), as a multiple of the book's bytes:
  the copy reads each once; what more is read is read again;
- the write's wall seconds.

Medians of ``--runs`` (least and most beside them). The page cache is not dropped: the book
is read from memory, so the seconds are the reads' and the hash's CPU, not a disk's. The
movie atom is kept whole only up to 1 MiB (``fs.recorded.LIMIT``): its table of frame
sizes passes that past about 40 minutes of AAC (43 frames a second), 6 hours of ALAC (11),
and such a book's undo goes by its values, nothing of it hashed either side.

    python benchmarks/mp4_copy_write.py [--codec aac|alac] [--minutes 30] [--runs 5]
        [--before DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from checkouts import compiled, reads_side_by_side, run_in  # noqa: E402
from mutagen.mp4 import MP4, MP4Cover  # noqa: E402

from mediakeeper.media import ffmpeg  # noqa: E402

PIECE_MINUTES = 10
CODECS = {"aac": ["-ac", "1", "-c:a", "aac", "-b:a", "64k"], "alac": ["-ac", "2", "-c:a", "alac"]}

# Run in a new process of a checkout (its PYTHONPATH): the write's reads and seconds, as JSON.
ONE_RUN = """
import json, sys, time
from pathlib import Path
from mediakeeper.core import writemode
from mediakeeper.system.linux import io_bytes
from mediakeeper.tags.writing import FileWrite, write_many

book, title = Path(sys.argv[1]), sys.argv[2]
copy = writemode.WritePolicy(writemode.COPY, None)
made = {}
read, started = io_bytes()[0], time.perf_counter()
failed = write_many([FileWrite(book, {"title": title}, made=made)], policy=copy)
seconds, read = time.perf_counter() - started, io_bytes()[0] - read
assert not failed and made[book], (failed, made)  # written, its movie atom kept for the undo
print(json.dumps({"read": read, "seconds": seconds}))
"""


def make_book(exe: str, folder: Path, codec: str, minutes: int) -> Path:
    piece, book = folder / "piece.m4a", folder / "made.m4b"
    noise = f"anoisesrc=color=pink:duration={60 * PIECE_MINUTES}"
    run = ffmpeg.run(exe, ["-f", "lavfi", "-i", noise, *CODECS[codec], "-y", str(piece)])
    if run.returncode != 0:
        raise SystemExit(f"ffmpeg could not encode {codec}: {run.last_error}")
    repeats = -(-minutes // PIECE_MINUTES) - 1
    run = ffmpeg.run(exe, ["-stream_loop", str(repeats), "-i", str(piece), "-c", "copy",
                           "-metadata", "title=Book", "-y", str(book)])  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"ffmpeg could not repeat the book: {run.last_error}")
    audio = MP4(book)
    picture = random.Random(1).randbytes(500_000)
    audio.tags["covr"] = [MP4Cover(b"\xff\xd8\xff\xe0" + picture + b"\xff\xd9")]
    audio.save(padding=lambda info: 0)  # as ffmpeg leaves it: a title change resizes it
    piece.unlink()
    return book


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec", choices=sorted(CODECS), default="aac")
    parser.add_argument("--minutes", type=int, default=30, help="the book's length")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout, run beside this one")
    args = parser.parse_args()
    sides = {"this checkout": REPO, **({"--before": args.before.resolve()}
                                        if args.before else {})}  # fmt: skip
    compiled(*sides.values())
    root = Path(tempfile.mkdtemp(prefix="mk-mp4-copy-"))
    try:
        made = make_book(ffmpeg.find(), root, args.codec, args.minutes)
        book, size = root / "book.m4b", made.stat().st_size
        print(f"book: {args.minutes} minutes of {args.codec}, {size / 1e6:.1f} MB")

        def one(checkout: Path) -> dict:  # each run from the book as made
            shutil.copyfile(made, book)
            return run_in(checkout, ONE_RUN, book, "Book, Read Aloud", what="the write")

        reads_side_by_side(sides, args.runs, one, size, "book")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
