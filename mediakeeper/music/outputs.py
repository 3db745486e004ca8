"""What one processed artist leaves behind: its JSON record, its CSV rows, its issue report
(Markdown; its web page is made when read: ``fs.reports``).

The record and the report are written atomically, and only when their bytes change (a
re-run that finds the artist as it was rewrites none but its record, which carries the
time). The CSV rows are appended to ``status/music/csv_rows.jsonl`` (``fs.keyed_log``:
rows a person never opens are not worth a file an artist), from which ``tracks.csv`` for
the whole library is assembled at the end of a batch, so workers never rewrite a shared
file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mediakeeper.core import kinds
from mediakeeper.core.decisions import is_open, questions
from mediakeeper.fs.atomic import atomic_write_bytes, encode_text, write_if_changed
from mediakeeper.fs.keyed_log import KeyedLog
from mediakeeper.fs.reports import write_report
from mediakeeper.music.finding_groups import group_findings
from mediakeeper.music.model import Track
from mediakeeper.music.refound import refound
from mediakeeper.tags.table import LOGICAL_TAGS
from mediakeeper.text.commands import tool_command
from mediakeeper.text.jsonfmt import dumps_by_line
from mediakeeper.text.render import render
from mediakeeper.text.slug import inside
from mediakeeper.text.visible import shell_word

MUSIC = kinds.get("music")  # its own record (its kind.py points at this module)

CSV_COLUMNS = (
    "artist_folder",
    "path",
    "format",
    *LOGICAL_TAGS,
    "duration",
    "bitrate",
    "tag_version",
    "has_picture",
    "findings",
)


def track_record(track: Track) -> dict[str, Any]:
    """A plain dict of one track (shallow: dataclasses.asdict deep-copies, and is slow)."""
    return {**vars(track), "tags": dict(track.tags)}


class ArtistOutputs:
    """Where one artist's outputs live under the data home."""

    def __init__(self, home: Path, slug: str):
        self.home = home
        self.json_path = inside(home, *MUSIC.output_dir, f"{slug}.json")
        self.slug = slug
        self.report_path = inside(home, "issues", MUSIC.name, f"{slug}.md")

    def write(self, artist: Mapping[str, Any], tracks: Iterable[Track], findings: list[dict]):
        tracks = list(tracks)
        document = {**artist, "tracks": [track_record(t) for t in tracks], "findings": findings}
        self.write_record(document, tracks)
        self.write_rows(artist["folder_name"], tracks, findings)

    def write_rows(self, folder_name: str, tracks: list[Track], findings: list[dict]) -> None:
        """The artist's rows of ``tracks.csv``, kept until ``assemble_tracks_csv`` joins them."""
        rows = _csv_rows(folder_name, tracks, findings)
        csv_rows_log(self.home).append(self.slug, {"rows": rows, AS_TEXT: True})

    def write_record(self, document: Mapping[str, Any], tracks: list[Track]) -> None:
        """The JSON record and the issue report of ``document`` (its tracks as ``tracks``)."""
        # Derived data, rebuilt by re-processing: atomic (old or new), but not worth an fsync.
        write_if_changed(self.json_path, encode_text(dumps_by_line(document)), durable=False)
        report = render_report(document, tracks, document["findings"], home=self.home)
        write_report(self.report_path, report)


def write_again(home: Path, slug: str, document: dict[str, Any]) -> None:
    """The artist's JSON record, issue report and rows of ``tracks.csv`` from its
    ``document`` as it stands (a decision taken since the batch, or an undo), its album
    findings found again where its tags differ from those the record was written with
    (``refound``: the document's findings are replaced, which the caller counts). The rows
    are kept for ``tracks.csv``, which ``assemble_tracks_csv`` joins once the decisions are
    written (the kind's ``joins``: after one, or after a group's last), where they differ
    from the rows of the record as last written (a dismissal writes no tag: no row changes,
    and ``tracks.csv``, whose rows log is then no newer than it, is not written again)."""
    outputs = ArtistOutputs(home, slug)
    then = _written(outputs.json_path)
    if then is not None:
        document["findings"] = refound(document, then.get("tracks") or [])
    tracks = [Track(**t) for t in document.get("tracks") or []]
    outputs.write_record(document, tracks)
    if then is None or _rows_of(then) != _rows_of(document):
        outputs.write_rows(document["folder_name"], tracks, document["findings"])


def _written(path: Path) -> dict[str, Any] | None:
    """The record at ``path`` as it was last written (None: no record to read, so nothing
    to tell a change of the tags by)."""
    try:
        with open(path, "rb") as f:
            written = json.load(f)
    except (OSError, ValueError):
        return None
    return written if isinstance(written, dict) else None


def _rows_of(document: Mapping[str, Any]) -> str | None:
    """A record's rows of ``tracks.csv`` (None: a record that cannot make them)."""
    try:
        tracks = [Track(**t) for t in document.get("tracks") or []]
        return _csv_rows(document["folder_name"], tracks, document.get("findings") or [])
    except (KeyError, TypeError, AttributeError):
        return None


