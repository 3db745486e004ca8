"""One cached, rate-limited, retrying ``requests`` session per web service.

A request passes through these layers, outermost first:

1. **requests-cache** (SQLite, entries never expire). A hit is answered here and goes no
   further, so it costs no rate budget and no network. Secret parameters and the usual
   credential headers are left out of the cache key and replaced by ``REDACTED`` in what is
   stored.
2. **requests-ratelimiter**, over a pyrate-limiter bucket: one request per ``1/rate_limit``
   seconds (a spacing, not a burst allowance). With ``limiter_path`` the bucket is a table in
   a SQLite file guarded by a file lock, so every process on the machine shares one budget.
   Requests wait for their turn; they never fail because of the limit.
3. **An HTTP adapter** (``limits.BoundedAdapter``) that gives every request the session's
   timeout unless the caller set one, and retries with urllib3 on connection errors and on
   429/500/502/503/504, honouring ``Retry-After`` (capped) and backing off exponentially
   otherwise. Each retry also waits for the shared bucket, so retries respect the limit too.
   It reads each answer's body itself, within the timeout and a size limit, so that neither a
   trickling nor an endless answer can hold or fill a worker.

``LookupSession.get`` is the only call the rest of the toolkit makes; it turns every failure
into ``LookupFailed`` (``network=True`` when the service could not be reached or kept failing,
``network=False`` when it answered "no"), said as a person reads it: the service's name and
what went wrong, never the request's address (the person's query is in it), which goes to the
debug log (``logging``, ``mediakeeper.lookup.http``) alone, secrets redacted. A cache or
limiter file that is not a readable SQLite database is moved aside as ``<name>.corrupt-<UTC
timestamp>`` with a ``CacheRebuiltWarning`` and started afresh; a cache another program holds
in a write longer than the session's timeout raises ``CacheLocked`` (a ``ConfigError``: the
batch stops). Nothing here prints; no message contains a secret.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import requests
from filelock import FileLock
from pyrate_limiter import AbstractBucket, InMemoryBucket, Limiter, Rate, SQLiteBucket
from requests_cache import CacheMixin, SQLiteCache
from requests_cache.policy import DEFAULT_IGNORED_PARAMS, NEVER_EXPIRE
from requests_ratelimiter import LimiterMixin
from urllib3.exceptions import InvalidHeader, MaxRetryError
from urllib3.util.retry import Retry

from mediakeeper import __version__
from mediakeeper.core.errors import ConfigError, LookupFailed
from mediakeeper.lookup import tally
from mediakeeper.lookup.answers import UnfitAnswer
from mediakeeper.lookup.images import image_problem
from mediakeeper.lookup.limits import (
    BodyTimeout,
    BoundedAdapter,
    ResponseTooLarge,
    between_attempts,
)
from mediakeeper.lookup.stores import (  # noqa: F401  (CacheRebuiltWarning is public here)
    SQLITE_WAIT,
    CacheRebuiltWarning,
    WriteWaiter,
    inode,
    is_busy,
    is_corruption,
    locked,
    move_aside,
    open_sqlite,
    probe,
    wait_for_writes,
    writable,
)
from mediakeeper.text.wording import count

if TYPE_CHECKING:
    from mediakeeper.core.config import Settings

_log = logging.getLogger(__name__)
RETRY_STATUSES = (429, 500, 502, 503, 504)
NO_CONTACT = "contact not configured: set [musicbrainz] contact"
DEFAULT_BACKOFF = 0.5  # seconds before the first retry; doubles for each further one
# The longest Retry-After a lookup waits for before it asks again. A service asking for
# longer (an hour) would refuse the retries as well: the lookup fails at once instead, as
# the network's, and its item's lookups wait for a later run.
MAX_RETRY_AFTER = 60
MAX_REFUSAL_BODY = 4096  # bytes of a refusal's body kept on its LookupFailed
# Failures of the way to the service (worth retrying later), as opposed to a refusal.
_NETWORK_ERRORS = (
    requests.ConnectionError,  # includes connect timeouts, DNS, refused, reset, TLS
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,  # a body cut short
    requests.exceptions.RetryError,
)


def check_http_url(setting: str, url: str, example: str | None = None) -> None:
    """ConfigError unless ``url`` (the value of ``setting``, e.g. "[tmdb] url") is an http(s)
    address with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # As typed, but for a password before an @ (a private mirror's), scheme or none.
        shown = re.sub(r"^((?:[^:/@]*://)?[^:/@]*):[^/@]*@", r"\1:REDACTED@", url)
        raise ConfigError(f"{setting}: {shown!r} is not an http(s) address", example)


