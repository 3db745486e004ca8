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
- ``read``: a file's tags and stream properties, and the parse kept for a write; any
  fields named (``read_fields``), every value (``all_values``);
- ``write``: a file's change (``set_values``, the one write of every field), handed to
  ``mediakeeper.fs.safewrite`` for the crash-safe replacement (write groups, ownership)
  that other jobs use without tags.

Callers import from here: ``from mediakeeper import tags``; ``tags.read(path)``.
"""

from mediakeeper.tags.formats import READ_ONLY, writable
from mediakeeper.tags.read import (
    AUDIO_EXTENSIONS,
    AudioInfo,
    Parsed,
    all_values,
    loudness,
    read,
    read_fields,
)

# Parsing a file as ``read`` does, for tests that edit a parse themselves.
from mediakeeper.tags.read import load as _load  # noqa: F401
from mediakeeper.tags.table import (
    FIELD_OF,
    LOGICAL_TAGS,
    LOUDNESS,
    TABLE,
    WRITABLE,
    Field,
    typed,
)
from mediakeeper.tags.write import (
    BytesBack,
    FileWrite,
    holds,
    set_values,
    storable,
    version_after_write,
    write,
    write_many,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "FIELD_OF",
    "LOGICAL_TAGS",
    "LOUDNESS",
    "READ_ONLY",
    "TABLE",
    "WRITABLE",
    "AudioInfo",
    "BytesBack",
    "Field",
    "FileWrite",
    "Parsed",
    "all_values",
    "holds",
    "loudness",
    "read",
    "read_fields",
    "set_values",
    "storable",
    "typed",
    "version_after_write",
    "writable",
    "write",
    "write_many",
]
