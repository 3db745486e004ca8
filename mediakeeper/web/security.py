"""Who may ask what: the token, the Host (DNS rebinding) and the Origin (another site's page
in the person's browser). A plain ASGI middleware, so the event stream streams through it.

- ``Host`` must be the bound name, ``localhost``, a loopback address (or, bound to every
  address, this machine's own name or one of its interfaces' addresses: an address is no
  name DNS could rebind; ``0.0.0.0`` and ``::`` are none of them): anything else is 421,
  whatever the token.
- A state-changing request (not GET/HEAD) whose ``Origin`` (or, without one, ``Referer``) is
  another site than the one asked (name and port, a default port written or not) is 403, on
  loopback too. No CORS headers are ever sent.
- With a token, everything but ``/ping`` (and the page's static files, its icon and its
  sign-in) needs ``Authorization: Bearer TOKEN`` or the cookie the page's sign-in sets
  (HttpOnly, SameSite=Strict; Secure on an https page); the API answers 401 without it,
  the page shows its sign-in form, which leads back to the page asked. A token in a query
  string counts for nothing.

A token is a real secret or none (``core.tokens``: refused before the server starts, and
here), compared in constant time on its bytes.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request

from mediakeeper.core.tokens import checked_token, same_token
from mediakeeper.system.network import is_loopback, is_own_address

COOKIE = "mediakeeper_token"
OPEN_PATHS = ("/ping", "/static/", "/favicon.ico")  # answered without the token
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
DEFAULT_PORTS = {"http": 80, "https": 443}  # the port an Origin without one is on
EVERY_ADDRESS = ("0.0.0.0", "::", "")  # the binds that answer on every interface

ASGI = Callable[[dict, Callable, Callable], Awaitable[None]]


def allowed_hosts(bound: str) -> set[str]:
    """The names a Host may give: the bound one, ``localhost``; bound to every address, this
    machine's names instead of the bind's own ``0.0.0.0`` or ``::``, which no page of this
    machine's is at: a browser lets another site's page reach 0.0.0.0 ("0.0.0.0 day")."""
    if bound in EVERY_ADDRESS:
        return {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
    return {bound.lower(), "localhost"}


def page_host(bound: str) -> str:
    """The host of the page's address as ``serve`` says it: the bound one, or bound to every
    address this machine's name, which ``allowed_hosts`` answers to (its ``0.0.0.0`` or
    ``::`` would be refused, as any page of another site asking it is)."""
    if bound in EVERY_ADDRESS:
        return socket.gethostname().lower()
    return f"[{bound}]" if ":" in bound else bound


def host_name(value: str) -> str:
    """``example.org:8000`` -> ``example.org``; ``[::1]:8000`` -> ``::1``."""
    if value.startswith("["):
        return value[1 : value.find("]")].lower()
    return value.rsplit(":", 1)[0].lower() if value.count(":") == 1 else value.lower()


def same_site(page: str, host: str) -> bool:
    """Whether the page at ``page`` (an ``Origin`` or ``Referer``) is on the site the ``Host``
    header ``host`` names: the same name and port, a port left out being the default of the
    page's scheme (a browser leaves https's 443 out of its Origin; a proxy may put it in the
    Host). A port that differs is another site, as it is to the browser."""
    try:
        seen, asked = urlsplit(page), urlsplit("//" + host)
        default = DEFAULT_PORTS.get(seen.scheme)
        ports = [default if p is None else p for p in (seen.port, asked.port)]
    except ValueError:  # a port that is no number
        return False
    return (default is not None and seen.hostname is not None
            and seen.hostname == asked.hostname and ports[0] == ports[1])  # fmt: skip


def asking_page(headers: Any) -> str:
    """The page a request comes from, as the browser says it: its ``Origin`` or, without
    one, its ``Referer``; "" when neither is sent (no browser's cross-site request)."""
    return headers.get("origin") or headers.get("referer") or ""


def from_https_page(headers: Any) -> bool:
    """Whether the browser's page is https, though the request reached this server over
    plain HTTP (a reverse proxy that ends TLS): its cookie is then to go over https alone."""
    return asking_page(headers).startswith("https://")


class Guard:
    """The middleware: ``app`` behind the checks above; ``base_path`` taken off a path that
    carries it (a proxy that keeps the prefix; one that strips it sends the path bare)."""

    def __init__(self, app: ASGI, *, host: str, token: str, base_path: str):
        self.app, self.token, self.base_path = app, checked_token(token), base_path
        self.hosts = allowed_hosts(host)
        self.every_address = host in EVERY_ADDRESS

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope = dict(scope)
        path = scope["path"]
        if self.base_path and (path == self.base_path or path.startswith(self.base_path + "/")):
            path = path[len(self.base_path):] or "/"
        # As ASGI has it: the full path, and the prefix the app is mounted under.
        scope["path"], scope["root_path"] = self.base_path + path, self.base_path
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        name = host_name(headers.get("host", ""))
        if not (name in self.hosts or is_loopback(name)
                or (self.every_address and is_own_address(name))):  # a NAS asked by its IP
            return await _answer(send, 421, "this server does not answer to that Host")
        if scope["method"] not in SAFE_METHODS and not self._same_site(headers):
            return await _answer(send, 403, "a request from another site is refused")
        if self.token and not path.startswith(OPEN_PATHS) and not self._signed(scope, headers):
            if path.startswith(("/api/", "/metrics", "/healthz")):
                return await _answer(send, 401, "give Authorization: Bearer TOKEN",
                                     {"www-authenticate": "Bearer"})  # fmt: skip
            # The page shows its sign-in form (``/login`` is it), leading back to the page
            # asked (``asked_page``).
            scope["signed_in"] = False
        return await self.app(scope, receive, send)

    def _same_site(self, headers: dict[str, str]) -> bool:
        source = asking_page(headers)
        if not source:
            return True  # not a browser's cross-site request (a browser sends Origin)
        if source == "null":
            return False
        return same_site(source, headers.get("host", ""))

    def _signed(self, scope: dict, headers: dict[str, str]) -> bool:
        given = ""
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            given = value.strip()
        else:
            # Read as a browser writes them, pair by pair: the browser sends every cookie of
            # the host, another app's on another port too, and one that SimpleCookie cannot
            # parse (JSON, a space) made it give up on the whole header, ours with it.
            given = Request(scope).cookies.get(COOKIE, "")
        return same_token(given, self.token)


def asked_page(scope: dict) -> str:
    """The page a request asks, within the server (the base path the guard put in front
    taken off), as a link writes it: where the sign-in leads once the token is given."""
    path = scope["path"][len(scope.get("root_path", "")) :] or "/"
    asked = quote(path, safe="/:@!$&'()*+,;=~")
    query_string = scope.get("query_string", b"").decode("latin-1")
    return f"{asked}?{query_string}" if query_string else asked


async def _answer(send: Callable, status: int, message: str, extra: dict | None = None) -> None:
    body = json.dumps({"error": message}).encode()
    headers: list[Any] = [(b"content-type", b"application/json"),
                          (b"content-length", str(len(body)).encode())]  # fmt: skip
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
