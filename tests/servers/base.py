"""What the fake web services share: a threaded HTTP server on 127.0.0.1 that records every
request and can be told to misbehave for the next few requests.

A service subclasses :class:`FakeService` (its data and answers) and :class:`RecordingHandler`
(``answer``: how one GET is answered, given the fault that applies to it, if any). Faults are
taken in the order they were added, each by the first requests whose path it matches.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    received: float  # time.monotonic() when the request line was read
    status: int = 0  # what the server answered (0 while in flight)

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


# An 8x8 baseline JPEG (made with ffmpeg): what a cover download receives.
COVER_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgQEBMQExYWFhYWFhoYGhsbGxoaGhob"
    "GxsdHR0iIiIdHR0bGx0dICAiIiUmJSMjIiMmJigoKDAwLi44ODpFRVP/xABMAAEBAAAAAAAAAAAAAAAAAAAABgEB"
    "AQAAAAAAAAAAAAAAAAAABQYQAQAAAAAAAAAAAAAAAAAAAAARAQAAAAAAAAAAAAAAAAAAAAD/wAARCAAIAAgDASIA"
    "AhEAAxEA/9oADAMBAAIRAxEAPwCOACKJ/9k="
)
# A 1x1 PNG: what a cover or poster download receives when the service holds a PNG.
COVER_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_IMAGE_TYPES = ((b"\x89PNG", "image/png"), (b"GIF8", "image/gif"), (b"RIFF", "image/webp"))


def image_type(data: bytes) -> str:
    """The Content-Type an image server sends with ``data``, as the real ones do."""
    return next((kind for start, kind in _IMAGE_TYPES if data.startswith(start)), "image/jpeg")


@dataclass
class Fault:
    kind: str  # "status", "delay", "hold", "malformed", "trickle" or "endless"
    remaining: int | None  # None = every matching request from now on
    path: str | None = None  # only requests whose path starts with this
    status: int = 503
    retry_after: str | None = None
    seconds: float = 0.0  # "delay": before the answer; "trickle": between its body's bytes
    body: bytes | None = None  # "malformed": this instead of the real answer cut short
    content_type: str = "application/xml"  # "endless": what the body claims to be
    whole: bool = False  # "trickle": the status line and headers too, not just the body

    def headers(self) -> dict[str, str]:
        """A refusal's headers: its Retry-After, if it was given one."""
        return {"Retry-After": self.retry_after} if self.retry_after else {}


