"""``text.failures.plain_error``: a working folder's path said as its file's name, where the
folders on the way hold spaces as a person's folders do."""

from __future__ import annotations

import pytest

from mediakeeper.text.failures import plain_error


@pytest.mark.parametrize(("message", "said"), [
    # ffmpeg's form: the path, then ": " and why (before: "/home/u/Media KeptAlbum Name/...")
    ("ffmpeg: /home/u/Media Kept/working/convert/Album Name/01 Song.flac: Invalid data found",
     "ffmpeg: 01 Song.flac: Invalid data found"),
    # Python's form: the path quoted
    ("[Errno 28] No space left on device: '/home/u/Media Kept/working/c/OK Computer/07 Fitter "
     "Happier.flac'", "[Errno 28] No space left on device: '07 Fitter Happier.flac'"),
    # two paths in one message, the second's folders with spaces
    ("cannot move /w/working/a/b.flac to /w/working/c d/e f.flac (gone)",
     "cannot move b.flac to e f.flac (gone)"),
    # a name with brackets, after a word with a slash
    ("and/or /home/u/Media Kept/working/x/Song (Live).flac does not read",
     "and/or Song (Live).flac does not read"),
    # not a working folder: said whole
    ("cannot read /m/Music/a b/c.flac: gone", "cannot read /m/Music/a b/c.flac: gone"),
])  # fmt: skip
def test_a_working_path_with_spaces_is_said_as_its_file_s_name(message, said):
    assert plain_error(message) == said


def test_a_named_working_folder_with_spaces_is_said_as_its_file_s_name():
    message = "cannot write /srv/Kept Media/spool/conv/The Album/01 x.flac: the disk is full"
    assert plain_error(message, ["/srv/Kept Media/spool"]) == "cannot write 01 x.flac: the " \
        "disk is full"  # fmt: skip


def test_a_person_s_own_folder_under_the_temporary_folder_is_said_whole():
    """A library kept under the system's temporary folder is the person's, not the toolkit's:
    its paths are said whole (it read "the album folder Album is gone"); a cluster step's
    own folder there (``mediakeeper-step-``) is the toolkit's, said as the file's name."""
    import tempfile

    temporary = tempfile.gettempdir()
    mine = f"cannot read {temporary}/Music/Björk/Homogenic/01 Hunter.flac: gone"
    assert plain_error(mine) == mine
    step = f"ffmpeg: {temporary}/mediakeeper-step-k2j4/inputs/01 Hunter.flac: cut short"
    assert plain_error(step) == "ffmpeg: 01 Hunter.flac: cut short"
    worker = f"{temporary}/dask-scratch-space/worker-ab/mediakeeper-step-x/outputs/a.opus: bad"
    assert plain_error(worker) == "a.opus: bad"
