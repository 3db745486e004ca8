"""What the serve, page and alert tests share: a real ``mediakeeper serve`` on a free port,
real scripts in other processes, a local webhook receiver, and a reader of server-sent
events over a real HTTP connection."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from tests.helpers import REPO_ROOT, script_env, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_addresses() -> list[str]:
    """This machine's addresses off loopback, found apart from the toolkit: the one the
    kernel's routes would send from to a far address, IPv4 and IPv6 (a UDP connect sends
    nothing); none on a machine without a route."""
    found = []
    for family, far in ((socket.AF_INET, "198.51.100.1"), (socket.AF_INET6, "2001:db8::1")):
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((far, 9))
            except OSError:
                continue
            found.append(probe.getsockname()[0])
    return found


def script(*args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m mediakeeper ARGS`` run to its end (text output)."""
    return subprocess.run([sys.executable, "-m", "mediakeeper", *map(str, args)], cwd=REPO_ROOT,
                          env={**script_env(), **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    home: Path

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.url + path, timeout=30, **kw)

    def post(self, path: str, body=None, **kw) -> requests.Response:
        return requests.post(self.url + path, json=body, timeout=90, **kw)

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then its exit code and everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return self.process.returncode, out


# ``python -c`` of a server whose every read of the home made on the event loop's thread
# (a file opened, a folder listed: Python's audit events) is printed as it happens: a
# handler that reads the disk there holds every other request and the event stream.
_LOOP_READS = """
import asyncio, os, sys
home = os.environ["LOOP_READS_OF"]
def on_the_loop(event, args):
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    path = args[0]
    if not isinstance(path, (str, bytes, os.PathLike)) or not os.fsdecode(path).startswith(home):
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread's read: none runs there
        return
    sys.__stdout__.write(f"READ ON THE LOOP: {event} {os.fsdecode(path)}\\n")
sys.addaudithook(on_the_loop)
sys.argv[0] = "mediakeeper"
from mediakeeper.cli.startup import console
console()
"""
LOOP_READ = "READ ON THE LOOP"


def serve(home: Path, *args, env: dict | None = None, host: str = "127.0.0.1",
          port: int | None = None, loop_reads: bool = False) -> Server:  # fmt: skip
    """Start ``mediakeeper serve`` and wait until it answers ``/ping`` (on ``port``: a server
    started again where a page knows it; else a free one). ``loop_reads``: every read of the
    home on the event loop printed (``LOOP_READ``), which ``Server.stop`` returns."""
    port = port or free_port()
    command = ["-c", _LOOP_READS] if loop_reads else ["-m", "mediakeeper"]
    if loop_reads:
        env = {**(env or {}), "LOOP_READS_OF": str(Path(home).resolve())}
    process = subprocess.Popen(
        [sys.executable, *command, "serve", "--home", str(home), "--host", host,
         "--port", str(port), *args],
        cwd=REPO_ROOT, env={**script_env(), **(env or {})}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"serve ended: {process.communicate()[0]}")
        try:
            return requests.get(url + "/ping", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    assert wait_until(up, limit=60)
    return Server(process, url, home)


def page_errors(page) -> list[str]:
    """The JavaScript errors ``page`` (Playwright's) throws from now on, gathered as they
    come: a test of the page ends by finding it empty."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def read_events(response: requests.Response, into: list, stop: threading.Event) -> None:
    """The events of an open ``/api/events`` response, as dicts with ``id``, ``event`` and
    ``data`` (decoded), appended to ``into`` until the stream ends or ``stop`` is set."""
    with contextlib.suppress(requests.RequestException, AttributeError, OSError):
        _read(response, into, stop)  # until the test hangs up


def _read(response: requests.Response, into: list, stop: threading.Event) -> None:
    event: dict = {}
    for line in response.iter_lines(decode_unicode=True):
        if stop.is_set():
            break
        if line == "":
            if "data" in event:
                event["data"] = json.loads(event["data"])
                into.append(event)
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


@dataclass
class Stream:
    """An ``/api/events`` stream read in a thread."""

    response: requests.Response
    events: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=read_events,
                                       args=(self.response, self.events, self.stop), daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Hang up at once (a close alone waits for the next line: a heartbeat away)."""
        self.stop.set()
        connection = getattr(self.response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(10)
        self.response.close()


def open_stream(server: Server, **headers) -> Stream:
    response = requests.get(server.url + "/api/events", stream=True, timeout=60, headers=headers)
    assert response.status_code == 200
    return Stream(response)


@dataclass
class Receiver:
    """A local webhook: every POST's JSON body, in order."""

    server: ThreadingHTTPServer
    bodies: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook?key=SECRET-IN-URL"


def receiver() -> Receiver:
    bodies: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Receiver(server, bodies)


def proxy(prefix: str, target: str, *, strip: bool) -> ThreadingHTTPServer:
    """A small reverse proxy serving ``target`` under ``prefix``, passing the Host on (as
    Caddy and Traefik do, and nginx with ``proxy_set_header Host $http_host``); ``strip``: the
    prefix taken off the path it passes on. Bodies stream through (the event stream)."""

    class Handler(BaseHTTPRequestHandler):
        def _forward(self):
            if not self.path.startswith(prefix):
                self.send_error(404)
                return
            path = self.path[len(prefix):] or "/" if strip else self.path
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
            answer = requests.request(self.command, target + path, data=body, headers=headers,
                                      stream=True, allow_redirects=False, timeout=60)  # fmt: skip
            self.send_response(answer.status_code)
            for key, value in answer.headers.items():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Connection", "close")
            self.end_headers()
            with contextlib.suppress(OSError, requests.RequestException):
                for chunk in answer.iter_content(chunk_size=None):  # each as it comes
                    self.wfile.write(chunk)
                    self.wfile.flush()
            answer.close()

        do_GET = do_POST = _forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def described(page) -> list[tuple[str, str, str]]:
    """Every button and link of a Playwright page as Chromium's accessibility tree gives it
    to a screen reader: (role, name, description)."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    return [(n["role"]["value"], n.get("name", {}).get("value", ""),
             n.get("description", {}).get("value", ""))
            for n in tree if n.get("role", {}).get("value") in ("button", "link")]  # fmt: skip
