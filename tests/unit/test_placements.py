"""Placing a folder so that only the item's own files are ever replaced
(``mediakeeper.batch.placements``), and the layout refusal (``staged.check_layout``): on real
folders and files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediakeeper.batch import placements
from mediakeeper.batch.staged import LayoutRefused, check_layout, relation
from mediakeeper.fs.workdir import PlaceTaken


def _folder(path: Path, **files: bytes) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (path / name.replace("_", ".")).write_bytes(data)
    return path


def _place(src: Path, target: Path, record: placements.Record, *, overwrite=False, files=None):
    files = files if files is not None else placements.manifest(src)
    placements.place(src, target, files, record, move=True, overwrite=overwrite, noun="album")
    return files


@pytest.fixture
def record(tmp_path) -> placements.Record:
    return placements.Record(tmp_path / "status" / "placed" / "album.json")


def test_a_new_place_gets_the_folder_whole_and_is_recorded(tmp_path, record):
    target = tmp_path / "out" / "Album"
    _place(_folder(tmp_path / "wd" / "p", a_opus=b"A", b_opus=b"B"), target, record)
    assert sorted(p.name for p in target.iterdir()) == ["a.opus", "b.opus"]
    assert record.owned(target) == {"a.opus", "b.opus"}


def test_its_own_earlier_output_is_replaced_only_with_overwrite(tmp_path, record):
    target = tmp_path / "out" / "Album"
    _place(_folder(tmp_path / "wd" / "1", a_opus=b"old", gone_opus=b"old"), target, record)
    (target / "notes.txt").write_text("mine")
    again = _folder(tmp_path / "wd" / "2", a_opus=b"new")
    with pytest.raises(PlaceTaken, match=r"earlier output .*again with --retry-errors --overwrite"):
        _place(again, target, record)
    _place(again, target, record, overwrite=True)
    assert (target / "a.opus").read_bytes() == b"new"
    assert not (target / "gone.opus").exists()  # its own, not in the new output
    assert (target / "notes.txt").read_text() == "mine"


def test_a_file_it_did_not_place_is_never_replaced_and_is_named(tmp_path, record):
    target = _folder(tmp_path / "out" / "Album", a_opus=b"the user's")
    src = _folder(tmp_path / "wd" / "p", a_opus=b"ours")
    for overwrite in (False, True):
        with pytest.raises(PlaceTaken, match=r"a\.opus that mediakeeper did not place") as refused:
            _place(src, target, record, overwrite=overwrite)
        assert "--overwrite" not in str(refused.value)
    assert (target / "a.opus").read_bytes() == b"the user's"


def test_one_of_its_own_files_changed_since_is_the_users(tmp_path, record):
    target = tmp_path / "out" / "Album"
    _place(_folder(tmp_path / "wd" / "1", a_opus=b"old"), target, record)
    (target / "a.opus").write_bytes(b"edited by hand")
    with pytest.raises(PlaceTaken, match="did not place"):
        _place(_folder(tmp_path / "wd" / "2", a_opus=b"new"), target, record, overwrite=True)
    assert (target / "a.opus").read_bytes() == b"edited by hand"


def test_a_folder_holding_only_another_items_folder_takes_the_files_beside_it(tmp_path, record):
    target = tmp_path / "out" / "Album"
    cd2 = _folder(target / "CD2", a_opus=b"cd2's")
    _place(_folder(tmp_path / "wd" / "p", a_opus=b"the album's"), target, record)
    assert (target / "a.opus").read_bytes() == b"the album's"
    assert (cd2 / "a.opus").read_bytes() == b"cd2's"


def test_a_placement_killed_after_its_move_is_recognised_as_its_own(tmp_path, record):
    """Moved, then killed before the record was written: the manifest recorded before the
    move says the files there are its own."""
    target = tmp_path / "out" / "Album"
    src = _folder(tmp_path / "wd" / "p", a_opus=b"A", b_opus=b"B")
    files = _place(src, target, record)
    record.path.unlink()  # as if killed before it could record
    assert not src.exists()
    _place(src, target, record, files=files)
    assert record.owned(target) == {"a.opus", "b.opus"}


def test_a_file_neither_to_move_nor_in_place_is_lost_not_invented(tmp_path, record):
    target = tmp_path / "out" / "Album"
    files = {"a.opus": [1, "0" * 64]}
    with pytest.raises(placements.PlacementLost):
        _place(tmp_path / "wd" / "none", target, record, files=files)


@pytest.mark.parametrize(
    ("dest", "how"),
    [("lib", "is"), ("lib/A/arc", "is inside"), (".", "holds"), ("link", "is")],
)
def test_a_destination_overlapping_the_library_is_refused_naming_both(tmp_path, dest, how):
    lib = _folder(tmp_path / "lib" / "A", a_flac=b"x").parent
    os.symlink(lib, tmp_path / "link")
    where = tmp_path / dest
    assert relation(where, lib) == how
    with pytest.raises(LayoutRefused) as refused:
        check_layout([("library", lib)], [("archive", where)])
    said = str(refused.value)
    assert str(where.resolve()) in said and str(lib.resolve()) in said and "\n" not in said


def test_folders_apart_are_accepted(tmp_path):
    check_layout([("library", tmp_path / "lib"), ("library", None)],
                 [("output", tmp_path / "library-out"), ("archive", None)])  # fmt: skip
    assert relation(tmp_path / "lib", tmp_path / "lib2") is None


def test_a_staged_jobs_working_folder_inside_its_item_is_refused_before_anything(tmp_path):
    """The machine checks each kind's working root with its output folders (``places``):
    a conversion's ``working`` set inside the album it converts."""
    from mediakeeper.batch.job import ItemFailure
    from mediakeeper.conversions.job import ConversionJob

    album = _folder(tmp_path / "lib" / "A", a_flac=b"x")
    job = ConversionJob(home=tmp_path / "home", session="s", output=tmp_path / "out",
                        working=album / "wd")  # fmt: skip
    with pytest.raises(ItemFailure) as failed:
        job.process({"key": "A", "name": "A", "path": str(album), "run_token": "t"})
    said = str(failed.value)
    assert "working" in said and str(album.resolve()) in said, said
    assert sorted(p.name for p in album.iterdir()) == ["a.flac"]


@pytest.mark.parametrize("dest", ["a-file", "a-file/Portable", "broken-link"])
def test_a_destination_that_a_file_stands_in_for_is_refused_naming_it(tmp_path, dest):
    """Every album would fail on it (each counted an attempt): the batch is refused first."""
    (tmp_path / "a-file").write_bytes(b"")
    os.symlink(tmp_path / "nowhere", tmp_path / "broken-link")
    where = tmp_path / dest
    with pytest.raises(LayoutRefused) as refused:
        check_layout([("library", tmp_path / "lib")], [("output", where)])
    said = str(refused.value)
    assert said.startswith(f"the output folder {where} ") and "not a folder" in said, said
    blocker = tmp_path / ("broken-link" if dest == "broken-link" else "a-file")
    assert str(blocker) in said and "\n" not in said
    check_layout([("library", tmp_path / "lib")], [("output", tmp_path / "new" / "out")])
