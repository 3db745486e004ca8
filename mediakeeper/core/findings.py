"""What every kind reports in the same words: the one ``Finding``, the JSON record the outputs
store for it, and the one table of finding codes (severity, kind, what the code means).

Shared vocabulary, a low layer: nothing here imports from ``music/`` or ``movies/``. The codes
are a public contract; ``docs/findings.md`` is their reference list, and a test keeps it equal
to :data:`CODES`. Severity: error, the item is broken or unidentifiable; warning, wrong or
incomplete data a player or a lookup trips over (with errors, what needs a person); info,
worth knowing, often deliberate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")
# Who reports a code: an artist folder's own checks, its lookups (MusicBrainz, AcoustID), a
# movie folder, an album conversion, an audiobook, an album's integrity check.
KINDS = ("music", "enrichment", "movies", "conversions", "audiobooks", "verify")


@dataclass(frozen=True)
class Code:
    severity: str
    kind: str
    means: str  # one line for a person; docs/findings.md's "what it means" says the same
    also: tuple[str, ...] = ()  # other kinds that report the same code, in the same sense

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind, *self.also)


def _codes(kind: str, table: Mapping[str, tuple[str, str]]) -> dict[str, Code]:
    return {code: Code(severity, kind, means) for code, (severity, means) in table.items()}


# Every code once. Paths in findings are relative to the item's folder ("" = the item itself).
CODES: dict[str, Code] = {
    **_codes(
        "music",
        {
            "unreadable-file": ("error", "an audio file that cannot be read"),  # + audiobooks
            "unsupported-format": ("info", "a file of a format mediakeeper does not read"),
            "skipped-folder": ("warning", "a folder in the artist folder that was not scanned"),
            "missing-title": ("error", "a track or a book has no title"),  # + audiobooks
            "missing-artist": ("error", "a track has no artist"),
            "missing-album": ("warning", "a track in an album folder has no album"),
            "missing-albumartist": ("warning", "a track in an album folder has no album artist"),
            "missing-tracknumber": ("warning", "a track in an album folder has no track number"),
            "missing-year": ("warning", "a track has no year"),
            "inconsistent-albumartist": ("warning", "an album's tracks name several album artists"),
            "inconsistent-album": ("warning", "an album's tracks name several albums"),
            "inconsistent-year": ("warning", "an album's tracks give several years"),
            "duplicate-tracknumber": ("warning", "tracks of one disc share a track number"),
            "track-gap": ("warning", "a disc's track numbers skip a number"),
            "filename-mismatch": ("warning", "the file name's track number is not the tag's"),
            "whitespace": ("warning", "a tag has leading, trailing or doubled spaces"),
            "mojibake": ("warning", "a tag's text was decoded with the wrong encoding"),
            "mixed-formats": ("info", "an album mixes audio formats"),
            "missing-cover": ("info", "an album has no cover, embedded or as an image file"),
            "artist-name-variant": ("warning", "the artist's name is spelled several ways"),
            "low-bitrate": ("warning", "a lossy file under 128 kbps"),
            "legacy-tag": ("warning", "the tags are ID3v1 only or ID3v2.2"),
            # A fix's file left alone (mediakeeper.fs.safewrite). Changed by another program
            # meanwhile: the fix is still to do, by a run again. A link out of the library:
            # someone must say where the file belongs. Read-only, and a file with other names
            # (hard links): the person's own setup, worth knowing (the finding whose fix it
            # holds back stays open with its own severity).
            "changed-during-fix": ("warning", "a file changed while being fixed; left alone"),
            "link-outside-library": ("warning", "a link to a file out of the library; not fixed"),
            "read-only-file": ("info", "a file made read-only is never rewritten"),
            "hard-linked-file": ("info", "a file with other names (hard links) is left alone"),
            # --replaygain: each album is measured on its own.
            "loudness-not-measured": (
                "warning",
                "an album's loudness could not be measured: its gains were not written",
            ),
            "silent-track": ("info", "a silent track: no ReplayGain track gain written"),
        },
    ),
    **_codes(
        "enrichment",
        {
            "ambiguous-artist": (
                "warning",
                "MusicBrainz has several artists of this name and the albums do not tell which",
            ),
            "artist-not-found": ("info", "no MusicBrainz artist has the artist's name"),
            "doubtful-artist": (
                "info",
                "the only MusicBrainz artist of this name has none of the folder's albums",
            ),
            "unmatched-album": ("info", "no release group of this artist has the album's title"),
            # AcoustID (mediakeeper.music.identify): proposals are decisions, with choices.
            "album-sound-match": (
                "warning",
                "an album's untagged tracks all sound like one release group: a proposal",
            ),
            "sound-match": (
                "warning",
                "an untagged track sounds like a known recording: a proposal",
            ),
            "no-sound-match": ("info", "AcoustID knows no recording that sounds like the track"),
            "fingerprint-failed": ("warning", "a track could not be decoded for its fingerprint"),
        },
    ),
    **_codes(
        "movies",
        {
            "no-video-file": ("error", "no video in the folder (only samples or extras, or none)"),
            "several-main-files": ("warning", "more than one candidate main video"),
            "missing-year-in-name": ("warning", "the folder name has no year"),
            "ambiguous-match": ("warning", "several TMDb movies fit the title and year"),
            "no-match": ("warning", "no TMDb movie has this title and year"),
            "folder-name-differs": ("info", "the folder is not Title (Year) with TMDb's title"),
            "no-artwork": ("info", "a poster or fanart was not downloaded"),
        },
    ),
    **_codes(
        "conversions",
        {
            "lossy-source-copied": (
                "info",
                "a lossy source was copied as it is, not encoded a second time",
            ),
            "video-left-out": ("info", "a video file was not carried into the portable library"),
            "damaged-source-left-out": (
                "warning",
                "a damaged source was left out of its portable album, as the settings ask",
            ),
            "original-changed": (
                "error",
                "an original changed after it was copied and verified: none was deleted",
            ),
        },
    ),
    **_codes(
        "audiobooks",
        {
            "missing-author": ("warning", "a book has no author in its tags or folder name"),
            "no-cover": ("info", "a book has no cover image, in its folder or its first file"),
            "cover-unusable": (
                "info",
                "a book's cover image was passed over: too large, empty or not an image",
            ),
            "mixed-audio-formats": (
                "info",
                "a book's files are not all AAC of one rate and channels: encoded once",
            ),
            "chapter-drift": ("error", "a written chapter mark is not where its file begins"),
        },
    ),
    **_codes(
        "verify",
        {
            "decode-error": ("error", "a file does not decode to its end: damaged from there"),
            "audio-md5-mismatch": (
                "error",
                "a FLAC's decoded audio is not the audio whose MD5 its header holds",
            ),
            "truncated-audio": ("error", "a file is shorter than its headers promise: cut short"),
            "audio-changed": (
                "error",
                "a file's audio is not what it was when last checked good, its tags aside",
            ),
            "clipping": ("info", "samples at full scale: the audio may have been clipped"),
            "lossy-origin": (
                "info",
                "a lossless file whose spectrum stops at a lossy encoder's low-pass",
            ),
            "long-silence": ("info", "a silence of 10 s or more inside a track"),
        },
    ),
}
# A code two kinds report keeps one entry (its meaning is the same) naming both kinds.
for _code in ("unreadable-file", "missing-title"):
    CODES[_code] = Code(CODES[_code].severity, CODES[_code].kind, CODES[_code].means,
                        also=("audiobooks",))  # fmt: skip

SEVERITY: dict[str, str] = {code: entry.severity for code, entry in CODES.items()}


def codes_of(kind: str) -> list[str]:
    """The codes one kind reports, in the table's order."""
    return [code for code, entry in CODES.items() if kind in entry.kinds]


