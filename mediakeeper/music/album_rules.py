"""Stages 2 and 4 of the music rules, album-wide tags: an album's tracks vote on its album
artist, album and year, and a strict majority is written over the rest only when nothing
suggests the rest is deliberate (see ``_Vote``). Missing tags are filled from the vote, the
folder's name or the file's name.

``missing`` and ``inconsistent`` make one rule for some of the tags, so that ``rules.STAGES``
can run each where what its fixes read is already settled: the album name first (the track
numbers' renumbering reads it), the track number with the number rules (an album artist is
filled from the artist only on an album numbered 1 to n), the rest after both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mediakeeper.core.findings import Finding
from mediakeeper.music.fixplan import (
    artist_identity,
    disc_suffix,
    folder_year,
    is_various_artists,
    lead_artist,
    majority_of,
    most_common,
    name_number,
    names_album,
    strict_majority,
)
from mediakeeper.music.model import Track
from mediakeeper.music.rule_base import Context, Rule, counts_text, finding, label, tag_code
from mediakeeper.text.visible import quoted
from mediakeeper.text.wording import count

_REQUIRED_EVERYWHERE = ("title", "artist", "date")
_REQUIRED_IN_ALBUM = ("album", "albumartist", "tracknumber")  # loose tracks may lack these
_ALBUM_WIDE = ("albumartist", "album", "date")  # must agree across an album folder
_BY_HAND = "Nothing safe to fill it from; fill it in by hand."


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


def vote_key(ctx: Context, track: Track, tag: str) -> str | None:
    """What a track votes for ``tag``: its comparison key, an album name without a disc
    suffix that matches the track's disc."""
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
        keyed = [(t, k) for t in tracks if (k := vote_key(ctx, t, tag)) is not None]
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
    and spellings aside: "Beatles" is "The Beatles") on more than half of the tracks that
    name one."""
    # Keys, not values: stripped, and asked for (and kept) by the other rules already.
    if any(k and is_various_artists(k) for k in {ctx.key(t, "albumartist") for t in tracks}):
        return True
    artists = [k for t in tracks if (k := ctx.key(t, "artist"))]
    if len(set(artists)) < 2:  # one artist, or none: no compilation (and no guests to strip)
        return False
    leads = [artist_identity(lead_artist(k)) for k in artists]
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


def missing(*tags: str) -> Rule:
    """The missing-* rule for these tags only."""

    def rule(ctx: Context) -> Iterator[Finding]:
        return _missing_tags(ctx, tags)

    rule.__name__ = rule.__qualname__ = f"missing_{'_'.join(tags)}"
    return rule


def _missing_tags(ctx: Context, tags: Sequence[str]) -> Iterator[Finding]:
    for album, tracks in ctx.groups:
        required = _REQUIRED_EVERYWHERE + (_REQUIRED_IN_ALBUM if album else ())
        required = tuple(tag for tag in required if tag in tags)
        votes: dict[str, _Vote] = {}  # the album's, counted when a track first lacks the tag
        # Without a majority, a fill is the same for every track: worked out once.
        fallbacks: dict[str, tuple[str | None, str]] = {}
        for t in tracks:
            for tag in required:
                if ctx.key(t, tag) is not None:
                    continue
                if album and tag in _ALBUM_WIDE and tag not in votes:
                    votes[tag] = _album_vote(ctx, tracks, tag)
                new, source = _fill(ctx, album, tracks, t, tag, votes, fallbacks)
                stored = ctx.value(t, tag)
                message = f"The {label(tag)} tag " + (
                    f"{stored!r} is not a {label(tag)}." if stored.strip() else "is missing."
                )
                changes = [] if new is None else [ctx.change(t, tag, new)]
                message += f" Setting it to {new!r} ({source})." if changes else f" {source}"
                yield finding(tag_code("missing", tag), t.path, album, message, changes, tag=tag)


def _fill(
    ctx: Context,
    album: str,
    tracks: Sequence[Track],
    track: Track,
    tag: str,
    votes: dict[str, _Vote],
    fallbacks: dict[str, tuple[str | None, str]],
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
        if tag not in fallbacks:
            fallbacks[tag] = _without_majority(ctx, album, tracks, tag, vote)
        return fallbacks[tag]
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


def _without_majority(
    ctx: Context, album: str, tracks: Sequence[Track], tag: str, vote: _Vote
) -> tuple[str | None, str]:
    """The fill of an album-wide tag no majority of the album holds: the folder's year, the
    one artist of the album's tracks, or advice."""
    year = folder_year(album) if tag == "date" else None
    if year is not None and set(vote.counts) <= {year}:  # no track's year contradicts it
        return year, "from the album folder's name"
    artist = _sole_artist(ctx, tracks) if tag == "albumartist" else None
    if artist is not None and set(vote.counts) <= {artist}:  # no album artist says else
        n = len(tracks)
        return artist, f"the artist of all {n} tracks" if n > 1 else "the track's artist"
    if vote.counts:
        return None, f"The other tracks disagree ({counts_text(vote.counts)}); choose a value."
    return None, _BY_HAND


def _sole_artist(ctx: Context, tracks: Sequence[Track]) -> str | None:
    """The artist of a whole album by one artist: every track names that artist alone (no
    guest: "X feat. Y" is not the album's artist), and each disc's numbers run 1 to its size
    (a few tracks of a compilation, numbered 7 and 12, are not an album of their own)."""
    artists = {ctx.key(t, "artist") for t in tracks}
    if len(artists) != 1 or (artist := artists.pop()) is None:
        return None
    if lead_artist(artist) != artist.casefold():
        return None
    for disc in ctx.by_disc(tracks).values():
        numbers = sorted(int(k) if (k := ctx.key(t, "tracknumber")) else 0 for t in disc)
        if numbers != list(range(1, len(disc) + 1)):
            return None
    return artist


def _unnamed_album(album: str, vote: _Vote) -> str | None:
    """Why an album name must not be copied into a track lacking one: the folder holds more
    than one album, or its name is not the album's (a "Misc" folder)."""
    if len(vote.counts) > 1:
        return "the other tracks do not agree on one album"
    folder = album.rsplit("/", 1)[-1]
    if vote.value is not None and not names_album(folder, vote.value):
        return f"the folder's name {quoted(folder)} is not that album's"
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


def inconsistent(*tags: str) -> Rule:
    """The inconsistent-* rule for these album-wide tags only."""

    def rule(ctx: Context) -> Iterator[Finding]:
        return _inconsistent_tags(ctx, tags)

    rule.__name__ = rule.__qualname__ = f"inconsistent_{'_'.join(tags)}"
    return rule


def _inconsistent_tags(ctx: Context, tags: Sequence[str]) -> Iterator[Finding]:
    for album, tracks in ctx.albums():
        for tag in tags:
            vote = _album_vote(ctx, tracks, tag)
            if len(vote.counts) < 2:
                continue
            stored = Counter(k for t in tracks if (k := ctx.key(t, tag)) is not None)
            message = f"Tracks disagree on the {label(tag)}: {counts_text(stored)}"
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
                    if vote_key(ctx, t, tag) not in (None, vote.majority)
                ]
                n = len(changes)
                message += f" — setting {count(n, 'other track')} to {vote.value!r}."
            yield finding(tag_code("inconsistent", tag), album, album, message, changes, tag=tag)
