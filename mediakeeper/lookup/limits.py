"""The bounds every web request is held to, whatever the service: a time limit for the whole
answer and a size limit on it, through what requests and urllib3 publish.

requests' timeout bounds each wait for the socket, not the answer: a server that trickles one
byte every half second never trips a 2 s timeout and holds a batch forever, and one that
streams without end fills the memory. ``BoundedAdapter`` (mounted in every ``LookupSession``)
holds each attempt to both bounds, below requests-cache:

* **Deadline.** Each attempt, from its start (connecting included), must bring its whole
  answer (status line, headers and body) within the read timeout; urllib3's own retries
  start a new attempt, and their back-off and the rate limit's wait are not counted.
  The moment the request is sent is not visible through urllib3's public API, so connecting
  counts against the answer's time (before, it had a timeout of its own).
  The status line and headers are awaited on a thread of their own (``_Attempt``): an answer
  whose headers have not all come by the deadline is a read timeout, as a silent server's
  is. That thread is then left to end on its own (a daemon: it holds one socket until the
  server stops or falls silent for the read timeout and ``LATE_READ`` more, and closes the
  late answer if one comes), because urllib3 publishes no way to cut a read before the
  response exists. urllib3's own read timeout is that much later than the deadline, so a
  late answer is retried here alone, within the Retry's read budget. The
  body is read here, a chunk at a time (``HTTPResponse.stream``); a timer cuts a read still
  blocked at the deadline through urllib3's public ``HTTPResponse.shutdown()``. A late body
  is a ``BodyTimeout`` (also a ``requests.Timeout``). Either is tried again as often as a
  read timeout is (the Retry's read budget), each new attempt waiting its turn in the rate
  limit.
* **Size.** An answer whose body goes past ``MAX_BYTES`` (``MAX_IMAGE_BYTES`` for an image)
  is dropped at that point and is a ``ResponseTooLarge``.

The adapter reads each body itself and hands requests a response whose ``raw`` holds the
bytes read (a ``urllib3.HTTPResponse`` over them), so a failed read raises out of it and
requests-cache never stores a cut answer; a cached answer never reaches the adapter, so the
cache is as it was.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from functools import partial
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict, HTTPResponse
from urllib3 import exceptions as urllib3_errors
from urllib3.util.retry import Retry

from mediakeeper.lookup.images import MAX_IMAGE_BYTES

MAX_BYTES = 8 * 2**20  # an API answer (MusicBrainz XML, TMDb JSON) is a few hundred kB
CHUNK = 64 * 1024
LATE_READ = 1.0  # seconds urllib3's read timeout falls after an attempt's deadline
# Headers that described the bytes on the wire, not the whole, decoded body handed on.
WIRE_HEADERS = ("Content-Encoding", "Transfer-Encoding", "Content-Length")


class HeadersTimeout(requests.exceptions.ReadTimeout):
    """The status line and headers did not all arrive within the timeout."""


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

    ``before_retry`` runs before each new attempt after a late answer (the session counts it
    and waits for the rate limit there, as it does for urllib3's own retries). ``sending``
    runs as a request is about to go to the network, before any answer: what the session
    counts as sent (a cache hit never reaches the adapter).
    """

    def __init__(
        self,
        timeout: float,
        retry: Retry,
        before_retry: Callable[[], None] | None = None,
        sending: Callable[[], None] | None = None,
    ):
        self.default_timeout = timeout
        self.before_retry = before_retry
        self.sending = sending
        super().__init__(max_retries=retry)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if self.sending is not None:
            self.sending()
        timeout = self.default_timeout if timeout is None else timeout
        connect, seconds = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        if seconds is not None:
            # urllib3's own read timeout falls after the attempt's deadline: the attempt says
            # when an answer is late and tries it again (below), so urllib3 never retries a
            # late read too. When both did (the two clocks racing on a loaded machine), one
            # read retry became two: three requests to a silent server.
            timeout = (connect, seconds + LATE_READ)
        send = partial(
            super().send, request, stream=True, timeout=timeout, verify=verify, cert=cert,
            proxies=proxies,
        )  # fmt: skip
        late_answers = 0
        while True:
            try:
                if seconds is None:  # no read timeout: nothing to hold it to
                    return _with_body(send(), None, None)
                attempt = _Attempt(seconds)
                return _with_body(attempt.run(send), attempt.deadline, seconds)
            except (HeadersTimeout, BodyTimeout):
                late_answers += 1
                if late_answers > (self.max_retries.read or 0):
                    raise
                if self.before_retry is not None:
                    self.before_retry()


@contextmanager
def between_attempts() -> Iterator[None]:
    """Around urllib3's back-off and the rate limit's wait before one of its own retries:
    that time is not the answer's, and the attempt after it gets a whole timeout. (A no-op
    outside an attempt's thread.)"""
    attempt: _Attempt | None = getattr(_sending, "attempt", None)
    if attempt is not None:
        attempt.pause()
    yield
    if attempt is not None:
        attempt.restart()


