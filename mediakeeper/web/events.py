"""``/api/events``: server-sent events, one per change in any queue of the home, whoever made
it (``follower.HomeFollower``), resumable with ``Last-Event-ID``.

Each event is ``id: <start>-<n>``, ``event:`` one of ``claimed``, ``progress``, ``completed``,
``failed``, ``skipped``, ``decision``, ``alert``, and ``data:`` a JSON object with at least
``kind``, ``item``, ``status`` and ``session``. A comment every ``HEARTBEAT`` seconds keeps
proxies from closing a quiet stream; ``X-Accel-Buffering: no`` keeps nginx from holding it.
"""

from __future__ import annotations

import asyncio

from sse_starlette.sse import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.routing import Route

from mediakeeper.web.answers import sent

HEARTBEAT = 15  # seconds
LOOK_EVERY = 0.1  # seconds between looks at the events the follower saw
RETRY_MS = 2000  # how soon a browser reconnects


async def events(request: Request) -> EventSourceResponse:
    follower = request.app.state.web.follower
    last = follower.after(request.headers.get("last-event-id"))

    async def stream():
        nonlocal last
        yield ServerSentEvent(comment="mediakeeper events", retry=RETRY_MS)
        while True:
            for number, event, data in follower.since(last):
                last = number
                yield ServerSentEvent(data=sent(data).decode(), event=event,
                                      id=follower.event_id(number))  # fmt: skip
            await asyncio.sleep(LOOK_EVERY)

    return EventSourceResponse(
        stream(), ping=HEARTBEAT,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )  # fmt: skip


ROUTES = [Route("/api/events", events)]
