"""A single-file album rip's track points, carried into its converted file.

A ripper keeps them in a FLAC two ways: a ``CUESHEET`` metadata block (each track's and
index's offset in samples: what ``metaflac --import-cuesheet-from`` and EAC write) and a
``CUESHEET`` tag (the ``.cue`` text itself, with its titles: what foobar2000 and DeaDBeeF
read from any format). A cue sheet's times are CD frames (75 a second), not samples, so the
text holds in any format at any rate: a conversion carries it as the target's CUESHEET tag
(Vorbis comment, ID3 ``TXXX``, MP4 freeform), its FILE line naming the file it is in now;
a block with no tag beside it is written out as that text. A FLAC target keeps the block
too (the ``flac`` profile keeps the sample rate, so its offsets hold).

A ``.cue`` file beside the rip is its sheet too: the converted album's copy names the
converted file (``renaming``), every other byte as it was, in the sheet's own encoding."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping

from mutagen.flac import CueSheet

FRAMES = 75  # a cue sheet's frames a second (a CD's sectors)
# A FILE line: its indent, the file it names (quoted, or a word), its type word. Spaces and
# tabs only, never a line end: a CRLF sheet keeps its CR, a blank line after it stays.
_FILE = re.compile(
    r'^([ \t]*)FILE[ \t]+(?:"([^"\r\n]*)"|([^ \t\r\n]+))(?:[ \t]+[^ \t\r\n]+)?[ \t]*(?=\r?$)',
    re.IGNORECASE | re.MULTILINE,
)
# A sheet's own encoding, told by its BOM, else by what its bytes decode as: UTF-8, else
# Windows-1252 (EAC and foobar2000 write both), else Latin-1 (any bytes: none is changed).
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))  # fmt: skip
_UNMARKED = ("utf-8", "cp1252", "latin-1")
MOST_BYTES = 1 << 20  # a larger ".cue" is no cue sheet: copied as it is
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


def renaming(data: bytes, names: Mapping[str, str]) -> tuple[bytes, list[str]]:
    """A ``.cue`` file's ``data`` with each FILE line that names a converted file (``names``:
    a source's name -> its converted file's; the sheet's name matched as it is, else
    ignoring case, else by its stem: EAC's sheet may name the WAV it ripped; a sheet of one
    FILE line beside one converted file names it whatever its name) naming the converted
    one (``naming``'s FILE line), every other byte as it was, in the sheet's own encoding.
    Also the names it now names (none: ``data`` unchanged)."""
    try:
        bom, codec, text = _decoded(data)
    except UnicodeDecodeError:  # (a UTF-16 sheet cut short: not rewritten)
        return data, []
    written: list[str] = []
    lone = next(iter(names.values())) if len(names) == 1 and len(_FILE.findall(text)) == 1 \
        else None  # fmt: skip

    def rename(line: re.Match) -> str:
        named = line.group(2) if line.group(2) is not None else line.group(3)
        now = _converted(named, names) or lone
        if now is None:
            return line.group(0)
        try:
            now.encode(codec)
        except UnicodeEncodeError:  # (a name the sheet's encoding cannot spell: its own
            now = os.path.splitext(named)[0] + os.path.splitext(now)[1]  # with the new end)
        written.append(now)
        return line.group(1) + _file_line(now)

    text = _FILE.sub(rename, text)
    return (bom + text.encode(codec), written) if written else (data, [])


def _decoded(data: bytes) -> tuple[bytes, str, str]:
    """The BOM ``data`` starts with (or none), the encoding of what follows, and what
    follows decoded (decoded once: an unmarked sheet's encoding is the first that does)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return bom, codec, data[len(bom):].decode(codec)
    for codec in _UNMARKED:
        try:
            return b"", codec, data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise AssertionError("unreachable: Latin-1 decodes any bytes")


def _converted(named: str, names: Mapping[str, str]) -> str | None:
    """The converted name of the file a sheet names, or None (not converted: left as is)."""
    if named in names:
        return names[named]
    folded = {name.casefold(): now for name, now in names.items()}
    if named.casefold() in folded:
        return folded[named.casefold()]
    stem = os.path.splitext(named)[0].casefold()
    alike = [now for name, now in names.items() if os.path.splitext(name)[0].casefold() == stem]
    return alike[0] if len(alike) == 1 else None


def _file_line(file_name: str) -> str:
    kind = "MP3" if file_name.lower().endswith(".mp3") else "WAVE"
    return f'FILE "{file_name}" {kind}'
