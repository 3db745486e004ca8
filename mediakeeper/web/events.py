"""``/api/events``: server-sent events, one per change in any queue of the home, whoever made
it (``follower.HomeFollower``), resumable with ``Last-Event-ID``.

Each event is ``id: <start>-<n>``, ``event:`` one of ``claimed``, ``progress``, ``completed``,
``failed``, ``skipped``, ``decision``, ``alert``, and ``data:`` a JSON object with at least
``kind``, ``item``, ``status`` and ``session``. A comment every ``HEARTBEAT`` seconds keeps
proxies from closing a quiet stream; ``X-Accel-Buffering: no`` keeps nginx from holding it.

When the server is told to stop (Ctrl+C, SIGTERM), sse-starlette sets the stream's
``shutdown_event``: the stream then ends as a finished response, where a stream cancelled
mid-way would be cut (a reader sees a broken response, uvicorn logs an error line).
"""

from __future__ import annotations

import anyio
from sse_starlette.sse import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.routing import Route

from mediakeeper.web.answers import sent

HEARTBEAT = 15  # seconds
LOOK_EVERY = 0.1  # seconds between looks at the events the follower saw
RETRY_MS = 2000  # how soon a browser reconnects
# How long a stream gets to end by itself once the server stops (it needs a look, LOOK_EVERY)
# before it is cancelled: well inside the server's own grace (``cli.serve.GRACE``).
SHUTDOWN_GRACE = 1.0


async def events(request: Request) -> EventSourceResponse:
    follower = request.app.state.web.follower
    last = follower.after(request.headers.get("last-event-id"))

    stopping = anyio.Event()

    async def stream():
        nonlocal last
        yield ServerSentEvent(comment="mediakeeper events", retry=RETRY_MS)
        while not stopping.is_set():
            for number, event, data in follower.since(last):
                last = number
                yield ServerSentEvent(data=sent(data).decode(), event=event,
                                      id=follower.event_id(number))  # fmt: skip
            with anyio.move_on_after(LOOK_EVERY):
                await stopping.wait()

    return EventSourceResponse(
        stream(), ping=HEARTBEAT,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        shutdown_event=stopping, shutdown_grace_period=SHUTDOWN_GRACE,
    )  # fmt: skip


ROUTES = [Route("/api/events", events)]
