"""Issue detection: pure functions from an ArtistScan to Findings (DESIGN.md, "Issue findings").

No disk, network or clock. Each rule family is one small function of a ``Context`` that yields
findings; ``STAGES`` registers them, so adding a rule is one line. Fixes are proposed through
``mediakeeper.music.fixplan``, whose docstring states how overlapping fixes are settled.

Paths: a per-file finding names the file, an album finding the album folder, and an
artist-wide finding (artist-name-variant) the artist folder itself, as "".
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mediakeeper.music.fixplan import (
    Plan,
    clean_text,
    disc_suffix,
    folder_year,
    is_various_artists,
    lead_artist,
    majority_of,
    mojibake_repair,
    most_common,
    name_number,
    names_album,
    parse_number,
    planned_changes,
    strict_majority,
    tidy_spaces,
)
from mediakeeper.music.model import ArtistScan, Finding, TagChange, Track
from mediakeeper.wording import count

__all__ = ["SEVERITY", "STAGES", "Context", "find_issues", "planned_changes"]

# The severity of every code. error: the file is broken or unidentifiable; warning: wrong or
# incomplete data a player or a lookup trips over; info: worth knowing, often deliberate.
SEVERITY: dict[str, str] = {
    "unreadable-file": "error",
    "missing-title": "error",
    "missing-artist": "error",
    "missing-album": "warning",
    "missing-albumartist": "warning",
    "missing-tracknumber": "warning",
    "missing-year": "warning",
    "inconsistent-albumartist": "warning",
    "inconsistent-album": "warning",
    "inconsistent-year": "warning",
    "duplicate-tracknumber": "warning",
    "track-gap": "warning",
    "filename-mismatch": "warning",
    "whitespace": "warning",
    "mojibake": "warning",
    "mixed-formats": "info",
    "missing-cover": "info",
    "artist-name-variant": "warning",
    "low-bitrate": "warning",
    "legacy-tag": "warning",
}

_LABEL = {"albumartist": "album artist", "tracknumber": "track number", "date": "year"}
_REQUIRED_EVERYWHERE = ("title", "artist", "date")
_REQUIRED_IN_ALBUM = ("album", "albumartist", "tracknumber")  # loose tracks may lack these
_ALBUM_WIDE = ("albumartist", "album", "date")  # must agree across an album folder
_LOW_BITRATE = 128_000
_UNMEASURABLE_BITRATE = 8_000
_LEGACY_TAGS = ("ID3v1", "ID3v2.2")
_BY_HAND = "Nothing safe to fill it from; fill it in by hand."


def _label(tag: str) -> str:
    return _LABEL.get(tag, tag)


def _code(prefix: str, tag: str) -> str:
    return f"{prefix}-{'year' if tag == 'date' else tag}"


@dataclass(frozen=True)
class Context:
    """What every rule reads: the scan, its tracks grouped, and tag values through the plan."""

    scan: ArtistScan
    plan: Plan
    tracks: tuple[Track, ...]  # sorted by path
    groups: tuple[tuple[str, tuple[Track, ...]], ...]  # by album folder, loose ("") included

    @classmethod
    def of(cls, scan: ArtistScan) -> Context:
        tracks = tuple(sorted(scan.tracks, key=lambda t: t.path))
        groups: dict[str, list[Track]] = defaultdict(list)
        for track in tracks:
            groups[track.album].append(track)
        return cls(scan, Plan(), tracks, tuple((a, tuple(g)) for a, g in sorted(groups.items())))

    def albums(self) -> Iterator[tuple[str, tuple[Track, ...]]]:
        """Album folders only; loose tracks are not an album."""
        return ((album, tracks) for album, tracks in self.groups if album)

    # The plan's own methods, looked up once: the rules ask some 500 times an artist, and a
    # method here that called them cost a call more each time.
    @cached_property
    def value(self) -> Callable[[Track, str], str]:
        return self.plan.value

    @cached_property
    def key(self) -> Callable[[Track, str], str | None]:
        return self.plan.key

    def disc(self, track: Track) -> int:
        return parse_number(self.value(track, "discnumber")) or track.disc_folder or 1

    def change(self, track: Track, tag: str, new: str) -> TagChange:
        return self.plan.change(track, tag, new)


Rule = Callable[[Context], Iterable[Finding]]


def _finding(
    code: str,
    path: str,
    album: str,
    message: str,
    changes: Iterable[TagChange] = (),
    **details: Any,
) -> Finding:
    return Finding(code, SEVERITY[code], path, message, album, tuple(changes), details)


def _counts(counts: Counter[str]) -> str:
    """ "3 say 'Abbey Road', 2 say 'Abbey Rd.'" with the commonest first."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{n} {'says' if n == 1 else 'say'} {v!r}" for v, n in ordered)


