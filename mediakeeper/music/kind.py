"""The music kind's record: an artist folder per item, its tracks counted."""

from __future__ import annotations

from mediakeeper.core.kind_record import TRACKS, Kind, Limit, one_of
from mediakeeper.core.writemode import HARD_LINKS, MODES

# Seconds a rule plugin may take over one artist before it is stopped (its findings left out):
# a rule reads tags already in memory, a few milliseconds for the largest artist; a plugin
# stuck in a loop or a read that never returns would hold the batch for ever.
PLUGIN_RULE_TIMEOUT = 30


def _questions():
    """Its decisions (``questions.py``), imported when a decision is listed or taken."""
    from mediakeeper.music.questions import QUESTIONS

    return QUESTIONS


def _plan():
    """Its batch (``batch.py``), imported when a batch runs."""
    from mediakeeper.music.batch import PLAN

    return PLAN


def _rewrite(home, slug, document):
    """An item's outputs written again after a decision (``outputs.py``)."""
    from mediakeeper.music.outputs import write_again

    return write_again(home, slug, document)


def _joins(home):
    """Every artist's rows joined into tracks.csv (``outputs.py``)."""
    from mediakeeper.music.outputs import assemble_tracks_csv

    return assemble_tracks_csv(home)


# Its finding codes, by who reports them: code -> (severity, what it means). A public
# contract (docs/findings.md; mediakeeper.core.findings gathers every kind's).
FINDINGS = {
    "music": {
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
    "enrichment": {
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
}


KIND = Kind(
    name="music",
    noun="artist",
    label="Music",
    report_template="artist_issues.md.j2",
    findings=FINDINGS,
    package="mediakeeper.music",
    plan=_plan,
    questions=_questions,
    order=1,
    settings={
        "lookups": True,
        "write_mode": "in-place",  # core.writemode
        "hard_links": "leave",
        "plugin_rule_timeout": PLUGIN_RULE_TIMEOUT,
    },
    limits={
        "plugin_rule_timeout": Limit(  # at most a day
            86_400, least=1, least_words="a whole number of seconds >= 1"
        )
    },
    checks={"write_mode": one_of(MODES), "hard_links": one_of(HARD_LINKS)},
    extra_counters=(TRACKS,),
    output_dir=("outputs", "music", "artists"),
    rewrite=_rewrite,
    joins=_joins,
)
