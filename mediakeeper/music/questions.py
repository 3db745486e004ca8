"""The music kind's decisions (``core.questions``): what each question asks in words, the
evidence it shows, and its choices.

- a proposal (AcoustID's sound matches): each proposed recording a choice, its evidence every
  field of every file, current beside proposed (a person may take some fields, leave others);
- an album whose tracks disagree on a tag: each value a choice, its evidence each value with
  the tracks holding it;
- a fix the batch planned but did not write (an undo took it back): "the fix it proposes";
- a missing tag: no choice of its own but a value the person types (``sets_values``), for
  the files the question concerns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mediakeeper.changes.change import TagChange
from mediakeeper.core.questions import DISMISS, UPGRADE, Asked, Offer, Questions, tag_of
from mediakeeper.music.rule_base import tag_code
from mediakeeper.tags.table import LOGICAL_TAGS
from mediakeeper.text.visible import quoted
from mediakeeper.text.wording import count

FIX = "the fix it proposes"
MISMATCH = "filename-mismatch"
# A file name and its tag disagree on the track number: which is right, worded alike in every
# item (so ``--all --choose N`` takes one for a whole group).
FILE_NAMES, TAGS = "the file name's track number", "the tag's track number"
PROPOSALS = ("album-sound-match", "sound-match")  # AcoustID's: each item's own recordings
FIXES = ("whitespace", "mojibake", "artist-name-variant")  # open: a fix that was not written
# An MP3 whose tag is ID3v2.2: its values written again as ID3v2.4 (``decisions.upgrades``).
LEGACY, UPGRADED = "legacy-tag", "the same values written as ID3v2.4"
# A finding about a file or folder itself, which no tag value settles: mended on disk (the
# finding says how), or left as it is.
ABOUT_FILES = ("unreadable-file", "unsupported-format", "skipped-folder", "changed-during-fix",
               "link-outside-library", "read-only-file", "hard-linked-file",
               "loudness-not-measured", "fingerprint-failed", "legacy-tag")  # fmt: skip
SAID = {"date": "year", "tracknumber": "track number", "discnumber": "disc number",
        "albumartist": "album artist"}  # a tag as a question words it


def words(asked: Asked) -> str:
    """The question for a person: what to do about which files."""
    tag, files = tag_of(asked.findings), asked.files
    said = SAID.get(tag, tag)
    where = f"the album {quoted(asked.album)}" if asked.album else _files_said(files)
    family = asked.code.partition("-")[0]
    if asked.code == tag_code("inconsistent", tag) and tag:
        return f"Which {said} is right for {where}? Its tracks disagree."
    if family == "missing" and tag:
        return f"What is the {said} of {where}? No track says it."
    if _proposals(asked.findings):
        return f"Is {where} what it sounds like? AcoustID proposes a match."
    message = str(asked.findings[0].get("message") or asked.code)
    return message if len(asked.findings) == 1 else f"{message} ({_files_said(files)})"


def _files_said(files: list[str]) -> str:
    return files[0] if len(files) == 1 else count(len(files), "file")


def _proposals(findings: Iterable[Mapping[str, Any]]) -> bool:
    return any((f.get("details") or {}).get("choices") for f in findings)


def offers(asked: Asked) -> tuple[list[Offer], str]:
    if asked.code == MISMATCH:
        return _which_number(asked), ""
    if asked.code == LEGACY:  # ID3v1-only files are upgraded by any other fix; v2.2 here
        v22 = [f for f in asked.findings if (f.get("details") or {}).get("tag_version")
               == "ID3v2.2"]  # fmt: skip
        return ([Offer(UPGRADED, act=UPGRADE)] if v22 else []), ""
    found: list[Offer] = []
    several = len(asked.findings) > 1
    for f in asked.findings:
        for proposed in (f.get("details") or {}).get("choices") or ():
            score = f" (score {proposed['score']:.2f})" if "score" in proposed else ""
            label = f"{proposed['label']}{score}"
            found.append(Offer(f"{f['path']}: {label}" if several else label,
                               changes=changes_of(proposed.get("changes") or ()),
                               file=str(f["path"])))  # fmt: skip
    planned = [f for f in asked.findings if f.get("changes") and not _proposals([f])]
    if planned:
        found.append(Offer(FIX, changes=tuple(c for f in planned for c in
                                              changes_of(f["changes"]))))  # fmt: skip
    tag = tag_of(asked.findings)
    if asked.code == tag_code("inconsistent", tag) and tag and not planned:
        tracks = _album_tracks(asked)
        for value in sorted({t["tags"].get(tag) for t in tracks if t["tags"].get(tag)}):
            changes = tuple(TagChange(t["path"], tag, t["tags"].get(tag), value) for t in tracks
                            if t["tags"].get(tag) != value)  # fmt: skip
            found.append(Offer(f"{tag} {quoted(value)} for the album's {len(tracks)} tracks",
                               changes=changes))  # fmt: skip
    return found, ""


def _which_number(asked: Asked) -> list[Offer]:
    """The file names' numbers written into the tags of every file the question concerns
    (each its total kept: a read gives the number and its total apart, and a write of the
    number keeps the total, ``tags.write``), or the tags' numbers, left as they are (the
    files keep their names: a rename is no tag write)."""
    by_path = {t["path"]: t for t in asked.document.get("tracks") or []}
    changes = []
    for f in asked.findings:
        track, named = by_path.get(f["path"]), (f.get("details") or {}).get("name_number")
        if track is None or named is None:
            continue
        now = track["tags"].get("tracknumber")
        changes.append(TagChange(track["path"], "tracknumber", now, str(named)))
    return [Offer(FILE_NAMES, changes=tuple(changes)), Offer(TAGS)]


def changes_of(records: Iterable[Mapping[str, Any]]) -> tuple[TagChange, ...]:
    return tuple(TagChange(r["path"], r["tag"], r["old"], r["new"]) for r in records)


def _album_tracks(asked: Asked) -> list[Mapping[str, Any]]:
    return [t for t in asked.document.get("tracks") or [] if t.get("album") == asked.album]


def evidence(asked: Asked) -> dict[str, Any]:
    """The tracks the question concerns with their tags; a split value's values, each with
    its tracks; a proposal's every field, current beside proposed, per choice."""
    by_path = {t["path"]: t for t in asked.document.get("tracks") or []}
    shown: dict[str, Any] = {"tracks": [_track(by_path[p]) for p in asked.files if p in by_path]}
    # The tag the question is about, shown beside each track's name: a file name's number
    # is read from the name, so its tag's number beside it is what the two choices weigh.
    tag = "tracknumber" if asked.code == MISMATCH else tag_of(asked.findings)
    if tag:
        shown["tag"] = tag
    if asked.code == tag_code("inconsistent", tag) and tag:
        values: dict[str, list[str]] = {}
        for track in _album_tracks(asked):
            values.setdefault(track["tags"].get(tag) or "", []).append(track["path"])
        most = sorted(values.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        shown["values"] = [{"value": v or None, "tracks": paths} for v, paths in most]
    # Each proposal is its choice's, numbered as ``offers`` numbers them: the proposals
    # first, in this order, then the planned fix (the page ticks a choice's fields on it).
    proposals = [
        {"label": proposed["label"], "score": proposed.get("score"), "file": f["path"],
         "fields": _fields(proposed.get("changes") or ())}
        for f in asked.findings for proposed in (f.get("details") or {}).get("choices") or ()
    ]  # fmt: skip
    planned = [c for f in asked.findings if not _proposals([f]) for c in f.get("changes") or ()]
    if planned:  # a fix the batch planned and did not write (an undo took it back)
        proposals.append({"label": FIX, "score": None, "file": "", "fields": _fields(planned)})
    for number, proposal in enumerate(proposals, 1):
        proposal["choice"] = number
    if proposals:
        shown["proposals"] = proposals
    return shown


def _fields(changes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each field a proposal writes: its file, the field, what it holds, what is proposed."""
    return [{"path": c["path"], "field": c["tag"], "current": c["old"], "proposed": c["new"]}
            for c in changes]  # fmt: skip


def _track(track: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("path", "album", "format", "duration", "bitrate", "lossless", "tags")
    return {k: track.get(k) for k in keep}


def listed(code: str) -> tuple[str, ...]:
    """A code's choices as a group of items lists them, in words: where a choice is a value
    of each item's own (one of an album's values, a proposal), what it is."""
    family, _, said = code.partition("-")
    tag = "date" if said == "year" else said  # as ``tag_code`` words the date tag
    if family == "inconsistent" and tag:
        return (f"one of the album's {tag} values", f"set {tag}", DISMISS)
    if family == "missing" and tag in LOGICAL_TAGS:
        return (f"set {tag}", DISMISS)
    if code == MISMATCH:
        return (FILE_NAMES, TAGS, DISMISS)
    if code in PROPOSALS:
        return ("one of its proposals (best first)", DISMISS)
    if code in FIXES:  # offered where the batch planned a fix it did not write
        return (f"{FIX}, where it has one", DISMISS)
    if code == LEGACY:
        return (f"{UPGRADED} (ID3v2.2 files)", DISMISS)
    if code in ABOUT_FILES:
        return (DISMISS,)
    # Every other code names no tag a typed value sets (a track gap, a number twice, a cover
    # missing: --set of one is refused), and offers the fix its batch planned, where any.
    return (f"{FIX}, where it has one", DISMISS)


QUESTIONS = Questions(words=words, offers=offers, evidence=evidence, sets_values=True,
                      listed=listed)
