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
            setattr(sys, name, VisibleStream(stream))
