"""The page's views, rendered on the server (readable without JavaScript), then kept current
by ``static/page.js`` from ``/api/events``, and from ``/api/batches`` and ``/api/watcher``
every few seconds for what changes no queue (a batch's end, a watcher that starts or stops).

Every view shows the activity first (``_activity.html.j2``: what runs now, its item, stage,
speed and time left, with Stop; how the last batch ended; a first batch's start on a fresh
home), then its own part: ``/`` what needs the person and the queues, ``/library`` every
item of every kind searched, filtered, sorted and paged (``library``), ``/changes`` every
session with its Undo (``changes``). Everything from tags and file names is escaped by the
template (autoescape) and its hidden controls shown (``text.visible``); where a control
sends a name back to the server it carries the real one (``real``), escaped for HTML only.
The script only ever sets text, never HTML, and the page allows no inline script
(Content-Security-Policy).

With a token, a browser without it gets the sign-in form, which carries the page asked;
``POST /login`` checks the token, keeps it in an HttpOnly, SameSite=Strict cookie and leads on
to that page (one of this server's: ``own_page``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from pydantic import AfterValidator, Field
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mediakeeper import __version__
from mediakeeper.core import kinds
from mediakeeper.core.decisions import stage_word, status_word
from mediakeeper.core.errors import MediakeeperError, UsageError
from mediakeeper.core.tokens import same_token
from mediakeeper.core.units import kbps
from mediakeeper.decisions import engine, ids, whole_group, words
from mediakeeper.decisions.item import DecideError
from mediakeeper.fs.atomic import encode_text
from mediakeeper.queue.items import COMPLETED, ERROR, SKIPPED
from mediakeeper.queue.reading import decoded, read_each
from mediakeeper.queue.session_log import RUNNING, load_sessions
from mediakeeper.queue.store import QueueStore
from mediakeeper.reports.weeks import parse_time
from mediakeeper.text import commands
from mediakeeper.text.cut import echoed
from mediakeeper.text.failures import plain_error
from mediakeeper.text.render import path_under, shown
from mediakeeper.text.visible import visible
from mediakeeper.text.wording import in_a_row, number
from mediakeeper.watch.state import watch_status
from mediakeeper.web import changes, library, served
from mediakeeper.web.batches import running_of
from mediakeeper.web.bodies import (
    BadInput,
    Name,
    Params,
    Text,
    Word,
    form_body,
    parsed,
    query,
    query_fields,
)
from mediakeeper.web.decisions import said_here, status_of
from mediakeeper.web.follower import STATUSES
from mediakeeper.web.security import COOKIE, asked_page, from_https_page


def _shown(value):
    """Every text a page shows, its hidden controls made visible (``text.visible``) and a
    folder name's stand-in for "/" shown as the "/" it stands for (``text.render.shown``:
    "AC⧸DC" drew a box), as the reports show them; a control sends the real one (``real``)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(shown(value))
    return value


def real(value) -> Markup:
    """A name as a control sends it back (a ``data-`` attribute, a form's value): escaped for
    HTML, its hidden controls kept, so the server is asked about the item that has it (but
    for a file name's undecodable byte, which no page can hold: shown as its escape)."""
    return Markup(encode_text(escape(str(value))).decode())


def url_word(value) -> str:
    """A value in a link's query, percent-encoded as UTF-8 and a file name's undecodable
    byte as the byte it is (``%F6``), which ``bodies.query`` reads back: the link asks for
    the item that has the name (Jinja's own filter cannot encode such a byte: a 500)."""
    if isinstance(value, Mapping):  # a whole query: its pairs
        return urlencode(value, encoding="utf-8", errors="surrogateescape")
    return quote(str(value).encode("utf-8", "surrogateescape"), safe="")


def ago(moment, now: datetime | None = None) -> str:
    """``3 min ago``, ``2 h ago``, ``yesterday``, ``4 days ago``, else the day."""
    at = parse_time(moment) if not isinstance(moment, datetime) else moment
    if at is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - at).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    if seconds < 2 * 86400:
        return "yesterday"
    if seconds < 14 * 86400:
        return f"{int(seconds // 86400)} days ago"
    return f"{at:%Y-%m-%d}"


TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    finalize=_shown,
)


