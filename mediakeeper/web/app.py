"""The ASGI app of ``mediakeeper serve``: the routes of each resource, the guard in front
(``security``), and the follower of the home's queues polled in the background while it runs.
A handler reads the home's files (and a library's folders) in a thread (``asyncio.to_thread``,
Starlette's ``run_in_threadpool``), never on the event loop: a slow disk would hold every
other request and the event stream (``tests/integration/test_serve_loop.py`` watches it).
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from mediakeeper.core.config import Settings
from mediakeeper.decisions.listing import HeldDecisions
from mediakeeper.movies.posters import Posters
from mediakeeper.web import (
    batches,
    bodies,
    decisions,
    events,
    metrics,
    page,
    posters,
    queues,
    served,
)
from mediakeeper.web.follower import HomeFollower
from mediakeeper.web.security import Guard

POLL_EVERY = 0.1  # seconds between looks at the queues' files (events within a second)
STATIC = Path(__file__).parent / "static"


@dataclass
class Web:
    """What every route reads: the home, its settings, the follower, the open decisions it
    keeps current (``decisions``), the batches started."""

    settings: Settings
    host: str
    token: str
    base_path: str
    follower: HomeFollower = field(init=False)
    launcher: batches.Launcher = field(init=False)
    posters: Posters | None = field(init=False, default=None)  # opened at the first poster

    def __post_init__(self) -> None:
        self.decisions = HeldDecisions(self.settings.home)  # fed by the follower
        self.follower = HomeFollower(self.settings.home, listener=self.decisions)
        self.launcher = batches.Launcher(self.settings.home)
        self.registry = metrics.registry_for(self.follower)

    @property
    def home(self) -> Path:
        return self.settings.home


def _poll(web: Web, stop: threading.Event) -> None:
    """Sync now (the first read of the queues, the state events are told against: a page
    asked meanwhile shows what is held so far), then every ``POLL_EVERY`` seconds."""
    while True:
        try:
            web.follower.sync()
            web.launcher.reap()
            web.follower.poll_problem = ""
        except Exception as err:  # the follower says it at /healthz; the poller goes on
            web.follower.poll_problem = str(err)
        if stop.wait(POLL_EVERY):
            return


def build(settings: Settings, *, host: str, token: str, base_path: str = "") -> Guard:
    """The app for ``settings.home``, as bound to ``host``; ``token``: "" for none."""
    web = Web(settings, host, token, base_path.rstrip("/"))

    @asynccontextmanager
    async def lifespan(app):
        stop = threading.Event()
        poller = threading.Thread(target=_poll, args=(web, stop), daemon=True, name="follower")
        poller.start()
        try:
            yield
        finally:
            stop.set()
            poller.join(2)
            if web.posters is not None:
                web.posters.close()

    routes = [
        *queues.ROUTES, *decisions.ROUTES, *batches.ROUTES, *events.ROUTES, *metrics.ROUTES,
        *page.ROUTES, *served.ROUTES, *posters.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]  # fmt: skip
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={bodies.BadInput: bodies.refusal})  # fmt: skip
    app.state.web = web
    return Guard(app, host=host, token=token, base_path=web.base_path)
