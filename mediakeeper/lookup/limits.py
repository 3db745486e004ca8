"""The bounds every web request is held to, whatever the service: a time limit for the whole
answer and a size limit on it.

requests' timeout bounds each wait for the socket, not the answer: a server that trickles one
byte every half second never trips a 2 s timeout and holds a batch forever, and one that
streams without end fills the memory. ``BoundedAdapter`` (mounted in every ``LookupSession``)
holds each attempt to both bounds, below requests-cache:

* **Deadline.** Connecting may take up to the timeout; from the moment the request is sent,
  the whole answer (status line, headers and body) must arrive within the timeout. A timer
  shuts the socket's reading side when that time is up, which ends a read blocked on it at
  once. An answer that has not begun by then is a read timeout, as a silent server's is; one
  whose body is late is a ``BodyTimeout`` (also a ``requests.Timeout``). Either is tried again
  as often as a read timeout is (the Retry's read budget), each new attempt waiting its turn
  in the rate limit.
* **Size.** An answer whose body goes past ``MAX_BYTES`` (``MAX_IMAGE_BYTES`` for an image)
  is dropped at that point and is a ``ResponseTooLarge``.

The adapter reads each body itself, so a failed read raises out of it and requests-cache never
stores a cut answer; a cached answer never reaches the adapter, so the cache is as it was.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager, ProxyManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.retry import Retry

MAX_BYTES = 8 * 2**20  # an API answer (MusicBrainz XML, TMDb JSON) is a few hundred kB
MAX_IMAGE_BYTES = 64 * 2**20  # a cover scan or an original-size poster: tens of MB at most
_CHUNK = 64 * 1024


class BodyTimeout(requests.exceptions.ReadTimeout):
    """The answer began but its body did not arrive within the timeout."""


class ResponseTooLarge(requests.RequestException):
    """The body went past the size limit. ``str()`` says so without the URL (it may hold a
    secret): "response larger than 8 MB from HOST"."""


def size_limit(response: requests.Response) -> int:
    """The most a body may be: an image may be larger than an API answer."""
    kind = response.headers.get("Content-Type", "").strip().lower()
    return MAX_IMAGE_BYTES if kind.startswith("image/") else MAX_BYTES


class BoundedAdapter(HTTPAdapter):
    """Gives every request the session's timeout unless the caller chose one, and holds each
    answer to it and to ``size_limit`` (see the module's docstring).

    ``before_retry`` runs before each new attempt after a late body (the session counts it and
    waits for the rate limit there, as it does for urllib3's own retries).
    """

    def __init__(
        self, timeout: float, retry: Retry, before_retry: Callable[[], None] | None = None
    ):
        self.default_timeout = timeout
        self.before_retry = before_retry
        super().__init__(max_retries=retry)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        _bound(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        return _bound(super().proxy_manager_for(proxy, **proxy_kwargs))

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        timeout = self.default_timeout if timeout is None else timeout
        late_bodies = 0
        while True:
            response = super().send(
                request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )
            try:
                _read_body(response, _read_timeout(timeout))
                return response
            except BodyTimeout:
                late_bodies += 1
                if late_bodies > (self.max_retries.read or 0):
                    raise
                if self.before_retry is not None:
                    self.before_retry()


# -- the answer's deadline, from the moment the request is sent ------------------------------


class _AnswerDeadline:
    """Mixed into urllib3's connections: ``getresponse`` (called once the request is sent,
    with ``timeout`` set to the read timeout) starts the answer's clock. An answer that has not
    begun when it runs out is a socket timeout, which urllib3 treats as any read timeout."""

    timeout: object
    sock: socket.socket | None

    def getresponse(self):
        seconds = self.timeout
        if not isinstance(seconds, int | float) or self.sock is None:
            return super().getresponse()  # no read timeout: nothing to hold it to
        deadline, sock = time.monotonic() + seconds, self.sock
        with _timer(seconds, lambda: sock.shutdown(socket.SHUT_RD)) as expired:
            try:
                response = super().getresponse()
            except Exception:
                if expired.is_set():
                    raise TimeoutError(f"no answer within {seconds:g} s") from None
                raise
        if expired.is_set():  # just as the headers came: the body would find a shut socket
            response.close()
            raise TimeoutError(f"no answer within {seconds:g} s")
        response.answer_deadline = deadline
        return response


class _HTTPConnection(_AnswerDeadline, HTTPConnection):
    pass


class _HTTPSConnection(_AnswerDeadline, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _bound(manager):
    """``manager`` with connections that keep the deadline (a SOCKS proxy's own connections
    are left as they are: their bodies still keep it)."""
    if type(manager) in (PoolManager, ProxyManager):
        manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


@contextmanager
def _timer(seconds: float, action: Callable[[], None]) -> Iterator[threading.Event]:
    """Run ``action`` in ``seconds`` unless the block has ended; the event says it ran."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        with suppress(Exception):  # the socket may be closed or back in the pool by now
            action()

    timer = threading.Timer(max(seconds, 0.0), expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


# -- the body ----------------------------------------------------------------------------------


def _read_timeout(timeout) -> float | None:
    """The read part of requests' ``timeout`` (a number, or a (connect, read) pair)."""
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _read_body(response: requests.Response, seconds: float | None) -> None:
    """Read the body into ``response`` (as requests would) by the answer's deadline and
    within the size limit; on failure the connection is closed and a ``requests`` error
    raised."""
    deadline = getattr(response.raw, "answer_deadline", None)
    if deadline is None and seconds is not None:  # (a connection without the mixin)
        deadline = time.monotonic() + seconds
    if deadline is None:
        _read_within(response, None)
    else:
        with _timer(deadline - time.monotonic(), response.raw.shutdown) as expired:
            try:
                _read_within(response, expired)
            except requests.RequestException as err:
                late = expired.is_set() or time.monotonic() >= deadline
                if late and not isinstance(err, ResponseTooLarge):
                    raise BodyTimeout(
                        f"the answer took longer than {seconds or 0:g} s", response=response
                    ) from None
                raise
    response.raw.release_conn()


def _read_within(response: requests.Response, expired: threading.Event | None) -> None:
    limit, received, size = size_limit(response), [], 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                host = urlsplit(response.url).netloc
                raise ResponseTooLarge(
                    f"response larger than {limit // 2**20} MB from {host}", response=response
                )
            received.append(chunk)
            if expired is not None and expired.is_set():
                raise requests.exceptions.ChunkedEncodingError("cut short at the deadline")
    except requests.RequestException:
        response.close()
        raise
    response._content = b"".join(received)
    response._content_consumed = True
