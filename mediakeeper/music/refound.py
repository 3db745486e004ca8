"""After a person's decision wrote an artist's tags (or an undo put them back): the album
findings those tags decide, found again by the batch's own rules (``rules.album_findings``),
so the artist's document, its report and its open decisions say what is now true: a choice
that fills a track gap leaves no ``track-gap``, one that numbers two tracks alike leaves a
``duplicate-tracknumber``.

Only the albums whose tracks' tags differ from those the document was last written with
are looked at again. There, an open finding the album rules made of the tags as they were,
and make no more, goes; one they now make that the document lacks comes, in its place in
the batch's order. What a fix or a person closed stays as it is (fixed, decided,
dismissed); a finding found again keeps its record (why its fix was not written, what an
undo took back), so an undo, whose tags are the batch's again, brings the findings back as
they were. A new finding of a code the person dismissed in this artist is closed by that
dismissal, as the next batch would close it (``dismissals.close``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mediakeeper.core.decisions import DISMISSED
from mediakeeper.core.findings import finding_record
from mediakeeper.music.model import ArtistScan, Track
from mediakeeper.music.rules import album_findings, order

# What the rules add to a finding's details beside what it found (why its fix is held back,
# which fix stands where two propose one): no part of which finding it is.
_NOT_WHAT = frozenset({"not_fixed", "settled_elsewhere", "superseded_by"})

Record = dict[str, Any]


def refound(document: Mapping[str, Any], tracks_then: Sequence[Mapping[str, Any]]
            ) -> list[Record]:  # fmt: skip
    """The ``document``'s findings with those of the albums whose tags its tracks hold
    otherwise than ``tracks_then`` (those it was last written with) found again."""
    then = {t["path"]: t["tags"] for t in tracks_then}
    tracks = document.get("tracks") or []
    albums = {t["album"] for t in tracks if then.get(t["path"]) != t["tags"]}
    findings: list[Record] = list(document.get("findings") or [])
    if not albums:
        return findings
    folder = str(document.get("folder_name") or "")
    was = _found(folder, tracks_then, albums)
    now = _found(folder, tracks, albums)
    kept = [r for r in findings if not _answered(r, was, now)]
    dismissed = {r["code"]: r["decided"] for r in findings
                 if (r.get("decided") or {}).get("what") == DISMISSED}  # fmt: skip
    for new in now:
        # Found again: kept as it is, unless it is one a fix closed (the tags undo that fix).
        if any(_same(r, new) and not r.get("fixed") for r in kept):
            continue
        if new["code"] in dismissed:
            new["decided"] = dict(dismissed[new["code"]])
        at = next((i for i, r in enumerate(kept) if _order(r) > _order(new)), len(kept))
        kept.insert(at, new)
    return kept


def _found(folder: str, tracks: Iterable[Mapping[str, Any]], albums: set[str]) -> list[Record]:
    """The album rules' findings of ``albums``, as records read back from JSON (as the
    document holds them: lists, not tuples). Their tracks alone are looked at: an album's
    rules read no other album's."""
    scan = ArtistScan(folder, tuple(Track(**t) for t in tracks if t["album"] in albums))
    found = [finding_record(f) for f in album_findings(scan)]
    return json.loads(json.dumps(found))


def _answered(record: Record, was: list[Record], now: list[Record]) -> bool:
    """Whether ``record`` is an open finding the rules made of the tags as they were, and
    make no more of them as they are."""
    if record.get("fixed") or record.get("decided"):
        return False
    return any(_same(record, f) for f in was) and not any(_same(record, f) for f in now)


def _same(record: Record, found: Record) -> bool:
    """Whether ``record`` is the finding ``found``: its code, place and what the rule found
    (a record keeps more: an undo's marks, why a fix was not written; and its wording may
    say so)."""
    if (record["code"], record["path"], record["album"]) != (
        found["code"], found["path"], found["album"]
    ):  # fmt: skip
        return False
    details = record.get("details") or {}
    return all(details.get(k) == v for k, v in found["details"].items() if k not in _NOT_WHAT)


def _order(record: Record) -> tuple[str, ...]:
    return order(record["album"], record["path"], record["code"], record["details"],
                 record["message"])  # fmt: skip