_sending = threading.local()  # on an attempt's thread: the ``_Attempt`` it sends for


class _Attempt:
    """One attempt's clock, shared by the caller waiting for the headers and the thread that
    sends the request and reads them."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.changed = threading.Condition()
        self.deadline: float | None = time.monotonic() + seconds  # None while paused
        self.finished = self.abandoned = False
        self.response: requests.Response | None = None
        self.error: BaseException | None = None

    def run(self, send: Callable[[], requests.Response]) -> requests.Response:
        """``send()``'s response once its headers are in, or ``HeadersTimeout`` at the
        deadline."""
        threading.Thread(target=self._send, args=(send,), name="lookup", daemon=True).start()
        with self.changed:
            while not self.finished:
                if self.deadline is None:
                    self.changed.wait()
                elif (left := self.deadline - time.monotonic()) > 0:
                    self.changed.wait(left)
                else:
                    self.abandoned = True
                    raise HeadersTimeout(f"Read timed out: no answer within {self.seconds:g} s")
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response

    def _send(self, send: Callable[[], requests.Response]) -> None:
        _sending.attempt = self
        response, error = None, None
        try:
            response = send()
        except BaseException as err:  # handed to the caller, raised there
            error = err
        with self.changed:
            self.response, self.error, self.finished = response, error, True
            abandoned = self.abandoned
            self.changed.notify_all()
        if abandoned and response is not None:
            response.close()  # came too late: nobody reads it

    def pause(self) -> None:
        with self.changed:
            self.deadline = None
            self.changed.notify_all()

    def restart(self) -> None:
        with self.changed:
            if self.abandoned:  # the caller has given up: make no further attempt
                raise requests.exceptions.ConnectionError("given up at the deadline")
            self.deadline = time.monotonic() + self.seconds
            self.changed.notify_all()


# -- the body ----------------------------------------------------------------------------------


def _with_body(
    response: requests.Response, deadline: float | None, seconds: float | None
) -> requests.Response:
    """``response`` with its whole body read by ``deadline`` and within the size limit, as
    a ``raw`` over those bytes; on failure the connection is closed and a ``requests`` error
    raised."""
    cut = _timer(deadline - time.monotonic(), response.raw.shutdown) if deadline else None
    try:
        with cut or nullcontext():
            body = _read_within(response, deadline)
        if deadline is not None and time.monotonic() >= deadline:  # a shut socket reads as
            raise requests.exceptions.ChunkedEncodingError("cut short")  # an end: not whole
    except requests.RequestException as err:
        response.close()
        late = deadline is not None and time.monotonic() >= deadline
        if late and not isinstance(err, ResponseTooLarge):
            raise BodyTimeout(
                f"the answer took longer than {seconds or 0:g} s", response=response
            ) from None
        raise
    response.raw.release_conn()
    response.raw = _bytes_as_raw(response.raw, body)
    response.headers = CaseInsensitiveDict(response.raw.headers)
    return response


def _read_within(response: requests.Response, deadline: float | None) -> bytes:
    """The decoded body, a chunk at a time, up to the size limit; urllib3's errors as the
    ones requests raises for them."""
    limit, received, size = size_limit(response), [], 0
    try:
        for chunk in response.raw.stream(CHUNK, decode_content=True):
            size += len(chunk)
            if size > limit:
                host = urlsplit(response.url).netloc
                raise ResponseTooLarge(
                    f"response larger than {limit // 2**20} MB from {host}", response=response
                )
            received.append(chunk)
            if deadline is not None and time.monotonic() >= deadline:
                raise requests.exceptions.ChunkedEncodingError("cut short at the deadline")
    except requests.RequestException:  # ours (an OSError too, as requests' errors are)
        raise
    except urllib3_errors.DecodeError as err:
        raise requests.exceptions.ContentDecodingError(err) from None
    except urllib3_errors.ReadTimeoutError as err:
        raise requests.ConnectionError(err) from None
    except (urllib3_errors.ProtocolError, urllib3_errors.SSLError, OSError) as err:
        raise requests.exceptions.ChunkedEncodingError(err) from None
    return b"".join(received)


def _bytes_as_raw(raw: HTTPResponse, body: bytes) -> HTTPResponse:
    """A urllib3 response over ``body`` (already decoded), with ``raw``'s status and headers,
    for requests (``response.content``) and requests-cache to read."""
    headers = HTTPHeaderDict(raw.headers)
    for name in WIRE_HEADERS:
        headers.discard(name)
    headers["Content-Length"] = str(len(body))
    return HTTPResponse(
        body=io.BytesIO(body), headers=headers, status=raw.status, version=raw.version,
        reason=raw.reason, preload_content=False, decode_content=False,
        request_method=None, request_url=raw.url, retries=raw.retries,
    )  # fmt: skip


@contextmanager
def _timer(seconds: float, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` in ``seconds`` unless the block has ended."""

    def expire() -> None:
        with suppress(Exception):  # the answer may be whole and its connection released
            action()

    timer = threading.Timer(max(seconds, 0.0), expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
