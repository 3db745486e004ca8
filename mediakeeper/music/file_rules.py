"""Stage 1 of the music rules: single files and their raw text (see ``rules``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from mediakeeper.core.findings import Finding
from mediakeeper.core.units import kbps
from mediakeeper.fs.checks import PERMISSION_DENIED
from mediakeeper.music.fixplan import clean_text, mojibake_repair
from mediakeeper.music.rule_base import Context, finding, label
from mediakeeper.text.spaces import tidy_spaces

_LOW_BITRATE = 128_000
_UNMEASURABLE_BITRATE = 8_000
_LEGACY_TAGS = ("ID3v1", "ID3v2.2")


def unreadable_files(ctx: Context) -> Iterator[Finding]:
    for item in ctx.scan.unreadable:
        # A file that is only not ours to read is fine: its reason says what to do instead.
        fix = "" if item.reason.startswith(PERMISSION_DENIED) else "; replace it or delete it"
        message = f"Cannot read this file ({item.reason}){fix}."
        yield finding("unreadable-file", item.path, item.album, message)


def unsupported_formats(ctx: Context) -> Iterator[Finding]:
    for item in ctx.scan.unsupported:
        message = (
            f"Not checked: {item.reason} is not a format mediakeeper reads; "
            "convert it or move it out of the music library if it is not music."
        )
        yield finding("unsupported-format", item.path, item.album, message, kind=item.reason)


def skipped_folders(ctx: Context) -> Iterator[Finding]:
    for path, reason in ctx.scan.skipped:  # links to folders, folders that cannot be read
        message = f"This folder was not scanned: {reason}."
        yield finding("skipped-folder", path, path, message, reason=reason)


def low_bitrates(ctx: Context) -> Iterator[Finding]:
    for t in ctx.tracks:
        # Below ~8 kbps the figure is not a real encoding rate: mutagen derives it from the
        # size of near-silent VBR audio, or the header lies. No finding beats a false one.
        if not t.lossless and _UNMEASURABLE_BITRATE <= t.bitrate < _LOW_BITRATE:
            message = f"Lossy file at only {kbps(t.bitrate)} kbps; look for a better copy."
            yield finding("low-bitrate", t.path, t.album, message, bitrate=t.bitrate)


def legacy_tags(ctx: Context) -> Iterator[Finding]:
    for t in ctx.tracks:
        if t.tag_version in _LEGACY_TAGS:
            message = f"Tags are stored as {t.tag_version}, which many players read badly."
            # Any tag write stores the file anew (as ID3v2.4): another fix resolves this.
            details = {"tag_version": t.tag_version, "resolved_by_rewrite": True}
            yield finding("legacy-tag", t.path, t.album, message, **details)


def whitespace(ctx: Context) -> Iterator[Finding]:
    # Blank values are left to the missing-* rules; an empty optional tag is harmless.
    for t in ctx.tracks:
        for tag, value in sorted(t.tags.items()):
            if value.strip() and tidy_spaces(value) != value:
                message = f"The {label(tag)} {value!r} has leading, trailing or doubled spaces."
                changes = [ctx.change(t, tag, clean_text(value))]
                yield finding("whitespace", t.path, t.album, message, changes, tag=tag)


def mojibake(ctx: Context) -> Iterator[Finding]:
    for t in ctx.tracks:
        for tag, value in sorted(t.tags.items()):
            found = mojibake_repair(value)
            if found is None:
                continue
            repaired, safe = found
            if safe:  # same target as the whitespace rule, so the two never disagree
                message = f"The {label(tag)} {value!r} is mis-decoded text for {repaired!r}."
                changes = [ctx.change(t, tag, clean_text(value))]
            else:
                message = (
                    f"The {label(tag)} {value!r} looks mis-decoded (perhaps {repaired!r}), "
                    "but the repair is not certain; correct it by hand."
                )
                changes = []
            yield finding("mojibake", t.path, t.album, message, changes, tag=tag)


def mixed_formats(ctx: Context) -> Iterator[Finding]:
    for album, tracks in ctx.albums():
        formats = Counter(t.format for t in tracks)
        if len(formats) > 1:
            listed = ", ".join(f"{n} {fmt}" for fmt, n in sorted(formats.items()))
            message = (
                f"This album mixes audio formats ({listed}); it may come from several sources."
            )
            yield finding("mixed-formats", album, album, message, formats=dict(formats))


def missing_covers(ctx: Context) -> Iterator[Finding]:
    for album, tracks in ctx.albums():
        if album not in ctx.scan.cover_albums and not any(t.has_picture for t in tracks):
            message = "No embedded picture and no cover image in the folder; add front-cover art."
            yield finding("missing-cover", album, album, message)
