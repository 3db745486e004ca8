"""Real audio libraries, and their tags read back with mutagen alone (independent of the
toolkit's own tag table): what another tagger writes, and what a file holds."""

from __future__ import annotations

import json
from pathlib import Path

AUDIO_SUFFIXES = (".mp3", ".flac", ".m4a", ".ogg", ".opus")
AUDIO_SUFFIXES += tuple(
    sorted(
        {".wav", ".aiff", ".dsf", ".dff", ".tta", ".ape", ".wv", ".mpc", ".tak", ".ofr", ".wma"}
        | {".m4b", ".mp4", ".3gp", ".oga", ".spx", ".aac", ".ac3"}
    )
)
# The tag container each format of mediakeeper.demo.tracks keeps its tags in.
FAMILY = {
    **dict.fromkeys(("mp3", "wav", "aiff", "dsf", "dff", "tta"), "id3"),
    **dict.fromkeys(("flac", "ogg", "opus", "oggflac", "spx"), "vorbis"),
    **dict.fromkeys(("m4a", "m4b", "mp4", "3gp"), "mp4"),
    **dict.fromkeys(("ape", "wv", "mpc", "tak", "ofr"), "ape"),
    "wma": "asf",
}


def build_library(root: Path, spec) -> Path:
    """Write ``spec`` ({"Artist/Album/01 - x.flac": {"tags": {...}, ...}}) under ``root``.

    Per track: ``tags`` (logical names), ``id3`` (3 or 4, mp3 only), ``picture`` (embed a
    cover), ``composer`` (a tag outside mediakeeper's table, written raw with mutagen).
    """
    from mediakeeper.demo.tracks import FORMATS, READ_ONLY, make_track, suffix

    format_of = {suffix(fmt): fmt for fmt in FORMATS + READ_ONLY}
    root.mkdir(parents=True, exist_ok=True)
    for rel, track in spec.items():
        path = root / rel
        fmt = format_of[path.suffix]
        make_track(
            path,
            fmt,
            track.get("tags", {}),
            id3_version=track.get("id3", 4),
            picture=track.get("picture", False),
        )
        if "composer" in track:
            tag_by_hand(path, "composer", track["composer"], track.get("id3", 4))
    return root


# Where each logical tag is stored (what another tagger writes), independent of mediakeeper's
# own table.
RAW_KEYS = {
    "id3": {
        "title": "TIT2",
        "artist": "TPE1",
        "albumartist": "TPE2",
        "album": "TALB",
        "tracknumber": "TRCK",
        "tracktotal": "TRCK",
        "date": "TDRC",
        "genre": "TCON",
        "composer": "TCOM",
    },
    "vorbis": {
        "title": "TITLE",
        "artist": "ARTIST",
        "albumartist": "ALBUMARTIST",
        "album": "ALBUM",
        "tracknumber": "TRACKNUMBER",
        "tracktotal": "TRACKTOTAL",
        "date": "DATE",
        "genre": "GENRE",
        "composer": "COMPOSER",
    },
    "mp4": {
        "title": "\xa9nam",
        "artist": "\xa9ART",
        "albumartist": "aART",
        "album": "\xa9alb",
        "tracknumber": "trkn",
        "tracktotal": "trkn",
        "date": "\xa9day",
        "genre": "\xa9gen",
        "composer": "\xa9wrt",
    },
    # Picard's APEv2 and ASF keys.
    "ape": {
        "title": "TITLE",
        "artist": "ARTIST",
        "albumartist": "ALBUM ARTIST",
        "album": "ALBUM",
        "tracknumber": "TRACK",
        "tracktotal": "TRACK",
        "date": "YEAR",
        "genre": "GENRE",
        "composer": "COMPOSER",
    },
    "asf": {
        "title": "Title",
        "artist": "Author",
        "albumartist": "WM/AlbumArtist",
        "album": "WM/AlbumTitle",
        "tracknumber": "WM/TrackNumber",
        "tracktotal": "TotalTracks",
        "date": "WM/Year",
        "genre": "WM/Genre",
        "composer": "WM/Composer",
    },
}