@dataclass(frozen=True)
class Finding:
    """One thing found about an item that a person may want to know.

    ``path`` is the file or folder it concerns, relative to the item's folder ("" for the item
    itself); ``album`` the album folder it belongs to, for kinds that group by album ("" else).
    ``changes`` is the safe fix when there is one (the kind's change records, dataclasses):
    a finding with changes is ``fixable``. ``fixed`` says the fix was written; ``not_written``
    why a planned fix was not.
    """

    code: str
    severity: str
    path: str
    message: str
    album: str = ""
    changes: tuple[Any, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    fixed: bool = False
    not_written: str | None = None

    @property
    def fixable(self) -> bool:
        return bool(self.changes)


def finding_of(code: str, path: str, message: str, **fields: Any) -> Finding:
    """A finding of ``code`` with the table's severity (a code missing from it: KeyError)."""
    return Finding(code, SEVERITY[code], path, message, **fields)


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as the outputs store it and the reports read it: the same keys for every
    kind (``code``, ``severity``, ``path``, ``album``, ``message``, ``fixable``, ``fixed``,
    ``not_written``, ``changes``, ``details``)."""
    return {
        "code": finding.code,
        "severity": finding.severity,
        "path": finding.path,
        "album": finding.album,
        "message": finding.message,
        "fixable": finding.fixable,
        "fixed": finding.fixed,
        "not_written": finding.not_written,
        "changes": [vars(c).copy() for c in finding.changes],
        "details": dict(finding.details),
    }
