"""A decision's id: what it is, written so that any face can carry it and no face can take
one decision for another.

A decision is one question (``core.decisions.question``): its kind, its item's key, the album
it is about where it is about an album (``""`` otherwise), and its finding code; a failed or
skipped item's is its kind, key, ``""`` and ``failed``/``skipped``; a duplicate group's is
``dupes``, the group's id, ``""`` and its code. The id is those four strings as a compact
JSON array, UTF-8, in URL-safe base64 without padding, after ``d1.``: stable while the
question stands (a batch that asks it again gives it the same id), opaque to a person, safe
in a path or a query, and read back without a search.
"""

from __future__ import annotations

import base64
import binascii
import json

from mediakeeper.core.errors import UsageError

PREFIX = "d1."
LIMIT = 16384  # characters: an id longer is no id the toolkit made (a key of PATH_MAX is less)


# A key is a folder's name: one that is not UTF-8 (a Latin-1 folder made on Linux) holds its
# undecodable bytes as lone surrogates, which go in as the bytes they stand for and come back.
_BYTES = "surrogateescape"


def make(kind: str, key: str, where: str, code: str) -> str:
    raw = json.dumps([kind, key, where, code], ensure_ascii=False, separators=(",", ":"))
    encoded = base64.urlsafe_b64encode(raw.encode("utf-8", _BYTES))
    return PREFIX + encoded.decode("ascii").rstrip("=")


def parse(text: str) -> tuple[str, str, str, str]:
    """(kind, key, where, code) of an id; UsageError (a one-line refusal) for what is none."""
    bad = UsageError(f"{text[:60]!r} is not a decision id",
                     "`decide --json` and /api/decisions give each decision's id")  # fmt: skip
    if not isinstance(text, str) or not text.startswith(PREFIX) or len(text) > LIMIT:
        raise bad
    body = text[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8", _BYTES)
        parts = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    if not (isinstance(parts, list) and len(parts) == 4 and all(isinstance(p, str) for p in parts)):
        raise bad
    if make(*parts) != text:  # one id per decision: no other spelling of it
        raise bad
    kind, key, where, code = parts
    return kind, key, where, code