class FakeService:
    """Start, stop, the URL, the request record and the faults of one fake service."""

    handler: ClassVar[type[RecordingHandler]]
    refusal: ClassVar[int] = 503  # what fail() answers unless told otherwise

    def __init__(self) -> None:
        self._records: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._let_go = threading.Semaphore(0)  # a token for each held request let go
        self._httpd: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self):
        if self._httpd is None:
            self._stopping.clear()
            self._httpd = _QuietServer(("127.0.0.1", 0), self.handler)
            self._httpd.fake = self
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # so that stop() returns at once
                name=type(self).__name__,
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._stopping.set()  # wakes any request sleeping in a delay fault
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- the record -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def clear_requests(self) -> None:
        with self._lock:
            self._records.clear()

    # -- faults -----------------------------------------------------------------------------

    def fail(
        self,
        status: int | None = None,
        *,
        times: int | None = 1,
        retry_after: float | str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer ``status`` (default: the service's usual refusal) with the service's error
        body to the next ``times`` requests (None = to every request)."""
        retry = None if retry_after is None else str(retry_after)
        status = self.refusal if status is None else status
        self.add_fault(Fault("status", times, path, status=status, retry_after=retry))

    def delay(self, seconds: float, *, times: int | None = 1, path: str | None = None) -> None:
        """Wait ``seconds`` before answering the next ``times`` requests."""
        self.add_fault(Fault("delay", times, path, seconds=seconds))

    def hold(
        self, status: int | None = None, *, times: int | None = 1, path: str | None = None
    ) -> None:
        """Hold the next ``times`` requests (None = every one) until ``let_go`` lets them
        go, each then answered ``status`` (with the service's error body), or as usual."""
        self.add_fault(Fault("hold", times, path, status=status or 0))

    def let_go(self, requests: int = 1_000_000) -> None:
        """Let go ``requests`` held requests (or held later), first held first."""
        self._let_go.release(requests)

    def malformed(
        self, *, times: int | None = 1, path: str | None = None, body: bytes | None = None
    ) -> None:
        """Answer 200 with the real answer cut short, or with ``body`` (e.g. a web page, as a
        captive portal would send)."""
        self.add_fault(Fault("malformed", times, path, status=200, body=body))

    def trickle(
        self,
        seconds: float = 0.5,
        *,
        whole: bool = False,
        times: int | None = 1,
        path: str | None = None,
    ) -> None:
        """Send the real answer at once up to its body, then the body one byte every
        ``seconds`` (each wait well within any timeout a client sets per read); ``whole``:
        every byte of the answer so, from the status line on."""
        self.add_fault(Fault("trickle", times, path, seconds=seconds, whole=whole))

    def endless(
        self,
        content_type: str = "application/xml",
        *,
        times: int | None = 1,
        path: str | None = None,
    ) -> None:
        """Answer 200 with a body that never ends (no Content-Length; until the client goes)."""
        self.add_fault(Fault("endless", times, path, content_type=content_type))

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or path.startswith(fault.path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: Any

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (timeout) closes its socket mid-answer: not news


class RecordingHandler(BaseHTTPRequestHandler):
    """Records each GET, applies a delay fault, then leaves the answer to ``answer``."""

    protocol_version = "HTTP/1.1"
    _byte_every = 0.0  # seconds between a trickled body's bytes (0: all at once)
    _trickle_head = False  # the status line and headers trickle too
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall
    server: _QuietServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        record = RecordedRequest(
            method="GET",
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            received=time.monotonic(),
        )
        with fake._lock:
            fake._records.append(record)
        fault = fake._take_fault(parts.path)
        if fault is not None and fault.kind == "hold":
            while not fake._let_go.acquire(timeout=0.05):
                if fake._stopping.is_set():
                    return  # the server is stopping
            fault = replace(fault, kind="status") if fault.status else None
        if fault is not None and fault.kind == "delay":
            if fake._stopping.wait(fault.seconds):
                return  # the server is stopping
            fault = None
        if fault is not None and fault.kind == "endless":
            return self._send_endless(record, fault.content_type)
        self._byte_every, self._trickle_head = 0.0, False
        if fault is not None and fault.kind == "trickle":
            self._byte_every, self._trickle_head, fault = fault.seconds, fault.whole, None
        self.answer(fake, record, fault)

    def answer(self, fake: Any, record: RecordedRequest, fault: Fault | None) -> None:
        raise NotImplementedError

    def send(self, record: RecordedRequest, status: int, body: bytes, headers: dict[str, str]):
        """Answer with ``headers`` (which name the Content-Type) and ``body``."""
        record.status = status
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self._write(body, self._byte_every)
        except OSError:
            self.close_connection = True  # the client is gone

    def flush_headers(self) -> None:
        if self._trickle_head and getattr(self, "_headers_buffer", None):
            head, self._headers_buffer = b"".join(self._headers_buffer), []
            self._write(head, self._byte_every)
        else:
            super().flush_headers()

    def _write(self, data: bytes, byte_every: float) -> None:
        """All of ``data`` at once, or one byte every ``byte_every`` seconds."""
        if not byte_every:
            self.wfile.write(data)
        for i in range(len(data) if byte_every else 0):
            if self.server.fake._stopping.wait(byte_every):
                raise OSError("the server is stopping")
            self.wfile.write(data[i : i + 1])

    def _send_endless(self, record: RecordedRequest, content_type: str) -> None:
        record.status = 200
        self.close_connection = True
        chunk = b"<x>" + b"0" * 65533  # 64 kB
        try:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            while not self.server.fake._stopping.is_set():
                self.wfile.write(chunk)
        except OSError:
            pass  # the client is gone
