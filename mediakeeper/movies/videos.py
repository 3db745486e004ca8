"""The video files of one movie folder: the main movie (perhaps in parts), extras, samples.

:func:`classify` is pure (relative paths in, a :class:`VideoScan` out); :func:`scan_videos`
walks a folder and calls it. What is recognised, as Kodi, Jellyfin and Plex do:

* **parts** of one movie: ``cd1``/``cd2``, ``part1``, ``pt2``, ``disc1``, ``disk2``, ``dvd1``
  (also ``cd a``/``cd b``) with the rest of the name equal — one main movie, stacked;
* **extras**: anything in an ``extras``, ``featurettes``, ``trailers``, ``behind the scenes``,
  ``deleted scenes``, ``interviews``, ``scenes``, ``shorts``, ``clips`` or ``other`` folder,
  and files named ``...-trailer``, ``...-featurette``, ``...-deleted`` and the like (a word
  titles end in too, ``interview``, ``short``, ``scene``, ``clip``, ``extra``, ``other``,
  only after a dash: ``The Big Short`` is a movie, ``Movie-short`` an extra);
* **samples**: a ``sample`` folder, or ``sample`` as the first or last word of the file
  name (``With.Sample.2002`` is a movie);
* **discs**: a ``VIDEO_TS`` or ``BDMV`` folder is one main movie, whatever files it holds.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from mediakeeper.core.errors import LibraryError
from mediakeeper.fs import tree
from mediakeeper.fs.links import not_followed
from mediakeeper.fs.names import is_junk
from mediakeeper.movies.cut_short import cut_short

VIDEO_SUFFIXES = frozenset(
    {".3gp", ".asf", ".avi", ".divx", ".flv", ".iso", ".m2ts", ".m4v", ".mkv", ".mov", ".mp4",
     ".mpeg", ".mpg", ".mts", ".ogm", ".ogv", ".rmvb", ".ts", ".vob", ".webm", ".wmv"}
)  # fmt: skip
EXTRAS_FOLDERS = frozenset(
    {"extras", "extra", "featurettes", "featurette", "trailers", "trailer", "behind the scenes",
     "deleted scenes", "interviews", "scenes", "shorts", "clips", "other", "others", "bonus"}
)  # fmt: skip
SAMPLE_FOLDERS = frozenset({"sample", "samples"})
DISC_FOLDERS = frozenset({"video_ts", "bdmv"})
# An extra's name ends in its kind: a word no title ends in after any separator
# ("Movie.featurette"), one titles end in too ("The Big Short", "The Interview") only after a
# dash ("Movie-interview", "Movie - short"), as Plex and Jellyfin read them.
_EXTRA_SUFFIX = re.compile(
    r"(?:(?:^|[\s._-])(?:trailer|featurette|behindthescenes|deleted|deletedscene)"
    r"|-\s*(?:interview|scene|short|extra|clip|other))$",
    re.IGNORECASE,
)
# A sample says so at the start or the end of its name ("sample-grp-movie", "movie.sample"):
# in the middle, the word is the title's ("With.Sample.2002.1080p").
_SAMPLE = re.compile(r"^sample(?:[\s._-]|$)|[\s._-]sample$", re.IGNORECASE)
# Kodi's default stacking expressions: <prefix><cd|dvd|part|pt|disc|disk><n><suffix>.
_PART = re.compile(
    r"^(?P<prefix>.*?)(?:^|[\s._-]+)[(\[]?(?P<kind>cd|dvd|part|pt|disc|disk)[\s._-]*"
    r"(?P<n>[0-9]{1,2}|[a-d])[)\]]?(?P<suffix>(?:[\s._-].*)?)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class VideoScan:
    """Paths are posix-style and relative to the movie folder.

    ``groups`` are the candidate main movies, each a tuple of its parts in order (one path
    for a single file; a ``.../VIDEO_TS`` or ``.../BDMV`` folder for a disc).
    """

    groups: tuple[tuple[str, ...], ...] = ()
    extras: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    empty: tuple[str, ...] = ()  # the main videos' files of 0 bytes (a copy that never came)
    # The main videos' files their containers show cut short: (path, how, for a person).
    cut: tuple[tuple[str, str], ...] = ()

    @property
    def main(self) -> tuple[str, ...]:
        """The main movie's parts when there is exactly one candidate, else ()."""
        return self.groups[0] if len(self.groups) == 1 else ()


def is_video(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in VIDEO_SUFFIXES


def classify(paths: list[str]) -> VideoScan:
    """Sort the files of a movie folder (relative posix paths; non-videos are ignored)."""
    stacks: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    discs: set[str] = set()
    singles: list[str] = []
    extras: list[str] = []
    samples: list[str] = []
    for path in sorted(paths):
        pure = PurePosixPath(path)
        folders = [part.casefold() for part in pure.parts[:-1]]
        disc = next((n for n, folder in enumerate(folders) if folder in DISC_FOLDERS), None)
        if any(folder in SAMPLE_FOLDERS for folder in folders):
            if is_video(path):
                samples.append(path)
            continue
        if any(folder in EXTRAS_FOLDERS for folder in folders):
            if is_video(path):
                extras.append(path)
            continue
        if disc is not None:
            discs.add(PurePosixPath(*pure.parts[: disc + 1]).as_posix())
            continue
        if not is_video(path) or is_junk(pure.name):
            continue
        stem = pure.stem
        if _SAMPLE.search(stem):
            samples.append(path)
        elif _EXTRA_SUFFIX.search(stem):
            extras.append(path)
        elif part := _PART.match(stem):
            key = (
                pure.parent.as_posix(),
                part["prefix"].casefold(),
                part["suffix"].casefold(),
                pure.suffix.casefold(),
            )
            stacks.setdefault(key, []).append((_part_order(part["n"]), path))
        else:
            singles.append(path)
    groups = [(path,) for path in singles]
    for parts in stacks.values():
        groups.append(tuple(path for _, path in sorted(parts)))
    groups += [(disc,) for disc in sorted(discs)]
    return VideoScan(tuple(sorted(groups)), tuple(extras), tuple(samples))


def _part_order(n: str) -> str:
    return n.zfill(2) if n.isdigit() else n.casefold()


def scan_videos(folder: Path) -> VideoScan:
    """Walk ``folder`` (not following links to folders) and classify what is there."""
    if not folder.is_dir():
        raise LibraryError(f"movie folder missing or not a folder: {folder}")
    if folder.is_symlink():  # queued before it became a link
        raise LibraryError(f"{folder}: {not_followed(folder, folder.parent)}")
    found: list[str] = []
    errors: list[OSError] = []
    for root, dirs, files in tree.walk(folder, onerror=errors.append):
        dirs[:] = sorted(d for d in dirs if not is_junk(d))
        base = Path(root).relative_to(folder)
        for name in files:
            found.append((base / name).as_posix())
    if errors and not found:
        raise LibraryError(f"cannot read movie folder {folder}: {errors[0].strerror}")
    scan = classify(found)
    mains = [path for group in scan.groups for path in group]
    empty = tuple(path for path in mains if _empty(folder / path))
    cut = tuple((path, how) for path in mains if (how := cut_short(folder / path)))
    return replace(scan, empty=empty, cut=cut) if empty or cut else scan


def _empty(path: Path) -> bool:
    """A regular file of 0 bytes (a disc's folder, or a file gone meanwhile: not empty)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == 0 and stat.S_ISREG(st.st_mode)
