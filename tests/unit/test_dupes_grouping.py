"""The grouping of copies (``mediakeeper.dupes.grouping``), pure, on synthetic fingerprints:
random sub-fingerprints stand for a recording, a copy is the same with a share of its bits
flipped (an encoder's loss) and shifted (an encoder's delay, a trimmed silence)."""

from __future__ import annotations

import random

from mediakeeper.dupes import grouping
from mediakeeper.dupes.grouping import Track, candidates, group, informative, same_recording

POINTS = 900  # about two minutes


def recording(seed: int, n: int = POINTS) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(32) for _ in range(n)]


def copy_of(points: list[int], *, flips: float = 0.05, shift: int = 0, seed: int = 0) -> list[int]:
    """``points`` with ``flips`` of its bits flipped, its first ``shift`` dropped (or
    ``-shift`` new ones put before it)."""
    rng = random.Random(seed)
    out = []
    for p in points:
        for bit in range(32):
            if rng.random() < flips:
                p ^= 1 << bit
        out.append(p)
    return out[shift:] if shift >= 0 else [rng.getrandbits(32) for _ in range(-shift)] + out


def track(path: str, points: list[int], duration: float = 120.0, **kw) -> Track:
    return Track(path, path.rpartition("/")[0], duration, points, **kw)


def test_a_copy_with_lost_bits_and_a_delay_is_the_same_recording_another_is_not():
    a = recording(1)
    assert same_recording(track("A/1", a), track("B/1", copy_of(a, shift=13), 118.4))
    assert same_recording(track("A/1", a), track("B/1", copy_of(a, shift=-20), 122.5))
    assert not same_recording(track("A/1", a), track("B/2", recording(2)))
    # lost beyond what an encoder loses: not the same
    assert not same_recording(track("A/1", a), track("B/1", copy_of(a, flips=0.3)))


def test_durations_gate_first():
    a = recording(1)
    near = copy_of(a, flips=0.03)
    assert same_recording(track("A/1", a), track("B/1", near, 120 + 29))  # strong evidence
    assert not same_recording(track("A/1", a), track("B/1", copy_of(a, flips=0.15), 120 + 20))
    assert not same_recording(track("A/1", a), track("B/1", near, 120 + 31))  # never


def test_silence_and_a_drone_are_never_grouped_and_other_settings_never_compared():
    drone = [0x5A5A5A5A, 0x5A5A5A5B] * (POINTS // 2)
    assert not informative(track("A/1", drone))
    assert not same_recording(track("A/1", drone), track("B/1", list(drone)))
    assert group([track("A/1", drone), track("B/1", list(drone))]) == []
    a = recording(1)
    assert not same_recording(track("A/1", a, made="1"), track("B/1", list(a), made="2"))


def test_different_recording_ids_need_strong_evidence():
    a = recording(1)
    loose = copy_of(a, flips=0.15)
    assert same_recording(track("A/1", a), track("B/1", loose))
    assert not same_recording(track("A/1", a, recording="r1"), track("B/1", loose, recording="r2"))


def test_an_album_twice_a_loose_copy_and_a_compilation():
    songs = {n: recording(n) for n in range(1, 6)}
    tracks = [track(f"Flac/{n}", songs[n], album="x") for n in songs]
    tracks += [track(f"Mp3/{n}", copy_of(songs[n], seed=n), album="x") for n in songs]
    tracks += [track("Unsorted/a", copy_of(songs[2], shift=5))]
    tracks += [track("Hits/7", copy_of(songs[4], flips=0.08), album="hits")]
    tracks += [track(f"Other/{n}", recording(100 + n), album="x") for n in range(3)]
    found = {(g.level, g.members) for g in group(tracks)}
    assert found == {
        ("album", ("Flac", "Mp3")),
        ("track", ("Flac/2", "Mp3/2", "Unsorted/a")),
        ("release", ("Flac/4", "Hits/7", "Mp3/4")),
    }


def test_one_shared_track_does_not_make_two_folders_one_album():
    a, b, c = recording(1), recording(2), recording(3)
    tracks = [track("X/1", a), track("X/2", b), track("X/3", c), track("Y/1", copy_of(a)),
              track("Y/9", recording(9)), track("Y/8", recording(8))]  # fmt: skip
    assert {g.level for g in group(tracks)} == {"track"}


def test_distinct_recordings_make_no_candidates_at_all():
    """The index compares only tracks that share keys: a thousand distinct recordings give
    no pair to compare (all pairs would be half a million)."""
    tracks = [track(f"F{n}/t", recording(n, 480)) for n in range(1000)]
    assert candidates(tracks) == {}
    assert grouping.MIN_SHARED > 1


def test_the_keys_made_on_the_bytes_are_the_upper_bits_sampled_by_value():
    """The index's keys are made on the fingerprint's bytes at once: the same keys as the
    upper 26 bits of each sub-fingerprint of the opening, one in four by value."""
    from array import array

    points = recording(7)
    plain = {p >> grouping.KEY_SHIFT for p in points[: grouping.INDEX_POINTS]
             if not (p >> grouping.KEY_SHIFT) & (grouping.SAMPLE - 1)}  # fmt: skip
    for given in (points, array("I", points)):
        made = grouping._index_keys(given)
        assert {k >> grouping.KEY_SHIFT for k in made} == plain and len(made) == len(plain)


def test_variety_counts_every_sub_fingerprint_when_the_opening_repeats():
    quiet_start = [0x5A5A5A40] * 300 + recording(3, 600)  # a long silence, then music
    assert informative(track("A/1", quiet_start))
    mostly_drone = [0x5A5A5A40, 0x1234ABC0] * 400 + recording(4, 100)
    assert not informative(track("A/1", mostly_drone))  # 102 distinct keys of 900
