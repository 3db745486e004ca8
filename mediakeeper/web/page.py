"""``GET /``: the dashboard page, rendered on the server (readable without JavaScript), then
kept current by ``static/page.js`` from ``/api/events``, and from ``/api/batches`` and
``/api/watcher`` every few seconds for what changes no queue (a batch's end, a watcher that
starts or stops). Everything from tags and file names
is escaped by the template (autoescape); the script only ever sets text, never HTML, and the
page allows no inline script (Content-Security-Policy).

With a token, a browser without it gets the sign-in form; ``POST /login`` checks the token and
keeps it in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mediakeeper import __version__
from mediakeeper.core import kinds
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.core.tokens import same_token
from mediakeeper.decisions.listing import decisions_json
from mediakeeper.queue.items import ERROR, IN_PROGRESS
from mediakeeper.queue.reading import decoded, read_each
from mediakeeper.queue.session_log import SessionRecord, load_sessions
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.visible import visible
from mediakeeper.watch.state import watch_status
from mediakeeper.web.batches import running_of
from mediakeeper.web.bodies import bounded_body
from mediakeeper.web.security import COOKIE


def _shown(value):
    """Every text a page shows, its hidden controls made visible (``text.visible``)."""
    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    finalize=_shown,
)
SHOWN_FAILURES = 20  # a kind's failed items shown
SHOWN_SESSIONS = 5  # a kind's latest sessions shown
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}  # fmt: skip


def gather(web) -> dict[str, Any]:
    """What the page shows, read from the home now."""
    web.follower.sync()
    queues = []
    for kind, counts in web.follower.counts().items():
        follow = web.follower.queues[kind]
        working = [s for s in follow.items.values() if s.status == IN_PROGRESS][:10]
        total = sum(counts.values())
        queues.append({"kind": kind, "counts": counts, "total": total,
                       "working": working, "batchable": bool(kinds.KINDS.get(kind)
                                                             and kinds.KINDS[kind].batch),
                       "problem": follow.problem, **follow.progress()})  # fmt: skip
    # Each kind's sessions read once: its running batches and its latest sessions both.
    records = {q["kind"]: load_sessions(web.home / "status", q["kind"], items=False)
               for q in queues}  # fmt: skip
    running = {kind: running_of(found) for kind, found in records.items()}
    return {
        "queues": queues,
        "running": {kind: [r for r in rs if r["kind"] == kind] for kind, rs in running.items()},
        "watcher": watch_status(web.home / "status"),
        "decisions": decisions_json(web.home),
        "failures": {q["kind"]: _failures(web.home, q["kind"]) for q in queues},
        "sessions": [s for kind, found in records.items() for s in _sessions(kind, found)],
        "weekly": _weekly(web.home),
    }


def _failures(home: Path, kind: str) -> list[dict[str, str]]:
    def take(lines):
        found = []
        for line in lines:
            item = decoded(line)
            if item.get("status") == ERROR and len(found) < SHOWN_FAILURES:
                found.append({"name": str(item.get("name") or item["key"]),
                              "error": str(item.get("last_error") or "")})  # fmt: skip
        return found

    try:
        return read_each(QueueStore(home / "status" / kind, kind), take)[1]
    except (MediakeeperError, OSError):
        return []


def _sessions(kind: str, records: list[SessionRecord]) -> list[dict[str, Any]]:
    records = records[-SHOWN_SESSIONS:]
    return [{"id": r.id, "kind": kind, "outcome": r.outcome, "done": r.items_done,
             "failed": r.items_failed, "started": r.started_at.strftime("%Y-%m-%d %H:%M")}
            for r in reversed(records)]  # fmt: skip


def _weekly(home: Path) -> Path | None:
    found = sorted((home / "status" / "reports").glob("*_weekly_progress.html"))
    return found[-1] if found else None


async def dashboard(request: Request) -> Response:
    web = request.app.state.web
    base = web.base_path
    if request.scope.get("signed_in") is False:
        html = TEMPLATES.get_template("signin.html.j2").render(base=base, wrong=False)
        return HTMLResponse(html, headers=_headers())
    shown = await asyncio.to_thread(gather, web)
    html = TEMPLATES.get_template("page.html.j2").render(base=base, version=__version__,
                                                         home=web.home, **shown)  # fmt: skip
    return HTMLResponse(html, headers=_headers())


async def login(request: Request) -> Response:
    web = request.app.state.web
    base = web.base_path
    if not web.token:
        return RedirectResponse(f"{base}/", status_code=303)
    form = parse_qs((await bounded_body(request)).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    if not same_token(given, web.token):
        html = TEMPLATES.get_template("signin.html.j2").render(base=base, wrong=True)
        return HTMLResponse(html, status_code=401, headers=_headers())
    answer = RedirectResponse(f"{base}/", status_code=303)
    answer.set_cookie(COOKIE, given, httponly=True, samesite="strict", path=f"{base}/",
                      secure=request.url.scheme == "https")  # fmt: skip
    return answer


async def weekly(request: Request) -> Response:
    web = request.app.state.web
    if request.scope.get("signed_in") is False:
        return RedirectResponse(f"{web.base_path}/", status_code=303)
    found = _weekly(web.home)
    if found is None:
        return HTMLResponse("No weekly report yet.", status_code=404, headers=_headers())
    headers = {**_headers(), "Content-Security-Policy": REPORT_POLICY}  # its own styles
    return FileResponse(found, media_type="text/html", headers=headers)


ROUTES = [
    Route("/", dashboard),
    Route("/login", login, methods=["POST"]),
    Route("/reports/weekly", weekly),
]