def user_agent(contact: str) -> str:
    """``mediakeeper/<version> ( <contact> )``, as MusicBrainz asks of every client.

    The contact is reduced to printable ASCII without parentheses (a header must be
    Latin-1 and the parentheses delimit it); an empty contact says so in the header.
    """
    folded = unicodedata.normalize("NFKD", contact).encode("ascii", "ignore").decode()
    cleaned = " ".join(re.sub(r"[^\x21-\x7e]|[()]", " ", folded).split())
    return f"mediakeeper/{__version__} ( {cleaned or NO_CONTACT} )"


LIMITER_FILE = "ratelimit.sqlite"  # in status/cache/: one budget the processes share


def session_from_settings(
    settings: Settings,
    service: str,
    *,
    agent: str = f"mediakeeper/{__version__}",
    cache_path: Path | None = None,
    secret_params: tuple[str, ...] = (),
    name: str | None = None,
) -> LookupSession:
    """A session to ``service`` for this data home, under its ``[service]`` settings (rate
    limit, timeout, retries), telling it ``agent``: cached in ``cache_path`` (default
    ``status/cache/<service>.sqlite``), paced by the home's shared limiter
    ``status/cache/ratelimit.sqlite``; ``name``: the service as a person names it. Close it."""
    section, cache_dir = settings.section(service), settings.status_dir / "cache"
    return LookupSession(
        service,
        cache_path=cache_path or cache_dir / f"{service}.sqlite",
        rate_limit=float(section["rate_limit"]),
        timeout=float(section["timeout"]),
        retries=int(section["retries"]),
        user_agent=agent,
        limiter_path=cache_dir / LIMITER_FILE,
        secret_params=secret_params,
        name=name,
    )


