"""``/api/decisions`` and ``/api/undo``: the library's own decide and undo, over HTTP.

``GET /api/decisions`` answers what ``decide --json`` prints (``decisions.listing``);
``POST /api/decisions`` takes a decision as ``decide KIND NAME --choose/--set/--dismiss``
does (``decisions.item``; verify's choices ``decisions.verifying``), and with ``all`` a
whole group as one session as ``decide --all`` does (``decisions.taking``), a duplicate
group's as ``decide dupes ID`` does (``decisions.dupes``); ``POST /api/undo`` undoes a
session as ``undo --session`` does (``undo.whole``: a set-aside's files put back too). One
decision or undo at a time.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mediakeeper.core import kinds, writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import MediakeeperError, NotFound
from mediakeeper.decisions import dupes, taking, verifying
from mediakeeper.decisions import item as decide
from mediakeeper.decisions.listing import decisions_json
from mediakeeper.decisions.undo import undo_session
from mediakeeper.web.bodies import Body, Text, Word, json_body

_ONE_AT_A_TIME = threading.Lock()


class BadRequest(Exception):
    pass


class DecisionBody(Body):
    """``POST /api/decisions``: as ``_asked`` reads it (``set`` is {tag: value})."""

    kind: Word
    name: Text | None = None
    choose: int | None = Field(None, ge=1)
    values: dict[Word, Text] | None = Field(None, alias="set")
    dismiss: Word | None = None
    code: Word | None = None
    album: Text | None = None
    all: bool = False


class UndoBody(Body):
    """``POST /api/undo``: the session to undo."""

    session: Word = Field(min_length=1)


def _problem(err: Exception) -> JSONResponse:
    if isinstance(err, BadRequest):
        return JSONResponse({"error": str(err)}, status_code=400)
    code = 404 if isinstance(err, NotFound | decide.DecideError) else 400
    return JSONResponse({"error": str(err)}, status_code=code)


async def list_decisions(request: Request) -> JSONResponse:
    web = request.app.state.web
    return JSONResponse(await asyncio.to_thread(decisions_json, web.home))


async def take_decision(request: Request) -> JSONResponse:
    web = request.app.state.web
    try:
        body = (await json_body(request, DecisionBody)).model_dump(by_alias=True)
        asked = _asked(body)
        result = await asyncio.to_thread(_take, web.home, body, asked)
    except (BadRequest, MediakeeperError) as err:
        return _problem(err)
    status = 409 if result.get("refused") else 200
    return JSONResponse(result, status_code=status)


def _asked(body: dict[str, Any]) -> dict[str, Any]:
    """The body checked: ``kind``, ``name`` (but with ``all``), one of ``choose`` N, ``set``
    {tag: value}, ``dismiss`` CODE; ``album``, ``all``."""
    kind, name = body.get("kind"), body.get("name")
    if kind not in kinds.KINDS:
        raise BadRequest(f"kind must be one of {', '.join(kinds.KINDS)}")
    acts = [k for k in ("choose", "set", "dismiss") if body.get(k) not in (None, "", {})]
    if len(acts) != 1:
        raise BadRequest("give one of choose, set or dismiss")
    choose, values, dismiss = body.get("choose"), body.get("set"), body.get("dismiss")
    if choose is not None and (type(choose) is not int or choose < 1):
        raise BadRequest("choose must be a whole number >= 1")
    if values is not None and not (
        isinstance(values, dict) and all(isinstance(v, str) for v in values.values())
    ):
        raise BadRequest('set must be an object {"tag": "value"}')
    if dismiss is not None and not isinstance(dismiss, str):
        raise BadRequest("dismiss must be a finding's code")
    everyone = body.get("all") is True
    if everyone and values:
        raise BadRequest("all is taken with dismiss CODE, or with choose N and the group's code")
    if everyone and choose and not isinstance(body.get("code"), str):
        raise BadRequest("all with choose names the group: give its code")
    if not everyone and not isinstance(name, str):
        raise BadRequest("name must be the item's name")
    album = body.get("album")
    if album is not None and not isinstance(album, str):
        raise BadRequest("album must be a string")
    return {"kind": kind, "name": name, "choose": choose, "album": album, "dismiss": dismiss,
            "code": dismiss or body.get("code"),
            "values": list((values or {}).items()), "all": everyone}  # fmt: skip


def _take(home, body: dict[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
    with _ONE_AT_A_TIME:
        kind = asked["kind"]
        if kind == dupes.KIND.name:
            return _take_dupes(home, asked)
        writing = writemode.chosen(load_settings(home).get)
        if asked["all"]:  # a whole group, as one session (decide --all)
            group = taking.take_group(home, kind, asked["code"], choose=asked["choose"],
                                      writing=writing)  # fmt: skip
            return _result(group.session, group.closed, _refused(group.taken), group.queued)
        found = decide.item_decisions(home, kind, decide.find_item(home, kind, asked["name"]))
        if asked["choose"] and decide.is_candidate(found, asked["choose"]):
            label = decide.choose_movie(home, found, asked["choose"])
            return {"session": "", "chose": label, "closed": 0}
        if asked["choose"] and verifying.act_of(found, asked["choose"]):
            acted = verifying.take_one(home, found, asked["choose"])
            closed = sum(len(t.closed) for _, t in acted.taken)
            return _result(acted.session, closed, _refused(acted.taken), acted.queued)
        decide.rewriter(kind)  # a kind decided by its own commands: refused here
        changes, closing, what = decide.what_to_take(
            found, asked["choose"], asked["values"], asked["album"], asked["dismiss"]
        )
        taken = decide.take(home, found, changes, closing, what,
                            dismissing=asked["dismiss"] or "", writing=writing)  # fmt: skip
        return _result(taken.session, len(taken.closed), [
            {"item": asked["name"], "path": c.path, "tag": c.tag, "why": why}
            for c, why in taken.refused
        ])  # fmt: skip


def _take_dupes(home, asked: dict[str, Any]) -> dict[str, Any]:
    """A duplicate group's choice (keep the best, keep all, keep another copy), or a whole
    level's (``all``: keep the best or keep all) as one session."""
    if asked["values"]:
        raise BadRequest("a duplicate group takes choose or dismiss, not set")
    if asked["all"]:
        taken = dupes.take_group(home, asked["code"], choose=asked["choose"])
    else:
        group = dupes.find(home, asked["name"])
        if group is None:
            raise NotFound(f"no open duplicate group {asked['name']!r}")
        taken = dupes.take(home, group, choose=asked["choose"], dismiss=asked["dismiss"] or "")
    done = taken.set_aside
    return _result(taken.session, taken.groups, [
        {"item": "", "path": path, "tag": "", "why": why} for path, why in done.left_alone
    ] if done else [])  # fmt: skip