def tag_by_hand(path: Path, tag: str, value: str, id3_version: int | None = None) -> None:
    """What another tagger does (Picard, beets): set one tag with mutagen alone, saved into
    the same file (its inode stays), keeping its ID3 version unless told."""
    import mutagen
    from mutagen.id3 import ID3, Frames

    audio = mutagen.File(path)
    if isinstance(audio.tags, ID3):
        version = id3_version or audio.tags.version[1]
        audio.tags.add(Frames[RAW_KEYS["id3"][tag]](encoding=3, text=[value]))
        if version == 3:
            audio.tags.update_to_v23()
        audio.save(v2_version=version)
    else:
        audio.tags[RAW_KEYS[family_of(audio)][tag]] = [value]
        audio.save()


def family_of(audio) -> str:
    """The tag container of a file mutagen parsed: "id3", "vorbis", "mp4", "ape", "asf"."""
    from mutagen.apev2 import APEv2
    from mutagen.asf import ASFTags
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    kinds = ((ID3, "id3"), (MP4Tags, "mp4"), (APEv2, "ape"), (ASFTags, "asf"))
    return next((name for kind, name in kinds if isinstance(audio.tags, kind)), "vorbis")


def audio_files(root: Path) -> list[Path]:
    return sorted(
        p for p in Path(root).rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
    )


def tag_map(root: Path) -> dict[str, dict[str, str]]:
    from mediakeeper import tags

    return {p.relative_to(root).as_posix(): tags.read(p).tags for p in audio_files(root)}


def raw_frames_of(path: Path) -> dict[str, object]:
    """Every tag a file holds, read with mutagen alone: ID3 frames by hash key (text frames as
    their strings, binary frames as bytes), Vorbis comments by upper-case key (plus FLAC
    picture data), MP4 atoms by name, APEv2 items by upper-case key, ASF attributes by name.
    Independent of mediakeeper's tag table."""
    import mutagen
    from mutagen.apev2 import TEXT
    from mutagen.flac import FLAC

    audio = mutagen.File(path)
    raw: dict[str, object] = {}
    if audio.tags is None:
        return raw
    family = family_of(audio)
    if family == "id3":
        for frame in audio.tags.values():
            if hasattr(frame, "text"):
                raw[frame.HashKey] = [str(t) for t in frame.text]
            elif hasattr(frame, "data"):
                raw[frame.HashKey] = bytes(frame.data)
            else:
                raw[frame.HashKey] = repr(frame)
    elif family == "mp4":
        for key, values in audio.tags.items():
            raw[key] = [bytes(v) if isinstance(v, bytes) else v for v in values]
    elif family == "ape":  # keys in any case are one key
        for key, value in audio.tags.items():
            raw[key.upper()] = list(value) if value.kind == TEXT else bytes(value.value)
    elif family == "asf":
        for key, values in audio.tags.as_dict().items():
            raw[key] = [v.value if isinstance(v.value, bytes) else str(v.value) for v in values]
    else:
        for key, values in audio.tags.as_dict().items():
            raw[key.upper()] = list(values)
        raw["<vendor>"] = audio.tags.vendor
        if isinstance(audio, FLAC):
            raw["<pictures>"] = [p.data for p in audio.pictures]
    return raw


def tree_of(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``, by relative path."""
    root = Path(root)
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


def load_music_queue(home: Path) -> dict:
    """The music queue of a data home as the product reads it (journal replayed)."""
    from mediakeeper.queue.store import QueueStore

    return QueueStore(Path(home) / "status" / "music", "music").load()


def change_appends(home: Path, session: str = "*") -> list[set[str]]:
    """The artists of each append to a data home's music change journals (one per session;
    ``session``: that one's), in order: an append's lines share one stamp."""
    stamps: dict[str, set[str]] = {}
    for journal in sorted((Path(home) / "status" / "music" / "changes").glob(f"{session}.jsonl")):
        for line in journal.read_text("utf-8").splitlines():
            change = json.loads(line)
            stamps.setdefault(change["at"], set()).add(change["artist"])
    return list(stamps.values())
