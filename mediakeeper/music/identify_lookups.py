"""The music job's identification by sound, its I/O half: one fingerprint per track looked up
(decoded once, then kept by file identity: ``lookup/fingerprint_cache.py``) and one AcoustID
request per fingerprint (kept by the HTTP cache). A rerun decodes nothing and asks nothing.
The decisions are ``identify.py``'s."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from mediakeeper.core.config import Settings
from mediakeeper.core.findings import Finding
from mediakeeper.lookup.acoustid import AcoustID, acoustid_from_settings
from mediakeeper.lookup.acoustid_types import KeyRefused
from mediakeeper.lookup.clients import per_process
from mediakeeper.lookup.fingerprint_cache import FingerprintCache
from mediakeeper.lookup.http import LookupFailed
from mediakeeper.media.chromaprint import FingerprintFailed, fingerprint, fingerprinter
from mediakeeper.music.identify import APPLY_SCORE, PROPOSALS, Heard, propose, settle, wanted
from mediakeeper.music.model import Track


class SoundClient:
    """AcoustID, the fingerprint cache and the ffmpeg that fingerprints, for one process."""

    def __init__(self, settings: Settings):
        self.acoustid: AcoustID = acoustid_from_settings(settings)
        self.session = self.acoustid.session
        # Another program's write to the fingerprints is waited for as for AcoustID's answer.
        wait = float(settings.get("acoustid", "timeout"))
        self.fingerprints = FingerprintCache(settings.status_dir / "cache", wait=wait)
        self.exe = fingerprinter(settings.get("ffmpeg", "path"))


def sound_client(settings: Settings) -> SoundClient:
    return per_process(SoundClient, settings)


def identify_tracks(
    client: SoundClient,
    folder: Path,
    tracks: Sequence[Track],
    findings: list[Finding],
    every: bool,
    apply: bool,
) -> tuple[list[Finding], dict[str, Any]]:
    """The findings with the proposals for the tracks looked up (``identify.wanted``), and
    what was done: tracks looked up, fingerprints decoded, proposals made."""
    looked_up = [t for t in tracks if wanted(t, every)]
    decoded = client.fingerprints.computed
    heard = listen(client, folder, looked_up)
    proposals = propose(tracks, heard, APPLY_SCORE if apply else None)
    done = {
        "tracks": len(looked_up),
        "fingerprinted": client.fingerprints.computed - decoded,
        "proposals": sum(p.code in PROPOSALS for p in proposals),
    }
    return settle(findings, proposals) + proposals, done


def listen(client: SoundClient, folder: Path, tracks: Iterable[Track]) -> list[Heard]:
    """Each track's matches, or why it has none. ``LookupFailed`` when AcoustID cannot be
    reached (``network``) or refuses the key (``KeyRefused``): no track can be identified."""
    return [_hear(client, folder / track.path, track.path) for track in tracks]


def _hear(client: SoundClient, path: Path, rel: str) -> Heard:
    try:
        print_ = client.fingerprints.get(path, lambda p: fingerprint(client.exe, p))
    except FingerprintFailed as err:
        return Heard(rel, failed=str(err))
    except OSError as err:
        return Heard(rel, failed=f"cannot read it: {err.strerror or err}")
    if print_.too_short:
        return Heard(rel, unheard="It is too short or too quiet to recognise by its sound")
    try:
        matches = client.acoustid.lookup(print_.fingerprint, print_.duration, rel)
    except KeyRefused:
        raise
    except LookupFailed as err:
        if err.network:
            raise
        return Heard(rel, unheard=f"Not looked up: {err.message}")
    return Heard(rel, matches=tuple(matches))


def carry_fingerprints(settings: Settings, folder: Path, paths: Iterable[str]) -> None:
    """The files the job's own tag writes just rewrote keep their fingerprints."""
    cache = sound_client(settings).fingerprints
    for rel in paths:
        cache.follow(folder / rel)
