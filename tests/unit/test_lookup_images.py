"""What a downloaded cover or poster must be before it is written: a whole picture of a sane
size, told by its bytes. The pictures are ffmpeg's own (its test pattern, in each kind)."""

from __future__ import annotations

import subprocess

import pytest

from mediakeeper.lookup.images import MAX_SIDE, image_problem, image_suffix
from mediakeeper.media import ffmpeg

KINDS = ["jpg", "png", "gif", "webp"]


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    """A 64x48 picture of each kind, made by ffmpeg."""
    folder = tmp_path_factory.mktemp("pictures")
    made = {}
    for kind in KINDS:
        path = folder / f"pattern.{kind}"
        subprocess.run([str(ffmpeg.find("")), "-loglevel", "error", "-f", "lavfi", "-i",
                        "testsrc=size=64x48", "-frames:v", "1", str(path)], check=True)  # fmt: skip
        made[kind] = path.read_bytes()
    return made


@pytest.mark.parametrize("kind", KINDS)
def test_a_whole_picture_passes_and_one_cut_short_does_not(pictures, kind):
    data = pictures[kind]
    assert image_suffix(data) == f".{kind}" and image_problem(data) is None
    problem = image_problem(data[: len(data) * 2 // 3])
    assert problem is not None and "cut short" in problem


def test_a_jpeg_claiming_more_pixels_than_any_cover_is_refused(pictures):
    data = pictures["jpg"]
    frame = data.index(b"\xff\xc0") + 5  # the frame header: height, then width
    huge = data[:frame] + (MAX_SIDE + 1).to_bytes(2, "big") * 2 + data[frame + 4 :]
    assert image_problem(huge) == f"a JPEG image of {MAX_SIDE + 1}x{MAX_SIDE + 1} pixels " \
        f"(at most {MAX_SIDE} a side)"


@pytest.mark.parametrize(
    "data",
    [b"<!DOCTYPE html><html>login</html>", b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n",
     b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP"],
    ids=["page", "empty", "jpeg-start", "png-start", "gif-start", "webp-start"],
)
def test_what_is_no_picture_or_only_its_start_is_refused(data):
    assert image_problem(data) is not None