def _refused(taken) -> list[dict[str, str]]:
    """What each item's decision left alone: a tag of a file, or a file (a verify restore's:
    its tag is "")."""
    return [{"item": name, "path": c.path, "tag": c.tag, "why": why}
            for name, t in taken for c, why in t.refused]  # fmt: skip


def _result(session: str, closed: int, refused: list[dict[str, str]],
            queued: list[str] = ()) -> dict[str, Any]:  # fmt: skip
    """``queued``: verify again's albums, back to pending."""
    result: dict[str, Any] = {"session": session, "closed": closed}
    if queued:
        result["queued"] = list(queued)
    if refused:
        result["refused"] = refused
    return result


async def take_undo(request: Request) -> JSONResponse:
    web = request.app.state.web
    try:
        session = (await json_body(request, UndoBody)).session
        result = await asyncio.to_thread(_undo, web.home, session)
    except (BadRequest, MediakeeperError) as err:
        return _problem(err)
    return JSONResponse(result)


def _undo(home, session: str) -> dict[str, Any]:
    with _ONE_AT_A_TIME:
        writing = writemode.chosen(load_settings(home).get)
        undone = undo_session(home, session, writing)
        report, moved = undone.report, undone.put_back
        if undone.group is None and report is None and moved is None:
            raise NotFound(f"no session {session!r} to undo")
        result: dict[str, Any] = {
            "session": report.undo_session if report else session,
            "restored": len(report.restored) if report else 0,
            "reopened": undone.group.reopened if undone.group else 0,
        }
        left = (
            [{"path": e.path, "tag": e.tag, "why": why} for e, why in report.left_alone]
            if report
            else []
        )
        if moved is not None:  # a set-aside's files, back at their own paths
            result["put_back"] = len(moved.restored)
            left += [{"path": path, "tag": "", "why": why} for path, why in moved.left_alone]
        if report is not None or moved is not None:
            result["left_alone"] = left
            result["complete"] = not left and (report is None or report.complete)
        return result  # fmt: skip


ROUTES = [
    Route("/api/decisions", list_decisions, methods=["GET"]),
    Route("/api/decisions", take_decision, methods=["POST"]),
    Route("/api/undo", take_undo, methods=["POST"]),
]
