"""What the AcoustID code shares without the web stack: its records and its key errors.

``lookup/acoustid.py`` imports requests; the music job's decisions (``music/identify.py``)
and an offline run need only these.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, LookupFailed

KEY_HELP = (
    "set key in the [acoustid] section of mediakeeper.toml or MEDIAKEEPER_ACOUSTID_KEY; an "
    "application key is free at https://acoustid.org/new-application"
)


class KeyMissing(ConfigError):
    def __init__(self) -> None:
        super().__init__("identifying tracks by their sound needs an AcoustID key", KEY_HELP)


class KeyRefused(LookupFailed):
    """AcoustID refused the application key (its error 4): wrong for every track."""

    what_to_set = "check it: " + KEY_HELP  # the key itself is never said

    def __init__(self, said: str) -> None:
        super().__init__(
            f"AcoustID refused the application key ({said})",
            network=False,
            status=400,
            hint=self.what_to_set,
        )


def require_key(settings: Settings) -> str:
    key = settings.get("acoustid", "key").strip()
    if not key:
        raise KeyMissing()
    return key


@dataclass(frozen=True)
class ReleaseGroupRef:
    id: str
    title: str
    type: str = ""  # Album, Single, EP, ...
    secondary_types: tuple[str, ...] = ()  # Compilation, Live, ...
    artist: str = ""  # the credited artists, joined as MusicBrainz joins them


@dataclass(frozen=True)
class Recording:
    id: str
    title: str = ""
    artist: str = ""
    artist_id: str = ""  # the first credited artist's MusicBrainz id
    duration: int = 0  # seconds, 0 when unknown
    release_groups: tuple[ReleaseGroupRef, ...] = ()


@dataclass(frozen=True)
class Match:
    """One AcoustID track the fingerprint matched: how well, and its recordings."""

    id: str
    score: float  # 0-1
    recordings: tuple[Recording, ...] = ()