# --- stage 1: single files and raw text ------------------------------------------------------


def unreadable_files(ctx: Context) -> Iterator[Finding]:
    for item in ctx.scan.unreadable:
        message = f"Cannot read this file ({item.reason}); replace it or delete it."
        yield _finding("unreadable-file", item.path, item.album, message)


def low_bitrates(ctx: Context) -> Iterator[Finding]:
    for t in ctx.tracks:
        # Below ~8 kbps the figure is not a real encoding rate: mutagen derives it from the
        # size of near-silent VBR audio, or the header lies. No finding beats a false one.
        if not t.lossless and _UNMEASURABLE_BITRATE <= t.bitrate < _LOW_BITRATE:
            message = f"Lossy file at only {t.bitrate / 1000:.0f} kbps; look for a better copy."
            yield _finding("low-bitrate", t.path, t.album, message, bitrate=t.bitrate)


def legacy_tags(ctx: Context) -> Iterator[Finding]:
    for t in ctx.tracks:
        if t.tag_version in _LEGACY_TAGS:
            message = f"Tags are stored as {t.tag_version}, which many players read badly."
            # Any tag write stores the file anew (as ID3v2.4): another fix resolves this.
            details = {"tag_version": t.tag_version, "resolved_by_rewrite": True}
            yield _finding("legacy-tag", t.path, t.album, message, **details)


def whitespace(ctx: Context) -> Iterator[Finding]:
    # Blank values are left to the missing-* rules; an empty optional tag is harmless.
    for t in ctx.tracks:
        for tag, value in sorted(t.tags.items()):
            if value.strip() and tidy_spaces(value) != value:
                message = f"The {_label(tag)} {value!r} has leading, trailing or doubled spaces."
                changes = [ctx.change(t, tag, clean_text(value))]
                yield _finding("whitespace", t.path, t.album, message, changes, tag=tag)


def mojibake(ctx: Context) -> Iterator[Finding]:
    for t in ctx.tracks:
        for tag, value in sorted(t.tags.items()):
            found = mojibake_repair(value)
            if found is None:
                continue
            repaired, safe = found
            if safe:  # same target as the whitespace rule, so the two never disagree
                message = f"The {_label(tag)} {value!r} is mis-decoded text for {repaired!r}."
                changes = [ctx.change(t, tag, clean_text(value))]
            else:
                message = (
                    f"The {_label(tag)} {value!r} looks mis-decoded (perhaps {repaired!r}), "
                    "but the repair is not certain; correct it by hand."
                )
                changes = []
            yield _finding("mojibake", t.path, t.album, message, changes, tag=tag)


def mixed_formats(ctx: Context) -> Iterator[Finding]:
    for album, tracks in ctx.albums():
        formats = Counter(t.format for t in tracks)
        if len(formats) > 1:
            listed = ", ".join(f"{n} {fmt}" for fmt, n in sorted(formats.items()))
            message = (
                f"This album mixes audio formats ({listed}); it may come from several sources."
            )
            yield _finding("mixed-formats", album, album, message, formats=dict(formats))


def missing_covers(ctx: Context) -> Iterator[Finding]:
    for album, tracks in ctx.albums():
        if album not in ctx.scan.cover_albums and not any(t.has_picture for t in tracks):
            message = "No embedded picture and no cover image in the folder; add front-cover art."
            yield _finding("missing-cover", album, album, message)


# --- stage 2: albums, on cleaned values --------------------------------------------------------