# What a spreadsheet reads as the start of a formula (``=HYPERLINK(...)``, ``+cmd|...``,
# ``@SUM(...)``, ``-2+3``; a tab or carriage return before one): OWASP's list.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell of written rows that may begin so (at a line's start or after a comma, quoted or
# not; a line within a quoted cell may match too): one search of an artist's rows, in C,
# where a look at each of its cells would cost the pass a Python call per tag.
_MAY_BEGIN_A_FORMULA = re.compile(r'(?:^|,)"?[-=+@\t\r]', re.M)


def _as_text(cell: str) -> str:
    """A cell from a tag or a file name as a spreadsheet shows text: one that would begin a
    formula behind an apostrophe, which the spreadsheet shows as text and does not show
    itself (CSV injection: a tag ``=HYPERLINK(...)`` run by the person opening the file)."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def _held_as_text(rows: str) -> str:
    """``rows`` (CSV) with each cell that would begin a formula held as text (``_as_text``),
    every other row byte for byte as it was written: an artist's rows where one may, and
    the rows an older release kept as they were (``AS_TEXT`` missing)."""
    if not _MAY_BEGIN_A_FORMULA.search(rows):
        return rows
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        list(map(_as_text, row)) for row in csv.reader(io.StringIO(rows, newline=""))
    )
    return out.getvalue()


def _csv_rows(folder: str, tracks: list[Track], findings: list[dict]) -> str:
    codes: dict[str, list[str]] = {}
    for finding in findings:
        codes.setdefault(finding["path"], []).append(finding["code"])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [
            folder,
            t.path,
            t.format,
            *map(t.tags.get, LOGICAL_TAGS, _BLANKS),  # map runs in C, a generator would not
            round(t.duration, 3),
            t.bitrate,
            t.tag_version,
            int(t.has_picture),
            " ".join(sorted(set(codes.get(t.path, ())))),
        ]
        for t in tracks
    )
    return _held_as_text(out.getvalue())  # (no other column begins with a sign)


_BLANKS = ("",) * len(LOGICAL_TAGS)
# In an artist's record of csv_rows.jsonl: its rows hold formulas as text (``_as_text``).
# Rows an older release kept lack it, and are held so as tracks.csv is assembled.
AS_TEXT = "as_text"


def csv_rows_log(home: Path) -> KeyedLog:
    """Each artist's rows of ``tracks.csv``, by its slug."""
    return KeyedLog(inside(home, "status", MUSIC.name, "csv_rows.jsonl"))


def assemble_tracks_csv(home: Path) -> Path:
    """Join every artist's CSV rows into ``outputs/music/tracks.csv`` (atomically), in the
    order of their slugs, one artist's in memory at a time (the last step of a batch, with
    one core idle; the whole file held would grow the batch with the library)."""
    log = csv_rows_log(home)
    _take_old_parts(home, log)
    target = inside(home, "outputs", "music", "tracks.csv")
    if _newer(target, log.path):  # no row kept since it was written (a dismissal's)
        return target
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(CSV_COLUMNS)
    rows = (encode_text(record["rows"] if record.get(AS_TEXT) else _held_as_text(record["rows"]))
            for _, record in log.sorted_records())  # fmt: skip
    atomic_write_bytes(target, itertools.chain([encode_text(header.getvalue())], rows))
    log.fold_if_grown()
    return target


def _newer(made: Path, source: Path) -> bool:
    """Whether ``made`` was written after ``source`` last changed (strictly: two writes in
    one tick of the clock are not told apart, so the file is made again)."""
    try:
        return os.stat(made).st_mtime_ns > os.stat(source).st_mtime_ns
    except OSError:
        return False


def _take_old_parts(home: Path, log: KeyedLog) -> None:
    """An older home's rows, a file an artist in ``outputs/music/tracks/``, into the log
    (the rows an artist processed since has there stand), then their files removed."""
    parts_dir = inside(home, "outputs", "music", "tracks")
    try:
        parts = [e for e in os.scandir(parts_dir) if e.name.endswith(".csv") and e.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return
    kept = log.keys()
    for part in parts:
        slug = part.name.removesuffix(".csv")
        if slug not in kept:
            with open(part.path, "rb") as f:
                log.append(slug, {"rows": f.read().decode("utf-8", "surrogateescape")})
    for part in parts:
        os.unlink(part.path)
    with contextlib.suppress(OSError):
        os.rmdir(parts_dir)


def render_report(
    artist: Mapping[str, Any],
    tracks: list[Track],
    findings: list[dict],
    *,
    home: Path | None = None,
) -> str:
    """``home``: the data home, named in the undo command (see ``mediakeeper.text.commands``),
    which is offered only when this run wrote something (``summary["changes_written"]``)."""
    albums: dict[str, list[dict]] = {}
    for finding in sorted(findings, key=lambda f: (f["album"] != "", f["album"].casefold())):
        albums.setdefault(finding["album"], []).append(finding)
    summary = artist.get("summary") or {}
    written = summary.get("changes_written", 0) + summary.get("loudness_changes", 0)
    undo = f"{tool_command('undo', home)} --artist {shell_word(artist['name'])}"
    return render(
        MUSIC.report_template,
        artist=artist,
        track_count=len(tracks),
        albums=[(album, group_findings(found, tracks)) for album, found in albums.items()],
        fixed=[f for f in findings if f["fixed"]],
        open=[f for f in findings if is_open(f)],
        decisions=questions(findings),
        loudness=summary.get("loudness_changes", 0),
        undo=undo if written else "",
    )
