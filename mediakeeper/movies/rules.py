"""Pure decisions about one movie folder: which name to look up, which TMDb candidate (if any)
is the movie, and the findings for a person. Data in, decisions and findings out; no I/O.

A search result is accepted only when its title or original title equals the folder's title
(after :func:`normalise_title`) *and* its year equals the folder's year. A folder without a
year is never matched by search (there is no year to agree with): its candidates are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from mediakeeper.core.findings import Finding, finding_of
from mediakeeper.lookup.tmdb_types import MovieCandidate, MovieDetails
from mediakeeper.movies.names import (
    ParsedName,
    normalise_title,
    parse_name,
    strip_tags,
    suggested_name,
)
from mediakeeper.movies.videos import DISC_FOLDERS, VideoScan

MATCHED, AMBIGUOUS, NO_MATCH = "matched", "ambiguous", "none"
CANDIDATES_SHOWN = 10
# Finding codes (a public contract: mediakeeper.core.findings.CODES lists them with the others).
NO_VIDEO_FILE = "no-video-file"
EMPTY_VIDEO_FILE = "empty-video-file"
TRUNCATED_VIDEO_FILE = "truncated-video-file"
SEVERAL_MAIN_FILES = "several-main-files"
MISSING_YEAR = "missing-year-in-name"
AMBIGUOUS_MATCH = "ambiguous-match"
NO_MATCH_CODE = "no-match"
FOLDER_NAME_DIFFERS = "folder-name-differs"
NO_ARTWORK = "no-artwork"


@dataclass(frozen=True)
class Choice:
    """The decision about a search's candidates."""

    status: str  # matched | ambiguous | none
    movie_id: int | None = None
    candidates: tuple[MovieCandidate, ...] = ()  # what a person is shown
    reason: str = ""


def lookup_name(folder_name: str, videos: VideoScan) -> ParsedName:
    """The folder's name, completed from the main video's file name: a year (only when both
    give the same title) and a ``[tmdbid-N]`` tag the folder lacks."""
    folder = parse_name(folder_name)
    main = videos.main
    if (folder.year and folder.tmdb_id) or not main:
        return folder
    last = PurePosixPath(main[0])
    if last.name.casefold() in DISC_FOLDERS:
        return folder
    from_file = parse_name(last.stem)
    same_title = normalise_title(from_file.title) == normalise_title(folder.title)
    return ParsedName(
        title=folder.title,
        year=folder.year or (from_file.year if same_title else None),
        tmdb_id=folder.tmdb_id or from_file.tmdb_id,
        imdb_id=folder.imdb_id or from_file.imdb_id,
    )


def choose_movie(candidates: Sequence[MovieCandidate], title: str, year: int | None) -> Choice:
    wanted = normalise_title(title)
    same_title = [
        c
        for c in candidates
        if wanted and wanted in (normalise_title(c.title), normalise_title(c.original_title))
    ]
    if year is None:
        if same_title:
            return Choice(AMBIGUOUS, None, tuple(same_title[:CANDIDATES_SHOWN]), "no year")
        return Choice(NO_MATCH, None, tuple(candidates[:CANDIDATES_SHOWN]), "no year")
    agreeing = [c for c in same_title if c.year == year]
    if len(agreeing) == 1:
        return Choice(MATCHED, agreeing[0].id, (agreeing[0],), "title and year agree")
    if agreeing:
        return Choice(AMBIGUOUS, None, tuple(agreeing[:CANDIDATES_SHOWN]), "same title and year")
    return Choice(NO_MATCH, None, tuple(candidates[:CANDIDATES_SHOWN]), "no title and year match")


# ---- findings -------------------------------------------------------------------------------


def collected(videos: VideoScan) -> list[str]:
    """The movie folders a collection folder holds (``Alien Anthology/Alien (1979)/``): its
    candidate main videos each in a folder of its own whose name has a year and a title of
    its own; [] when they are not (versions of one movie, parts, a file beside them)."""
    if any(len(PurePosixPath(group[0]).parts) < 2 for group in videos.groups):
        return []
    tops = [PurePosixPath(group[0]).parts[0] for group in videos.groups]
    named = [parse_name(top) for top in tops]
    titles = {normalise_title(name.title) for name in named}
    if len(titles) != len(tops) or any(name.year is None for name in named):
        return []
    return tops


