"""``/ping``, ``/healthz``, ``/api/queues`` and its items, ``/api/watcher``: what the home
holds now."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from mediakeeper import __version__
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.media.ffmpeg import find
from mediakeeper.queue.reading import decoded, read_each
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.cut import echoed
from mediakeeper.watch.state import watch_status
from mediakeeper.web.follower import STATUSES

MOST_LISTED = 500  # the most items one page of a listing holds
LOW_SPACE = 100 * 1024 * 1024  # bytes free in the home below which /healthz fails
ITEM_FIELDS = ("key", "name", "path", "status", "attempts", "started_at", "completed_at",
               "last_error", "issues_found", "issues_resolved")  # fmt: skip


async def ping(request: Request) -> PlainTextResponse:
    return PlainTextResponse("pong")


async def healthz(request: Request) -> JSONResponse:
    """The detailed check: ffmpeg found, space free in the home, every queue readable; and
    the watcher, if one ever ran on the home."""
    web = request.app.state.web
    await asyncio.to_thread(web.follower.sync)
    checks: dict[str, Any] = {}
    failing = []
    try:
        checks["ffmpeg"] = await asyncio.to_thread(find, web.settings.get("ffmpeg", "path"))
    except (MediakeeperError, OSError) as err:
        checks["ffmpeg"] = None
        failing.append(f"ffmpeg: {err}")
    free = shutil.disk_usage(web.home).free
    checks["free_bytes"] = free
    if free < LOW_SPACE:
        failing.append(f"free space: {free} bytes left in {web.home}")
    problems = web.follower.problems()
    checks["queues"] = {kind: problems.get(kind, "ok") for kind in web.follower.queues}
    failing += [f"queue {kind}: {problem}" for kind, problem in problems.items()]
    # Whether a watcher runs on this home, who holds it, what it watches and last said
    # (``mediakeeper watch``'s status/watch.json).
    checks["watcher"] = await asyncio.to_thread(watch_status, web.home / "status")
    body = {"status": "failing" if failing else "ok", "version": __version__,
            "home": str(web.home), "checks": checks}  # fmt: skip
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=503 if failing else 200)


async def watcher(request: Request) -> JSONResponse:
    """Whether a watcher runs on the home and what it last said (what it queued): as
    ``/healthz`` tells it, cheap enough for the page to ask every few seconds."""
    web = request.app.state.web
    return JSONResponse(await asyncio.to_thread(watch_status, web.home / "status"))


async def queues(request: Request) -> JSONResponse:
    """Every kind with a queue in the home: its items by status (from the queue files)."""
    web = request.app.state.web
    await asyncio.to_thread(web.follower.sync)
    body = {}
    for kind, counts in web.follower.counts().items():
        follow = web.follower.queues[kind]
        body[kind] = {**counts, "total": sum(counts.values()), **follow.progress()}
    return JSONResponse(body)


def _number(request: Request, name: str, default: int, most: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number >= 0, not {echoed(raw)!r}")
    return min(int(raw), most)


async def items(request: Request) -> JSONResponse:
    """One page of a kind's items: ``status`` (one of the queue's), ``q`` (in the name or key,
    case folded), ``offset``, ``limit`` (at most ``MOST_LISTED``), with the ``total`` that
    match."""
    web = request.app.state.web
    kind = request.path_params["kind"]
    status = request.query_params.get("status") or None
    query = (request.query_params.get("q") or "").casefold()
    try:
        offset = _number(request, "offset", 0, 10**9)
        limit = _number(request, "limit", 50, MOST_LISTED)
    except ValueError as err:
        return JSONResponse({"error": str(err)}, status_code=400)
    if status is not None and status not in STATUSES:
        return JSONResponse({"error": f"status must be one of {', '.join(STATUSES)}"},
                            status_code=400)  # fmt: skip
    await asyncio.to_thread(web.follower.sync)
    if kind not in web.follower.queues:  # (never a path of the caller's making)
        return JSONResponse({"error": f"no {echoed(kind)} queue in this home"}, status_code=404)
    store = QueueStore(web.home / "status" / kind, kind)

    def page(lines) -> tuple[int, list[dict[str, Any]]]:
        total, chosen = 0, []
        for line in lines:
            item = decoded(line)
            if status and item.get("status") != status:
                continue
            if query and query not in f"{item.get('name')}\0{item['key']}".casefold():
                continue
            if offset <= total < offset + limit:
                chosen.append({k: item.get(k) for k in ITEM_FIELDS})
            total += 1
        return total, chosen

    try:
        _, (total, chosen) = await asyncio.to_thread(read_each, store, page)
    except MediakeeperError as err:
        return JSONResponse({"error": str(err)}, status_code=503)
    return JSONResponse({"kind": kind, "total": total, "offset": offset, "limit": limit,
                         "items": chosen})  # fmt: skip


ROUTES = [
    Route("/ping", ping),
    Route("/healthz", healthz),
    Route("/api/queues", queues),
    Route("/api/queues/{kind}/items", items),
    Route("/api/watcher", watcher),
]
