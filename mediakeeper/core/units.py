"""Numbers with a unit a person types (a bit rate: ``128k``), checked where settings and a
pipeline's parameters are read, before any work: a value that would fail at run time, or
quietly mean something else (``64``: 64 bits per second), is refused with what to write."""

from __future__ import annotations

import re

from mediakeeper.core.errors import said

# The bit rates lossy encoders take (kilobits per second): Opus's least, AAC's most.
BITRATE_KBPS = (6, 512)
_BITRATE = re.compile(r"(\d+(?:\.\d+)?)([kK]?)")


def kbps(bits_per_second: float) -> int:
    """A bit rate as a person reads it, in whole kilobits per second, halves rounded up: one
    figure for the same file wherever it is shown (a finding, the upgrades list, a duplicate
    group's copies; a floor and two roundings said 111 and 112 kbps of one file)."""
    return int(bits_per_second / 1000 + 0.5)


def bitrate_problem(value: object) -> str | None:
    """Why ``value`` is no bit rate an encoder takes ("128k", or bits per second: "96000"),
    or None. A bare number too small to be bits per second is taken to miss its "k"."""
    match = _BITRATE.fullmatch(text := value.strip()) if isinstance(value, str) else None
    least, most = BITRATE_KBPS
    if match is None:  # (said short: a YAML alias makes a list of millions of a few bytes)
        return f"must be kilobits per second like 128k, not {said(value)}"
    number, kilo = float(match.group(1)), bool(match.group(2))
    kbps = number if kilo else number / 1000
    if not kilo and kbps < least:
        return (f"{text} would be {text} bits per second, too little for any audio: "
                f"write {text}k for kilobits per second")  # fmt: skip
    if not least <= kbps <= most:
        return f"must be between {least}k and {most}k, not {text}"
    return None
