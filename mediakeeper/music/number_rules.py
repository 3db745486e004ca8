"""Stage 3 of the music rules, track numbers: per disc of an album, numbers held twice, numbers
skipped, and file names whose number says otherwise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import Finding
from mediakeeper.music.album_rules import vote_key
from mediakeeper.music.fixplan import name_number
from mediakeeper.music.model import Track
from mediakeeper.music.rule_base import Context, finding
from mediakeeper.text.fold import caseless
from mediakeeper.text.wording import spans


def _discs(ctx: Context) -> Iterator[tuple[str, int, tuple[Track, ...]]]:
    for album, tracks in ctx.albums():
        for disc, disc_tracks in sorted(ctx.by_disc(tracks).items()):
            yield album, disc, tuple(disc_tracks)


def _albums_of(ctx: Context, tracks: Sequence[Track]) -> set[str]:
    return {k for t in tracks if (k := vote_key(ctx, t, "album")) is not None}


def _renumbering(ctx: Context, tracks: Sequence[Track]) -> list[TagChange] | None:
    """Set numbers from file names, trusted only when the names are exactly 1..n and the tracks
    share one album (a "Singles" folder's file names are an order of its own, not numbers)."""
    named = [name_number(t.path) for t in tracks]
    numbers = sorted(n.track for n in named if n is not None)
    if numbers != list(range(1, len(tracks) + 1)) or len(_albums_of(ctx, tracks)) > 1:
        return None
    return [
        ctx.change(t, "tracknumber", str(n.track))
        for t, n in zip(tracks, named, strict=True)
        if n is not None and ctx.key(t, "tracknumber") != str(n.track)
    ]


def duplicate_numbers(ctx: Context) -> Iterator[Finding]:
    for album, disc, tracks in _discs(ctx):
        counts = Counter(k for t in tracks if (k := ctx.key(t, "tracknumber")) is not None)
        duplicated = sorted((int(k) for k, n in counts.items() if n > 1))
        if not duplicated:
            continue
        listed = ", ".join(map(str, duplicated))
        changes = _renumbering(ctx, tracks)
        if changes is None and len(albums := _albums_of(ctx, tracks)) > 1:
            advice = (
                f"the tracks belong to {len(albums)} different albums, so their file names' "
                "order need not be their numbers; nothing is changed, renumber by hand if wrong."
            )
        elif changes is None and len(named_discs := _named_discs(ctx, tracks, counts)) > 1:
            advice = (
                f"their file names put them on discs {', '.join(map(str, named_discs))}, so "
                "their disc numbers are missing or wrong; set each track's disc number."
            )
        elif changes is None:
            advice = "the file names do not run cleanly from 1, so renumber by hand."
        else:
            advice = f"renumbering from the file names, which run 1 to {len(tracks)}."
        message = f"Disc {disc}: more than one track is numbered {listed}; {advice}"
        details = {"disc": disc, "numbers": tuple(duplicated)}
        yield finding("duplicate-tracknumber", album, album, message, changes or (), **details)


def _named_discs(ctx: Context, tracks: Sequence[Track], counts: Counter[str]) -> list[int]:
    """The discs the file names of the tracks sharing a number put them on ("2-01 x"), if
    every one names a disc and no two name the same disc and number; else none."""
    named = [name_number(t.path) for t in tracks if counts[ctx.key(t, "tracknumber") or ""] > 1]
    places = [(n.disc, n.track) for n in named if n is not None and n.disc is not None]
    if len(places) < len(named) or len(set(places)) < len(places):
        return []
    return sorted({disc for disc, _ in places})


def track_gaps(ctx: Context) -> Iterator[Finding]:
    last: dict[str, int] = {}  # per album, the highest number of the discs before
    for album, disc, tracks in _discs(ctx):
        keys = [ctx.key(t, "tracknumber") for t in tracks]
        numbers = {int(k) for k in keys if k is not None}
        renumbered = len(numbers) < len(keys) and _renumbering(ctx, tracks) is not None
        before = last.get(album, 0)
        # As duplicate-tracknumber's fix leaves it: renumbered, the disc runs 1 to its size.
        last[album] = max(before, len(tracks) if renumbered else max(numbers, default=0))
        if None in keys or renumbered:  # unknown numbers, or duplicate-tracknumber's fix closes it
            continue
        # A disc whose numbers go on from the disc before (disc 2 holds 13-24) starts after it.
        first = before + 1 if before and min(numbers) > before else 1
        absent = sorted(set(range(first, max(numbers) + 1)) - numbers)
        if absent:
            listed = spans(absent)
            on = f" (numbered on from the disc before, from {first})" if first > 1 else ""
            message = f"Disc {disc}{on} has no track {listed}: a lost file, or a partial album?"
            yield finding("track-gap", album, album, message, disc=disc, absent=tuple(absent))


def _renumbered_paths(ctx: Context) -> set[str]:
    """Tracks whose number duplicate-tracknumber's fix sets from the file name."""
    paths = set()
    for _album, _disc, tracks in _discs(ctx):
        keys = [k for t in tracks if (k := ctx.key(t, "tracknumber")) is not None]
        if len(set(keys)) < len(keys):
            paths |= {c.path for c in _renumbering(ctx, tracks) or ()}
    return paths


def filename_mismatches(ctx: Context) -> Iterator[Finding]:
    renumbered = _renumbered_paths(ctx)
    for t in ctx.tracks:
        named, tagged = name_number(t.path), ctx.key(t, "tracknumber")
        if t.path in renumbered:
            continue
        if (
            named is not None
            and tagged is not None
            and str(named.track) != tagged
            and not _number_is_a_name(ctx, t)
        ):
            message = f"The file name says track {named.track}, the tag {tagged}; which is right?"
            details = {"name_number": named.track, "tag_number": int(tagged)}
            yield finding("filename-mismatch", t.path, t.album, message, **details)


def _number_is_a_name(ctx: Context, track: Track) -> bool:
    """Whether the file name starts with a name that starts with a number, not with a track
    number: the artist's ("3 Doors Down - Kryptonite", "50 Cent - In da Club") or the title's
    ("7 rings.mp3", "99 Luftballons.flac")."""
    stem = caseless(track.path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    names = (
        ctx.value(track, "title"),
        ctx.value(track, "artist"),
        ctx.value(track, "albumartist"),
        ctx.scan.folder,
    )
    return any(_starts_with_name(stem, caseless(n.strip())) for n in names)


# A name that starts with a number as a word of its own: "7 rings", "50 cent", "3 doors down";
# not a track number put before a title ("07 - x", "7. x", "07 x") nor a bare number.
_NUMBERED_NAME = re.compile(r"[1-9]\d*\s+[^\W\d_]")


def _starts_with_name(text: str, name: str) -> bool:
    """Whether ``text`` starts with ``name``, a numbered name, as a whole word ("12 - x"
    does not start with the artist "1")."""
    if not _NUMBERED_NAME.match(name) or not text.startswith(name):
        return False
    return len(text) == len(name) or not text[len(name)].isalnum()
