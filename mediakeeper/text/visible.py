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
interlinear annotations U+FFF9-FFFB, U+180E, the tag characters U+E0000-E007F), the line
and paragraph separators U+2028, U+2029, and a lone surrogate (``\\udcf6``: the byte of a
file name that is not UTF-8, which no UTF-8 text can carry). Kept: zero-width (non-)joiners
U+200C, U+200D, which Persian, the Indic scripts and emoji need, and the soft hyphen, which
shows at most as a hyphen. A text that already holds a backslash keeps it: ``\\u202e``
written by hand in a tag reads the same as the character shown; that is what makes an escape
readable.

A name (a folder's, an item's) on a terminal line is shown with :func:`one_line`: tab and line
feed too are escapes there (``New\\x0aLine``), as a line of a table or of a batch's progress
must stay one line; it is the one spelling every terminal line gives a name. A command line
the toolkit prints for a person to paste quotes a name with :func:`shell_word`: bash's
``$'New\\x0aLine'`` gives the real name back where any control is in it.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

# Every hidden control past the C0 ones and DEL: the C1 controls and the invisible formats.
_PAST_C0 = (
    "\x80-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
# And a lone surrogate: a file name's undecodable byte (a Latin-1 folder made on Linux), which
# no UTF-8 page, report or stream can write.
_LONE = "\ud800-\udfff"
HIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_PAST_C0}{_LONE}]")


def _escape(match: re.Match) -> str:
    point = ord(match.group())
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def visible(text: str) -> str:
    """``text`` with every hidden control shown as the escape of its code point."""
    return HIDDEN.sub(_escape, text) if HIDDEN.search(text) else text


# Every control, tab and line feed too, and a lone surrogate (a file name's undecodable byte,
# which no stream can write): what a name on one terminal line shows escaped.
BREAKING = re.compile(f"[\x00-\x1f\x7f{_PAST_C0}{_LONE}]")


def one_line(name: str) -> str:
    """``name`` on one line: :func:`visible`, and tab, line feed and a lone surrogate shown
    as their escapes (``\\x09``, ``\\x0a``, ``\\udcff``) too. A lyric keeps its lines on a
    page; a name in a table's row or a progress line is one line, in the one spelling every
    terminal line gives it."""
    return BREAKING.sub(_escape, name) if BREAKING.search(name) else name


def quoted(name: str) -> str:
    """``name`` in quotes in a message, on one line (:func:`one_line`): ``'New\\x0aLine'``
    where Python's repr would say ``'New\\nLine'``, a spelling no other line uses."""
    shown = one_line(name)
    mark = '"' if "'" in shown and '"' not in shown else "'"
    return f"{mark}{shown}{mark}"


def _bytes_escaped(match: re.Match) -> str:
    # bash reads $'\\xHH' as a byte: a character past ASCII is written as its UTF-8 bytes
    # (a lone surrogate: the undecodable byte of a file name it stands for), which gives it
    # back in any locale, where $'\\u202e' needs a UTF-8 one.
    return "".join(f"\\x{b:02x}" for b in match.group().encode("utf-8", "surrogateescape"))


def shell_word(name: str) -> str:
    """``name`` as one word of a command line a person pastes into bash (or zsh): quoted as
    ``shlex.quote`` quotes it, or, where a control is in it, as ``$'...'`` with each control
    written as its escape (a line feed: ``\\x0a``), so the line stays one line and gives the
    real name back."""
    if not BREAKING.search(name):
        return shlex.quote(name)
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"$'{BREAKING.sub(_bytes_escaped, escaped)}'"


def shell_word_exact(name: str) -> str:
    """``name`` as ``$'...'`` with every character past ASCII as its UTF-8 bytes too: the one
    word that gives back a name's own Unicode form (``Björk`` composed or decomposed), which
    a terminal's copy and paste, or a keyboard, may not keep."""
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"$'{_PAST_ASCII.sub(_bytes_escaped, escaped)}'"


_PAST_ASCII = re.compile(r"[^\x20-\x7e]")  # and the controls: all but printable ASCII


def shell_join(argv: list[str]) -> str:
    """A command line to paste: each word as :func:`shell_word` quotes it."""
    return " ".join(map(shell_word, argv))


# The same but the C0 controls: what a whole terminal stream is held to, whose escape sequences
# (colours) and carriage returns (a progress line redrawn) are the toolkit's own. The names
# in it were shown with ``visible`` where they were put in (``mediakeeper.cli.progress_line``).
INVISIBLE = re.compile(f"[{_PAST_C0}]")


def visible_in_stream(text: str) -> str:
    """``text`` with every hidden control but the C0 ones shown as its escape."""
    return INVISIBLE.sub(_escape, text) if INVISIBLE.search(text) else text


# In a JSON document: the hidden controls past C0 (JSON escapes those itself) and a lone
# surrogate, each written as JSON's own escape.
_IN_JSON = re.compile(f"[{_PAST_C0}\ud800-\udfff]")


def _json_escape(match: re.Match) -> str:
    point = ord(match.group())
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000  # past the Basic Multilingual Plane: JSON spells it as a surrogate pair
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def json_document(data: Any, indent: int | None = None, ascii_only: bool = False,
                  **options: Any) -> str:  # fmt: skip
    """``data`` as a JSON document for another program (a command's ``--json``, the web
    API's answers, its events): every character kept as it is (``Björk``), but a hidden
    control (``\\x85``, ``\\u202e``) and a lone surrogate (a file name's undecodable byte)
    as JSON's ``\\u`` escape, which gives the real name back (the surrogate as Python reads
    the name: ``os.fsencode`` gives its bytes); so it is valid JSON in UTF-8 whatever the
    names hold, where ``visible_in_stream``'s ``\\x85`` is refused by JSON and a surrogate
    cannot be written at all. The name's escape as text (``Bj\\\\udcf6rk``, what a page shows)
    could not be told from a name that holds a backslash. ``ascii_only``: every character
    past ASCII escaped (a stream whose encoding could not hold them). ``options``:
    ``json.dumps``'s (``separators``, ``allow_nan``)."""
    text = json.dumps(data, indent=indent, ensure_ascii=ascii_only, **options)
    return text if ascii_only or not _IN_JSON.search(text) else _IN_JSON.sub(_json_escape, text)


def is_unicode(text: str) -> bool:
    """Whether ``text`` is Unicode text, which UTF-8 (a tag, a journal, JSON) can carry: no
    lone surrogate. Python holds a file name's or an argument's undecodable bytes as lone
    surrogates (``surrogateescape``): right for a path, never a value to write."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