@dataclass(frozen=True)
class _Vote:
    """How an album's tracks vote on one tag: counts per value (per year for the date; an album
    name without a disc suffix that matches the track's disc), the value held by more than half
    of all its tracks if any, and the spelling a fix writes.

    A majority is not enough to write: ``doubt`` says why the other values may be deliberate
    (several of them, a compilation's years, disc numbers in the names), and ``apart`` names a
    disc whose tracks all hold another value (a bonus disc of its own)."""

    counts: Counter[str]
    majority: str | None
    value: str | None
    doubt: str | None = None
    apart: int | None = None

    @property
    def held(self) -> int:
        return self.counts[self.majority] if self.majority is not None else 0


def _vote_key(ctx: Context, track: Track, tag: str) -> str | None:
    key = ctx.key(track, tag)
    if tag == "album" and key is not None:  # "The Wall (Disc 2)" on disc 2 is "The Wall"
        suffix = disc_suffix(key)
        if suffix is not None and suffix[1] == ctx.disc(track):
            return suffix[0]
    return key


def _without_disc(album: str) -> str:
    suffix = disc_suffix(album)
    return album if suffix is None else suffix[0]


def _album_vote(ctx: Context, tracks: Sequence[Track], tag: str) -> _Vote:
    if tag == "album":
        keyed = [(t, k) for t in tracks if (k := _vote_key(ctx, t, tag)) is not None]
    else:  # only an album name's key differs from the plan's: asked directly, a call less
        key = ctx.key
        keyed = [(t, k) for t in tracks if (k := key(t, tag)) is not None]
    counts = Counter(k for _, k in keyed)
    majority = majority_of(counts, len(tracks))
    value = majority
    if majority is not None and tag == "date":  # the majority year's commonest full date
        value = most_common(ctx.value(t, tag).strip() for t, k in keyed if k == majority)
    if majority is None or counts[majority] == len(tracks):  # none, or nothing to write over
        return _Vote(counts, majority, value)
    doubt = _doubt(ctx, tracks, tag, keyed, majority)
    apart = None if doubt else _apart(ctx, tracks, keyed, majority)  # read only without doubt
    return _Vote(counts, majority, value, doubt, apart)


def _doubt(
    ctx: Context,
    tracks: Sequence[Track],
    tag: str,
    keyed: Sequence[tuple[Track, str]],
    majority: str,
) -> str | None:
    """Why the other values may be deliberate, so that the majority is not written over them."""
    others = {k for _, k in keyed} - {majority}
    if len(others) > 1:
        return f"the others hold {len(others)} different values, a pattern rather than a typo"
    if tag == "album":
        stored = {ctx.key(t, tag) or "" for t, _ in keyed}  # disc suffixes and all
        if others and len({_without_disc(name) for name in stored}) == 1:
            return "they differ only by a disc number"
        if any(ctx.key(t, tag) != k for t, k in keyed):  # a suffix matching its disc went
            return "the album names carry disc numbers"
    if tag == "date" and _compilation(ctx, tracks):
        return "this looks like a compilation, whose tracks keep their original years"
    return None


def _compilation(ctx: Context, tracks: Sequence[Track]) -> bool:
    """Album artist "Various Artists" (or "VA", "Various"), or no one artist (featured guests
    aside) on more than half of the tracks that name one."""
    # Keys, not values: stripped, and asked for (and kept) by the other rules already.
    if any(k and is_various_artists(k) for k in {ctx.key(t, "albumartist") for t in tracks}):
        return True
    artists = [k for t in tracks if (k := ctx.key(t, "artist"))]
    if len(set(artists)) < 2:  # one artist, or none: no compilation (and no guests to strip)
        return False
    leads = [lead_artist(k) for k in artists]
    return strict_majority(leads, len(leads)) is None


def _apart(
    ctx: Context, tracks: Sequence[Track], keyed: Sequence[tuple[Track, str]], majority: str
) -> int | None:
    """The disc whose tagged tracks are exactly the ones not holding the majority value."""
    if len({ctx.disc(t) for t in tracks}) < 2:
        return None
    discs = {ctx.disc(t) for t, k in keyed if k != majority}
    if len(discs) != 1:
        return None
    [disc] = discs
    return disc if all(k != majority for t, k in keyed if ctx.disc(t) == disc) else None


