"""``/api/decisions`` and ``/api/undo``: the decision engine (``decisions.engine``) over HTTP,
the same functions ``decide`` calls.

``GET /api/decisions`` answers what ``decide --json`` prints (``engine.listing``, from what the
server holds of each item: ``decisions.listing``); ``GET
/api/decisions/{id}`` one decision explained (``engine.explain``); ``POST /api/decisions``
previews (``"preview": true``, or ``POST /api/decisions/preview``) or takes an answer to the
decision its ``id`` names (``engine.preview``, ``engine.take_answer``), or, by ``kind`` and
``name`` as before ids, the one decision of an item; with ``all`` a whole group as one
session as ``decide --all`` does (``decisions.taking``, ``decisions.dupes``); ``POST
/api/undo`` undoes a session as ``undo --session`` does (``decisions.undo``). One decision or
undo at a time. Bodies are read by ``web.bodies`` (bounded, checked by pydantic models: no
field beside those documented).
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.routing import Route

from mediakeeper.core import writemode
from mediakeeper.core.config import load_settings
from mediakeeper.core.errors import BatchRunning, MediakeeperError, NotFound, UsageError
from mediakeeper.decisions import engine, ids, whole_group, words
from mediakeeper.decisions.item import DecideError, DoesNotFit, Stale, kinds_here
from mediakeeper.decisions.undo import undo_session
from mediakeeper.text.cut import echoed
from mediakeeper.web.answers import JSONResponse
from mediakeeper.web.bodies import MOST_LINE, BadInput, Body, Params, Text, Word, json_body, query

_ONE_AT_A_TIME = threading.Lock()


class BadRequest(Exception):
    pass


TagValue = Annotated[str, StringConstraints(max_length=words.MOST_LONG_VALUE)]


class DecisionBody(Body):
    """``POST /api/decisions``: a decision by ``id`` (or, as before ids, by ``kind`` and
    ``name``, with ``code`` and ``album`` to name one of the item's), and one answer."""

    id: Annotated[str, StringConstraints(max_length=ids.LIMIT)] | None = None
    kind: Word | None = None
    name: Text | None = None
    code: Word | None = None
    album: Text | None = None
    choose: int | None = Field(None, ge=1, le=100_000)
    # Each value as long as the library takes for any tag; its own tag's bound is the
    # library's (``decisions.words.bad_value``), said the same as to ``decide --set``.
    values: dict[Word, TagValue] | None = Field(None, alias="set", max_length=50)
    dismiss: bool | Word | None = None
    scope: Literal["decision", "album", "item"] = "decision"
    fields: list[Word] | None = Field(None, max_length=50)
    all: bool = False
    preview: bool = False
    token: Word | None = None

    @property
    def dismissing(self) -> bool:
        """Whether the answer is a dismissal (``dismiss`` true, or a code)."""
        return self.dismiss not in (None, False, "")

    def code_named(self) -> str | None:
        """The finding code the body names: ``code``, the code ``dismiss`` gives, the id's;
        refused when two of them differ (``engine.code_named``)."""
        return engine.code_named(self.code, self.dismiss if isinstance(self.dismiss, str)
                                 else None, self.id)  # fmt: skip


class UndoBody(Body):
    """``POST /api/undo``: the session to undo."""

    session: Word = Field(min_length=1)


def status_of(err: Exception) -> int:
    """The HTTP status a decision's problem answers with, on the API and the page alike."""
    if isinstance(err, Stale | BatchRunning):  # (an undo of a batch's session that still runs)
        return 409
    if isinstance(err, BadRequest | UsageError | DoesNotFit):  # (DoesNotFit is a DecideError)
        return 400
    if isinstance(err, NotFound | DecideError):
        return 404
    return 400


# A flag of ``decide`` in a problem's hint, and the command a hint may name whole (left as
# it is: a command a person can run); ``said_here`` says each such flag as the body's field.
_ONE = (r"--(set) ([\w.-]+)=(\S+)|--(choose|dismiss|code|id|scope|fields) ([^\s,;()`]+)"
        r"|--(all|album)\b")  # fmt: skip
_FLAG = re.compile(_ONE)
_FLAGS = re.compile(rf"(?:{_ONE})(?: (?:{_ONE}))*")  # flags given together: fields together
_COMMAND = re.compile(r"`?\b(?:decide|undo)\b(?: (?!or\b|and\b)[^\s,;()`]+)*`?")


# A hint that sends a person to a listing of ``decide`` in a terminal ("`decide` lists what is
# open"): on the web, the page's views and ``GET /api/decisions`` list what is open, where the
# person is; the page said it under a question just taken there.
_LISTED_BY_DECIDE = re.compile(r"`?[^`]*\bdecide\b[^`]*`? lists\b.*")


# A listing of ``decide`` named beside the API's own ("`decide --json` and /api/decisions
# give each decision's id"): on the web, the API's alone.
_LISTED_BESIDE = re.compile(r"`?\bdecide\b[^`]*`? and (/api/[\w/{}]+) give\b")
# An answer of ``decide`` in a hint ("decide music NAME --code CODE --choose 1", "decide
# dupes ID --choose N"): on the web, the body's fields that take it.
_ANSWER = re.compile(rf"`?\bdecide (\w+) ([A-Z]+)\b((?: (?:{_ONE}))*)`?")


def said_here(err: Exception) -> str:
    """A decision's problem as the web says it: the library's message, its hint's flags of
    ``decide`` said as the fields of ``POST /api/decisions`` (``--set title=VALUE`` is
    ``"set": {"title": "VALUE"}``), where a person answering from the page or the API
    acts, an answer of ``decide KIND NAME`` as its body's fields too; a command it names
    is left whole, but a listing of ``decide`` is left out (the API's named beside it
    stays)."""
    if not isinstance(err, MediakeeperError) or not err.hint:
        return str(err)
    if _LISTED_BY_DECIDE.fullmatch(err.hint):
        return err.message
    hint = _ANSWER.sub(_body, _LISTED_BESIDE.sub(r"\1 gives", err.hint))
    parts, at = [], 0
    for command in _COMMAND.finditer(hint):
        parts += [_FLAGS.sub(_fields, hint[at:command.start()]), command.group()]
        at = command.end()
    return f"{err.message} ({''.join([*parts, _FLAGS.sub(_fields, hint[at:])])})"


def _body(answer: re.Match) -> str:
    """``decide KIND NAME --flag ...`` as the body's fields that take that answer."""
    kind, name, flags = answer.group(1, 2, 3)
    fields = [f'"kind": "{kind}"', f'"name": "{name}"']
    return ", ".join([*fields, *(_field(flag) for flag in _FLAG.finditer(flags))])


def _fields(flags: re.Match) -> str:
    return ", ".join(_field(flag) for flag in _FLAG.finditer(flags.group()))


def _field(flag: re.Match) -> str:
    tag, value, name, given, alone = flag.group(2, 3, 4, 5, 6)
    if tag:
        return f'"set": {{"{tag}": "{value}"}}'
    if alone:
        return '"all": true' if alone == "all" else f'"{alone}"'
    return f'"{name}": {given}' if name == "choose" else f'"{name}": "{given}"'


def _problem(err: Exception) -> JSONResponse:
    # Names in it are cut where they are said; a message over a line is cut as a whole.
    return JSONResponse({"error": echoed(said_here(err), MOST_LINE)},
                        status_code=status_of(err))  # fmt: skip


class ListingAsked(Params):
    """``GET /api/decisions``'s query: one kind's (a kind of the home: a pipeline's queue
    too, checked as it is listed), and each decision with its details."""

    kind: Word | None = None
    details: bool = False


async def list_decisions(request: Request) -> JSONResponse:
    web = request.app.state.web
    asked = query(request, ListingAsked)
    # The home's queues listed in a thread, as every read of the disk is: not on the loop.
    if asked.kind is not None and asked.kind not in (
            known := await asyncio.to_thread(kinds_here, web.home)):
        raise BadInput(400, f"kind: must be one of {', '.join(known)}")
    await asyncio.to_thread(web.follower.sync)  # what is held follows the queues as they are
    shown = await asyncio.to_thread(web.decisions.as_json, asked.kind, details=asked.details)
    return JSONResponse(shown)


async def one_decision(request: Request) -> JSONResponse:
    web = request.app.state.web
    try:
        shown = await asyncio.to_thread(engine.explain, web.home, request.path_params["id"])
    except MediakeeperError as err:
        return _problem(err)
    return JSONResponse(shown)


async def take_decision(request: Request) -> JSONResponse:
    return await _answer(request, preview=False)


async def preview_decision(request: Request) -> JSONResponse:
    return await _answer(request, preview=True)


async def _answer(request: Request, *, preview: bool) -> JSONResponse:
    web = request.app.state.web
    try:
        body = await json_body(request, DecisionBody)
        preview = preview or body.preview
        result = await asyncio.to_thread(_take, web, body, preview)
    except (BadRequest, MediakeeperError) as err:
        return _problem(err)
    status = 409 if result.get("refused") and not preview else 200  # a preview says it
    return JSONResponse(result, status_code=status)


def _answer_of(body: DecisionBody) -> engine.Answer:
    if sum([body.choose is not None, bool(body.values), body.dismissing]) != 1:
        raise BadRequest("give one of choose, set or dismiss")
    return engine.Answer(
        choose=body.choose, values=tuple((body.values or {}).items()),
        dismiss=body.dismissing, scope=body.scope,
        fields=None if body.fields is None else tuple(body.fields),
        album=body.album if body.values else None,
    )  # fmt: skip


def _take(web, body: DecisionBody, preview: bool) -> dict[str, Any]:
    home, answer = web.home, _answer_of(body)
    if body.all:
        return _take_group(web, body, preview)
    if body.id == "":
        raise BadRequest("the id is empty: give the decision's id (GET /api/decisions lists "
                         "each one's)")  # fmt: skip
    code = body.code_named()  # refused when the body names two decisions
    decision_id = body.id or _id_of(home, body, code)
    if preview:
        return engine.preview(home, decision_id, answer).as_json()
    with _ONE_AT_A_TIME:
        return engine.take_answer(home, decision_id, answer, token=body.token or "").as_json()


def _id_of(home, body: DecisionBody, code: str | None) -> str:
    """The id of the decision a body names by ``kind`` and ``name`` (as before ids):
    ``code`` (or the code ``dismiss`` names) and ``album`` say which of the item's."""
    if body.kind not in (known := kinds_here(home)):
        raise BadRequest(f"kind must be one of {', '.join(known)}")
    if not body.name:
        raise BadRequest("give the decision's id (or kind and name)")
    return engine.resolve(home, body.kind, body.name, code, body.album,
                          values=bool(body.values))  # fmt: skip


def _take_group(web, body: DecisionBody, preview: bool) -> dict[str, Any]:
    """``all``: every open decision of a group, as one session (``decide --all``); its
    preview from what the server holds (the take reads the queue afresh)."""
    home = web.home
    code = body.code_named()
    if body.kind not in kinds_here(home) or not code:
        raise BadRequest("all names the group: give its kind and code (or dismiss CODE)")
    if body.values:
        raise BadRequest("all is taken with dismiss CODE, or with choose N and the group's code")
    if body.fields is not None:  # each item's choice is written whole
        raise BadRequest("fields go with one decision's choice, not all")
    if preview:
        web.follower.sync()  # what is held follows the queues as they are
        return whole_group.take_group(home, body.kind, code, choose=body.choose, dry_run=True,
                                 held=web.decisions).preview_json()  # fmt: skip
    with _ONE_AT_A_TIME:
        return whole_group.take_group(home, body.kind, code, choose=body.choose,
                                 token=body.token or "").as_json()  # fmt: skip


async def take_undo(request: Request) -> JSONResponse:
    web = request.app.state.web
    try:
        body = await json_body(request, UndoBody)
        result = await asyncio.to_thread(_undo, web.home, body.session)
    except (BadRequest, MediakeeperError) as err:
        return _problem(err)
    return JSONResponse(result)


def _undo(home, session: str) -> dict[str, Any]:
    with _ONE_AT_A_TIME:
        # NotFound (404): no such session, or one undone already (``undo_session``).
        undone = undo_session(home, session, writemode.chosen(load_settings(home).get))
        return undone.as_json(session)


ROUTES = [
    Route("/api/decisions", list_decisions, methods=["GET"]),
    Route("/api/decisions", take_decision, methods=["POST"]),
    Route("/api/decisions/preview", preview_decision, methods=["POST"]),
    Route("/api/decisions/{id}", one_decision, methods=["GET"]),
    Route("/api/undo", take_undo, methods=["POST"]),
]
