"""Every format mutagen reads: its name here, its tag style, and the parser an extension
promises.

``KINDS`` maps the mutagen class to (format, style); ``BY_EXTENSION`` maps a file name's
extension to the parser tried first (``read.load`` falls back to mutagen's sniffing). A
format mutagen reads but cannot tag (AAC in ADTS, AC-3) has the read-only style: it is
scanned and checked, and its fixes are reported, never attempted (``writable``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mutagen.aac import AAC
from mutagen.ac3 import AC3
from mutagen.aiff import AIFF
from mutagen.asf import ASF
from mutagen.dsdiff import DSDIFF
from mutagen.dsf import DSF
from mutagen.flac import FLAC
from mutagen.monkeysaudio import MonkeysAudio
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, Atoms
from mutagen.musepack import Musepack
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.optimfrog import OptimFROG
from mutagen.tak import TAK
from mutagen.trueaudio import TrueAudio
from mutagen.wave import WAVE
from mutagen.wavpack import WavPack

from mediakeeper.tags.ape import APE_STYLE
from mediakeeper.tags.asf import ASF_STYLE
from mediakeeper.tags.styles import ID3_STYLE, MP4_STYLE, VORBIS_STYLE

# What a person calls the formats whose tags cannot be written.
READ_ONLY: dict[str, str] = {"aac": "AAC (ADTS)", "ac3": "AC-3"}


class _NoTagsStyle:
    """A format with no tags at all: read for its stream, never written."""

    def view(self, tags) -> dict:
        return {}

    def tag_version(self, audio) -> str:
        return "none"

    def firsts(self, view, fields) -> dict[str, str]:
        return {}

    def texts(self, view, field) -> list[str]:
        return []

    def get_pair(self, tags, field) -> tuple[None, None]:
        return None, None

    def has_picture(self, audio, view) -> bool:
        return False

    def picture_bytes(self, audio, view) -> int:
        return 0

    def lossless(self, audio) -> bool:
        return False

    def saved_version(self, version: str) -> str:
        return version

    def writable(self, audio, work):
        name = READ_ONLY[KINDS[type(audio)][0]]
        raise ValueError(f"{name} files cannot hold tags; mutagen reads them but cannot tag them")


NO_TAGS_STYLE = _NoTagsStyle()

# The style per mutagen class (exact class, so subclasses must be listed on purpose).
KINDS: dict[type, tuple[str, Any]] = {
    MP3: ("mp3", ID3_STYLE),
    AIFF: ("aiff", ID3_STYLE),
    WAVE: ("wav", ID3_STYLE),
    DSF: ("dsf", ID3_STYLE),
    DSDIFF: ("dff", ID3_STYLE),
    TrueAudio: ("tta", ID3_STYLE),
    FLAC: ("flac", VORBIS_STYLE),
    OggVorbis: ("ogg", VORBIS_STYLE),
    OggOpus: ("opus", VORBIS_STYLE),
    OggFLAC: ("oggflac", VORBIS_STYLE),
    OggSpeex: ("spx", VORBIS_STYLE),
    MP4: ("m4a", MP4_STYLE),
    MonkeysAudio: ("ape", APE_STYLE),
    WavPack: ("wv", APE_STYLE),
    Musepack: ("mpc", APE_STYLE),
    TAK: ("tak", APE_STYLE),
    OptimFROG: ("ofr", APE_STYLE),
    ASF: ("wma", ASF_STYLE),
    AAC: ("aac", NO_TAGS_STYLE),
    AC3: ("ac3", NO_TAGS_STYLE),
}

# The MP4 family is one container: the format named after the extension a person chose
# (an audiobook's .m4b), "m4a" for any other.
MP4_NAMES = {".m4b": "m4b", ".m4p": "m4p", ".mp4": "mp4", ".3gp": "3gp"}

STYLE_OF_FORMAT = {fmt: style for fmt, style in KINDS.values()}
STYLE_OF_FORMAT.update(dict.fromkeys(MP4_NAMES.values(), MP4_STYLE))


def writable(fmt: str) -> bool:
    """Whether the tags of a file of ``fmt`` can be written."""
    return fmt not in READ_ONLY


class NotMusic(Exception):
    """A file of an audio extension that holds something else (an .mp4 with a video)."""


def _handlers(fileobj) -> list[bytes]:
    """The handler type of each track of an MP4 file (b"soun", b"vide", ...)."""
    fileobj.seek(0)
    atoms = Atoms(fileobj)
    found = []
    for trak in atoms[b"moov"].findall(b"trak"):
        ok, data = trak[b"mdia", b"hdlr"].read(fileobj)
        found.append(data[8:12] if ok else b"")
    return found


def load_mp4_audio(source: Path | str | io.IOBase) -> MP4:
    """An .mp4 (usually a video) counts as music when it has no picture track."""
    try:
        if isinstance(source, io.IOBase):
            handlers = _handlers(source)
            source.seek(0)
        else:
            with open(source, "rb") as fileobj:
                handlers = _handlers(fileobj)
    except Exception:  # no MP4 structure to look into: the parse below says what is wrong
        handlers = []
        if isinstance(source, io.IOBase):
            source.seek(0)
    if b"vide" in handlers:
        raise NotMusic("an MP4 video (it has a picture track), not music")
    return MP4(source)


# How to parse the format a file's extension promises (the MP3 parser is read's own).
BY_EXTENSION: dict[str, Callable[[Any], Any]] = {
    ".flac": FLAC,
    ".m4a": MP4,
    ".m4b": MP4,
    ".m4p": MP4,
    ".3gp": MP4,
    ".mp4": load_mp4_audio,
    ".ogg": OggVorbis,
    ".oga": OggVorbis,
    ".opus": OggOpus,
    ".spx": OggSpeex,
    ".wav": WAVE,
    ".aif": AIFF,
    ".aiff": AIFF,
    ".aifc": AIFF,
    ".dsf": DSF,
    ".dff": DSDIFF,
    ".tta": TrueAudio,
    ".ape": MonkeysAudio,
    ".wv": WavPack,
    ".mpc": Musepack,
    ".tak": TAK,
    ".ofr": OptimFROG,
    ".ofs": OptimFROG,
    ".wma": ASF,
    ".aac": AAC,
    ".ac3": AC3,
    ".eac3": AC3,
}
