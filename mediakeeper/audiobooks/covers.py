"""A book's cover: chosen the way Audiobookshelf chooses one, made a JPEG for ``cover.jpg``.

Candidates, in order: the image files in the book folder, then in its disc folders (JPEG,
PNG, WebP as Audiobookshelf reads them, any case), one named ``cover`` first, then ``folder``
and ``front`` (Windows' and rippers' names), then the others in natural order (Audiobookshelf
takes the first image when none is named ``cover``; its ``-thumb`` images are never a cover);
then the first file's embedded picture. Hidden files and macOS ``._`` forks are never one.

The first candidate that can be used is the cover. ``cover.jpg`` beside the book is always a
JPEG, as Audiobookshelf and Plex layouts expect: any other image is converted by the ffmpeg
the house resolves. The embedded ``covr`` keeps a JPEG or PNG as it is (both are ``covr``
types every audiobook player reads; a second, lossy generation of a PNG would only lose
detail) and holds the JPEG for anything else (``covr`` knows no WebP or GIF). A candidate
over ``MAX_IMAGE_BYTES``, empty, or that ffmpeg cannot turn into a JPEG is passed over with a
note (``cover-unusable``); never a failed book.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import mutagen

from mediakeeper.audiobooks.books import disc_folders, natural_key
from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.lookup.images import MAX_IMAGE_BYTES, image_suffix
from mediakeeper.media import ffmpeg
from mediakeeper.tags.cover import embedded_cover

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
PREFERRED = ("cover", "folder", "front")


@dataclass
class Cover:
    embed: bytes | None = None  # for ``covr``: a JPEG or a PNG
    jpeg: bytes | None = None  # for ``cover.jpg``
    notes: list[str] = field(default_factory=list)  # candidates passed over, and why


def folder_images(folder: Path) -> list[Path]:
    """The book's image files in the order they are tried."""
    found: list[Path] = []
    for where in [folder, *disc_folders(folder)]:
        try:
            names = sorted(os.listdir(where), key=natural_key)
        except OSError:
            continue
        images = [where / n for n in names
                  if n.lower().endswith(IMAGE_SUFFIXES) and not n.startswith(".")
                  and not Path(n).stem.lower().endswith("-thumb")
                  and (where / n).is_file()]  # fmt: skip

        def rank(path: Path) -> int:
            stem = path.stem.casefold()
            return PREFERRED.index(stem) if stem in PREFERRED else len(PREFERRED)

        found += sorted(images, key=rank)  # stable: natural order within each rank
    return found


def embedded(path: Path) -> bytes | None:
    """The front cover embedded in ``path``, else its first picture."""
    try:
        audio = mutagen.File(path)
    except Exception:  # mutagen raises many kinds for a damaged file: then it has none
        return None
    cover = embedded_cover(audio)
    return cover.data if cover else None


def _candidates(folder: Path, files: list[Path]) -> Iterator[tuple[str, bytes | None, int]]:
    """(what it is, its bytes or None when too large to read, its size)."""
    for path in folder_images(folder):
        size = path.stat().st_size
        yield path.relative_to(folder).as_posix(), (
            path.read_bytes() if size <= MAX_IMAGE_BYTES else None), size  # fmt: skip
    if files and (data := embedded(files[0])) is not None:
        yield f"the picture embedded in {files[0].name}", data, len(data)


def choose(exe: str, folder: Path, files: list[Path], scratch: Path) -> Cover:
    """The book's cover; ``scratch`` (a folder of the book's working directory) holds the
    conversion's files while it runs."""
    cover = Cover()
    for name, data, size in _candidates(folder, files):
        if size > MAX_IMAGE_BYTES:
            mb, limit = -(-size // 2**20), MAX_IMAGE_BYTES // 2**20  # rounded up: never "64 > 64"
            cover.notes.append(f"{name} is {mb} MB, more than the {limit} MB an image may "
                               "be: not used")  # fmt: skip
            continue
        if not data:
            cover.notes.append(f"{name} is empty: not used")
            continue
        if image_suffix(data) == ".jpg":
            cover.embed = cover.jpeg = data
            return cover
        try:
            jpeg = to_jpeg(exe, data, scratch)
        except ffmpeg.FFmpegFailed as err:
            cover.notes.append(f"{name} is not an image ffmpeg can read ({err}): not used")
            continue
        cover.embed, cover.jpeg = (data if image_suffix(data) == ".png" else jpeg), jpeg
        return cover
    return cover


def to_jpeg(exe: str, data: bytes, scratch: Path) -> bytes:
    """``data`` (any image ffmpeg decodes) as a JPEG of the best quality; FFmpegFailed when
    ffmpeg cannot make one. Bit-exact: a resumed book gets the same bytes."""
    scratch.mkdir(parents=True, exist_ok=True)
    source, target = scratch / "cover-source", scratch / "cover-converted.jpg"
    try:
        source.write_bytes(data)
        result = ffmpeg.run(exe, ["-i", os.fspath(source), "-frames:v", "1", "-q:v", "2",
                                  "-fflags", "+bitexact", "-flags:v", "+bitexact",
                                  "-f", "mjpeg", "-y", os.fspath(target)])  # fmt: skip
        jpeg = target.read_bytes() if result.returncode == 0 and target.is_file() else b""
        if image_suffix(jpeg) != ".jpg":
            raise ffmpeg.FFmpegFailed(result.error)
        return jpeg
    finally:
        for path in (source, target):
            path.unlink(missing_ok=True)


def findings(notes: list[str]) -> list[Finding]:
    return [finding_of("cover-unusable", "", note) for note in notes]
