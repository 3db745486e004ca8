"""The posters of TMDb's candidates for a movie, fetched for a person who picks among them
(the page's evidence of an ``ambiguous-match``), through the toolkit's cached, rate-limited
TMDb session (``lookup.tmdb.tmdb_session``): ``[tmdb] posters_url`` and a candidate's poster
path make the address, the answer is kept in ``status/cache/posters.sqlite`` (asked once
per poster, whoever looks again), and only a whole image of at most ``MOST_POSTER`` bytes
comes out (``LookupSession.get_image``). No API key: TMDb's images are public.

What to fetch is never an address from outside: only a path of TMDb's image form
(``/abc.jpg``), which the caller takes from a candidate an open decision names.
"""

from __future__ import annotations

import threading

from mediakeeper.core.config import Settings
from mediakeeper.lookup.http import LookupFailed, LookupSession, check_http_url
from mediakeeper.lookup.images import image_suffix
from mediakeeper.lookup.tmdb import tmdb_session
from mediakeeper.lookup.tmdb_answers import IMAGE_PATH

MOST_POSTER = 4 * 2**20  # bytes: a list's poster (w342) is tens of kB; an original, a few MB
CACHE = "posters.sqlite"  # under status/cache/


class Posters:
    """The home's posters, one session opened on first use and shared by the threads that
    ask (one fetch at a time: the rate limit spaces them anyway). Close it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._session: LookupSession | None = None
        self._lock = threading.Lock()

    def fetch(self, path: str) -> tuple[bytes, str]:
        """The poster at TMDb's image path ``path`` and its suffix (".jpg", ...);
        ``LookupFailed`` when it cannot be had (unreachable, refused, not a whole image, too
        large), or for a path that is not TMDb's form."""
        if not IMAGE_PATH.fullmatch(path or ""):
            raise LookupFailed(f"tmdb: {path[:60]!r} is not a poster path", network=False)
        base = self.settings.section("tmdb")["posters_url"]
        check_http_url("[tmdb] posters_url", base)
        with self._lock:
            if self._session is None:
                cache = self.settings.status_dir / "cache" / CACHE
                self._session = tmdb_session(self.settings, cache)
            data = self._session.get_image(base.rstrip("/") + path, most=MOST_POSTER)
        return data, image_suffix(data) or ".jpg"

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None
