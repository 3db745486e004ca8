"""``/api/decisions`` and ``/api/undo``: the library's own decide and undo, over HTTP.

``GET /api/decisions`` answers what ``decide --json`` prints (``reports.decide.decisions_json``);
``POST /api/decisions`` takes a decision as ``decide KIND NAME --choose/--set/--dismiss``
does (``reports.decide``); ``POST /api/undo`` undoes a session as ``undo --session`` does
(``music.undo``, then ``reports.undone.after_undo``). One decision or undo at a time.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mediakeeper.core import kinds, writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import MediakeeperError, NotFound
from mediakeeper.music.undo import undo as undo_session
from mediakeeper.reports import decide
from mediakeeper.reports.undone import after_undo

_ONE_AT_A_TIME = threading.Lock()


class BadRequest(Exception):
    pass


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _problem(err: Exception) -> JSONResponse:
    if isinstance(err, BadRequest):
        return JSONResponse({"error": str(err)}, status_code=400)
    code = 404 if isinstance(err, NotFound | decide.DecideError) else 400
    return JSONResponse({"error": str(err)}, status_code=code)


async def list_decisions(request: Request) -> JSONResponse:
    web = request.app.state.web
    return JSONResponse(await asyncio.to_thread(decide.decisions_json, web.home))


async def take_decision(request: Request) -> JSONResponse:
    web = request.app.state.web
    try:
        body = await _body(request)
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
    if everyone and not dismiss:
        raise BadRequest("all is taken with dismiss (a code, for every item that has it)")
    if not everyone and not isinstance(name, str):
        raise BadRequest("name must be the item's name")
    album = body.get("album")
    if album is not None and not isinstance(album, str):
        raise BadRequest("album must be a string")
    return {"kind": kind, "name": name, "choose": choose, "album": album, "dismiss": dismiss,
            "values": [f"{t}={v}" for t, v in (values or {}).items()], "all": everyone}  # fmt: skip


def _take(home, body: dict[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
    with _ONE_AT_A_TIME:
        kind = asked["kind"]
        names = _group_items(home, kind, asked["dismiss"]) if asked["all"] else [asked["name"]]
        sessions, closed, refused = [], 0, []
        writing = writemode.chosen(load_settings(home).get)
        for name in names:
            found = decide.item_decisions(home, kind, decide.find_item(home, kind, name))
            if kind == "movies" and asked["choose"]:
                label = decide.choose_movie(home, found, asked["choose"])
                return {"session": "", "chose": label, "closed": 0}
            if kind != "music":
                raise BadRequest(f"{kind}: only choose of a TMDb candidate is taken here")
            changes, closing, what = decide.what_to_take(
                found, asked["choose"], asked["values"], asked["album"], asked["dismiss"]
            )
            taken = decide.take(home, found, changes, closing, what,
                                dismissing=asked["dismiss"] or "", writing=writing)  # fmt: skip
            refused += [{"item": name, "path": c.path, "tag": c.tag, "why": why}
                        for c, why in taken.refused]  # fmt: skip
            if taken.session:
                sessions.append(taken.session)
            closed += len(taken.closed)
        result: dict[str, Any] = {"session": sessions[0] if len(sessions) == 1 else "",
                                  "closed": closed}  # fmt: skip
        if len(sessions) > 1:
            result["sessions"] = sessions
        if refused:
            result["refused"] = refused
        return result


def _group_items(home, kind: str, code: str) -> list[str]:
    for group in decide.decisions_json(home)["groups"]:
        if group["kind"] == kind and group["code"] == code:
            return list(group["items"])
    raise decide.DecideError(f"no open {code!r} decision in {kind}", "GET /api/decisions")


async def take_undo(request: Request) -> JSONResponse:
    web = request.app.state.web
    try:
        body = await _body(request)
        session = body.get("session")
        if not isinstance(session, str) or not session:
            raise BadRequest("session must be the id of the session to undo")
        result = await asyncio.to_thread(_undo, web.home, session)
    except (BadRequest, MediakeeperError) as err:
        return _problem(err)
    return JSONResponse(result)


def _undo(home, session: str) -> dict[str, Any]:
    with _ONE_AT_A_TIME:
        writing = writemode.chosen(load_settings(home).get)
        kind_dir = home / "status" / kinds.MUSIC.name
        report = undo_session(kind_dir, session=session, writing=writing)
        after_undo(home, report.restored, report.undo_session)
        return {"session": report.undo_session, "restored": len(report.restored),
                "left_alone": [{"path": e.path, "tag": e.tag, "why": why}
                               for e, why in report.left_alone],
                "complete": report.complete}  # fmt: skip


ROUTES = [
    Route("/api/decisions", list_decisions, methods=["GET"]),
    Route("/api/decisions", take_decision, methods=["POST"]),
    Route("/api/undo", take_undo, methods=["POST"]),
]
