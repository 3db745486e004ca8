"""Which images a download may be, told by their bytes (no web stack imported): the kind by
the first bytes, and whether the picture is whole and of a sane size by its header and its
end. A page served as a JPEG, a picture cut short or one claiming a million pixels a side
never lands on disk as a cover or a poster."""

from __future__ import annotations

import struct

# How each accepted kind of image starts, and the file suffix it is saved under.
_IMAGE_KINDS = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
)

IMAGE_SUFFIXES = frozenset({".jpg", ".png", ".gif", ".webp"})  # every one image_suffix names
MAX_SIDE = 20_000  # pixels: past any cover scan or poster; beyond, a reader's memory is at risk
MAX_IMAGE_BYTES = 64 * 2**20  # a cover scan or an original-size poster: tens of MB at most
_JPEG_FRAMES = frozenset({*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC),
                          *range(0xCD, 0xD0)})  # fmt: skip
_TAIL = 64  # bytes after an image's last marker that are tolerated (padding)


def image_suffix(data: bytes) -> str | None:
    """The suffix an image's bytes call for (".jpg", ".png", ".gif", ".webp"); None if they
    are not one of those images."""
    for start, suffix in _IMAGE_KINDS:
        if data.startswith(start):
            return suffix
    return ".webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None


def image_problem(data: bytes) -> str | None:
    """What is wrong with an image's bytes: not one of the kinds, cut short, or of no sane
    size; None for a whole picture of 1 to ``MAX_SIDE`` pixels a side."""
    suffix = image_suffix(data)
    if suffix is None:
        return "something that is not an image"
    try:
        width, height, whole = _READERS[suffix](data)
    except (struct.error, IndexError, ValueError):
        width, height, whole = 0, 0, False
    kind = "JPEG" if suffix == ".jpg" else suffix[1:].upper()
    if not whole:
        return f"a {kind} image that is cut short or damaged"
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        return f"a {kind} image of {width}x{height} pixels (at most {MAX_SIDE} a side)"
    return None


def _jpeg(data: bytes) -> tuple[int, int, bool]:
    """The frame's size, walking the segments up to the scan; whole when the scan ends with
    the end-of-image marker (an embedded thumbnail's sits before the scan and does not
    count)."""
    at, size = 2, None
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise ValueError("not a marker")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = struct.unpack_from(">H", data, at + 2)[0]
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack_from(">HH", data, at + 5)
            size = (width, height)
        if marker == 0xDA:  # start of scan: the picture's data follows
            if size is None:
                raise ValueError("no frame")
            end = data.rfind(b"\xff\xd9")
            return size[0], size[1], end > at and len(data) - end - 2 <= _TAIL
        at += 2 + length
    raise ValueError("no scan")


def _png(data: bytes) -> tuple[int, int, bool]:
    if data[12:16] != b"IHDR":
        raise ValueError("no header")
    width, height = struct.unpack_from(">II", data, 16)
    end = data.rfind(b"IEND")
    return width, height, end > 0 and len(data) - end - 8 <= _TAIL


def _gif(data: bytes) -> tuple[int, int, bool]:
    width, height = struct.unpack_from("<HH", data, 6)
    return width, height, b";" in data[-_TAIL:]


def _webp(data: bytes) -> tuple[int, int, bool]:
    whole = struct.unpack_from("<I", data, 4)[0] + 8 <= len(data)
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    elif chunk == b"VP8L":
        bits = struct.unpack_from("<I", data, 21)[0]
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8 ":
        width, height = (v & 0x3FFF for v in struct.unpack_from("<HH", data, 26))
    else:
        raise ValueError("no picture chunk")
    return width, height, whole


_READERS = {".jpg": _jpeg, ".png": _png, ".gif": _gif, ".webp": _webp}