def match(score) -> str:
    """A proposal's match as Picard colours it: good, fair, poor, bad."""
    score = float(score or 0)
    return "good" if score >= 0.9 else "fair" if score >= 0.7 else "poor" if score >= 0.5 else "bad"


TEMPLATES.filters.update(real=real, ago=ago, word=status_word, stage=stage_word, match=match,
                         number=number, under=path_under,  # under: a file within the album asked
                         urlencode=url_word,  # a link to a name Jinja's own cannot encode
                         most_characters=words.most_characters,  # a value's box: the API's bound
                         tag_value=in_a_row,  # a cover by its type and size
                         kbps=kbps)  # a copy's bit rate, as every face says it
TEMPLATES.globals.update(decision_id=ids.make, kind_command=commands.kind_command,
                         tool_command=commands.tool_command,
                         most_searched=library.MOST_SEARCHED)  # fmt: skip
SHOWN_FAILURES = 20  # a kind's failed items shown on the overview
SHOWN_PER_GROUP = 25  # a group's questions shown on the overview (the library lists them all)
SHOWN_SESSIONS = 5  # a kind's latest sessions shown
RECENT_END = 600  # seconds a batch's end is said in the activity
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def headers() -> dict[str, str]:
    return {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}  # fmt: skip


def activity(web, *, whole: bool = True) -> dict[str, Any]:
    """What every view shows first: the queues' progress, the batches running with the items
    in hand, the last batch's end, and the kinds a batch may start on. ``whole`` False: while
    the queues are read for the first time, what is held so far (the overview says so)."""
    web.follower.sync(wait=whole)
    queues = []
    for kind, held in web.follower.states().items():
        counts, record, left_out = held["counts"], kinds.KINDS.get(kind), held["plugins_left_out"]
        queues.append({"kind": kind, "counts": counts, "total": sum(counts.values()),
                       "plugins_left_out": left_out.said(kind, web.home) if left_out else "",
                       "working": held["working"], "batchable": bool(record and record.plan),
                       "noun": kinds.noun(kind) if record else "item",
                       "problem": held["problem"], **held["progress"]})  # fmt: skip
    records = {q["kind"]: load_sessions(web.home / "status", q["kind"], items=False)
               for q in queues}  # fmt: skip
    finished = web.follower.finished_by()
    running = {kind: running_of(found, finished=finished) for kind, found in records.items()}
    ended = [r for found in records.values() for r in found if r.outcome != RUNNING]
    last = max(ended, key=lambda r: r.ended_at or r.started_at, default=None)
    now = datetime.now(UTC)
    if last is not None and (now - (last.ended_at or last.started_at)).total_seconds() > RECENT_END:
        last = None
    startable = [k for k, r in kinds.KINDS.items()
                 if r.plan is not None and k not in web.follower.queues
                 and _library_set(web, k)]  # fmt: skip
    return {"queues": queues, "records": records, "last_batch": last, "startable": startable,
            "running": {kind: [r for r in rs if r["kind"] == kind]
                        for kind, rs in running.items()},
            # read in part yet (the first read): a percentage of it would say another thing
            # than the reports, so none is shown until the queues are read whole
            "counting": not whole and web.follower.reading() is not None}  # fmt: skip


def _library_set(web, kind: str) -> bool:
    """Whether ``kind``'s library is set (``init`` or the settings file): a first batch of
    it can start from the page."""
    try:
        return web.settings.library(kind) is not None
    except (KeyError, MediakeeperError):
        return False


