"""A single-file album rip's track points, carried into its converted file.

A ripper keeps them in a FLAC two ways: a ``CUESHEET`` metadata block (each track's and
index's offset in samples: what ``metaflac --import-cuesheet-from`` and EAC write) and a
``CUESHEET`` tag (the ``.cue`` text itself, with its titles: what foobar2000 and DeaDBeeF
read from any format). A cue sheet's times are CD frames (75 a second), not samples, so the
text holds in any format at any rate: a conversion carries it as the target's CUESHEET tag
(Vorbis comment, ID3 ``TXXX``, MP4 freeform), its FILE line naming the file it is in now;
a block with no tag beside it is written out as that text. A FLAC target keeps the block
too (the ``flac`` profile keeps the sample rate, so its offsets hold)."""

from __future__ import annotations

import re

from mutagen.flac import CueSheet

FRAMES = 75  # a cue sheet's frames a second (a CD's sectors)
_FILE = re.compile(r'^(\s*)FILE\s+(?:"[^"]*"|\S+)(?:\s+(\S+))?\s*$', re.IGNORECASE | re.MULTILINE)
_LEAD_OUT = (170, 255)  # a CD's lead-out track number, and any other medium's


def from_block(block: CueSheet, rate: int, file_name: str) -> str:
    """The cue sheet text of a FLAC CUESHEET ``block`` (a stream at ``rate`` Hz)."""
    lines = []
    if catalog := _text(block.media_catalog_number):
        lines.append(f"CATALOG {catalog}")
    lines.append(_file_line(file_name))
    for track in block.tracks:
        if track.track_number in _LEAD_OUT or track.type != 0:  # (a data track: not audio)
            continue
        lines.append(f"  TRACK {track.track_number:02d} AUDIO")
        if isrc := _text(track.isrc):
            lines.append(f"    ISRC {isrc}")
        if track.pre_emphasis:
            lines.append("    FLAGS PRE")
        for index in track.indexes:
            lines.append(f"    INDEX {index.index_number:02d} "
                         f"{_time(track.start_offset + index.index_offset, rate)}")  # fmt: skip
    return "\n".join(lines) + "\n"


def _text(field: bytes | str) -> str:
    """A block's fixed-size text field, its NUL padding dropped."""
    raw = field.decode("ascii", "replace") if isinstance(field, bytes) else field
    return raw.strip("\x00 ")


def _time(samples: int, rate: int) -> str:
    frames = samples * FRAMES // rate
    return f"{frames // (60 * FRAMES):02d}:{frames // FRAMES % 60:02d}:{frames % FRAMES:02d}"


def naming(text: str, file_name: str) -> str:
    """The cue sheet ``text`` with its FILE line naming ``file_name`` (an MP3's as MP3, any
    other's as WAVE, as a player takes them), every other line as it was."""
    return _FILE.sub(lambda m: m.group(1) + _file_line(file_name), text)


def _file_line(file_name: str) -> str:
    kind = "MP3" if file_name.lower().endswith(".mp3") else "WAVE"
    return f'FILE "{file_name}" {kind}'