def _apart_reason(disc: int) -> str:
    return f"the tracks that differ are exactly disc {disc}'s, which may be a disc of its own"


def missing_tags(ctx: Context) -> Iterator[Finding]:
    for album, tracks in ctx.groups:
        required = _REQUIRED_EVERYWHERE + (_REQUIRED_IN_ALBUM if album else ())
        votes: dict[str, _Vote] = {}  # the album's, counted when a track first lacks the tag
        for t in tracks:
            for tag in required:
                if ctx.key(t, tag) is not None:
                    continue
                if album and tag in _ALBUM_WIDE and tag not in votes:
                    votes[tag] = _album_vote(ctx, tracks, tag)
                new, source = _fill(ctx, album, tracks, t, tag, votes)
                stored = ctx.value(t, tag)
                message = f"The {_label(tag)} tag " + (
                    f"{stored!r} is not a {_label(tag)}." if stored.strip() else "is missing."
                )
                changes = [] if new is None else [ctx.change(t, tag, new)]
                message += f" Setting it to {new!r} ({source})." if changes else f" {source}"
                yield _finding(_code("missing", tag), t.path, album, message, changes, tag=tag)


def _fill(
    ctx: Context,
    album: str,
    tracks: Sequence[Track],
    track: Track,
    tag: str,
    votes: dict[str, _Vote],
) -> tuple[str | None, str]:
    """(value, where it comes from) for a missing tag; (None, advice) when nothing is safe."""
    if tag in votes:
        vote = votes[tag]
        if vote.value is not None:
            why = vote.doubt
            if why is None and vote.apart is not None and ctx.disc(track) == vote.apart:
                why = _apart_reason(vote.apart)
            if why is None and tag == "album":
                why = _unnamed_album(album, vote)
            said = f"{vote.held} of {count(len(tracks), 'track')} in the album say"
            if why is None:
                return vote.value, f"as {said}"
            return None, f"Not filled: {said} {vote.value!r}, but {why}; choose a value."
        year = folder_year(album) if tag == "date" else None
        if year is not None and set(vote.counts) <= {year}:  # no track's year contradicts it
            return year, "from the album folder's name"
        if vote.counts:
            return None, f"The other tracks disagree ({_counts(vote.counts)}); choose a value."
        return None, _BY_HAND
    named = name_number(track.path)
    if tag == "title" and named and named.title:
        return _title_from_name(ctx, track, named.title)
    if tag == "tracknumber" and ctx.value(track, tag).strip():  # "A1": a vinyl side, say
        return None, (
            "It is left as it is: it may be deliberate, such as a vinyl side and position "
            "('A1'); correct it by hand if not."
        )
    if tag == "tracknumber" and named and named.title:
        disc = [t for t in tracks if ctx.disc(t) == ctx.disc(track)]
        taken = {ctx.key(t, tag) for t in disc}
        same_name = [t for t in disc if (n := name_number(t.path)) and n.track == named.track]
        if str(named.track) not in taken and len(same_name) == 1:  # never create a duplicate
            return str(named.track), "from the file name"
    return None, _BY_HAND


def _unnamed_album(album: str, vote: _Vote) -> str | None:
    """Why an album name must not be copied into a track lacking one: the folder holds more
    than one album, or its name is not the album's (a "Misc" folder)."""
    if len(vote.counts) > 1:
        return "the other tracks do not agree on one album"
    folder = album.rsplit("/", 1)[-1]
    if vote.value is not None and not names_album(folder, vote.value):
        return f"the folder's name {folder!r} is not that album's"
    return None


def _title_from_name(ctx: Context, track: Track, title: str) -> tuple[str | None, str]:
    """The "Title" of a "NN - Title" file name, unless the name may hold more or less: it starts
    with the artist ("03 - Metallica - One"), or holds "_" (put for a "?" or ":", say)."""
    names = {ctx.value(track, "artist"), ctx.value(track, "albumartist"), ctx.scan.folder}
    folded = title.casefold()
    for artist in sorted(n.strip() for n in names if n.strip()):
        if folded.startswith(f"{artist} - ".casefold()):
            return None, (
                f"The file name's {title!r} starts with the artist {artist!r}, so the title "
                "is not certain; fill it in by hand."
            )
    if "_" in title:
        return None, (
            f"The file name's {title!r} holds '_', often put for a character a file name cannot "
            "hold (such as '?'); fill it in by hand."
        )
    return title, "from the file name"


