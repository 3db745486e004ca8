"""What a kind declares about its decisions: the words of its questions, the evidence each
shows, and the choices it offers, for the one engine every face calls (``decisions.engine``:
list, explain, preview, take, undo) to ask and carry out.

A kind's package holds one ``questions.py`` whose ``QUESTIONS`` is a ``Questions`` (its
record points at it: ``Kind.questions``); a kind without one has the default: its findings'
messages, their files, and no choice but leaving it as it is. A kind never writes a file
here: each choice names an **act** the engine knows how to carry out (a tag change through
the change journal, an album checked again, a file restored from its good copy, a TMDb
candidate kept for the next batch, copies of a duplicate set aside) with what that act needs.

Vocabulary only: no I/O here. What a kind's functions read of the world comes through the
``Asked`` they are given (the item, its output document, the open findings of the question,
and where a good copy of a file is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The acts a choice can name; the engine carries each out (``decisions.engine``).
WRITE = "write"  # its ``changes`` (path, tag, old, new) through the change journal
ACCEPT = "accept"  # close the question as accepted (verify: the new audio taken as good)
AGAIN = "again"  # the item back to pending: its next batch asks anew
RESTORE = "restore"  # ``value``: the good copy put in the file's place, the damaged set aside
RESTORED = "restored from the backup copy"  # what a finding a restore closed says was decided
CANDIDATE = "candidate"  # ``value``: the service id kept in the queue item for the next batch
UPGRADE = "upgrade"  # an MP3's ID3v2.2 tag saved as ID3v2.4, the original set aside for undo
KEEP = "keep"  # duplicates: ``value`` the copy kept, every other set aside ("": keep all)
RETRY, SKIP = "retry", "skip"  # a failed item: back to pending, or left out


@dataclass(frozen=True)
class Offer:
    """One choice as a kind declares it, before the engine numbers it within its decision."""

    label: str
    act: str = WRITE
    changes: tuple[Any, ...] = ()  # WRITE: each with path, tag, old, new
    value: Any = None  # what the act needs (a good copy, a candidate's id, a copy's path)
    file: str = ""  # the one file it is about, when its decision concerns several


@dataclass
class Asked:
    """One question of one item, as the engine gives it to the item's kind."""

    kind: str
    code: str
    album: str  # the album the question is about ("": the item, or a file of it)
    item: Mapping[str, Any]  # the queue item
    document: Mapping[str, Any]  # its output document
    findings: Sequence[Mapping[str, Any]]  # the question's open findings
    # name -> (a good copy or None, why none): where a good copy of the item's file is
    good_copy: Callable[[str], tuple[Any, str]] = field(default=lambda name: (None, ""))

    @property
    def files(self) -> list[str]:
        """The files the question concerns (an album's question: the album's tracks)."""
        paths = [str(f.get("path") or "") for f in self.findings]
        if self.album and self.album in paths:
            tracks = [str(t["path"]) for t in self.document.get("tracks") or []
                      if t.get("album") == self.album]  # fmt: skip
            return tracks or [self.album]
        return list(dict.fromkeys(p for p in paths if p))


def plain_words(asked: Asked) -> str:
    """The question in words, where a kind says nothing better: its first finding's message."""
    return str(asked.findings[0].get("message") or asked.code)


def no_offers(asked: Asked) -> tuple[list[Offer], str]:
    return [], ""


def no_evidence(asked: Asked) -> dict[str, Any]:
    return {}


DISMISS = "dismiss"  # leaving it as it is: every question's choice, as a group lists it


def only_dismissing(code: str) -> tuple[str, ...]:
    return (DISMISS,)


@dataclass(frozen=True)
class Questions:
    """A kind's decisions: ``words`` (the question for a person), ``offers`` (its choices and a
    note: where a restore's copy is, or why none is offered), ``evidence`` (what the question
    shows beside its words and files, for ``details``), and whether a person may type a value
    for the tag a question is about (``sets_values``: the kind's documents hold its tracks'
    tags). Leaving it as it is (a dismissal) is every question's, added by the engine.
    ``listed``: a code's choices as every item of its group offers them, read from the
    queues alone (``<...>``: a value of the item's own, listed by ``decide KIND NAME``)."""

    words: Callable[[Asked], str] = plain_words
    offers: Callable[[Asked], tuple[list[Offer], str]] = no_offers
    evidence: Callable[[Asked], dict[str, Any]] = no_evidence
    sets_values: bool = False
    listed: Callable[[str], tuple[str, ...]] = only_dismissing


DEFAULT = Questions()


def tag_of(findings: Sequence[Mapping[str, Any]]) -> str:
    """The tag a question is about ("": none), as its findings' details name it."""
    return next((str(t) for f in findings if (t := (f.get("details") or {}).get("tag"))), "")
