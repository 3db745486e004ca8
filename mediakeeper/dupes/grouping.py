"""Which copies are the same recording, and which folders the same album: pure, over
fingerprints already made (``job.py``).

Never all pairs. Each track's opening is cut into keys (the upper 26 bits of a
sub-fingerprint, one in ``SAMPLE`` kept by its own value, so two copies keep the same ones),
the keys two tracks or more hold posted to an inverted index (AcoustID's), and only tracks
sharing ``MIN_SHARED`` keys become candidates. A candidate pair is then compared
as ``acoustid_compare`` does: an offset histogram on the top bits of each sub-fingerprint
finds the alignment (an encoder's delay, a trimmed silence), and the bit error rate over the
aligned overlap decides.

What matchers forget: durations gate first (more than ``LOOSE`` seconds apart needs a bit
error rate under ``STRONG``, more than ``NEVER`` apart is never the same recording);
fingerprints with little variety (silence, a drone) are left out, never grouped on that
alone; fingerprints made with other settings (algorithm, length, decoder) are never
compared; two MusicBrainz recording ids that differ ask for strong evidence.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import xor

KEY_SHIFT = 6  # keys: the upper 26 bits of a sub-fingerprint
SAMPLE = 4  # one key in four kept, chosen by its value
INDEX_POINTS = 480  # the first minute (about 8 sub-fingerprints a second) is indexed
MAX_POSTINGS = 64  # a key this common says nothing (silence in every track)
MIN_SHARED = 3  # keys two tracks share before they are compared
ALIGN_SHIFT = 18  # the offset histogram's match on the top 14 bits (acoustid_compare's)
ALIGN_POINTS = 480  # the openings aligned: offsets up to a minute
MATCH = 0.20  # bit error rate at most: the same recording
STRONG = 0.10  # ... when durations are far apart or recording ids differ
LOOSE = 7.0  # seconds apart beyond which only strong evidence groups
NEVER = 30.0  # seconds apart beyond which two files are never one recording
MIN_OVERLAP = 0.5  # of the shorter fingerprint, aligned
LOW_VARIETY = 0.25  # distinct keys per sub-fingerprint under this: silence or a drone
MIN_POINTS = 40  # about 5 seconds: too little to tell


@dataclass(frozen=True)
class Track:
    path: str
    folder: str
    duration: float
    points: Sequence[int] = field(repr=False)
    made: str = ""  # the settings that made the fingerprint
    recording: str = ""  # MusicBrainz recording id, "" when not tagged
    album: str = ""  # the album tag, folded; "" when untagged


@dataclass(frozen=True)
class Group:
    level: str  # "album" | "track" | "release"
    members: tuple[str, ...]  # paths (album: folders), sorted
    tracks: tuple[tuple[str, ...], ...] = ()  # album: the matched tracks, one tuple each


def informative(track: Track) -> bool:
    """Enough sound to tell: long enough, and not one or two values repeated (silence,
    a drone, a test tone)."""
    return _varied(track.points, _masked(track.points))


def _varied(points: Sequence[int], masked: array) -> bool:
    """Whether a quarter or more of the sub-fingerprints' keys are distinct: told by the
    first quarter alone when those are all distinct (most music), else by all of them."""
    if len(points) < MIN_POINTS:
        return False
    enough = math.ceil(LOW_VARIETY * len(points))
    return len(set(masked[:enough])) == enough or len(set(masked)) >= enough


# Where a sub-fingerprint's lowest byte is in an array of them: it holds the bits under the
# key (KEY_SHIFT <= 8) and those that say whether the key is sampled ((SAMPLE - 1) << KEY_SHIFT
# < 256); each table maps that byte.
_LOW_BYTE = 0 if sys.byteorder == "little" else 3
_ABOVE_KEY = bytes(v & ~((1 << KEY_SHIFT) - 1) & 0xFF for v in range(256))
_SAMPLED = bytes(not v & ((SAMPLE - 1) << KEY_SHIFT) for v in range(256))


def _masked(points: Sequence[int]) -> array:
    """The sub-fingerprints with the bits under the key cleared: each one its key, shifted
    (the same key, the same value), made on the bytes at once: a shift per int in Python
    was most of the grouping's time at the reference library's size (``dupes_scale.py``)."""
    raw = bytearray(points if isinstance(points, array) and points.itemsize == 4
                    else array("I", points))  # fmt: skip
    raw[_LOW_BYTE::4] = raw[_LOW_BYTE::4].translate(_ABOVE_KEY)
    return array("I", raw)


def _index_keys(points: Sequence[int]) -> set[int]:
    """The keys of a track's opening, one in ``SAMPLE`` chosen by value, so two copies keep
    the same ones (each key shifted in place: only which keys two tracks share matters);
    none when the track is not informative. Chosen on the bytes, so that only the keys
    kept are ever made ints."""
    masked = _masked(points)
    if not _varied(points, masked):
        return set()
    opening = masked[:INDEX_POINTS]
    return set(compress(opening, opening.tobytes()[_LOW_BYTE::4].translate(_SAMPLED)))


def candidates(tracks: Sequence[Track]) -> dict[tuple[int, int], int]:
    """Pairs of track numbers sharing at least ``MIN_SHARED`` keys, with how many: the keys
    held by two tracks or more are found with set operations (in C), and only those are
    posted to the index; a key held by more than ``MAX_POSTINGS`` tracks says nothing."""
    seen: set[int] = set()
    repeated: set[int] = set()
    held: list[array] = []  # each track's keys, 4 bytes each (a set's ints take 16 times that)
    for track in tracks:
        keys = _index_keys(track.points)
        repeated |= keys & seen
        seen |= keys
        held.append(array("I", keys))
    del seen
    postings: dict[int, list[int]] = defaultdict(list)
    for n, keys in enumerate(held):
        for key in repeated.intersection(keys):
            postings[key].append(n)
    bits = max(1, len(tracks)).bit_length()
    mask = (1 << bits) - 1
    shared: Counter[int] = Counter()  # a pair as one int: most are chance meetings, held once
    for run in postings.values():
        if len(run) <= MAX_POSTINGS:
            for i, a in enumerate(run):
                for b in run[i + 1 :]:
                    if tracks[a].made == tracks[b].made:
                        shared[a << bits | b] += 1
    return {(pair >> bits, pair & mask): n for pair, n in shared.items() if n >= MIN_SHARED}


def bit_error_rate(a: Sequence[int], b: Sequence[int]) -> tuple[float, int, int]:
    """The lowest bit error rate of ``b`` against ``a`` over the best few offsets of the
    histogram of their openings: (rate, offset, overlap). Rate 1.0 when they never align."""
    where: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(a[:ALIGN_POINTS]):
        where[p >> ALIGN_SHIFT].append(i)
    offsets: Counter[int] = Counter()
    for j, p in enumerate(b[:ALIGN_POINTS]):
        for i in where.get(p >> ALIGN_SHIFT, ()):
            offsets[i - j] += 1
    best = (1.0, 0, 0)
    for offset, _ in offsets.most_common(3):
        x, y = (a[offset:], b) if offset >= 0 else (a, b[-offset:])
        overlap = min(len(x), len(y))
        if not overlap:
            continue
        rate = sum(map(int.bit_count, map(xor, x, y))) / (32 * overlap)
        if rate < best[0]:
            best = (rate, offset, overlap)
    return best


def same_recording(a: Track, b: Track) -> bool:
    """Whether ``a`` and ``b`` are copies of one recording (the gates first, the
    fingerprints last)."""
    if a.made != b.made or not (informative(a) and informative(b)):
        return False
    apart = abs(a.duration - b.duration)
    if apart > NEVER:
        return False
    strong = apart > LOOSE or (a.recording and b.recording and a.recording != b.recording)
    rate, _, overlap = bit_error_rate(a.points, b.points)
    if overlap < MIN_OVERLAP * min(len(a.points), len(b.points)):
        return False
    return rate <= (STRONG if strong else MATCH)


def recordings(tracks: Sequence[Track]) -> list[list[int]]:
    """The tracks (by number) grouped by recording: only groups of two or more."""
    parent = list(range(len(tracks)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in sorted(candidates(tracks)):
        if root(a) != root(b) and same_recording(tracks[a], tracks[b]):
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for n in range(len(tracks)):
        groups[root(n)].append(n)
    return [members for members in groups.values() if len(members) > 1]


def group(tracks: Sequence[Track]) -> list[Group]:
    """Album groups (most tracks of each folder have a copy in the other), then the track
    and release groups of what no album group holds."""
    same = recordings(tracks)
    per_folder = Counter(t.folder for t in tracks)
    shared_by: Counter[tuple[str, str]] = Counter()
    for members in same:
        folders = sorted({tracks[n].folder for n in members})
        for i, f in enumerate(folders):
            for g in folders[i + 1 :]:
                shared_by[f, g] += 1
    # An album twice: two or more tracks shared, most of each folder's.
    albums = _album_sets([pair for pair, n in shared_by.items()
                          if n >= 2 and all(2 * n > per_folder[f] for f in pair)])  # fmt: skip
    result = []
    in_album: set[int] = set()
    for folders in albums:
        matched = []
        for members in same:
            inside = [n for n in members if tracks[n].folder in folders]
            if len({tracks[n].folder for n in inside}) > 1:
                matched.append(tuple(sorted(tracks[n].path for n in inside)))
                in_album.update(inside)
        result.append(Group("album", tuple(sorted(folders)), tuple(sorted(matched))))
    for members in same:
        # A copy outside the album groups is compared with all of them (a compilation's
        # copy of an album track); copies only inside them are the album group's.
        rest = [tracks[n] for n in members if n not in in_album]
        if rest:
            rest = [tracks[n] for n in members]
        if len(rest) > 1:
            albums_named = {t.album for t in rest if t.album}
            level = "release" if len(albums_named) > 1 else "track"
            result.append(Group(level, tuple(sorted(t.path for t in rest))))
    return result


def _album_sets(pairs: list[tuple[str, str]]) -> list[set[str]]:
    sets: list[set[str]] = []
    for f, g in pairs:
        joined = [s for s in sets if f in s or g in s]
        merged = {f, g}.union(*joined)
        sets = [s for s in sets if s not in joined] + [merged]
    return sets
