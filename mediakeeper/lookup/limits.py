"""The bounds every web request is held to, whatever the service: a time limit for the whole
answer and a size limit on it.

requests' timeout bounds each wait for the socket, not the answer: a server that trickles one
byte every half second never trips a 2 s timeout and holds a batch forever, and one that
streams without end fills the memory. ``BoundedAdapter`` (mounted in every ``LookupSession``)
therefore reads each answer's body itself, before requests-cache sees the response:

* **Deadline.** Once the answer has begun (its status line and headers came, within the
  timeout), its whole body must arrive within the timeout too. A timer shuts the socket down
  when that time is up, which ends a read blocked on it at once. A late body is a
  ``BodyTimeout`` (a ``requests.Timeout``), tried again as often as a late first byte is,
  each new attempt waiting its turn in the rate limit.
* **Size.** An answer whose body goes past ``MAX_BYTES`` (``MAX_IMAGE_BYTES`` for an image)
  is dropped at that point and is a ``ResponseTooLarge``.

A failed read raises out of the adapter, so requests-cache never stores a cut answer; a cached
answer never reaches the adapter, so both bounds leave the cache as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
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
    """Gives every request the session's timeout unless the caller chose one, and reads each
    answer's body within that time and ``size_limit`` (see the module's docstring).

    ``before_retry`` runs before each new attempt after a late body (the session counts it and
    waits for the rate limit there, as it does for urllib3's own retries).
    """

    def __init__(
        self, timeout: float, retry: Retry, before_retry: Callable[[], None] | None = None
    ):
        self.default_timeout = timeout
        self.before_retry = before_retry
        super().__init__(max_retries=retry)

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
                # As often as a late first byte is retried (the Retry's read budget).
                late_bodies += 1
                if late_bodies > (self.max_retries.read or 0):
                    raise
                if self.before_retry is not None:
                    self.before_retry()


def _read_timeout(timeout) -> float | None:
    """The read part of requests' ``timeout`` (a number, or a (connect, read) pair)."""
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _read_body(response: requests.Response, seconds: float | None) -> None:
    """Read the body into ``response`` (as requests would) within ``seconds`` and the size
    limit; on failure the connection is closed and a ``requests`` error raised."""
    limit, received, size = size_limit(response), [], 0
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        with suppress(Exception):  # the body may just have ended and the socket gone back
            response.raw.shutdown()

    timer = threading.Timer(seconds, expire) if seconds is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                host = urlsplit(response.url).netloc
                raise ResponseTooLarge(
                    f"response larger than {limit // 2**20} MB from {host}", response=response
                )
            received.append(chunk)
            if expired.is_set():
                break
        if expired.is_set():
            raise BodyTimeout(f"the answer took longer than {seconds:g} s", response=response)
    except requests.RequestException as err:
        response.close()
        if expired.is_set() and not isinstance(err, ResponseTooLarge | BodyTimeout):
            raise BodyTimeout(
                f"the answer took longer than {seconds:g} s", response=response
            ) from None
        raise
    finally:
        if timer is not None:
            timer.cancel()
    response._content = b"".join(received)
    response._content_consumed = True
    response.raw.release_conn()