class LookupSession:
    """One service's session. Close it when done.

    Counters: ``requests_sent`` (lookups that went to the network: cache misses, whether they
    succeeded or not), ``cache_hits`` (answered from the cache), ``retries_made`` (extra
    network attempts made by the retry policy). ``notes``: one line per answer that held
    something its client left out, for the job to pass on (``notes[mark:]``).
    """

    def __init__(
        self,
        service: str,
        *,
        cache_path: Path,
        rate_limit: float,
        timeout: float,
        retries: int,
        user_agent: str,
        limiter_path: Path | None,
        secret_params: tuple[str, ...] = (),
        backoff: float = DEFAULT_BACKOFF,
        name: str | None = None,
    ):
        """``rate_limit`` is requests per second for this machine (0 = unlimited, for a local
        mirror); ``limiter_path`` is the SQLite file that carries that budget across processes
        (None = this process only). ``secret_params`` name query parameters (e.g. ``api_key``)
        that must never be stored or shown; ``name`` is the service as its failures name it
        ("MusicBrainz"; ``service`` when not given)."""
        if timeout <= 0:
            raise ValueError("timeout must be > 0: every request needs one")
        cache_path = Path(cache_path)
        limiter_path = Path(limiter_path) if limiter_path is not None else None
        secret_params = tuple(secret_params)
        self.service = service
        self.name = name or service
        self.cache_path = cache_path
        self.limiter_path = limiter_path
        self.rate_limit = rate_limit
        self.timeout = timeout
        self.user_agent = user_agent
        self.secret_params = secret_params
        self.requests_sent = 0
        self.cache_hits = 0
        self.retries_made = 0
        self.notes: list[str] = []  # what the clients left out of answers (lookup/answers.py)

        self.http = self._open_session()
        retry = _retry_policy(retries, backoff)
        retry.before_retry = self._before_retry
        self._lookup = threading.local()  # this thread's lookup: whether it is counted yet
        adapter = BoundedAdapter(
            timeout, retry, before_retry=self._before_retry, sending=self._sending
        )
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.http.headers["User-Agent"] = user_agent

    def _open_session(self) -> requests.Session:
        """The cache (a damaged file moved aside, see ``open_sqlite``) and the limiter, opened
        in that order, under one ``requests`` session with the cache outermost. Sets
        ``limiter`` and the cache file's inode, which ``_recover`` needs to tell whether
        another process has already moved a bad file aside."""
        with writable(self.cache_path):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache, self._cache_inode = open_sqlite(self.cache_path, self._new_cache)
        cache_settings: dict[str, Any] = {
            "backend": cache,
            "expire_after": NEVER_EXPIRE,
            "allowable_codes": (200,),
            "allowable_methods": ("GET", "HEAD"),
            "ignored_parameters": (*DEFAULT_IGNORED_PARAMS, *self.secret_params),
        }
        with writable(self.limiter_path or self.cache_path):
            self.limiter = _make_limiter(self.service, self.rate_limit, self.limiter_path)
        if self.limiter is None:
            return _CachedSession(**cache_settings)
        return _LimitedCachedSession(
            **cache_settings,
            limiter=self.limiter,
            per_host=False,  # one budget per service, whatever host it redirects to
            bucket_name=self.service,
            max_delay=None,  # wait as long as the budget needs; never fail for it
        )

    def _new_cache(self, path: Path) -> SQLiteCache:
        """The cache, waiting for another program's write to it as long as for an answer."""
        return _new_cache(path, wait=self.timeout)

    # -- the one call --------------------------------------------------------------------

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, name: str | None = None
    ) -> requests.Response:
        """GET through cache, limiter and retries; a 2xx/3xx response or ``LookupFailed``,
        which names the service ``name`` (the session's own unless told: the Cover Art
        Archive answers through MusicBrainz's session).

        A user and password in ``url`` (a private mirror's address) are sent as HTTP's Basic
        authorization, never in the URL: requests-cache keeps the URL in its file, the debug
        log shows it, and it redacts that header only."""
        name = name or self.name
        url, auth = _credentials(url)
        try:
            response = self._get(url, params, auth, name)
        except sqlite3.DatabaseError as err:
            if not is_corruption(err):
                raise
            self._recover(str(err))
            response = self._get(url, params, auth, name)
        if response.status_code < 400:
            return response
        code = response.status_code
        reason = f"HTTP {code} {response.reason or ''}".rstrip()
        wait = asked_to_wait(response.headers)
        if wait and wait > MAX_RETRY_AFTER:
            why, network = f"{reason}, asked to be left alone for {left_alone_for(wait)}", True
        elif code in RETRY_STATUSES or code >= 500:  # (a short wait, waited: no wish)
            why, network, wait = f"{reason}, also after retrying", True, None
        else:
            why, network, wait = reason, False, None
        raise self._failed(
            name, why, self._shown(url, params), network=network, status=code,
            body=response.content[:MAX_REFUSAL_BODY],  # a service's own words (AcoustID)
            asked_to_wait=wait,
        )  # fmt: skip

    def get_image(self, url: str, most: int | None = None, *, name: str | None = None) -> bytes:
        """An image's bytes: a whole JPEG, PNG, GIF or WebP of a sane size (``image_problem``),
        of at most ``most`` bytes when given. Anything else, such as a captive portal's login
        page answered with 200 or a picture cut short, is forgotten and raises
        ``UnfitAnswer``: it must never land on disk as a cover or a poster. ``name``: the
        service that answers, as for ``get``."""
        response = self.get(url, name=name)
        data = response.content
        problem = image_problem(data)
        if problem is None and most is not None and len(data) > most:
            problem = f"an image of {len(data):,} bytes (at most {most:,})"
        if problem is None:
            return data
        raise self.unfit(response, problem, "an image", name=name)

    def _get(
        self, url: str, params: Mapping[str, Any] | None, auth: tuple[str, str] | None,
        name: str,
    ) -> requests.Response:  # fmt: skip
        self._lookup.counted = False
        try:
            response = self.http.get(url, params=params, auth=auth)
        except requests.RequestException as err:
            raise self._failure(err, url, params, name) from None
        finally:
            self._lookup.counted = True  # a send outside a lookup (none is) counts nothing
        if getattr(response, "from_cache", False):
            self.cache_hits += 1
            tally.count(self.service, tally.CACHE)
        return response

    def _sending(self) -> None:
        """A lookup is about to go to the network: counted now, before any answer, so one
        that never comes back (a service that hangs, a Ctrl+C, a worker stopped meanwhile)
        is counted as sent all the same; once a lookup, whatever its redirects and retries."""
        if not getattr(self._lookup, "counted", True):
            self._lookup.counted = True
            self.requests_sent += 1
            tally.count(self.service, tally.NETWORK)

    def discard(self, response: requests.Response) -> None:
        """Forget a cached response whose body turned out to be unusable (e.g. malformed).
        One reached through redirects is kept under every hop's request: fresh, its key is the
        last hop's; served from the cache, the first's. Every hop's entry goes."""
        key = getattr(response, "cache_key", None)
        hops = [r.request for r in (*response.history, response)]
        self.http.cache.delete(*([key] if key else []), requests=hops)

    def unfit(
        self, response: requests.Response, problem: str, expected: str, *,
        name: str | None = None,
    ) -> LookupFailed:  # fmt: skip
        """The failure for an answer that cannot be used (``problem``: what was wrong with
        it), which is forgotten (never served again): an ``UnfitAnswer``, or the network's
        when a web page came where ``expected`` should be (a proxy or captive portal
        answering instead of the service)."""
        self.discard(response)
        name, shown = name or self.name, self._shown(response.url or "", None)
        if response.content[:200].lstrip().lower().startswith((b"<!doctype html", b"<html")):
            problem = f"a web page instead of {expected} (a proxy or captive portal?)"
            return self._failed(name, f"answered {problem}", shown, network=True)
        return self._failed(name, problem, shown, network=False, kind=UnfitAnswer)

    # -- lifecycle -----------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        """What the reports count: requests sent to the network, answers from the cache."""
        return {"lookups": self.requests_sent, "cache_hits": self.cache_hits}

    def counters_since(self, before: Mapping[str, int]) -> dict[str, int]:
        return {key: value - before[key] for key, value in self.counters().items()}

    def close(self) -> None:
        self.http.close()  # also closes the cache backend
        if self.limiter is not None:
            self.limiter.close()  # stops the leaker thread, closes the bucket's connection

    def __enter__(self) -> LookupSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _before_retry(self) -> None:
        """Called by the retry policy after its back-off, before each extra attempt."""
        self.retries_made += 1
        if self.limiter is not None:
            self.limiter.try_acquire(self.service, blocking=True)

    def _failure(
        self, err: requests.RequestException, url: str, params: Mapping[str, Any] | None,
        name: str,
    ) -> LookupFailed:  # fmt: skip
        """The error for a person. ``str(err)`` holds the full URL, secrets included: only
        the OS's reason is taken from it, never the text itself."""
        shown = self._shown(url, params)
        text = str(err)
        if isinstance(err, ResponseTooLarge):  # "response larger than 8 MB from HOST"
            most = text.partition("larger than ")[2].partition(" from ")[0]
            return self._failed(name, f"with more than {most}", shown, network=False)
        if isinstance(err, BodyTimeout):
            why = f"the answer did not arrive within {self.timeout:g} s"
            return self._failed(name, why, shown, network=True)
        if isinstance(err, requests.Timeout) or "timed out" in text.lower():
            return self._failed(name, f"no answer within {self.timeout:g} s", shown, network=True)
        why = _reason(err, text)
        if isinstance(err, _NETWORK_ERRORS):
            return self._failed(name, why, shown, network=True)
        # Not sent at all (an address requests refuses, redirects without end): no answer.
        failed = LookupFailed(f"{name} could not be asked ({why})", network=False, why=why,
                              address=shown)  # fmt: skip
        _log.debug("%s: %s: %s", name, shown, why)
        return failed

    @staticmethod
    def _failed(name: str, why: str, address: str, *, network: bool,
                kind: type[LookupFailed] = LookupFailed, **more: Any) -> LookupFailed:  # fmt: skip
        """``kind.of``: the person's words, the address for the debug log alone."""
        _log.debug("%s: %s: %s", name, address, why)
        return kind.of(name, why, network=network, address=address, **more)

    def _shown(self, url: str, params: Mapping[str, Any] | None) -> str:
        """The URL as a person may read it, secret parameter values replaced by REDACTED."""
        try:
            full = requests.Request("GET", url, params=params).prepare().url or url
        except requests.RequestException:
            full = url
        parts = urlsplit(full)
        query = "&".join(
            f"{k}={'REDACTED' if k in self.secret_params else v}"
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        )
        return urlunsplit(parts._replace(query=query))

    def _recover(self, problem: str) -> None:
        """A file went bad while open: the limiter's if it no longer reads, else the cache.
        Move it aside (unless another process already did) and carry on with a fresh one."""
        if self.limiter is not None and self.limiter_path and probe(self.limiter_path):
            self.limiter.close()
            self.limiter = self.http.limiter = _make_limiter(
                self.service, self.rate_limit, self.limiter_path
            )
            return
        settings = self.http.settings  # the session's, kept by its cache backend
        self.http.cache.close()
        with FileLock(f"{self.cache_path}.lock"):
            if inode(self.cache_path) == self._cache_inode:
                move_aside(self.cache_path, problem)
        self.http.cache, self._cache_inode = open_sqlite(self.cache_path, self._new_cache)
        self.http.settings = settings