def inconsistent_tags(ctx: Context) -> Iterator[Finding]:
    for album, tracks in ctx.albums():
        for tag in _ALBUM_WIDE:
            vote = _album_vote(ctx, tracks, tag)
            if len(vote.counts) < 2:
                continue
            stored = Counter(k for t in tracks if (k := ctx.key(t, tag)) is not None)
            message = f"Tracks disagree on the {_label(tag)}: {_counts(stored)}"
            changes = []
            if vote.value is None:
                message += (
                    f" — no value is held by more than half of the {count(len(tracks), 'track')}; "
                    "choose one."
                )
            elif vote.doubt is not None or vote.apart is not None:
                why = vote.doubt or _apart_reason(vote.apart or 0)
                message += (
                    f" — the majority is not written: {why}. Nothing is changed; "
                    "correct it by hand if it is wrong."
                )
            else:
                changes = [
                    ctx.change(t, tag, vote.value)
                    for t in tracks  # tracks without the tag are missing-*'s to fill
                    if _vote_key(ctx, t, tag) not in (None, vote.majority)
                ]
                n = len(changes)
                message += f" — setting {count(n, 'other track')} to {vote.value!r}."
            yield _finding(_code("inconsistent", tag), album, album, message, changes, tag=tag)


def _discs(ctx: Context) -> Iterator[tuple[str, int, tuple[Track, ...]]]:
    for album, tracks in ctx.albums():
        by_disc: dict[int, list[Track]] = defaultdict(list)
        for t in tracks:
            by_disc[ctx.disc(t)].append(t)
        for disc, disc_tracks in sorted(by_disc.items()):
            yield album, disc, tuple(disc_tracks)


def _albums_of(ctx: Context, tracks: Sequence[Track]) -> set[str]:
    return {k for t in tracks if (k := _vote_key(ctx, t, "album")) is not None}


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
        named_discs = _named_discs(ctx, tracks, counts)
        if changes is None and len(named_discs) > 1:
            advice = (
                f"their file names put them on discs {', '.join(map(str, named_discs))}, so "
                "their disc numbers are missing or wrong; set each track's disc number."
            )
        elif changes is None and len(albums := _albums_of(ctx, tracks)) > 1:
            advice = (
                f"the tracks belong to {len(albums)} different albums, so their file names' "
                "order need not be their numbers; nothing is changed, renumber by hand if wrong."
            )
        elif changes is None:
            advice = "the file names do not run cleanly from 1, so renumber by hand."
        else:
            advice = f"renumbering from the file names, which run 1 to {len(tracks)}."
        message = f"Disc {disc}: more than one track is numbered {listed}; {advice}"
        details = {"disc": disc, "numbers": tuple(duplicated)}
        yield _finding("duplicate-tracknumber", album, album, message, changes or (), **details)


def _named_discs(ctx: Context, tracks: Sequence[Track], counts: Counter[str]) -> list[int]:
    """The discs the file names of the tracks sharing a number put them on ("2-01 x")."""
    discs = set()
    for t in tracks:
        if counts[ctx.key(t, "tracknumber") or ""] > 1 and (named := name_number(t.path)):
            discs.add(named.disc)
    return sorted(discs) if None not in discs else []