def local_findings(folder_name: str, parsed: ParsedName, videos: VideoScan) -> list[Finding]:
    """What the folder itself shows, with or without TMDb."""
    findings = []
    if not videos.groups:
        others = [*videos.samples, *videos.extras]
        findings.append(
            finding_of(
                NO_VIDEO_FILE,
                "",
                "no video file in this folder"
                + (f" (only samples or extras: {', '.join(others[:5])})" if others else ""),
            )
        )
    elif len(videos.groups) > 1:
        mains = [" + ".join(group) for group in videos.groups]
        folders = collected(videos)
        said = (
            f"{len(folders)} movie folders in this folder, a collection: {'; '.join(folders)} "
            "— each movie is a folder directly inside the library: move them up beside this one"
            if folders else
            f"{len(mains)} candidate main video files: {'; '.join(mains)} — keep one movie "
            "per folder, name the parts of one movie cd1/cd2, or move extras to Extras/"
        )  # fmt: skip
        files = {"files": [list(group) for group in videos.groups]}
        findings.append(finding_of(SEVERAL_MAIN_FILES, "", said, details=files))
    if videos.empty:  # matched by its name all the same, but there is nothing to play
        findings.append(finding_of(
            EMPTY_VIDEO_FILE, "",
            f"the video file is empty (0 bytes): {', '.join(videos.empty)} — copy it again "
            "from where it came", details={"files": list(videos.empty)}))  # fmt: skip
    if videos.cut:  # as for an empty one: named and matched, but a player stops part way
        findings.append(finding_of(
            TRUNCATED_VIDEO_FILE, "",
            "the video file is cut short: "
            + "; ".join(f"{path} ({how})" for path, how in videos.cut)
            + " — copy it again from where it came",
            details={"files": [path for path, _ in videos.cut]}))  # fmt: skip
    if parse_name(folder_name).year is None:
        if parsed.year:
            how = f"the year {parsed.year} was taken from the video file's name"
        elif parsed.tmdb_id:
            how = "the [tmdbid] tag identifies the movie anyway"
        else:
            how = "a TMDb match needs one, e.g. 'Title (1999)'"
        findings.append(finding_of(MISSING_YEAR, "", f"the folder name has no year: {how}"))
    return findings


def match_findings(choice: Choice, parsed: ParsedName, choose: str) -> list[Finding]:
    """``ambiguous-match`` / ``no-match`` with the candidates; nothing for a match.
    ``choose``: the command that picks a TMDb id for this movie, but for the id."""
    if choice.status == MATCHED:
        return []
    listed = [candidate_record(c) for c in choice.candidates]
    shown = "; ".join(
        f"{c['title']} ({c['year'] or 'year unknown'}) [tmdbid-{c['id']}]" for c in listed
    )
    asked = f"'{parsed.title}'" + (f" ({parsed.year})" if parsed.year else "")
    # The advice names a real id: the likeliest candidate's, which the person checks first.
    some_id = str(listed[0]["id"]) if listed else "ID"
    advice = (
        f"To take the right one, run `{choose} {some_id}` with its id (no file is renamed), "
        f"or add its [tmdbid-{some_id}] to the video file's name and reset the movie; "
        "nothing was written."
    )
    if choice.status == AMBIGUOUS:
        why = (
            "the folder name has no year to choose between them"
            if parsed.year is None
            else "several movies have this title and year"
        )
        message = f"{len(listed)} TMDb movies could be {asked} ({why}): {shown}. {advice}"
        code = AMBIGUOUS_MATCH
    else:
        found = f"candidates: {shown}" if listed else "TMDb found nothing"
        message = f"no TMDb movie matches {asked} in title and year ({found}). {advice}"
        code = NO_MATCH_CODE
    return [finding_of(code, "", message, details={"candidates": listed})]


def folder_finding(folder_name: str, movie: MovieDetails) -> Finding | None:
    """``folder-name-differs`` unless the folder is already ``Title (Year)`` with TMDb's title
    (or original title) and year; the suggestion keeps a ``[tmdbid-N]`` tag it had."""
    folder = parse_name(folder_name)
    titles = {normalise_title(movie.title), normalise_title(movie.original_title)}
    tidy = strip_tags(folder_name) == suggested_name(folder.title, folder.year)
    if tidy and folder.year == movie.year and normalise_title(folder.title) in titles:
        return None
    suggestion = suggested_name(movie.title, movie.year, movie.id if folder.tmdb_id else None)
    return finding_of(
        FOLDER_NAME_DIFFERS,
        "",
        f"the folder name differs from TMDb's title: suggested name '{suggestion}'",
        details={"suggested": suggestion, "tmdb_title": movie.title, "tmdb_year": movie.year},
    )


def no_artwork(name: str, why: str) -> Finding:
    return finding_of(NO_ARTWORK, name, f"{name} not downloaded: {why}")


def candidate_record(candidate: MovieCandidate) -> dict[str, Any]:
    return {
        "id": candidate.id,
        "title": candidate.title,
        "original_title": candidate.original_title,
        "year": candidate.year,
        "overview": candidate.overview,
        "poster_path": candidate.poster_path,
    }
