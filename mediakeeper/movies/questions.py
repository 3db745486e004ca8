"""The movies kind's decisions (``core.questions``): a folder TMDb could not match to one
movie (``ambiguous-match``, ``no-match``). Each candidate is a choice (its TMDb id is kept in
the queue item, and the next batch identifies the folder as that movie); its evidence each
candidate's title, year, poster and overview."""

from __future__ import annotations

from typing import Any

from mediakeeper.core.config import DEFAULTS
from mediakeeper.core.questions import CANDIDATE, DISMISS, Asked, Offer, Questions
from mediakeeper.text.visible import quoted
from mediakeeper.text.wording import count

MATCHING = ("ambiguous-match", "no-match")  # settled by a TMDb candidate
FOLDER_NAME_DIFFERS = "folder-name-differs"  # TMDb's name proposed for the folder
POSTERS = DEFAULTS["tmdb"]["posters_url"]  # TMDb's own address of a poster, as JSON gives it


def _candidates(asked: Asked) -> list[dict[str, Any]]:
    if asked.code not in MATCHING:
        return []
    return [c for f in asked.findings for c in (f.get("details") or {}).get("candidates") or ()]


def words(asked: Asked) -> str:
    folder = quoted(str(asked.item.get("name") or asked.item.get("key")))
    if asked.code in MATCHING:
        n = len(_candidates(asked))
        return (f"Which movie is {folder}? TMDb offers {count(n, 'candidate')}." if n else
                f"Which movie is {folder}? TMDb found none: give its id by hand.")  # fmt: skip
    return str(asked.findings[0].get("message") or asked.code)


def offers(asked: Asked) -> tuple[list[Offer], str]:
    return [Offer(f"{c['title']} ({c.get('year') or 'year unknown'}), TMDb id {c['id']}",
                  CANDIDATE, value=int(c["id"])) for c in _candidates(asked)], ""  # fmt: skip


def evidence(asked: Asked) -> dict[str, Any]:
    if asked.code == FOLDER_NAME_DIFFERS:  # TMDb's name beside the folder's
        details = asked.findings[0].get("details") or {}
        return {"proposals": [{"label": "TMDb's title and year", "score": None, "file": "",
                               "fields": [{"path": "", "field": "folder name",
                                           "current": asked.item.get("name"),
                                           "proposed": details.get("suggested")}]}]}  # fmt: skip
    if asked.code not in MATCHING:
        return {}
    return {"candidates": [
        {"id": c["id"], "title": c["title"], "original_title": c.get("original_title") or "",
         "year": c.get("year"), "overview": c.get("overview") or "",
         "poster": POSTERS + c["poster_path"] if c.get("poster_path") else None,
         "poster_path": c.get("poster_path") or None}
        for c in _candidates(asked)
    ]}  # fmt: skip


def listed(code: str) -> tuple[str, ...]:
    return ("one of its TMDb candidates", DISMISS) if code in MATCHING else (DISMISS,)


QUESTIONS = Questions(words=words, offers=offers, evidence=evidence, listed=listed)