def track_gaps(ctx: Context) -> Iterator[Finding]:
    last: dict[str, int] = {}  # per album, the highest number of the discs before
    for album, disc, tracks in _discs(ctx):
        keys = [ctx.key(t, "tracknumber") for t in tracks]
        numbers = {int(k) for k in keys if k is not None}
        before, last[album] = last.get(album, 0), max(numbers | {last.get(album, 0)})
        renumbered = len(numbers) < len(keys) and _renumbering(ctx, tracks) is not None
        if None in keys or renumbered:  # unknown numbers, or duplicate-tracknumber's fix closes it
            continue
        # A disc whose numbers go on from the disc before (disc 2 holds 13-24) starts after it.
        first = before + 1 if before and min(numbers) > before else 1
        absent = sorted(set(range(first, max(numbers) + 1)) - numbers)
        if absent:
            listed = _spans(absent)
            message = f"Disc {disc} has no track {listed}: a lost file, or a partial album?"
            yield _finding("track-gap", album, album, message, disc=disc, absent=tuple(absent))


def _spans(numbers: list[int]) -> str:
    """Sorted numbers as a person reads them: "2, 5-7, 9-98" (a hidden track numbered 99
    would otherwise list 94 missing numbers)."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(
        str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}-{b}" for a, b in spans
    )


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
            yield _finding("filename-mismatch", t.path, t.album, message, **details)


def _number_is_a_name(ctx: Context, track: Track) -> bool:
    """Whether the file name starts with a name that starts with a number, not with a track
    number: the artist's ("3 Doors Down - Kryptonite", "50 Cent - In da Club") or the title's
    ("7 rings.mp3", "99 Luftballons.flac")."""
    stem = track.path.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold()
    names = (
        ctx.value(track, "title"),
        ctx.value(track, "artist"),
        ctx.value(track, "albumartist"),
        ctx.scan.folder,
    )
    return any(_starts_with_word(stem, n.strip().casefold()) for n in names)


def _starts_with_word(text: str, name: str) -> bool:
    """Whether ``text`` starts with ``name``, a name starting with a digit, as a whole word
    ("12 - x" does not start with the artist "1")."""
    if not name[:1].isdigit() or not text.startswith(name):
        return False
    return len(text) == len(name) or not text[len(name)].isalnum()


# --- stage 3: the artist as a whole -----------------------------------------------------------


def _normal_name(name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", name).split()).casefold()
    return name.removeprefix("the ")


def artist_name_variants(ctx: Context) -> Iterator[Finding]:
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for t in ctx.tracks:
        for tag in ("artist", "albumartist"):
            if value := ctx.value(t, tag).strip():
                spellings[_normal_name(value)][value] += 1
    for _, counts in sorted(spellings.items()):
        if len(counts) < 2:
            continue
        winner = majority_of(counts, counts.total())
        message = f"One artist is spelled {len(counts)} ways: {_counts(counts)}"
        if winner is None:
            message += " — no spelling is used by more than half; choose one."
            changes: list[TagChange] = []
        else:
            message += f" — setting the others to {winner!r}."
            changes = [
                ctx.change(t, tag, winner)
                for t in ctx.tracks
                for tag in ("artist", "albumartist")
                if (v := ctx.value(t, tag).strip()) in counts and v != winner
            ]
        details = {"spellings": dict(sorted(counts.items()))}
        yield _finding("artist-name-variant", "", "", message, changes, **details)


# Later stages read values as earlier stages' fixes leave them (fixplan's conflict policy).
STAGES: tuple[tuple[Rule, ...], ...] = (
    (  # 1. files and raw text
        unreadable_files,
        low_bitrates,
        legacy_tags,
        whitespace,
        mojibake,
        mixed_formats,
        missing_covers,
    ),
    (  # 2. album folders, on cleaned text
        missing_tags,
        inconsistent_tags,
        duplicate_numbers,
        track_gaps,
        filename_mismatches,
    ),
    (artist_name_variants,),  # 3. the artist as a whole, on cleaned and album-consistent text
)


def _order(finding: Finding) -> tuple[str, ...]:
    return (
        finding.album,
        finding.path,
        finding.code,
        str(finding.details.get("tag", "")),
        finding.message,
    )


def find_issues(scan: ArtistScan) -> list[Finding]:
    """Every finding for one artist, ordered by album, path, then code."""
    ctx = Context.of(scan)
    findings: list[Finding] = []
    for stage in STAGES:
        found = [finding for rule in stage for finding in rule(ctx)]
        ctx.plan.adopt(found)
        findings.extend(found)
    return sorted(ctx.plan.settle(findings), key=_order)
