"""Text from tags and file names made safe to show, on a page or a terminal line.

A tag or a folder name can hold characters that are not seen but change what is seen around
them: a right-to-left override (U+202E) turns ``gpj.exe`` into what reads as ``exe.jpg``,
a zero-width space splits a word invisibly, a carriage return or an escape sequence rewrites
a terminal line. :func:`visible` shows each such character as an escape of its code point,
as Python writes it (``\\u202e``, ``\\x1b``, ``\\U000e0041``), so the reader sees that it is
there and which it is, and nothing it would do happens. Every other character is kept.

Shown escaped: the C0 controls but tab and line feed (``\\x00``-``\\x1f``, DEL) and the C1
controls (``\\x80``-``\\x9f``); every bidirectional control (the embeddings and overrides
U+202A-202E, the isolates U+2066-2069, the marks U+200E, U+200F, U+061C); the invisible
format characters (zero-width space U+200B, word joiner and invisible operators
U+2060-2064, the deprecated formats U+206A-206F, the byte order mark U+FEFF, the
interlinear annotations U+FFF9-FFFB, U+180E, the tag characters U+E0000-E007F) and the line
and paragraph separators U+2028, U+2029. Kept: zero-width (non-)joiners U+200C, U+200D,
which Persian, the Indic scripts and emoji need, and the soft hyphen, which shows at most
as a hyphen. A text that already holds a backslash keeps it: ``\\u202e`` written by hand in
a tag reads the same as the character shown; that is what makes an escape readable.
"""

from __future__ import annotations

import re

# Every hidden control past the C0 ones and DEL: the C1 controls and the invisible formats.
_PAST_C0 = (
    "\x80-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
HIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_PAST_C0}]")


def _escape(match: re.Match) -> str:
    point = ord(match.group())
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def visible(text: str) -> str:
    """``text`` with every hidden control shown as the escape of its code point."""
    return HIDDEN.sub(_escape, text) if HIDDEN.search(text) else text


# The same but the C0 controls: what a whole terminal stream is held to, whose escape sequences
# (colours) and carriage returns (a progress line redrawn) are the toolkit's own. The names
# in it were shown with ``visible`` where they were put in (``mediakeeper.cli.progress_line``).
INVISIBLE = re.compile(f"[{_PAST_C0}]")


def visible_in_stream(text: str) -> str:
    """``text`` with every hidden control but the C0 ones shown as its escape."""
    return INVISIBLE.sub(_escape, text) if INVISIBLE.search(text) else text


def is_unicode(text: str) -> bool:
    """Whether ``text`` is Unicode text, which UTF-8 (a tag, a journal, JSON) can carry: no
    lone surrogate. Python holds a file name's or an argument's undecodable bytes as lone
    surrogates (``surrogateescape``): right for a path, never a value to write."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
