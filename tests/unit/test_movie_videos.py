"""Finding the main movie among a folder's files: parts, extras, samples, discs."""

from __future__ import annotations

import pytest

from mediakeeper.core.errors import LibraryError
from mediakeeper.movies.videos import classify, scan_videos

CASES = {
    "one file": (["The Matrix (1999).mkv", "The Matrix (1999).srt", "movie.nfo"],
                 [["The Matrix (1999).mkv"]], [], []),
    "parts cd1 cd2": (["Movie.cd2.avi", "Movie.cd1.avi"], [["Movie.cd1.avi", "Movie.cd2.avi"]],
                      [], []),
    "parts with text after": (["Movie.1999.CD1.XviD.avi", "Movie.1999.CD2.XviD.avi"],
                              [["Movie.1999.CD1.XviD.avi", "Movie.1999.CD2.XviD.avi"]], [], []),
    "part 1..10 in order": ([f"Movie - part{n}.mkv" for n in (10, 2, 1)],
                            [[f"Movie - part{n}.mkv" for n in (1, 2, 10)]], [], []),
    "disc and disk": (["Movie disc1.mkv", "Movie disc2.mkv"],
                      [["Movie disc1.mkv", "Movie disc2.mkv"]], [], []),
    "pt letters": (["Movie-pt a.mkv", "Movie-pt b.mkv"], [["Movie-pt a.mkv", "Movie-pt b.mkv"]],
                   [], []),
    "(Part 1) (Part 2)": (["Movie (Part 1).mkv", "Movie (Part 2).mkv"],
                          [["Movie (Part 1).mkv", "Movie (Part 2).mkv"]], [], []),
    "two films called Part 1 and Part 2": (
        ["Hallows Part 1 (2010).mkv", "Hallows Part 2 (2011).mkv"],
        [["Hallows Part 1 (2010).mkv"], ["Hallows Part 2 (2011).mkv"]], [], []),
    "two versions": (["Movie 1080p.mkv", "Movie 720p.mkv"],
                     [["Movie 1080p.mkv"], ["Movie 720p.mkv"]], [], []),
    "a word ending in pt is not a part": (["Apt 3 (2005).mkv"], [["Apt 3 (2005).mkv"]], [], []),
    "extras folders": (["Movie.mkv", "Extras/Making Of.mkv", "Featurettes/a.mp4",
                        "Behind The Scenes/b.mkv", "Deleted Scenes/c.mkv", "trailers/t.mp4"],
                       [["Movie.mkv"]],
                       ["Behind The Scenes/b.mkv", "Deleted Scenes/c.mkv", "Extras/Making Of.mkv",
                        "Featurettes/a.mp4", "trailers/t.mp4"], []),
    "extra suffixes": (["Movie.mkv", "Movie-trailer.mkv", "Movie.featurette.mp4",
                        "Movie_deleted.mkv"], [["Movie.mkv"]],
                       ["Movie-trailer.mkv", "Movie.featurette.mp4", "Movie_deleted.mkv"], []),
    "samples": (["Movie.mkv", "Sample/movie-sample.mkv", "movie.sample.mkv", "SAMPLE.mkv"],
                [["Movie.mkv"]], [], ["SAMPLE.mkv", "Sample/movie-sample.mkv",
                                      "movie.sample.mkv"]),
    "a title holding 'sample' inside a word": (["Samples of Life.mkv"],
                                               [["Samples of Life.mkv"]], [], []),
    # Words an extra's name ends in that end titles too ("The Big Short", "The Interview"):
    # such a word marks an extra only after a dash, as Plex and Jellyfin read it; the main
    # movie was an extra, and its folder said to hold no video.
    "titles ending in an extra's word": (["The Big Short.mkv"], [["The Big Short.mkv"]], [], []),
    "The Interview": (["The Interview.mkv", "The Interview-trailer.mkv"],
                      [["The Interview.mkv"]], ["The Interview-trailer.mkv"], []),
    "The Other": (["The.Other.mkv"], [["The.Other.mkv"]], [], []),
    "extras whose word follows a dash": (
        ["Movie.mkv", "Movie-interview.mkv", "Movie - short.mkv", "Movie-scene.mkv",
         "Movie-other.mkv", "Movie - Extra.mkv", "Movie-clip.mkv"], [["Movie.mkv"]],
        ["Movie - Extra.mkv", "Movie - short.mkv", "Movie-clip.mkv", "Movie-interview.mkv",
         "Movie-other.mkv", "Movie-scene.mkv"], []),
    # "sample" inside a release name is its title's ("With.Sample.2002"): a sample says so
    # at the start or the end of its name.
    "a title holding the word sample": (
        ["With.Sample.2002.1080p.mkv", "sample-with.sample.2002.mkv", "grp-ws.2002-sample.mkv"],
        [["With.Sample.2002.1080p.mkv"]], [],
        ["grp-ws.2002-sample.mkv", "sample-with.sample.2002.mkv"]),
    "DVD folder": (["VIDEO_TS/VIDEO_TS.IFO", "VIDEO_TS/VTS_01_1.VOB", "VIDEO_TS/VTS_01_2.VOB"],
                   [["VIDEO_TS"]], [], []),
    "Blu-ray folder": (["BDMV/index.bdmv", "BDMV/STREAM/00000.m2ts", "CERTIFICATE/id.bdmv"],
                       [["BDMV"]], [], []),
    "main file in a sub-folder": (["Movie.2000.1080p/movie.mkv"],
                                  [["Movie.2000.1080p/movie.mkv"]], [], []),
    "only a sample": (["sample.mkv"], [], [], ["sample.mkv"]),
    "no video at all": (["movie.nfo", "poster.jpg", "Movie.srt"], [], [], []),
    "junk files": (["._Movie.mkv", ".mediakeeper.Movie.mkv.tmp", "Movie.mkv"],
                   [["Movie.mkv"]], [], []),
    "upper-case suffix": (["MOVIE.MKV", "x.iso"], [["MOVIE.MKV"], ["x.iso"]], [], []),
}  # fmt: skip


