"""Which addresses are this machine's own: what a server may bind to, and a scheduler may be
reached at, without a secret or TLS to guard what crosses the network."""

from __future__ import annotations

import ipaddress
import socket


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
    ``fd00::2``, ``[fd00::2]``), as they stand now (a lease renewed since counts). The kernel
    binds a socket only to an address of its own, so a bind on a port of its choosing tells,
    on every system, with no list of interfaces kept. (It also binds a subnet's broadcast
    address, and any address where ``ip_nonlocal_bind`` is set: still an address, never a
    name, which is what DNS rebinding needs.) A name is never one: only the network knows."""
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