# -- the layers ------------------------------------------------------------------------------


class _LimitedCachedSession(CacheMixin, LimiterMixin, requests.Session):
    """Cache outermost, so that a cache hit never reaches the limiter."""


class _CachedSession(CacheMixin, requests.Session):
    """For a service without a limit (a local mirror)."""


class _PacedRetry(Retry):
    """urllib3's Retry with a real first back-off and a hook run before every retry.

    urllib3 retries the first failure immediately; a service that just said 503 deserves a
    pause. ``before_retry`` spends a token from the shared bucket, so the machine-wide limit
    holds for retries too (they happen inside urllib3, below the session's limiter).
    """

    before_retry: Callable[[], None] | None = None

    def new(self, **kw: Any) -> _PacedRetry:
        retry = super().new(**kw)
        retry.before_retry = self.before_retry
        return retry

    def get_backoff_time(self) -> float:
        failures = len(
            list(takewhile(lambda h: h.redirect_location is None, reversed(self.history)))
        )
        if failures == 0:
            return 0.0
        return float(min(self.backoff_max, self.backoff_factor * 2 ** (failures - 1)))

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None) -> _PacedRetry:  # fmt: skip
        """No retry after a refusal whose Retry-After is longer than a lookup waits: it comes
        back at once, to be judged by ``LookupSession.get``."""
        wait = asked_to_wait(response.headers) if response is not None else None
        if wait is not None and wait > self.retry_after_max:
            raise MaxRetryError(_pool, url)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response=None) -> None:
        with between_attempts():  # neither wait counts against the next attempt's time
            super().sleep(response)
            if self.before_retry is not None:
                self.before_retry()