@pytest.mark.parametrize(("paths", "groups", "extras", "samples"), CASES.values(), ids=CASES)
def test_classify(paths, groups, extras, samples):
    scan = classify(paths)
    assert [list(g) for g in scan.groups] == groups
    assert sorted(scan.extras) == sorted(extras)
    assert sorted(scan.samples) == sorted(samples)
    assert scan.main == (tuple(groups[0]) if len(groups) == 1 else ())


def test_scan_a_real_folder(tmp_path):
    movie = tmp_path / "The Matrix (1999)"
    junk = "@eaDir/The Matrix.cd1.mkv@SynoEAStream"
    files = ["The Matrix.cd1.mkv", "The Matrix.cd2.mkv", "Extras/Making Of.mkv",
             "Sample/sample.mkv", junk, "poster.jpg"]  # fmt: skip
    for rel in files:
        (movie / rel).parent.mkdir(parents=True, exist_ok=True)
        (movie / rel).write_bytes(b"x")
    scan = scan_videos(movie)
    assert scan.main == ("The Matrix.cd1.mkv", "The Matrix.cd2.mkv")
    assert scan.extras == ("Extras/Making Of.mkv",)
    assert scan.samples == ("Sample/sample.mkv",)


def test_a_missing_folder_is_a_library_error(tmp_path):
    with pytest.raises(LibraryError, match="missing"):
        scan_videos(tmp_path / "gone")


def test_a_movie_folder_that_is_a_link_is_refused_saying_where_it_leads(tmp_path):
    """Queued as a folder, then replaced by a link: nothing is read (or written) there."""
    (tmp_path / "Elsewhere" / "Heat (1995)").mkdir(parents=True)
    (tmp_path / "Elsewhere" / "Heat (1995)" / "heat.mkv").write_bytes(b"x")
    (tmp_path / "Movies").mkdir()
    (tmp_path / "Movies" / "Heat (1995)").symlink_to(tmp_path / "Elsewhere" / "Heat (1995)")
    with pytest.raises(LibraryError, match=r"a link to a folder outside the library \("):
        scan_videos(tmp_path / "Movies" / "Heat (1995)")
    (tmp_path / "Movies" / "Again").symlink_to(tmp_path / "Movies")
    with pytest.raises(LibraryError, match="a link to a folder that loops"):
        scan_videos(tmp_path / "Movies" / "Again")
