"""Standard output and error held to what a terminal can show safely.

Every line a command prints may carry a tag or a file name (``would set title of ...``, an
error naming a path), and a right-to-left override in one reverses the rest of the line on
the terminal. Rather than trust each of the many lines to pass its names through
``mediakeeper.text.visible``, the command's two streams pass every text written to them
through ``visible_in_stream``: the bidirectional and invisible format controls and the C1
controls are shown as their escapes. The C0 controls are left to the places that put names
in (the progress line shows them escaped): the streams carry the toolkit's own colours and
carriage returns.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from mediakeeper.text.visible import visible_in_stream


class VisibleStream:
    """A text stream whose writes are held to ``visible_in_stream``; everything else is the
    stream's (its encoding, ``isatty``, ``fileno``: Click and rich see the stream itself)."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: Any) -> int:
        if isinstance(text, str):
            text = visible_in_stream(text)
        return self._stream.write(text)  # (bytes: refused as the stream refuses them)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def install() -> None:
    """``sys.stdout`` and ``sys.stderr`` held so, once a process (again: a no-op)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, VisibleStream):
            _escape_what_it_cannot_encode(stream)
            setattr(sys, name, VisibleStream(stream))


def _escape_what_it_cannot_encode(stream: Any) -> None:
    """A character the stream's encoding cannot hold (a Latin-1 locale's "AC⧸DC", or the
    toolkit's own ✓ and —) is written as its escape (``\\u29f8``), as Python writes stderr,
    never a UnicodeEncodeError that would stop a batch half-way through its lines."""
    if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
        with contextlib.suppress(OSError, ValueError):  # one that cannot change: left so
            stream.reconfigure(errors="backslashreplace")
