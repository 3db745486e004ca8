"""Which images a download may be, told by their first bytes (no web stack imported)."""

from __future__ import annotations

# How each accepted kind of image starts, and the file suffix it is saved under.
_IMAGE_KINDS = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
)

IMAGE_SUFFIXES = frozenset({".jpg", ".png", ".gif", ".webp"})  # every one image_suffix names


def image_suffix(data: bytes) -> str | None:
    """The suffix an image's bytes call for (".jpg", ".png", ".gif", ".webp"); None if they
    are not one of those images."""
    for start, suffix in _IMAGE_KINDS:
        if data.startswith(start):
            return suffix
    return ".webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None
