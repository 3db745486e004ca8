"""``/ping``, ``/healthz``, ``/api/queues`` and its items, ``/api/watcher``: what the home
holds now."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from mediakeeper import __version__
from mediakeeper.core.errors import MediakeeperError
from mediakeeper.media.ffmpeg import find
from mediakeeper.text.cut import echoed
from mediakeeper.watch.state import watch_status
from mediakeeper.web import library
from mediakeeper.web.answers import JSONResponse
from mediakeeper.web.bodies import query

LOW_SPACE = 100 * 1024 * 1024  # bytes free in the home below which /healthz fails


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
    free = (await asyncio.to_thread(shutil.disk_usage, web.home)).free
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
    """Every kind with a queue in the home: its items by status (from the queue files), and
    why its queue file cannot be read, if it cannot (the counts then as last read)."""
    web = request.app.state.web
    await asyncio.to_thread(web.follower.sync)
    body = {}
    for kind, held in web.follower.states(working=0).items():
        counts = held["counts"]
        body[kind] = {**counts, "total": sum(counts.values()), **held["progress"],
                      "plugins_left_out": held["plugins_left_out"].as_json(),
                      "problem": held["problem"] or None}  # fmt: skip
    return JSONResponse(body)


async def items(request: Request) -> JSONResponse:
    """One page of a kind's items (``library``): ``status`` (one of the queue's), ``code``
    (an open decision's), ``q`` (in the name or key, case and accents aside), ``sort``,
    ``offset``, ``limit`` (at most ``MOST_LISTED``), with the ``total`` that match. Answered
    from the follower's entries: no queue file is read per request."""
    web = request.app.state.web
    kind = request.path_params["kind"]
    asked = query(request, library.Query)
    await asyncio.to_thread(web.follower.sync)
    if kind not in web.follower.queues:  # (never a path of the caller's making)
        return JSONResponse({"error": f"no {echoed(kind)} queue in this home"}, status_code=404)
    if problem := web.follower.queues[kind].problem:
        return JSONResponse({"error": problem}, status_code=503)
    total, chosen = web.follower.listed(kind, asked)
    return JSONResponse({"kind": kind, "total": total, "offset": asked.offset,
                         "limit": asked.limit, "items": [e.as_json() for e in chosen]})  # fmt: skip


ROUTES = [
    Route("/ping", ping),
    Route("/healthz", healthz),
    Route("/api/queues", queues),
    Route("/api/queues/{kind}/items", items),
    Route("/api/watcher", watcher),
]
