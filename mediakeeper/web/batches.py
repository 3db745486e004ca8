"""``/api/batches``: a batch started as the command line starts it, and stopped as Ctrl+C
stops it.

A batch is ``python -m mediakeeper <kind> batch --home H --batch-size N``, a process of its
own in a process group of its own: its session is in ``mediakeeper sessions``, it takes the
queue's claims as any batch does, and it goes on if the server stops. Its session id is
read from the session events it writes as it starts. A batch already working on the queue
(started here or in a terminal: ``queue.manager.running_batch``) makes a new one 409.
Stopping sends SIGINT to its process group (to the batch's process, for one started
elsewhere on this machine): it records what it finished and gives the rest back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.routing import Route

from mediakeeper.core import kinds
from mediakeeper.core.config import started_environment
from mediakeeper.pipelines import KIND_PREFIX
from mediakeeper.queue.manager import running_batch
from mediakeeper.queue.session_log import RUNNING, SessionRecord, kind_of, load_sessions
from mediakeeper.queue.store import QueueStore
from mediakeeper.text.cut import echoed
from mediakeeper.web.answers import JSONResponse
from mediakeeper.web.bodies import Body, Word, json_body

STARTING = 60.0  # seconds a batch has to write its session's start
MOST_BATCH = 100_000


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Launcher:
    """The batches this server started: session id -> process."""

    def __init__(self, home: Path):
        self.home = home
        self.started: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()  # one start at a time: the 409 check holds

    def start(self, kind: str, batch_size: int) -> str:
        with self._lock:
            self.reap()
            store = QueueStore(self.home / "status" / kind, kind)
            if any(kind_of(s) == kind for s in self.started):
                raise Refused(409, f"a {kind} batch started here is running")
            if store.exists() and (found := running_batch(store)):
                pid, session = found
                raise Refused(409, f"a {kind} batch is running (session {session}, pid {pid})")
            log = self.home / "status" / kind / "serve_batch.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "ab") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "mediakeeper", kind, "batch", "--home",
                     str(self.home), "--batch-size", str(batch_size)],
                    stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                    start_new_session=True,  # its own process group: a Ctrl+C of its own
                    env=started_environment(NO_COLOR="1"),
                )  # fmt: skip
            session = self._session_of(kind, process, log)
            self.started[session] = process
            return session

    def _session_of(self, kind: str, process: subprocess.Popen, log: Path) -> str:
        """The session the batch opened (read from its start event), or why it has none."""
        deadline = time.monotonic() + STARTING
        while time.monotonic() < deadline:
            for record in reversed(load_sessions(self.home / "status", kind, items=False)):
                if record.pid == process.pid:
                    return record.id
            if process.poll() is not None:
                said = _last_line(log) or f"the batch ended at once (exit {process.returncode})"
                status = 409 if "is working on" in said or "locked" in said else 422
                raise Refused(status, said)
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        raise Refused(504, "the batch did not open a session in time; it was stopped")

    def stop(self, session: str) -> None:
        """SIGINT to the batch's process group (or process): as Ctrl+C in its terminal."""
        self.reap()
        process = self.started.get(session)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            return
        kind = kind_of(session)
        if kind in kinds.KINDS or kind.startswith(KIND_PREFIX):
            for record in load_sessions(self.home / "status", kind, items=False):
                if record.id == session and record.outcome == RUNNING and record.pid:
                    os.kill(record.pid, signal.SIGINT)
                    return
        raise Refused(404, f"no running batch with session {echoed(session)!r}")

    def reap(self) -> None:
        """Forget the batches that ended (their processes waited for: no zombies)."""
        for session, process in list(self.started.items()):
            if process.poll() is not None:
                del self.started[session]

    def running(self) -> list[str]:
        self.reap()
        return list(self.started)


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    # The batch's own words, less its terminal's "Error: " (the answer's field says that).
    return lines[-1].removeprefix("Error: ") if lines else ""


class BatchBody(Body):
    """``POST /api/batches``: the kind to run and how many items."""

    kind: Word
    batch_size: int = Field(10, ge=1, le=MOST_BATCH)


async def start_batch(request: Request) -> JSONResponse:
    web = request.app.state.web
    body = await json_body(request, BatchBody)
    kind, size = body.kind, body.batch_size
    record = kinds.KINDS.get(kind)
    if record is None or record.plan is None:
        batchable = [k for k, r in kinds.KINDS.items() if r.plan is not None]
        return JSONResponse({"error": f"kind must be one of {', '.join(batchable)}"},
                            status_code=400)  # fmt: skip
    try:
        session = await asyncio.to_thread(web.launcher.start, kind, size)
    except Refused as err:
        return JSONResponse({"error": str(err)}, status_code=err.status)
    return JSONResponse({"session": session}, status_code=202)


async def stop_batch(request: Request) -> JSONResponse:
    web = request.app.state.web
    session = request.path_params["session"]
    try:
        await asyncio.to_thread(web.launcher.stop, session)
    except Refused as err:
        return JSONResponse({"error": str(err)}, status_code=err.status)
    except ProcessLookupError:
        return JSONResponse({"error": f"session {echoed(session)!r} ended already"},
                            status_code=404)  # fmt: skip
    return JSONResponse({"session": session, "stopping": True}, status_code=202)


def running_batches(home: Path, in_flight: dict[str, list[dict[str, Any]]] | None = None,
                    finished: dict[str, tuple[int, int]] | None = None
                    ) -> list[dict[str, Any]]:  # fmt: skip
    """The running batches of every kind with a queue; ``in_flight``: the items each
    session holds (``HomeFollower.in_flight``); ``finished``: what each finished, as the
    queues say (``HomeFollower.finished_by``)."""
    found = []
    for queue in sorted((home / "status").glob("*/processing_queue.json")):
        records = load_sessions(home / "status", queue.parent.name, items=False)
        found += running_of(records, in_flight, finished)
    return found


def running_of(records: list[SessionRecord], in_flight: dict[str, list[dict[str, Any]]]
               | None = None, finished: dict[str, tuple[int, int]] | None = None
               ) -> list[dict[str, Any]]:  # fmt: skip
    """The running sessions among ``records``, as the API and the page list them: with
    ``in_flight`` given, each one's items in hand (``items``) and the workers holding them.
    Its items done and failed are the more of what its events say and what the queue says
    it finished (``finished``): a batch records each result in the queue first, its event
    after, and a batch held or slow between the two has finished what its events lack."""
    running = []
    for record in records:
        if record.outcome != RUNNING:
            continue
        done, failed = (finished or {}).get(record.id, (0, 0))
        running.append(
            {"session": record.id, "kind": record.kind, "pid": record.pid,
             "started_at": record.started_at.isoformat(),
             "items_done": max(record.items_done, done),
             "items_failed": max(record.items_failed, failed),
             **({"cluster": record.moved} if record.moved else {}),
             **({"items": in_flight.get(record.id, [])} if in_flight is not None else {})}
        )  # fmt: skip
    return running


def _running_now(web) -> list[dict[str, Any]]:
    web.follower.sync()
    return running_batches(web.home, web.follower.in_flight(), web.follower.finished_by())


async def list_batches(request: Request) -> JSONResponse:
    web = request.app.state.web
    return JSONResponse({"running": await asyncio.to_thread(_running_now, web)})


ROUTES = [
    Route("/api/batches", list_batches, methods=["GET"]),
    Route("/api/batches", start_batch, methods=["POST"]),
    Route("/api/batches/{session}/stop", stop_batch, methods=["POST"]),
]
