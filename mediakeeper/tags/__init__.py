"""One table holds every field, its type and its key in every format; one read and one write
go through it for every field.

The package, split the way beets' mediafile splits its storage:

- ``table``: the fields, defined once, each with its type and its ID3 frame, Vorbis comment
  keys, MP4 atom, APEv2 keys and ASF attributes; ``values``: the types (a number with its
  total, a date, a whole number, a flag, text), read without raising;
- ``styles``, ``ape``, ``asf``: how each tag container (ID3, Vorbis comments, MP4 atoms,
  APEv2, ASF) gets and sets any field;
- ``formats``: every format mutagen reads, its style, the parser its extension promises,
  and which cannot be tagged at all (AAC, AC-3: read, never written);
- ``reading``: a file's tags and stream properties (``read``), and the parse kept for a
  write; any fields named (``read_fields``), every value (``all_values``);
- ``writing``: a file's change (``write``; ``set_values``, the one write of every field),
  handed to ``mediakeeper.fs.safewrite`` for the crash-safe replacement (write groups,
  ownership) that other jobs use without tags; ``regions``: an MP3's tags at its two ends,
  kept whole where a write changes their version, and an MP4's movie atom where it is last,
  for a byte-exact undo.

Callers import from here: ``from mediakeeper import tags``; ``tags.read(path)``. Each name is
loaded from its module as it is first used (PEP 562's module ``__getattr__``), so a caller
that needs only the table or the types (``decide`` listing the decisions, whose words name
tags) loads neither mutagen nor the formats. (No module is named as a function is: the
import system would bind a submodule ``read`` over the function ``read``.)
"""

from __future__ import annotations

import importlib
from typing import Any

# Each module of the package and the public names it holds.
_MODULES = {
    "formats": ("READ_ONLY", "writable"),
    "reading": ("AUDIO_EXTENSIONS", "AudioInfo", "Parsed", "all_values", "loudness", "read",
                "read_fields"),
    "table": ("FIELD_OF", "LOGICAL_TAGS", "LOUDNESS", "TABLE", "WRITABLE", "Field", "typed"),
    "writing": ("BytesBack", "FileWrite", "holds", "refused_by", "set_values", "storable",
                "version_after_write", "write", "write_many"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name == "_load":  # parsing a file as ``read`` does, for tests that edit a parse
        module, name_there = "reading", "load"
    elif name in _HOME:
        module, name_there = _HOME[name], name
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name_there)
    globals()[name] = value  # asked once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