def left_alone_for(seconds: float) -> str:
    """A Retry-After as a person says it: "60 minutes"."""
    return count(math.ceil(seconds / 60), "minute")


def asked_to_wait(headers: Mapping[str, str]) -> float | None:
    """The seconds an answer's Retry-After asks for, uncapped: None without one, or with one
    that is neither a number nor a date."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return Retry(retry_after_max=sys.maxsize).parse_retry_after(value)
    except InvalidHeader:
        return None


def _retry_policy(retries: int, backoff: float) -> _PacedRetry:
    """``retries`` more attempts on a failed connection or a 429/5xx, each after a back-off
    that doubles (capped) or the service's ``Retry-After``; a read that hangs is retried once
    only, and the final 429/5xx comes back to be judged by ``LookupSession.get``."""
    return _PacedRetry(
        total=retries,
        connect=retries,
        read=min(retries, 1),  # a server that hangs once may recover; twice, it is down
        status=retries,
        other=0,
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=max(backoff * 8, 1.0),
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_AFTER,
        raise_on_status=False,  # the final 429/5xx comes back and is judged in get()
    )


class _SpacedLimiter(Limiter):
    """pyrate-limiter's ``Limiter``, waiting by asking again.

    Its own blocking wait re-puts a waiting request with ``timestamp += slept``, its estimate
    of the time: a late wake-up would log an admission earlier than it happened and let
    another process in early. Asked without blocking, the limiter reads the clock under its
    lock (the bucket's file lock, shared by every process) at each try, so the log holds the
    true order and times of the machine's requests.
    """

    step = 0.05  # seconds between two tries; ``_make_limiter`` sets a tenth of the spacing

    def try_acquire(self, name="pyrate", weight=1, blocking=True, timeout=-1) -> bool:
        deadline = None if timeout == -1 else time.monotonic() + timeout
        # One try: timeout=0 rather than blocking=False, which hands a file lock a timeout
        # of False that filelock refuses (pyrate-limiter 4.5).
        while not super().try_acquire(name, weight, blocking=True, timeout=0):
            if not blocking or (deadline is not None and time.monotonic() >= deadline):
                return False
            time.sleep(self.step)
        return True


def _make_limiter(service: str, rate_limit: float, limiter_path: Path | None) -> Limiter | None:
    """One request per ``1/rate_limit`` s; shared through ``limiter_path`` when given.

    The rate is a spacing (``Rate(1, interval)``), not ``rate_limit`` per second, which would
    allow a burst of that many requests at once.
    """
    if rate_limit <= 0:
        return None
    interval_ms = max(1, math.ceil(1000 / rate_limit))
    rate = Rate(1, interval_ms)
    if limiter_path is None:
        bucket: AbstractBucket = InMemoryBucket([rate])
    else:
        limiter_path.parent.mkdir(parents=True, exist_ok=True)
        table = "rate_" + re.sub(r"[^A-Za-z0-9_]", "_", service)

        def open_bucket(path: Path) -> SQLiteBucket:
            # use_file_lock: the bucket's file lock (<path>.lock) is the limiter's lock, held
            # around each count-then-insert, so two processes never share one slot.
            try:
                return _SharedBucket.init_from_file(
                    [rate], table=table, db_path=str(path), create_new_table=True,
                    use_file_lock=True,
                )  # fmt: skip
            except sqlite3.OperationalError as err:
                raise locked(err, path, SQLITE_WAIT) from None

        bucket, _ = open_sqlite(limiter_path, open_bucket)
    limiter = _SpacedLimiter(bucket, buffer_ms=10)  # its leaker thread drops old entries
    limiter.step = min(max(interval_ms / 10_000, 0.005), 0.05)  # s between two tries
    return limiter


class _SharedBucket(SQLiteBucket):
    """pyrate-limiter's SQLite bucket, for a file another program may hold in a write.

    Its connection waits SQLite's default (``SQLITE_WAIT``) for another writer, then raises:
    a request's admission says which file, as ``CacheLocked`` (the batch stops in one line,
    not an error for every item); the leaker thread's round is skipped (the next one leaks),
    where pyrate-limiter would let the thread die with a traceback on the terminal.
    """

    def put(self, item: Any) -> bool:
        try:
            return super().put(item)
        except sqlite3.OperationalError as err:
            raise locked(err, Path(self.conn_path()), SQLITE_WAIT) from None

    def leak(self, current_timestamp: int | None = None) -> int:
        try:
            return super().leak(current_timestamp)
        except sqlite3.OperationalError as err:
            if not is_busy(err):
                raise
            return 0

    def conn_path(self) -> str:
        """The bucket's file, as its connection knows it."""
        return next((row[2] for row in self.conn.execute("PRAGMA database_list")), "")


