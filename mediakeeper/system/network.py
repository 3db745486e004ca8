"""Which addresses are this machine's own: what a server may bind to, and a scheduler may be
reached at, without a secret or TLS to guard what crosses the network."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.1``, ``::1``, ``[::1]``); a name other
    than ``localhost`` is not: only the network knows where it leads."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
