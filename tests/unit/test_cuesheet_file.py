"""``cuesheet.renaming``: a ``.cue`` file's FILE lines naming the converted files, every other
byte as it was, in the sheet's own encoding."""

from __future__ import annotations

import codecs

from mediakeeper.media.cuesheet import naming, renaming

NAMES = {"CDImage.flac": "CDImage.mp3"}


def test_a_utf16_sheet_stays_utf16_with_its_bom():
    text = 'TITLE "Ōkami"\r\nFILE "CDImage.flac" WAVE\r\n  TRACK 01 AUDIO\r\n'
    data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    out, named = renaming(data, NAMES)
    assert named == ["CDImage.mp3"]
    assert out == codecs.BOM_UTF16_LE + text.replace(
        'FILE "CDImage.flac" WAVE', 'FILE "CDImage.mp3" MP3').encode("utf-16-le")  # fmt: skip


def test_an_unquoted_name_and_an_indented_line_are_renamed():
    out, named = renaming(b'\tFILE CDImage.flac WAVE\n', NAMES)
    assert (out, named) == (b'\tFILE "CDImage.mp3" MP3\n', ["CDImage.mp3"])


TRACKS = {"01 One.flac": "01 One.opus", "02 Two.flac": "02 Two.opus"}


def test_a_sheet_of_a_file_a_track_names_each_converted_file():
    data = b'FILE "01 One.flac" WAVE\n  TRACK 01 AUDIO\nFILE "02 Two.flac" WAVE\n'
    out, named = renaming(data, TRACKS)
    assert out == b'FILE "01 One.opus" WAVE\n  TRACK 01 AUDIO\nFILE "02 Two.opus" WAVE\n'
    assert named == ["01 One.opus", "02 Two.opus"]


def test_a_sheet_naming_no_converted_file_is_left_as_it_was():
    data = b'FILE "Other.flac" WAVE\r\n'
    assert renaming(data, TRACKS) == (data, [])


def test_a_name_its_encoding_cannot_spell_keeps_the_sheets_own_with_the_new_end():
    # A Shift-JIS sheet read as Latin-1 (its bytes are kept): its own name, a new extension.
    stem = "東京".encode("shift_jis")
    data = b'FILE "' + stem + b'.flac" WAVE\n'
    out, named = renaming(data, {"東京.flac": "東京.opus"})
    assert out == b'FILE "' + stem + b'.opus" WAVE\n' and len(named) == 1


def test_the_embedded_sheet_keeps_its_line_ends():
    text = 'FILE "a.flac" WAVE\r\n\r\n  TRACK 01 AUDIO\r\n'
    assert naming(text, "a.opus") == 'FILE "a.opus" WAVE\r\n\r\n  TRACK 01 AUDIO\r\n'