# -- SQLite files that may be damaged ------------------------------------------------------


def _new_cache(path: Path, wait: float) -> SQLiteCache:
    # One process at a time: two processes creating the file at once race on "PRAGMA
    # journal_mode=WAL", which SQLite refuses ("database is locked") rather than waits for.
    with FileLock(f"{path}.lock"):
        wait_for_writes(path, wait)  # requests-cache would wait without end to create its tables
        return _HeldCache(path, write_wait=wait, wal=True)


class _HeldCache(SQLiteCache):
    """``SQLiteCache`` that waits ``write_wait`` seconds at most for another program's write.

    requests-cache begins each write again and again, without end, while another connection
    holds the file in a write: a cache that a database browser, a backup or a stuck process
    holds would hold the batch for ever, without a word. Before each of its writes, a write is
    begun here on a connection of our own, SQLite waiting up to ``write_wait``; then
    ``CacheLocked`` names the file and the fix.
    """

    def __init__(self, db_path: Path, *, write_wait: float, **kwargs: Any):
        self.write_wait = write_wait
        super().__init__(db_path, **kwargs)
        self._wait_for_writes = WriteWaiter(Path(self.db_path), write_wait)

    def save_response(self, response, cache_key=None, expires=None) -> None:
        self._wait_for_writes()
        super().save_response(response, cache_key, expires)

    def delete(self, *keys: str, **kwargs: Any) -> None:
        self._wait_for_writes()
        super().delete(*keys, **kwargs)

    def close(self) -> None:
        self._wait_for_writes.close()
        super().close()


def _credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without its ``user:password@``, and that pair (None when it has none)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.netloc.rpartition("@")[2]
    auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=host)), auth


def _reason(err: Exception, text: str) -> str:
    """A short cause for a person: the OS error if there is one, else the error's kind."""
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if match:
        return match.group(1).strip()
    for known in ("Connection refused", "Connection reset", "Remote end closed connection"):
        if known.lower() in text.lower():
            return known
    return type(err).__name__


class ServiceClient:
    """A web service's client over one ``LookupSession`` (its ``session``): closing the client
    closes the session, and ``with`` does so."""

    session: LookupSession

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
