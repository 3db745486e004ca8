"""Which addresses are this machine's own: what a server may bind to, and a scheduler may be
reached at, without a secret or TLS to guard what crosses the network."""

from __future__ import annotations

import errno
import ipaddress
import socket

from mediakeeper.core.errors import ConfigError


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.1``, ``::1``, ``[::1]``); a name other
    than ``localhost`` is not: only the network knows where it leads."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_own_address(host: str) -> bool:
    """Whether ``host`` is an address of one of this machine's interfaces (``192.0.2.2``,
    ``fd00::2``, ``[fd00::2]``), as they stand now (one gained since the start counts). The
    kernel binds a socket only to an address of its own, so a bind on a port of its choosing
    tells, on every system, with no list of interfaces kept. (It also binds a subnet's
    broadcast address, and any address where ``ip_nonlocal_bind`` is set: still an address,
    never a name, which is what DNS rebinding needs.) A name is never one: only the network
    knows."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if address.is_unspecified or address.is_multicast:  # bound, but no one machine's
        return False
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:  # EADDRNOTAVAIL: another machine's (EINVAL: a link-local without scope)
        return False
    return True


def listen(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to ``port`` on every address ``host`` names (``localhost``: 127.0.0.1
    and ::1; ``""``: every address), as asyncio's server would bind them, so a server told
    to start says first whether it can: a port in use or an address of another machine is a
    ``ConfigError`` naming the fix, before a word of serving is said."""
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)  # fmt: skip
    except socket.gaierror:
        raise ConfigError(f"{host} names no address here",
                          "check --host or [serve] host, or give an address") from None  # fmt: skip
    bound: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart at once
            if family == socket.AF_INET6:  # IPv6 alone: 0.0.0.0 has a socket of its own
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as err:
        for sock in bound:
            sock.close()
        raise _not_bound(host, port, err) from None
    return bound


def _not_bound(host: str, port: int, err: OSError) -> ConfigError:
    if err.errno == errno.EADDRINUSE:
        return ConfigError(f"port {port} is in use on {host or 'every address'}",
                           "another server holds it: stop it, or choose one: --port N")  # fmt: skip
    if err.errno == errno.EACCES:
        return ConfigError(f"port {port} needs privileges this user lacks",
                           "choose a port from 1024 up: --port N")  # fmt: skip
    if err.errno == errno.EADDRNOTAVAIL:
        return ConfigError(f"{host} is no address of this machine",
                           "bind one of its own, or 0.0.0.0 for every one: --host")  # fmt: skip
    return ConfigError(f"cannot listen on port {port} of {host}: {err.strerror}")
