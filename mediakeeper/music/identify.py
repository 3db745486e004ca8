"""Identifying tracks by their sound: which tracks are looked up, and what AcoustID's answers
propose. Pure: no files, network or clock (the requests are ``identify_lookups.py``'s).

A track is looked up when it has no artist or no title; with ``--identify`` also when it has
no MusicBrainz recording id. An album folder whose looked-up tracks (two or more) all sound
like recordings of one release group becomes one proposal, ``album-sound-match`` ("these 12
tracks are The Dark Side of the Moon by Pink Floyd, score 0.97"); any other track that
sounds like known recordings gets its own, ``sound-match``. A proposal is a decision: a
finding of severity warning whose ``details["choices"]`` list what can be taken, best first,
each with its label, its score and the ``changes`` that taking it writes (the tags the file
lacks: title, artist, album, album artist, and the MusicBrainz ids; a value the file holds
is never replaced). Nothing is written unless the person takes a choice, or runs
``--identify --apply`` and the best choice scores at least ``APPLY_SCORE``: then the
proposal carries that choice's changes like any fix, written through the journal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import Finding
from mediakeeper.music.model import Track
from mediakeeper.music.rule_base import finding, label
from mediakeeper.text.wording import count

if TYPE_CHECKING:  # AcoustID's records reach here only as the lookups' answers
    from mediakeeper.lookup.acoustid_types import Match, Recording, ReleaseGroupRef

MIN_SCORE = 0.5  # AcoustID's matches below this are noise, never proposed
APPLY_SCORE = 0.95  # --identify --apply writes a best choice scoring at least this
CHOICES_SHOWN = 3
IDENTITY = ("title", "artist")  # a track lacking one of these is looked up
RECORDING_ID = "musicbrainz_trackid"
PROPOSALS = ("album-sound-match", "sound-match")  # the codes that carry choices


@dataclass(frozen=True)
class Heard:
    """What the lookups made of one track: its matches, or why there are none."""

    path: str
    matches: tuple[Match, ...] = ()
    failed: str = ""  # no fingerprint: ffmpeg's words (fingerprint-failed)
    unheard: str = ""  # not looked up, or refused: why (no-sound-match)


@dataclass(frozen=True)
class Choice:
    label: str
    score: float
    changes: tuple[TagChange, ...]
    recording: str = ""  # the MusicBrainz recording id (a track's proposal)
    release_group: str = ""  # the MusicBrainz release group id (an album's)

    def record(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": self.score,
            "recording": self.recording,
            "release_group": self.release_group,
            "changes": [vars(c).copy() for c in self.changes],
        }


def wanted(track: Track, every: bool) -> bool:
    """Whether the track is looked up: no artist or title; with ``every``, no recording id."""
    return not all(_has(track, tag) for tag in IDENTITY) or (
        every and not _has(track, RECORDING_ID)
    )


def _has(track: Track, tag: str) -> bool:
    return bool((track.tags.get(tag) or "").strip())


def propose(
    tracks: Sequence[Track], heard: Iterable[Heard], apply_at: float | None = None
) -> list[Finding]:
    """The findings of the tracks looked up: an album's proposal, a track's, or why none."""
    by_path = {t.path: t for t in tracks}
    heard = [h for h in heard if h.path in by_path]
    findings: list[Finding] = []
    albums: dict[str, list[Heard]] = {}
    for h in heard:
        if h.failed:
            message = f"It could not be decoded for its fingerprint: {h.failed}"
            findings.append(finding("fingerprint-failed", h.path, by_path[h.path].album, message))
        else:
            albums.setdefault(by_path[h.path].album, []).append(h)
    for album, members in albums.items():
        proposal = _album_proposal(album, [by_path[h.path] for h in members], members, apply_at)
        if proposal is not None:
            findings.append(proposal)
            continue
        findings += [f for h in members if (f := _track_proposal(by_path[h.path], h, apply_at))]
    return findings


def settle(local: Sequence[Finding], proposals: Sequence[Finding]) -> list[Finding]:
    """The local findings beside the proposals: a missing tag's fill (a title from the file
    name) that the best choice contradicts is held back for the person; one an applied
    proposal writes is that proposal's value, so its finding is settled by the same write."""
    best: dict[tuple[str, str], tuple[TagChange, Finding]] = {}
    for p in proposals:
        for raw in (p.details.get("choices") or [{"changes": []}])[0]["changes"]:
            change = TagChange(**raw)
            best[(change.path, change.tag)] = (change, p)
    return [_settled(f, best) for f in local]


def _settled(f: Finding, best: Mapping[tuple[str, str], tuple[TagChange, Finding]]) -> Finding:
    tag = f.details.get("tag")
    if not f.code.startswith("missing-") or (f.path, tag) not in best:
        return f
    change, proposal = best[(f.path, tag)]
    if any(c.new == change.new for c in f.changes):
        return f
    missing = f"The {label(tag)} tag is missing."
    if proposal.changes:  # applied
        score = proposal.details["score"]
        said = f" Setting it to {change.new!r} (it sounds like that: AcoustID score {score:.2f})."
        return replace(f, changes=(change,), message=missing + said)
    said = f" Not filled: it sounds like {change.new!r} (the {proposal.code} proposal); choose."
    return replace(f, changes=(), message=missing + said)


