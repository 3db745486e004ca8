"""Plain records passed between scan, rules, fixes and outputs. No I/O here. (A finding is
:class:`mediakeeper.core.findings.Finding`, the same for every kind.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mediakeeper.changes.change import TagChange

if TYPE_CHECKING:
    from mediakeeper.core.findings import Finding


@dataclass(frozen=True)
class Track:
    """One readable audio file, as scanned.

    ``path`` is posix-style and relative to the artist folder ("1999 - Album/CD1/01 - x.mp3").
    ``album`` is the album folder relative to the artist folder ("" for loose tracks); disc
    sub-folders such as ``CD1`` or ``Disc 2`` fold into their album and set ``disc_folder``.
    ``tags`` holds logical tag -> value exactly as stored (not stripped); a missing tag is an
    absent key. Track and disc numbers are split: tracknumber "3", tracktotal "12".
    """

    path: str
    album: str
    format: str  # "mp3", "flac", "m4a", "wav", "ape", ...: mediakeeper.tags.formats
    tags: Mapping[str, str]
    duration: float = 0.0  # seconds
    bitrate: int = 0  # bits per second, 0 when unknown
    lossless: bool = False
    tag_version: str = "none"  # ID3v2.4, ID3v2.3, ID3v2.2, ID3v1, vorbis, mp4, apev2, asf, none
    has_picture: bool = False
    size: int = 0
    disc_folder: int | None = None


@dataclass(frozen=True)
class UnreadableFile:
    """An audio-named file that mutagen could not parse; also (``ArtistScan.unsupported``) a
    file of a format the toolkit does not read, ``reason`` saying what it is."""

    path: str
    album: str
    reason: str


@dataclass(frozen=True)
class ArtistScan:
    """Everything read from one artist folder."""

    folder: str  # the artist folder's own name
    tracks: tuple[Track, ...] = ()
    unreadable: tuple[UnreadableFile, ...] = ()
    # Files that are neither audio the toolkit reads, nor an album's companions (pictures,
    # cue sheets, logs: fsnames.COMPANION_SUFFIXES), nor junk: a video, a .mka, a .mid.
    unsupported: tuple[UnreadableFile, ...] = ()
    cover_albums: frozenset[str] = frozenset()  # album folders holding a cover/folder image
    # Folders passed over, and why (links to folders, no access): (path, reason).
    skipped: tuple[tuple[str, str], ...] = ()
    leftovers: tuple[str, ...] = ()  # temp copies of killed tag writes (full paths): junk
    # Track path -> where it leads, for links to files outside the library: never written.
    outside: Mapping[str, str] = field(default_factory=dict)
    # Track path -> its path in the library, for links to files in another item's folder:
    # fixed by that item, never through the link (mediakeeper.fs.links).
    elsewhere: Mapping[str, str] = field(default_factory=dict)
    # Track path -> the file's parse (mediakeeper.tags.Parsed), kept for the tag writes that
    # follow the scan (scan_artist's keep_bytes); not part of what the scan found.
    parsed: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Preview:
    """What a dry run would do for one artist."""

    name: str
    track_count: int
    findings: list[Finding]
    changes: list[TagChange]
    tracks: tuple[Track, ...] = ()  # for their numbers, when findings of several are grouped
    # The planned changes the write would leave alone (a read-only file's, a hard-linked
    # one's, a value its container cannot hold), each with why.
    refused: tuple[tuple[TagChange, str], ...] = ()
    stopped: tuple[str, ...] = ()  # a line per rule plugin stopped at its time limit
