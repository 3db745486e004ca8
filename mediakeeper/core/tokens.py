"""A shared secret a person sets (``[serve] token``, and any later one a server or a worker
checks): a real secret or none.

At least ``SHORTEST_TOKEN`` characters of ``TOKEN_ALPHABET``: no blank, no white space,
nothing a header, a cookie or a form would carry altered; compared in constant time on its
bytes (``same_token``). A setting that breaks the rule is refused in one line that never
shows it and says how to make one (``MAKE_A_TOKEN``).
"""

from __future__ import annotations

import hmac
import re

from mediakeeper.core.errors import ConfigError

# 16 characters of the alphabet below hold about 96 bits: past guessing over a network.
# What secrets.token_urlsafe(32) makes (43 characters) is the advice.
SHORTEST_TOKEN = 16
# RFC 6750's b64token: what ``Authorization: Bearer`` carries, and what a cookie and a form
# carry unchanged. A token with a space or a non-ASCII letter would work in one and not in
# another (a header is read as Latin-1, a form as UTF-8): refused, not half-working.
TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9._~+/=-]+")
MAKE_A_TOKEN = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


def checked_token(token: str, setting: str = "[serve] token") -> str:
    """``token`` if it is a real secret, "" if none is set; ConfigError naming ``setting``
    (never the token) otherwise: blank or white space, outside ``TOKEN_ALPHABET``, short."""
    if token == "":
        return ""
    if not token.strip():
        problem = "is blank"
    elif not TOKEN_ALPHABET.fullmatch(token):
        problem = "holds a space or a character outside A-Z a-z 0-9 - . _ ~ + / ="
    elif len(token) < SHORTEST_TOKEN:
        problem = f"is shorter than {SHORTEST_TOKEN} characters"
    else:
        return token
    raise ConfigError(f"{setting} {problem}", MAKE_A_TOKEN)


def same_token(given: str, token: str) -> bool:
    """Whether ``given`` is ``token``: in constant time, on the bytes; never for none."""
    return bool(given) and bool(token) and hmac.compare_digest(given.encode(), token.encode())
