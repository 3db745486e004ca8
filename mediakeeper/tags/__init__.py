"""One table maps each logical tag to its key in every format; read and write go through it.

The package, split the way beets' mediafile splits its storage:

- ``table``: the logical tags, defined once, and each one's ID3 frame, Vorbis comment keys,
  MP4 atom, APEv2 keys and ASF attributes;
- ``styles``, ``ape``, ``asf``: how each tag container (ID3, Vorbis comments, MP4 atoms,
  APEv2, ASF) gets and sets a key;
- ``formats``: every format mutagen reads, its style, the parser its extension promises,
  and which cannot be tagged at all (AAC, AC-3: read, never written);
- ``read``: a file's tags and stream properties, and the parse kept for a write;
- ``write``: a file's change, handed to ``mediakeeper.fs.safewrite`` for the crash-safe
  replacement (write groups, ownership) that other jobs use without tags.

Callers import from here: ``from mediakeeper import tags``; ``tags.read(path)``.
"""

from mediakeeper.tags.formats import READ_ONLY, writable
from mediakeeper.tags.read import AUDIO_EXTENSIONS, AudioInfo, Parsed, loudness, more, read

# Parsing a file as ``read`` does, for tests that edit a parse themselves.
from mediakeeper.tags.read import load as _load  # noqa: F401
from mediakeeper.tags.table import LOGICAL_TAGS, LOUDNESS, MORE, PAIRS, TABLE, WRITABLE, Key
from mediakeeper.tags.write import (
    BytesBack,
    FileWrite,
    holds,
    version_after_write,
    write,
    write_many,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "LOGICAL_TAGS",
    "LOUDNESS",
    "MORE",
    "PAIRS",
    "READ_ONLY",
    "TABLE",
    "WRITABLE",
    "AudioInfo",
    "BytesBack",
    "FileWrite",
    "Key",
    "Parsed",
    "holds",
    "loudness",
    "more",
    "read",
    "version_after_write",
    "writable",
    "write",
    "write_many",
]
