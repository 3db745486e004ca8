"""Pure decisions behind safe fixes: what a tag value should become, and how proposals combine.

rules.py finds problems; this module holds the evidence its fixes lean on (cleaned text,
majority votes, numbers and years read from file and folder names) and the ``Plan`` that
settles overlapping proposals so that every (file, tag) ends with at most one new value. What a
tag's value means when values are compared (a track number's number, a date's year) is its
type's, in the tag table (``mediakeeper.tags.values``).

Fix-conflict policy. Rules run in stages (text clean-up, then album consistency, then
artist-wide spelling) and read tag values through the plan, i.e. as the earlier stages' fixes
would leave them. So a later stage's value already includes the earlier work, and where two
stages propose a value for the same (file, tag) the later one wins. Within a stage the first
proposal wins (rules are written so that they agree). Every change keeps the file's current
value as ``old``; a change whose value did not win is dropped from its finding, which stays
reported with ``details["superseded_by"]`` naming the codes whose fix covers it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache, partial
from typing import TypeVar

from mediakeeper import tags
from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import Finding
from mediakeeper.music.model import Track
from mediakeeper.tags.values import Text
from mediakeeper.text.discs import DISC
from mediakeeper.text.fold import caseless
from mediakeeper.text.spaces import tidy_spaces

K = TypeVar("K", bound=Hashable)

# "03 - x", "03. x", "3 x", "03-x", "1-03 x" (disc-track). One or two digits only, so that a
# year ("1999 - x") or a "101"-style disc+track number is never read as a track number.
_NAME_NUMBER = re.compile(
    r"^(?:(?P<disc>\d{1,2})-(?=\d))?(?P<track>\d{1,2})"
    r"(?:(?P<sep> - |\s*[-._)]\s*|\s+)(?P<rest>.*))?$"
)
_FOLDER_YEAR = re.compile(r"^(?:(?P<a>(?:19|20)\d\d) - .+|[(\[](?P<b>(?:19|20)\d\d)[)\]] ?.+)$")
# An album name's disc suffix: "X (Disc 1)", "X [Disc 2]", "X CD2", "X - Disc 2 of 2".
_DISC_SUFFIX = re.compile(
    rf"(?:\s*[-:,]?\s*[(\[]\s*|\s*[-:,]\s*|\s+){DISC}\s*[)\]]?\s*$", re.IGNORECASE
)
_FEATURING = re.compile(r"\s+(?:feat\.?|ft\.|featuring)\s.*$", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[\W_]+")
VARIOUS_ARTISTS = frozenset({"various artists", "various", "va", "v.a.", "v/a"})


# --- text -----------------------------------------------------------------------------------


def mojibake_repair(value: str) -> tuple[str, bool] | None:
    """None when ftfy sees no mis-decoded text; else (its repair, whether the repair is safe).

    Safe means the repair round-trips: encoding it as UTF-8 and decoding as Latin-1 or cp1252
    gives back exactly the stored text, i.e. exactly one layer of mis-decoding is undone.
    """
    if value.isascii():  # mis-decoded UTF-8 always leaves non-ASCII behind; most tags are ASCII
        return None
    repaired = _encoding_repair()(value)
    if repaired == value:
        return None
    return repaired, any(_decodes_to(repaired, enc, value) for enc in ("latin-1", "cp1252"))


@cache
def _encoding_repair() -> Callable[[str], str]:
    """ftfy's encoding repair alone: curly quotes, ligatures, full-width letters and HTML
    entities are deliberate in many titles and must not count as mojibake. Imported on first
    use: an artist whose tags are all ASCII never needs ftfy, which is slow to import."""
    import ftfy

    only_encoding = ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=False,
        remove_control_chars=False,
        normalization=None,
    )
    return partial(ftfy.fix_text, config=only_encoding)


def _decodes_to(repaired: str, encoding: str, original: str) -> bool:
    try:
        return repaired.encode("utf-8").decode(encoding) == original
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined
        return False


def clean_text(value: str) -> str:
    """The value every text fix aims at: the safe mojibake repair, then tidy spacing."""
    found = mojibake_repair(value)
    if found is not None and found[1]:
        value = found[0]
    return tidy_spaces(value)


# --- names: file, folder, album and artist names -------------------------------------------


@dataclass(frozen=True)
class NameNumber:
    """The number a file name starts with; ``title`` only for the "NN - Title" form."""

    track: int
    disc: int | None = None
    title: str | None = None


def name_number(path: str) -> NameNumber | None:
    """Read "03 - Title.mp3", "03. Title", "3 Title", "1-03 Title" (disc-track)."""
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    match = _NAME_NUMBER.match(stem)
    if match is None:
        return None
    disc = int(match["disc"]) if match["disc"] else None
    # Only " - " separates a number from a title reliably enough to fill in a missing title.
    title = clean_text(match["rest"]) if match["sep"] == " - " else None
    return NameNumber(int(match["track"]), disc, title or None)


def folder_year(album: str) -> str | None:
    """Year from an album folder named "YYYY - Title", "(YYYY) Title" or "[YYYY] Title"."""
    match = _FOLDER_YEAR.match(album.rsplit("/", 1)[-1])
    return (match["a"] or match["b"]) if match else None


@lru_cache(maxsize=4096)  # asked for every track of an album, which mostly share one name
def disc_suffix(album: str) -> tuple[str, int] | None:
    """("The Wall", 2) for "The Wall (Disc 2)", "The Wall CD2", ...; None without a suffix."""
    match = _DISC_SUFFIX.search(album)
    if match is None or match.start() == 0:
        return None
    return album[: match.start()], int(match["disc"])


def artist_identity(name: str) -> str:
    """One artist however it is spaced or cased, with or without "The"; accents count. The
    artist-wide spelling fix makes the spellings of one identity one, so a decision an earlier
    stage takes on artists compares identities: that fix cannot change it a run later."""
    return " ".join(caseless(name).split()).removeprefix("the ")


def lead_artist(artist: str) -> str:
    """An artist tag without its featured guests, for comparison: "X feat. Y" -> "x"."""
    return _FEATURING.sub("", artist).strip().casefold()


def is_various_artists(albumartist: str) -> bool:
    """ "Various Artists", "VA", "Various" in any case: the album artist of a compilation."""
    return albumartist.strip().casefold() in VARIOUS_ARTISTS


def names_album(folder: str, album: str) -> bool:
    """Whether an album folder's name names this album: one holds the other's words, in order
    ("1969 - Abbey Road [Remaster]" names "Abbey Road"; "Misc" names no album)."""
    a, b = (_NOT_ALNUM.sub(" ", name.casefold()).strip() for name in (folder, album))
    return bool(a and b) and (f" {b} " in f" {a} " or f" {a} " in f" {b} ")


# --- votes ----------------------------------------------------------------------------------


def strict_majority(keys: Iterable[K], total: int) -> K | None:
    """The key held by more than half of ``total`` voters (exactly half is not a majority)."""
    return majority_of(Counter(keys), total)


def majority_of(counts: Counter[K], total: int) -> K | None:
    """``strict_majority`` of votes already counted."""
    if not counts:
        return None
    key, count = counts.most_common(1)[0]
    return key if count * 2 > total else None


def most_common(values: Iterable[str]) -> str:
    """Most frequent value; ties go to the smallest, so the choice never depends on order."""
    counts = Counter(values)
    return min(counts, key=lambda value: (-counts[value], value))


# --- the plan -------------------------------------------------------------------------------


_UNPLANNED = object()  # not in the plan (None there means: the tag is to be removed)
# What a tag's value means for comparison where its type in the tag table reads a key of its
# own (a number: the number it starts with; a date: its year). Any other value is compared as
# text, by ``Text.key`` inline: the rules ask for keys all the time, most of them text's.
_TYPED_KEY: dict[str, Callable[[str], str | None]] = {
    name: field.type.key
    for name, field in tags.FIELD_OF.items()
    if type(field.type).key is not Text.key
}


class Plan:
    """Tag values as the fixes proposed so far would leave them (see the module's policy)."""

    def __init__(self) -> None:
        self._planned: dict[tuple[str, str], str | None] = {}
        # key() by (path, tag): the rules ask for the same keys over and over, and the plan
        # changes only in adopt(), which forgets the keys of the tags it plans anew.
        self._keys: dict[tuple[str, str], str | None] = {}

    def value(self, track: Track, tag: str) -> str:
        """The planned value, "" when the tag is (or will be) absent."""
        value = self._planned.get((track.path, tag), _UNPLANNED)
        if value is _UNPLANNED:
            value = track.tags.get(tag)
        return value or ""

    def key(self, track: Track, tag: str) -> str | None:
        """What a tag's planned value means for comparison, as its type reads it (a track
        number: its number, "03/12" is "3"; a date: its year); None when absent, blank or not
        a number or year."""
        at = (track.path, tag)
        key = self._keys.get(at, _UNPLANNED)
        if key is _UNPLANNED:
            value, typed = self.value(track, tag), _TYPED_KEY.get(tag)
            key = self._keys[at] = (value.strip() or None) if typed is None else typed(value)
        return key

    def change(self, track: Track, tag: str, new: str) -> TagChange:
        """A change from the file's stored value (not the planned one) to ``new``."""
        return TagChange(track.path, tag, track.tags.get(tag), new)

    def adopt(self, findings: Iterable[Finding]) -> None:
        """Take one stage's proposals into the plan; within the stage the first one wins."""
        staged: dict[tuple[str, str], str | None] = {}
        for finding in findings:
            for change in finding.changes:
                staged.setdefault((change.path, change.tag), change.new)
        self._planned.update(staged)
        # A key reads its own (path, tag) alone: the other keys hold for the next stage,
        # which asks for most of them again (all forgotten, each stage read them anew).
        for at in staged:
            self._keys.pop(at, None)

    def settle(self, findings: Iterable[Finding]) -> list[Finding]:
        """Keep in each finding only the changes that agree with the final plan and do work."""
        findings = list(findings)
        final = self._planned
        winners: dict[tuple[str, str], set[str]] = {}
        for finding in findings:
            for change in finding.changes:
                key = (change.path, change.tag)
                if final.get(key, change.old) == change.new:
                    winners.setdefault(key, set()).add(finding.code)
        settled = []
        for finding in findings:
            kept, lost, elsewhere = [], set(), []
            for change in finding.changes:
                key = (change.path, change.tag)
                if final.get(key, change.old) != change.new:
                    lost |= winners.get(key, set())
                    elsewhere.append(list(key))
                elif change.new != change.old:
                    kept.append(change)
            if len(kept) == len(finding.changes):
                settled.append(finding)
                continue
            details = dict(finding.details)
            if elsewhere:  # the tags another finding's fix sets: written, they settle this one
                details["settled_elsewhere"] = elsewhere
            if lost - {finding.code}:
                details["superseded_by"] = tuple(sorted(lost - {finding.code}))
            settled.append(replace(finding, changes=tuple(kept), details=details))
        return settled


def planned_changes(findings: Iterable[Finding]) -> list[TagChange]:
    """All changes merged, one per (path, tag), sorted by path then tag.

    Findings from ``find_issues`` are already settled. Should findings from elsewhere still
    disagree about one tag of one file, that tag is left alone: ambiguous means untouched.
    """
    by_key: dict[tuple[str, str], set[TagChange]] = {}
    for finding in findings:
        for change in finding.changes:
            if change.new != change.old:
                by_key.setdefault((change.path, change.tag), set()).add(change)
    return [next(iter(changes)) for _, changes in sorted(by_key.items()) if len(changes) == 1]