def _item_reports(web, groups: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(kind, name) -> the issue page of each item a decision group names."""
    found = {}
    for kind in {g["kind"] for g in groups}:
        names = {d["item"] for g in groups if g["kind"] == kind
                 for d in (g.get("decisions") or [])[:SHOWN_PER_GROUP]}  # fmt: skip
        for name, entry in web.follower.named(kind, names).items():
            if link := served.report_of(web.home, kind, entry.slug):
                found[kind, name] = link
    return found


def overview(web) -> dict[str, Any]:
    shown = activity(web, whole=False)  # the queues as read now: so are these
    reading = web.follower.reading()  # before what is held is listed: then it was partial
    decisions = web.decisions.as_json(shown=SHOWN_PER_GROUP)
    if reading is not None:
        decisions = {**decisions, "pending": {"read": reading[0], "of": reading[1]}}
    return {
        **shown,
        "watcher": watch_status(web.home / "status"),
        "decisions": decisions,
        "item_reports": _item_reports(web, decisions["groups"]),
        "shown_per_group": SHOWN_PER_GROUP,
        "failures": {q["kind"]: _failures(web, q["kind"]) for q in shown["queues"]},
        "sessions": [s for kind, found in shown["records"].items() for s in _sessions(kind, found)],
        "reports": {q["kind"]: served.index_of(web.home, q["kind"]) for q in shown["queues"]},
    }


def _failures(web, kind: str) -> list[library.Entry]:
    query = library.Query(status=ERROR, limit=SHOWN_FAILURES)
    return web.follower.listed(kind, query)[1] if kind in web.follower.queues else []


def _sessions(kind: str, records) -> list[dict[str, Any]]:
    return [{"id": r.id, "kind": kind, "outcome": r.outcome, "done": r.items_done,
             "failed": r.items_failed, "started": r.started_at}
            for r in reversed(records[-SHOWN_SESSIONS:])]  # fmt: skip


class LibraryAsked(library.Query):
    """``/library``'s query: a kind's items, as ``/api/queues/{kind}/items`` asks them."""

    kind: Word = ""


def browse(web, params) -> dict[str, Any]:
    """The library view: one kind's items as ``params`` ask (``LibraryAsked``)."""
    shown = activity(web)
    kinds_here = [q["kind"] for q in shown["queues"]]
    problem, total, rows, codes = "", 0, [], []
    status = 200
    try:
        asked = parsed(params, LibraryAsked)
    except BadInput as err:
        # The kind asked stays the one shown, its items not listed: listed with the other
        # parameters' defaults they would be another view than the one asked (with limit=0,
        # the first kind's items were, under the kind's own name in the address).
        problem, asked, status = str(err), _kind_alone(params), err.status
    kind = asked.kind or (kinds_here[0] if kinds_here else "")
    if kind and kind not in kinds_here:
        problem, kind, status = "no such queue in this home", "", 404
    if kind:
        codes = web.follower.codes(kind)
    if kind and not problem:
        total, rows = web.follower.listed(kind, asked)
    reports = {e.key: served.report_of(web.home, kind, e.slug) for e in rows}
    covers = {e.key: served.cover_of(e.path) is not None for e in rows}

    def link(**change) -> str:
        # Every parameter of the view carried on (a page's ``limit`` too), but a default.
        wanted = {"kind": kind, **asked.model_dump(exclude={"kind"}), **change}
        return "?" + urlencode({k: v for k, v in wanted.items()
                                if v is not None and v != LibraryAsked.model_fields[k].default})

    return {**shown, "kind": kind, "kinds": kinds_here, "query": asked, "total": total,
            "rows": rows, "codes": codes, "problem": problem, "status": status, "reports": reports,
            "covers": covers, "link": link,
            "sorts": library.SORTS}  # fmt: skip


def _kind_alone(params) -> LibraryAsked:
    """The kind a library query asks, when the rest of it does not fit."""
    try:
        return parsed({"kind": params.get("kind", "")}, LibraryAsked)
    except BadInput:
        return LibraryAsked()


def one_decision(web, decision_id: str) -> dict[str, Any]:
    """A decision explained (``engine.explain``), with its item's report; or the problem."""
    try:
        d = engine.explain(web.home, decision_id)
    except (MediakeeperError, DecideError, ValueError) as err:
        return {"problem": said_here(err), "status": status_of(err),
                "d": {"item": _item_named(web, decision_id)}}  # fmt: skip
    entry = (web.follower.queues.get(d["kind"]) or None) and \
        web.follower.queues[d["kind"]].entries.get(str(d.get("key")))  # fmt: skip
    report = served.report_of(web.home, d["kind"], entry.slug) if entry else ""
    return {"d": d, "report": report, "problem": ""}


def _item_named(web, decision_id: str) -> str:
    """The name of the item a decision's id names, as the library lists it: the heading of
    its view once the decision is gone (taken here or elsewhere); "A decision" for an id
    that names no item held."""
    try:
        kind, key, _where, _code = ids.parse(decision_id)
    except UsageError:
        return "A decision"
    queue = web.follower.queues.get(kind)
    entry = queue.entries.get(key) if queue is not None else None
    return entry.name if entry is not None else "A decision"


PREVIEW_PAGE = 50  # a group's preview is shown in pages of this many items


def group_preview(web, kind: str, code: str, choose: int | None, page: int = 1) -> dict[str, Any]:
    """What answering every decision of a group would do, nothing written, its items shown
    ``PREVIEW_PAGE`` at a time (``page``: which), with its token, which the take carries:
    refused, nothing written, if the group or any of its files changed since
    (``whole_group.group_page``, over what the server holds). Leaving a group as it is is said
    whole (every decision it closes); a choice that writes files, a page of items at a
    time: the page's writes, each computed from its items' documents alone, beside the
    whole group's decisions and items (the whole group's writes are the pages' together:
    ``POST /api/decisions/preview`` lists them all)."""
    if kind not in kinds.KINDS:  # as the API's answer: 400
        raise UsageError(f"no kind {echoed(kind)!r} here", "reload the page")
    web.follower.sync()  # what is held follows the queues as they are (read whole)
    start = (max(page, 1) - 1) * PREVIEW_PAGE
    found = whole_group.group_page(web.home, kind, code, choose, web.decisions, start, PREVIEW_PAGE)
    shown, start = found.shown, found.start  # past the last page: the last one
    # The rows of the page's items alone: a group of thousands is said whole, shown in part.
    rows = {name: {"item": name, "writes": [], "moves": [], "queue": [], "refused": [],
                   "closes": 0} for name in found.names}  # fmt: skip
    for part in ("decisions", "writes", "moves", "queue", "refused"):
        for one in shown[part]:
            if (row := rows.get(one["item"])) is not None:
                if part == "decisions":
                    row["closes"] += 1
                else:
                    row[part].append(one)
    writes = shown["writes"]  # whole: every write; else the page's
    return {
        "kind": kind, "code": code, "choose": choose, "what": shown["what"],
        "rows": list(rows.values()), "start": start, "page": start // PREVIEW_PAGE + 1,
        "whole": found.whole, "pages": max(1, -(-found.items // PREVIEW_PAGE)),
        "items": found.items, "count": found.decisions,
        "writes": len(writes), "files": len({w["path"] for w in writes}),
        "moves": len(shown["moves"]), "emptied": shown.get("emptied", []),
        "queued": len(shown["queue"]),
        "refused": shown["refused"], "token": found.token, "page_size": PREVIEW_PAGE,
    }  # fmt: skip


HISTORY_SHOWN = 50  # an item's failures shown, newest first


def one_item(web, kind: str, key: str) -> dict[str, Any]:
    """One item of the library with its history: its failures (time, stage, message in a
    person's words), when it was done and by which session, its report. Read from the queue
    file, stopping at the item (one read, not per listing)."""
    shown = activity(web)
    follow = web.follower.queues.get(kind)
    entry = follow.entries.get(key) if follow else None
    if entry is None:
        return {**shown, "problem": "no such item in this home", "status": 404, "entry": None,
                "kind": kind}  # fmt: skip

    def find(lines):
        for line in lines:
            item = decoded(line)
            if item.get("key") == key:
                return item
        return None

    try:
        item = read_each(QueueStore(web.home / "status" / kind, kind), find)[1] or {}
    except MediakeeperError as err:  # its queue damaged, or gone since the server read it
        return {**shown, "problem": str(err), "status": 500, "entry": None, "kind": kind}
    history = [h for h in item.get("error_history") or [] if isinstance(h, dict)]
    failures = [{"at": h.get("time") or h.get("at") or "", "stage": str(h.get("stage") or ""),
                 "session": str(h.get("session") or ""),
                 "message": plain_error(str(h.get("message") or ""),
                                           most=library.ERROR_LENGTH)}
                for h in reversed(history[-HISTORY_SHOWN:])]  # fmt: skip
    return {**shown, "problem": "", "entry": entry, "kind": kind, "failures": failures,
            "completed_by": str(item.get("completed_by") or ""),
            "report": served.report_of(web.home, kind, entry.slug),
            "cover": served.cover_of(entry.path) is not None}  # fmt: skip


def recent(web) -> dict[str, Any]:
    return {**activity(web), "changes": changes.recent_changes(web.home)}


def _header(web) -> dict[str, Any]:
    """The weekly report every view's header links, or (none yet) what the overview says:
    read from the home, so gathered in a thread with the rest of a view (``_gathered``)."""
    weekly = served.weekly_report(web.home)
    return {"weekly": weekly, "no_weekly": served.no_weekly(web.home) if weekly is None else ""}


def _gathered(web, read, *args) -> dict[str, Any]:
    """What a view shows: what ``read(web, *args)`` gathers, and the header's part."""
    return {**read(web, *args), **_header(web)}


def _render(web, template: str, shown: dict[str, Any], view: str) -> HTMLResponse:
    """A view's page from what was gathered (``_gathered``: no file is read here, on the
    event loop)."""
    html = TEMPLATES.get_template(template).render(
        base=web.base_path, version=__version__, home=web.home, view=view,
        statuses=STATUSES, done=(COMPLETED, SKIPPED), **shown,
    )  # fmt: skip
    return HTMLResponse(html, headers=headers())


def _signin_form(web, then: str, *, wrong: bool = False) -> HTMLResponse:
    """The sign-in form; ``then``: the page (within the server) it leads to once signed in."""
    html = TEMPLATES.get_template("signin.html.j2").render(base=web.base_path, wrong=wrong,
                                                           then=then)  # fmt: skip
    return HTMLResponse(html, status_code=401 if wrong else 200, headers=headers())


def _signin(request: Request) -> Response | None:
    if request.scope.get("signed_in") is False:
        return _signin_form(request.app.state.web, asked_page(request.scope))
    return None


async def _view(request: Request, template: str, view: str, read, *args) -> Response:
    """A view: what ``read(web, *args)`` gathers (in a thread), rendered by ``template``; a
    problem it found answered with its ``status`` (a page of what is not there is 404, as
    the API's answer would be, for a link checker or a script as much as for a person)."""
    web = request.app.state.web
    if answer := _signin(request):
        return answer
    shown = await asyncio.to_thread(_gathered, web, read, *args)
    answer = _render(web, template, shown, view)
    if shown.get("problem"):
        answer.status_code = shown.get("status", 200)
    return answer


async def dashboard(request: Request) -> Response:
    return await _view(request, "page.html.j2", "overview", overview)


async def library_view(request: Request) -> Response:
    return await _view(request, "library.html.j2", "library", browse, query_fields(request))


class ItemAsked(Params):
    """``/library/item``'s query: which item."""

    kind: Word = ""
    key: Name = ""


class DecisionAsked(Params):
    """``/decisions/{id}``'s query: ``part=1`` for the decision alone."""

    part: bool = False


class GroupAsked(Params):
    """``/decisions/group``'s query: the group, the choice taken for it (none: leave them
    as they are), and which page of its items to show."""

    kind: Word  # both needed: a group is its kind and its code
    code: Word
    choose: Annotated[int, Field(gt=0, lt=100)] | None = None
    page: Annotated[int, Field(gt=0, le=1_000_000)] = 1


# A page of this server: one path from its root, never another site's ("//host", "/\\host",
# or one a browser makes so by dropping a tab or a line feed).
_OWN_PAGE = re.compile(r"/(?![/\\])[^\\\s\x00-\x1f\x7f]*")


def own_page(asked: str) -> str:
    """``asked`` when it is a page of this server (``_OWN_PAGE``), else the overview's."""
    return asked if _OWN_PAGE.fullmatch(asked) else "/"


OwnPage = Annotated[Text, AfterValidator(own_page)]


class Signin(Params):
    """``POST /login``'s form: the token, and the page asked before the sign-in."""

    token: Text = ""
    then: OwnPage = "/"


class SigninAsked(Params):
    """``GET /login``'s query: the page to lead to once signed in."""

    then: OwnPage = "/"


def _refused(err: BadInput) -> HTMLResponse:
    """A query or form that does not fit, said as the page says a problem: one line."""
    return HTMLResponse(f'<p class="bad">{escape(str(err))}</p>', status_code=err.status,
                        headers=headers())  # fmt: skip


async def item_view(request: Request) -> Response:
    try:
        asked = query(request, ItemAsked)
    except BadInput as err:
        return _refused(err)
    return await _view(request, "item.html.j2", "library", one_item, asked.kind, asked.key)


async def changes_view(request: Request) -> Response:
    return await _view(request, "changes.html.j2", "changes", recent)


async def decision_view(request: Request) -> Response:
    """``/decisions/{id}``: one decision with its evidence and choices, readable without
    JavaScript; ``?part=1``: only the decision, as the page's script shows it in place."""
    web = request.app.state.web
    if answer := _signin(request):
        return answer
    decision_id = request.path_params["id"]
    try:
        asked = query(request, DecisionAsked)
    except BadInput as err:
        return _refused(err)
    if asked.part:
        shown = await asyncio.to_thread(one_decision, web, decision_id)
        if shown["problem"]:
            return HTMLResponse(f'<p class="bad">{escape(shown["problem"])}</p>',
                                status_code=shown["status"], headers=headers())  # fmt: skip
        html = TEMPLATES.get_template("_decision.html.j2").render(base=web.base_path,
                                                                  home=web.home, **shown)
        return HTMLResponse(html, headers=headers())
    shown = {**await asyncio.to_thread(_gathered, web, activity),
             **await asyncio.to_thread(one_decision, web, decision_id)}  # fmt: skip
    status = shown["status"] if shown["problem"] else 200  # the API's (web.decisions.status_of)
    answer = _render(web, "decision.html.j2", shown, "decision")
    answer.status_code = status
    return answer


async def group_view(request: Request) -> Response:
    """``/decisions/group?kind=K&code=C`` (and ``choose=N``, else leave them as they are):
    the preview of answering the whole group, nothing written; the page then takes it as
    one session (``POST /api/decisions`` with ``all``)."""
    web = request.app.state.web
    if answer := _signin(request):
        return answer
    try:
        asked = query(request, GroupAsked)
    except BadInput as err:
        return _refused(err)
    try:
        shown = await asyncio.to_thread(group_preview, web, asked.kind, asked.code, asked.choose,
                                        asked.page)  # fmt: skip
    except MediakeeperError as err:  # answered as the API answers the same problem
        return HTMLResponse(f'<p class="bad">{escape(said_here(err))}</p>',
                            status_code=status_of(err), headers=headers())  # fmt: skip
    html = TEMPLATES.get_template("_group_preview.html.j2").render(base=web.base_path, **shown)
    return HTMLResponse(html, headers=headers())


async def login(request: Request) -> Response:
    """``POST /login``: the token checked, kept in the cookie, and on to the page asked."""
    web = request.app.state.web
    base = web.base_path
    if not web.token:
        return RedirectResponse(f"{base}/", status_code=303)
    try:
        asked = await form_body(request, Signin)
    except BadInput as err:
        if err.status == 413:
            raise  # answered as every body over the bound is, its connection closed
        return _refused(err)
    if not same_token(asked.token, web.token):
        return _signin_form(web, asked.then, wrong=True)
    answer = RedirectResponse(f"{base}{asked.then}", status_code=303)
    # Secure on an https page, behind a proxy that ends TLS too (the browser's Origin says
    # so): the browser then never sends the token over plain HTTP to the same host.
    secure = request.url.scheme == "https" or from_https_page(request.headers)
    answer.set_cookie(COOKIE, asked.token, httponly=True, samesite="strict", path=f"{base}/",
                      secure=secure)  # fmt: skip
    return answer


async def signin_view(request: Request) -> Response:
    """``GET /login?then=PAGE``: the sign-in form leading to ``PAGE`` (where a report asked
    without the token sends the browser), or, signed in or with no token, ``PAGE`` itself."""
    web = request.app.state.web
    try:
        then = query(request, SigninAsked).then
    except BadInput as err:
        return _refused(err)
    if request.scope.get("signed_in") is False:
        return _signin_form(web, then)
    return RedirectResponse(f"{web.base_path}{then}", status_code=303)


ICON = Path(__file__).parent / "static" / "icon.svg"


async def favicon(request: Request) -> Response:
    """``/favicon.ico``: the page's icon (its views link ``static/icon.svg``), for what a
    browser asks at the root whatever the page says: a served report, the JSON of the API.
    Without it every visit left a 404 in the browser's console and a proxy's log."""
    return FileResponse(ICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})  # fmt: skip


ROUTES = [
    Route("/", dashboard),
    Route("/favicon.ico", favicon),
    Route("/library", library_view),
    Route("/library/item", item_view),
    Route("/changes", changes_view),
    Route("/decisions/group", group_view),
    Route("/decisions/{id}", decision_view),
    Route("/login", login, methods=["POST"]),
    Route("/login", signin_view, methods=["GET"]),
]