# -- an album --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pick:
    score: float
    recording: Recording
    group: ReleaseGroupRef


def _groups(heard: Heard) -> dict[str, _Pick]:
    """Release group id -> the best-scoring recording of it the track sounds like."""
    picks: dict[str, _Pick] = {}
    for m in heard.matches:
        for rec in m.recordings if m.score >= MIN_SCORE else ():
            for group in rec.release_groups:
                if group.id not in picks or picks[group.id].score < m.score:
                    picks[group.id] = _Pick(m.score, rec, group)
    return picks


def _album_proposal(
    album: str, tracks: Sequence[Track], heard: Sequence[Heard], apply_at: float | None
) -> Finding | None:
    """One proposal when every track sounds like a recording of one release group (the
    weakest track's score is the album's)."""
    if not album or len(tracks) < 2:
        return None
    per_track = [_groups(h) for h in heard]
    common = set.intersection(*(set(p) for p in per_track))
    choices = []
    for group_id in common:
        picks = [p[group_id] for p in per_track]
        group = picks[0].group
        changes = [
            c for t, p in zip(tracks, picks, strict=True) for c in _changes(t, p.recording, group)
        ]
        if changes:
            by = f" by {group.artist}" if group.artist else ""
            score = min(p.score for p in picks)
            choices.append(Choice(f"{group.title!r}{by}", score, tuple(changes),
                                  release_group=group.id))  # fmt: skip
    if not choices:
        return None
    plain = {g.id for p in per_track for g in (x.group for x in p.values())
             if g.type == "Album" and not g.secondary_types}  # fmt: skip
    choices.sort(key=lambda c: (c.release_group not in plain, -c.score, c.label))
    what = f"These {count(len(tracks), 'track')} sound like"
    return _proposal("album-sound-match", album, album, what, choices, apply_at,
                     tracks=[t.path for t in tracks])  # fmt: skip


# -- a track ---------------------------------------------------------------------------------


def _track_proposal(track: Track, heard: Heard, apply_at: float | None) -> Finding | None:
    best: dict[str, tuple[float, Recording]] = {}
    for m in heard.matches:
        for rec in m.recordings if m.score >= MIN_SCORE else ():
            if rec.id not in best or best[rec.id][0] < m.score:
                best[rec.id] = (m.score, rec)
    if not best:
        top = max((m.score for m in heard.matches), default=None)
        why = heard.unheard or "AcoustID knows no recording that sounds like it"
        if top is not None and not heard.unheard:
            why += f" (its best match scores {top:.2f}, under {MIN_SCORE:.2f})"
        return finding("no-sound-match", track.path, track.album, f"{why}.")
    choices = [
        Choice(_named(rec), score, tuple(changes), recording=rec.id)
        for score, rec in best.values()
        if (changes := _changes(track, rec, None))
    ]
    if not choices:
        return None  # it holds what AcoustID says already
    choices.sort(key=lambda c: (-c.score, c.label))
    return _proposal("sound-match", track.path, track.album, "It sounds like", choices, apply_at)


# -- shared ----------------------------------------------------------------------------------


def _named(rec: Recording) -> str:
    return f"{rec.title!r} by {rec.artist or 'an unknown artist'}"


def _changes(track: Track, rec: Recording, group: ReleaseGroupRef | None) -> list[TagChange]:
    """What taking the recording (on the release group) writes: the tags the file lacks."""
    values = {"title": rec.title, "artist": rec.artist, RECORDING_ID: rec.id,
              "musicbrainz_artistid": rec.artist_id}  # fmt: skip
    if group is not None:
        values.update(album=group.title, albumartist=group.artist,
                      musicbrainz_releasegroupid=group.id)  # fmt: skip
    return [
        TagChange(track.path, tag, track.tags.get(tag), new)
        for tag, new in values.items()
        if new and not _has(track, tag)
    ]


def _proposal(
    code: str,
    path: str,
    album: str,
    what: str,
    choices: list[Choice],
    apply_at: float | None,
    **details: Any,
) -> Finding:
    top, shown = choices[0], choices[:CHOICES_SHOWN]
    message = f"{what} {top.label} (AcoustID score {top.score:.2f})"
    if len(choices) > 1:
        others = "; ".join(f"{c.label} ({c.score:.2f})" for c in shown[1:])
        message += f"; or {others}"
    written = apply_at is not None and top.score >= apply_at
    if written:
        message += f". Written: its score is at least {apply_at:.2f} (--identify --apply)."
    else:
        message += (". Nothing is written without your choice: take one of its choices, or "
                    f"run --identify --apply to write a best choice scoring {APPLY_SCORE:.2f} "
                    "or more.")  # fmt: skip
    return finding(code, path, album, message, top.changes if written else (),
                   choices=[c.record() for c in shown], score=top.score, **details)  # fmt: skip
