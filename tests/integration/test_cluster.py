"""Conversions sent to a Dask cluster (issue 71), with real processes on loopback: a ``dask
scheduler``, ``mediakeeper worker`` (``dask worker``) run in a mount namespace where the
tests' folders (the library, the data home, the output) are an empty tmpfs, and the batch
command. (Not as another user: this machine's Python lives in root's home.) Never a mocked
client: the test's own client only watches the scheduler (its workers, its tasks)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mediakeeper.demo import sound as synth
from mediakeeper.media import ffmpeg
from mediakeeper.queue.session_log import load_sessions
from tests.helpers.pipelines import step, write_pipeline
from tests.helpers.processes import REPO_ROOT, scheduler_address, script_env, wait_until
from tests.integration.serving import serve
from tests.integration.test_extras import run_without
from tests.integration.test_serve_metrics import scrape

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.slow
EXE = ffmpeg.find()


# ---- the parts ---------------------------------------------------------------------------


def make_library(root: Path, *, albums: int = 2, tracks: int = 2, seconds: float = 2.0) -> Path:
    for a in range(albums):
        for n in range(1, tracks + 1):
            path = synth.tone(EXE, root / f"Artist {a}" / "Album" / f"0{n} Song.flac", seconds,
                              frequency=200 + 50 * n + 10 * a)  # fmt: skip
            synth.tagged(path, {"title": f"Song {n}", "artist": f"Artist {a}", "album": "Album"})
    return root


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


def hiding(folder: Path) -> list[str]:
    """A command's prefix that runs it in a mount namespace of its own where ``folder`` is an
    empty tmpfs: it cannot see anything under it."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("the worker runs in a mount namespace: needs root and unshare")
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs tmpfs "$0" && exec "$@"', str(folder)]  # fmt: skip


def env(**more: str) -> dict[str, str]:
    return {**script_env(), "MEDIAKEEPER_CLUSTER_WAIT_FOR_WORKERS": "120", **more}


def batch_argv(tmp: Path, home: str, out: str, *more: str) -> list[str]:
    return [sys.executable, "-m", "mediakeeper", "conversions", "batch", "--home",
            str(tmp / home), "--library", str(tmp / "lib"), "--output", str(tmp / out),
            "--batch-size", "10", *more]  # fmt: skip


def run_batch(tmp: Path, home: str, out: str, *more: str, **environ: str):
    return subprocess.run(batch_argv(tmp, home, out, *more), cwd=REPO_ROOT, env=env(**environ),
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def queue(home: Path) -> dict[str, dict]:
    data = json.loads((home / "status" / "conversions" / "processing_queue.json").read_text())
    return {i["key"]: i for i in data["items"]}


def journal(home: Path) -> str:
    """What the running batch has noted on its items since the queue was last written."""
    try:
        return (home / "status" / "conversions" / "processing_queue.journal").read_text()
    except FileNotFoundError:
        return ""


def events(home: Path) -> list[dict]:
    lines = (home / "status" / "conversions" / "sessions.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e.get("event") == "item"]


class Scheduler:
    def __init__(self, folder: Path, *more: str, security=None):
        file = folder / "scheduler.json"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(file), *more],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            # its scratch folder in the test's (stop kills it: it leaves that folder behind)
            env={**os.environ, "DASK_TEMPORARY_DIRECTORY": str(folder)},
        )  # fmt: skip
        self.address = scheduler_address(file)
        self.client = distributed.Client(self.address, timeout=30, set_as_default=False,
                                         security=security)  # fmt: skip

    def workers(self) -> dict[str, int]:
        return dict(self.client.nthreads())

    def tasks(self) -> int:
        return self.client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))

    def stop(self) -> None:
        self.client.close()
        with contextlib.suppress(ProcessLookupError):  # killed by the test
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


class Worker:
    """``mediakeeper worker ADDRESS`` (``by_option``: ``--scheduler ADDRESS``, as a batch
    takes it) with ``hidden`` out of its sight, no nanny unless asked (``nanny``, as a person
    starts it): a killed worker stays dead."""

    def __init__(self, scheduler: Scheduler, *, hidden: Path, path: str = "",
                 by_option: bool = False, nanny: bool = False, **environ: str):  # fmt: skip
        before = set(scheduler.workers())
        address = ["--scheduler", scheduler.address] if by_option else [scheduler.address]
        argv = [sys.executable, "-m", "mediakeeper", "worker", *address,
                "--nworkers", "1", *(() if nanny else ("--", "--no-nanny"))]  # fmt: skip
        environ = env(HOME="/tmp", PATH=path or os.environ["PATH"], **environ)
        argv = [*hiding(hidden), *argv]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (what it said, for a failure)
        self.proc = subprocess.Popen(argv, cwd="/", env=environ, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        if not wait_until(lambda: set(scheduler.workers()) - before, limit=90):
            self.log.seek(0)
            raise AssertionError(f"no worker joined: {self.log.read().decode()[-3000:]}")
        self.address = (set(scheduler.workers()) - before).pop()

    def python(self) -> psutil.Process:
        """The worker's own process (unshare and sh exec it: the one started)."""
        return psutil.Process(self.proc.pid)

    def encoding(self) -> bool:
        for child in self.python().children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):  # ended meanwhile
                if "ffmpeg" in child.name():
                    return True
        return False

    @contextlib.contextmanager
    def lid_shut(self) -> Iterator[Callable[[], None]]:
        """The worker stopped with its children (SIGSTOP: a laptop's lid shut, the whole
        machine asleep, its encode too) for the block, which is given ``wake`` to wake it
        early; woken at the end whatever happens."""
        lid = [self.python(), *self.python().children(recursive=True)]
        for proc in lid:
            with contextlib.suppress(psutil.NoSuchProcess):  # (one ended since it was listed)
                proc.suspend()

        def wake() -> None:
            for proc in lid:
                with contextlib.suppress(psutil.Error):
                    proc.resume()

        try:
            yield wake
        finally:
            wake()

    def kill(self) -> None:
        with_children = [self.python(), *self.python().children(recursive=True)]
        for proc in with_children:
            with contextlib.suppress(psutil.Error):
                proc.kill()

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def encoding_batch(tmp_path: Path, scheduler: Scheduler, worker: Worker,
                   **environ: str) -> subprocess.Popen:
    """The batch sent to ``scheduler``, in its own process group, once ``worker`` encodes."""
    batch = subprocess.Popen(batch_argv(tmp_path, "home", "out", "--scheduler",
                                        scheduler.address),
                             cwd=REPO_ROOT, env=env(**environ), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             start_new_session=True)  # fmt: skip
    assert wait_until(worker.encoding, limit=120), "the worker never encoded"
    return batch


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    found = Scheduler(tmp_path_factory.mktemp("scheduler"))
    yield found
    found.stop()


@pytest.fixture
def workers(scheduler, tmp_path_factory):
    started: list[Worker] = []
    every_test_s = tmp_path_factory.getbasetemp().parent  # /tmp/pytest-of-<user>
    # Each worker's temporary folder (Dask's scratch space in it), unless the test gives one:
    # outside what it may not see, and removed once it is stopped (killed, it leaves it).
    scratch = Path(tempfile.mkdtemp(prefix="mediakeeper-test-workers-"))

    def start(*, path: str = "", on: Scheduler | None = None, by_option: bool = False,
              nanny: bool = False, **environ: str) -> Worker:  # fmt: skip
        environ.setdefault("TMPDIR", str(scratch))
        found = Worker(on or scheduler, hidden=every_test_s, path=path, by_option=by_option,
                       nanny=nanny, **environ)  # fmt: skip
        started.append(found)
        return found

    yield start
    for found in started:
        found.stop()
    shutil.rmtree(scratch, ignore_errors=True)
    # Killed, each leaves the scheduler as its connection closes: the next test starts clean.
    gone = wait_until(lambda: not set(scheduler.workers()) & {w.address for w in started},
                      limit=30)  # fmt: skip
    assert gone, f"killed workers still on the scheduler: {sorted(scheduler.workers())}"


# ---- outputs -----------------------------------------------------------------------------


def test_a_worker_that_cannot_read_the_library_makes_the_same_bytes(tmp_path, scheduler,
                                                                    workers):  # fmt: skip
    make_library(tmp_path / "lib")
    worker = workers()
    # The worker sees neither the library nor the data home: nothing shared.
    seen = scheduler.client.run(os.path.exists, str(tmp_path / "lib"), workers=[worker.address])
    assert seen == {worker.address: False}
    local = run_batch(tmp_path, "home-local", "out-local")
    assert local.returncode == 0, local.stderr
    sent = run_batch(tmp_path, "home", "out", "--scheduler", scheduler.address)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert digests(tmp_path / "out") == digests(tmp_path / "out-local")
    assert len(digests(tmp_path / "out")) == 4
    assert {i["status"] for i in queue(tmp_path / "home").values()} == {"completed"}
    for event in events(tmp_path / "home"):
        assert event["workers"] == [worker.address]
        sources = (tmp_path / "lib" / event["key"]).glob("*.flac")
        outputs = (tmp_path / "out" / event["key"]).glob("*.opus")
        assert event["bytes_sent"] == sum(p.stat().st_size for p in sources)
        assert event["bytes_received"] == sum(p.stat().st_size for p in outputs)
    # Seen: what /api/batches says of a batch (its items so far) and /metrics.
    moved = load_sessions(tmp_path / "home" / "status", "conversions")[-1].moved
    assert moved["workers"] == {worker.address: 2}
    assert moved["bytes_sent"] == sum(e["bytes_sent"] for e in events(tmp_path / "home"))
    server = serve(tmp_path / "home")
    try:
        samples = scrape(server)
    finally:
        server.stop()
    assert samples[("mediakeeper_cluster_items_total", ("kind", "conversions"),
                    ("worker", worker.address))] == 2  # fmt: skip
    assert samples[("mediakeeper_cluster_sent_bytes_total", ("kind", "conversions"))] == \
        moved["bytes_sent"]  # fmt: skip
    assert samples[("mediakeeper_cluster_received_bytes_total", ("kind", "conversions"))] == \
        moved["bytes_received"]  # fmt: skip


def test_a_worker_killed_mid_encode_and_every_item_completes_once(tmp_path, scheduler, workers):
    make_library(tmp_path / "lib", albums=2, tracks=3, seconds=12.0)
    local = run_batch(tmp_path, "home-local", "out-local")
    assert local.returncode == 0, local.stderr
    # The machines' temporary folder, outside what the workers may not see.
    machine_tmp = Path(tempfile.mkdtemp(prefix="mediakeeper-workers-tmp-"))
    try:
        first = workers(TMPDIR=str(machine_tmp))
        second = workers(TMPDIR=str(machine_tmp), by_option=True)  # --scheduler, as a batch
        batch = encoding_batch(tmp_path, scheduler, first)
        # Seen by the batch holding an item (recorded on it, in the queue's journal) first.
        assert wait_until(lambda: first.address in journal(tmp_path / "home"), limit=60)
        first.kill()  # SIGKILL, its ffmpeg with it
        out, err = batch.communicate(timeout=300)
        assert batch.returncode == 0, out + err
        # Said, once for each item it held a step of: the batch was silent on it.
        said = [line for line in out.splitlines() if "lost the cluster's worker" in line]
        assert said and all(first.address in line for line in said), out + err
        # The killed worker's step folder (its inputs) is in its Dask local directory, which
        # the next worker started on the machine removes.
        workers(TMPDIR=str(machine_tmp))
        assert not list(machine_tmp.rglob("mediakeeper-step-*"))
    finally:
        shutil.rmtree(machine_tmp, ignore_errors=True)
    assert digests(tmp_path / "out") == digests(tmp_path / "out-local")
    completed = [e["key"] for e in events(tmp_path / "home") if e["outcome"] == "completed"]
    assert sorted(completed) == ["Artist 0/Album", "Artist 1/Album"]  # each once
    assert all(i["attempts"] <= 1 for i in queue(tmp_path / "home").values())
    assert second.address in {w for e in events(tmp_path / "home") for w in e["workers"]}
    lost = [e["workers_lost"] for e in events(tmp_path / "home") if "workers_lost" in e]
    assert len(lost) == len(said) and all(w == [first.address] for w in lost), lost
    log = next((tmp_path / "home" / "status" / "conversions" / "session_logs").glob("*.log"))
    assert f"NOTICE lost the cluster's worker {first.address}" in log.read_text()


def test_a_worker_stopped_mid_step_has_its_step_sent_to_another_and_its_late_answer_lost(
        tmp_path, scheduler, workers, fake_bin):  # fmt: skip
    """A worker stopped while it held a step (SIGSTOP: a laptop's lid shut, a machine swapping
    to death) stayed on the scheduler, its connection open, until Dask's worker-ttl (5 min):
    the batch waited all that time and said nothing. Its heartbeat silent for [cluster]
    silent_worker_seconds, its steps go to another worker; woken up, its late answer is
    nobody's: nothing is placed twice, and the item says which worker fell silent."""
    make_library(tmp_path / "lib", albums=1, tracks=2)
    local = run_batch(tmp_path, "home-local", "out-local")
    assert local.returncode == 0, local.stderr
    first_gate, second_gate = fake_bin / "first-may-encode", fake_bin / "second-may-encode"
    asleep = workers(path=f"{gated_ffmpeg(fake_bin / 'first', first_gate, minutes=10)}:"
                          f"{os.environ['PATH']}")  # fmt: skip
    batch = encoding_batch(tmp_path, scheduler, asleep,
                           MEDIAKEEPER_CLUSTER_SILENT_WORKER_SECONDS="3")  # fmt: skip
    awake = workers(path=f"{gated_ffmpeg(fake_bin / 'second', second_gate, minutes=10)}:"
                         f"{os.environ['PATH']}")  # fmt: skip
    try:
        with asleep.lid_shut() as wake:
            # Well inside the scheduler's worker-ttl (5 min): sent again to the worker awake.
            def moved() -> bool:
                if not awake.encoding():  # (its ffmpeg run: the step in its hands)
                    return False
                held = scheduler.client.processing()
                return bool(held.get(awake.address)) and not held.get(asleep.address)

            assert wait_until(moved, limit=120), "the step stayed with the stopped worker"
            # Woken up while the batch still waits for the other: its encode ends and its
            # answer comes back to the scheduler, for a task the batch no longer holds.
            first_gate.touch()
            wake()
            assert wait_until(lambda: not asleep.encoding(), limit=120), "it never woke up"
            assert wait_until(lambda: scheduler.client.run(
                lambda dask_worker: len(dask_worker.state.tasks), workers=[asleep.address]
            ) == {asleep.address: 0}, limit=60), "the late step stayed on the woken worker"
            second_gate.touch()
            out, err = batch.communicate(timeout=120)
    finally:
        first_gate.touch(), second_gate.touch()
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
    assert batch.returncode == 0, out + err
    said = [line for line in out.splitlines() if asleep.address in line]
    assert len(said) == 1 and "did not answer" in said[0], out + err
    assert "the step went to another worker" in said[0], said
    assert digests(tmp_path / "out") == digests(tmp_path / "out-local")
    [event] = events(tmp_path / "home")  # recorded once, completed once
    # (woken, the first is a worker as any other: a track sent after may go to it)
    assert event["outcome"] == "completed" and awake.address in event["workers"], event
    assert event["workers_silent"] == [asleep.address], event
    outputs = (tmp_path / "out" / event["key"]).glob("*.opus")
    assert event["bytes_received"] == sum(p.stat().st_size for p in outputs)  # taken once
    assert [i["attempts"] for i in queue(tmp_path / "home").values()] == [1]
    log = next((tmp_path / "home" / "status" / "conversions" / "session_logs").glob("*.log"))
    assert f"NOTICE the cluster's worker {asleep.address} did not answer" in log.read_text()


def test_the_only_worker_stopped_mid_step_gives_the_items_back_naming_it(
        tmp_path, scheduler, workers, fake_bin):  # fmt: skip
    """With no other worker to send its step to, a stopped worker is waited for as a gone one
    is ([cluster] wait_for_workers), not for Dask's worker-ttl, and the line names it."""
    make_library(tmp_path / "lib", albums=1, tracks=1)
    gate = fake_bin / "may-encode"
    only = workers(path=f"{gated_ffmpeg(fake_bin / 'gated', gate, minutes=10)}:"
                        f"{os.environ['PATH']}")  # fmt: skip
    batch = encoding_batch(tmp_path, scheduler, only, MEDIAKEEPER_CLUSTER_WAIT_FOR_WORKERS="3",
                           MEDIAKEEPER_CLUSTER_SILENT_WORKER_SECONDS="3")  # fmt: skip
    try:
        with only.lid_shut():
            out, err = batch.communicate(timeout=120)  # (Dask's worker-ttl: 5 min)
    finally:
        gate.touch()
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
    assert batch.returncode == 2, out + err
    said = [line for line in (out + err).splitlines() if "go back to pending" in line]
    assert len(said) == 1 and f"the worker {only.address} of the scheduler" in said[0], out + err
    assert "did not answer" in said[0] and "for 3 s" in said[0], said
    assert {i["status"] for i in queue(tmp_path / "home").values()} == {"pending"}
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.opus"))


def test_every_worker_gone_gives_the_items_back_to_pending(tmp_path, scheduler, workers):
    make_library(tmp_path / "lib", albums=2, tracks=3, seconds=12.0)
    only = workers()
    batch = encoding_batch(tmp_path, scheduler, only, MEDIAKEEPER_CLUSTER_WAIT_FOR_WORKERS="3")
    only.kill()
    out, err = batch.communicate(timeout=300)
    assert batch.returncode == 2, out + err  # stopped: as a batch no item can succeed in
    said = [line for line in (out + err).splitlines() if "go back to pending" in line]
    assert len(said) == 1, out + err
    assert {i["status"] for i in queue(tmp_path / "home").values()} == {"pending"}
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.opus"))
    # Resumable: a worker back, the same batch finishes them.
    workers()
    again = run_batch(tmp_path, "home", "out", "--scheduler", scheduler.address)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {i["status"] for i in queue(tmp_path / "home").values()} == {"completed"}


def test_ctrl_c_cancels_the_batch_s_tasks(tmp_path, scheduler, workers):
    make_library(tmp_path / "lib", albums=1, tracks=4, seconds=12.0)
    only = workers()
    batch = encoding_batch(tmp_path, scheduler, only)
    batch.send_signal(signal.SIGINT)
    out, err = batch.communicate(timeout=120)
    assert batch.returncode == 130, out + err
    assert {i["status"] for i in queue(tmp_path / "home").values()} == {"pending"}
    assert wait_until(lambda: scheduler.tasks() == 0, limit=30), "its tasks were not cancelled"


def test_the_coordinator_killed_mid_encode_resumes_as_after_any_kill(tmp_path, scheduler,
                                                                      workers):  # fmt: skip
    make_library(tmp_path / "lib", albums=2, tracks=3, seconds=12.0)
    local = run_batch(tmp_path, "home-local", "out-local")
    assert local.returncode == 0, local.stderr
    only = workers()
    batch = encoding_batch(tmp_path, scheduler, only)
    os.killpg(batch.pid, signal.SIGKILL)  # the batch and its worker processes, at once
    batch.communicate()
    # Its client gone, the scheduler forgets its tasks; the next run takes the items again.
    assert wait_until(lambda: scheduler.tasks() == 0, limit=60), "its tasks stayed"
    again = run_batch(tmp_path, "home", "out", "--scheduler", scheduler.address)
    assert again.returncode == 0, again.stdout + again.stderr
    assert digests(tmp_path / "out") == digests(tmp_path / "out-local")
    assert {i["status"] for i in queue(tmp_path / "home").values()} == {"completed"}



@pytest.mark.parametrize("kind", ["conversions", "pipeline-opus"])
def test_the_scheduler_killed_mid_encode_gives_the_items_back_in_one_line(tmp_path, workers,
                                                                          kind):  # fmt: skip
    """The tasks went with the scheduler (Dask cancels them): every item was recorded an
    error, each with Dask's 'FutureCancelledError: ... scheduler-connection-lost' and
    where in client.py, as if its album were at fault. (A pipeline's step made even the
    stop its own failure: 'step 1 (convert): lost the scheduler ...', the item an error.)"""
    make_library(tmp_path / "lib", albums=2, tracks=3, seconds=12.0)
    doomed = Scheduler(_made(tmp_path / "doomed"))
    argv = batch_argv(tmp_path, "home", "out", "--scheduler", doomed.address)
    if kind != "conversions":
        argv = [*argv[:3], "pipeline", "run", "opus", "--home", str(tmp_path / "home"),
                "--input", str(tmp_path / "lib"), "--output", str(tmp_path / "out"),
                "--scheduler", doomed.address]  # fmt: skip
    try:
        worker = workers(on=doomed)
        batch = subprocess.Popen(argv, cwd=REPO_ROOT, env=env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
        assert wait_until(worker.encoding, limit=120), "the worker never encoded"
        os.killpg(doomed.proc.pid, signal.SIGKILL)
        out, err = batch.communicate(timeout=120)
    finally:
        doomed.stop()
    assert batch.returncode == 2, out + err  # stopped: no item can succeed without it
    said = [line for line in (out + err).splitlines() if "lost the scheduler at" in line]
    assert len(said) == 1 and doomed.address in said[0], out + err
    assert "Future" not in out + err and "client.py" not in out + err
    items = json.loads((tmp_path / "home" / "status" / kind / "processing_queue.json")
                       .read_text())["items"]  # fmt: skip
    assert {i["status"] for i in items} == {"pending"}, items
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.opus"))


def test_a_scheduler_that_stops_answering_gives_the_items_back_bounded(tmp_path, workers):
    """A scheduler stopped (its machine frozen) keeps its connections open: the batch asked
    it for its workers without a bound and hung for as long as it was stopped."""
    make_library(tmp_path / "lib", albums=1, tracks=3, seconds=12.0)
    frozen = Scheduler(_made(tmp_path / "frozen"))
    try:
        worker = workers(on=frozen)
        batch = encoding_batch(tmp_path, frozen, worker, MEDIAKEEPER_CLUSTER_WAIT_FOR_WORKERS="3")
        os.kill(frozen.proc.pid, signal.SIGSTOP)
        try:
            out, err = batch.communicate(timeout=120)
        finally:
            os.kill(frozen.proc.pid, signal.SIGCONT)
    finally:
        frozen.stop()
    assert batch.returncode == 2, out + err
    said = [line for line in (out + err).splitlines() if "did not answer for 3 s" in line]
    assert len(said) == 1 and frozen.address in said[0], out + err
    assert {i["status"] for i in queue(tmp_path / "home").values()} == {"pending"}


@pytest.fixture
def small_volume():
    """A tmpfs of its own, outside the tests' folders (a worker's scratch space in it):
    ``room(bytes)`` sets its size."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a small volume of its own: needs root and mount")
    folder = Path(tempfile.mkdtemp(prefix="mediakeeper-small-volume-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], check=True)

    def room(size: int) -> Path:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)
        return folder

    yield room
    subprocess.run(["umount", "--lazy", str(folder)], check=True)
    folder.rmdir()


@pytest.mark.parametrize(("kind", "left"), [("conversions", "no room for its inputs"),
                                           ("conversions", "no room for the encode"),
                                           ("pipeline-opus", "no room for the encode")])
def test_a_worker_whose_disk_is_full_is_named_and_the_items_wait(
        tmp_path, scheduler, workers, small_volume, kind, left):  # fmt: skip
    """A worker's full scratch volume was said as this machine's ('disk full: a file could
    not be written', or 'no space left on the file system mounted at' a path of the
    worker's): the person looked for the full disk on the coordinator. A pipeline's encode
    there failed its album instead, and each next one, spending their attempts."""
    make_library(tmp_path / "lib", albums=1, tracks=1, seconds=12.0)
    source = tmp_path / "lib" / "Artist 0" / "Album" / "01 Song.flac"
    # (a tmpfs counts in pages: 64 KiB less than the track, or 32 KiB more)
    size = source.stat().st_size + (-64 if left == "no room for its inputs" else 32) * 1024
    scratch = small_volume(size)
    worker = workers(TMPDIR=str(scratch))
    there = ("--scheduler", scheduler.address)
    if kind == "conversions":
        done = run_batch(tmp_path, "home", "out", *there)
    else:
        done = mediakeeper("pipeline", "run", "opus", "--home", str(tmp_path / "home"), "--input",
                           str(tmp_path / "lib"), "--output", str(tmp_path / "out"), *there)
    assert done.returncode != 0, done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(said) == 1 and f"on the worker {worker.address}: " in said[0], done.stderr
    assert "disk full" in said[0] and f"mounted at {scratch}" in said[0], said
    items = json.loads((tmp_path / "home" / "status" / kind / "processing_queue.json"
                        ).read_text())["items"]  # fmt: skip
    assert [(i["status"], i["attempts"]) for i in items] == [("pending", 0)], items
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.opus"))
    assert not list(scratch.rglob("mediakeeper-step-*"))

# ---- refusals ----------------------------------------------------------------------------


@pytest.fixture
def fake_bin():
    """A folder outside the tests' folders (a worker sees it)."""
    folder = Path(tempfile.mkdtemp(prefix="mediakeeper-fake-ffmpeg-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def another_ffmpeg(folder: Path) -> Path:
    """``folder`` with an ``ffmpeg`` that says another version (and runs the real one)."""
    (folder / "ffmpeg").write_text(
        "#!/bin/sh\n"
        'case "$*" in *-version*) echo "ffmpeg version 6.1-other Copyright (c) someone";; '
        f'*) exec {shutil.which("ffmpeg") or EXE} "$@";; esac\n'
    )
    (folder / "ffmpeg").chmod(0o755)
    return folder


def test_a_worker_with_another_ffmpeg_is_refused_naming_both(tmp_path, scheduler, workers,
                                                             fake_bin):  # fmt: skip
    make_library(tmp_path / "lib", albums=1, tracks=1)
    workers(path=f"{another_ffmpeg(fake_bin)}:{os.environ['PATH']}")
    result = run_batch(tmp_path, "home", "out", "--scheduler", scheduler.address)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused the worker" in lines[0]
    assert "6.1-other" in lines[0] and ffmpeg.build(EXE) in lines[0]
    assert not (tmp_path / "home" / "status" / "conversions" / "processing_queue.json").exists()
    # Beside a worker of the same build: the batch runs there, the other said once, unused.
    good = workers()
    result = run_batch(tmp_path, "home", "out", "--scheduler", scheduler.address)
    assert result.returncode == 0, result.stdout + result.stderr
    said = [line for line in result.stderr.splitlines() if "refused the worker" in line]
    assert len(said) == 1 and "6.1-other" in said[0]
    assert all(e["workers"] == [good.address] for e in events(tmp_path / "home"))



def test_a_worker_that_does_not_answer_is_not_waited_for_nor_refused_for_good(
        tmp_path, scheduler, workers):  # fmt: skip
    """A stopped worker (its connection still open) held the judging of every worker: a
    batch said 'cannot reach the scheduler ...: no answer within 60 s' of a scheduler that
    answered, and mediakeeper cluster hung until Dask dropped the worker minutes later. Then
    one stopped as it was first asked was refused for the whole batch ('start it again'),
    unused once it woke: no answer and no heartbeat while asked, it is silent, said so, and
    judged again once heard."""
    make_library(tmp_path / "lib", albums=1, tracks=1)
    asleep, awake = workers(), workers()

    def listed() -> dict[str, dict]:
        done = mediakeeper("cluster", "--scheduler", scheduler.address, "--json", "--home",
                           str(tmp_path), MEDIAKEEPER_CLUSTER_SILENT_WORKER_SECONDS="3600")
        assert done.returncode == 0, done.stderr  # (not yet silent for as long)
        return {w["address"]: w for w in json.loads(done.stdout)["workers"]}

    with asleep.lid_shut():  # its machine asleep, not yet long enough to be unheard
        done = run_batch(tmp_path, "home", "out", "--scheduler", scheduler.address)
        seen = listed()
    assert done.returncode == 0, done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if asleep.address in line]
    assert len(said) == 1 and f"the worker {asleep.address} did not answer within 10 s and " \
        "has not been heard since (stopped, or its machine asleep): it is sent nothing until " \
        "it is heard again" in said[0], done.stderr  # fmt: skip
    assert "refused" not in done.stderr, done.stderr
    assert all(e["workers"] == [awake.address] for e in events(tmp_path / "home"))
    stopped = seen[asleep.address]
    assert stopped["silent"] and not stopped["accepted"] and stopped["refused"] == "", stopped
    assert seen[awake.address]["accepted"], seen
    # Woken: heard again, asked, and accepted as any other.
    assert wait_until(lambda: listed()[asleep.address]["accepted"], limit=120)


@pytest.mark.parametrize(
    ("address", "settings", "said"),
    [
        ("tcp://127.0.0.1:9", {}, "cannot reach the scheduler at tcp://127.0.0.1:9"),
        ("tcp:/127.0.0.1", {}, "is not a scheduler address"),
        ("tcp://192.0.2.1:8786", {}, "is not a loopback address (localhost, 127.0.0.1, ::1)"),
        ("tls://127.0.0.1:8786", {"MEDIAKEEPER_CLUSTER_TLS_CERT": "/nowhere/cert.pem"},
         "[cluster] tls_cert /nowhere/cert.pem: no such file"),
    ],
)  # fmt: skip
def test_bad_scheduler_settings_say_one_line_and_claim_nothing(tmp_path, address, settings,
                                                               said):  # fmt: skip
    make_library(tmp_path / "lib", albums=1, tracks=1, seconds=1.0)
    result = run_batch(tmp_path, "home", "out", "--scheduler", address, **settings)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "status" / "conversions" / "processing_queue.json").exists()


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_kind_mistyped_in_cluster_send_is_one_line_not_a_batch_run_here(tmp_path, dry_run):
    """send = ["conversion"] named no kind, so nothing was sent and no one was told."""
    make_library(tmp_path / "lib", albums=1, tracks=1, seconds=1.0)
    more = ["--scheduler", "tcp://127.0.0.1:9", *(["--dry-run"] if dry_run else [])]
    result = run_batch(tmp_path, "home", "out", *more, MEDIAKEEPER_CLUSTER_SEND="conversion")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "MEDIAKEEPER_CLUSTER_SEND: 'conversion' is no kind" in lines[0]
    assert "conversions" in lines[0] and "pipelines" in lines[0]
    assert not (tmp_path / "home" / "status" / "conversions" / "processing_queue.json").exists()


def test_mediakeeper_cluster_lists_the_workers(tmp_path, scheduler, workers):
    worker = workers()
    listed = subprocess.run([sys.executable, "-m", "mediakeeper", "cluster", "--scheduler",
                             scheduler.address, "--json", "--home", str(tmp_path)],
                            cwd=REPO_ROOT, env=env(), capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    mine = next(w for w in found["workers"] if w["address"] == worker.address)
    assert mine["accepted"] and mine["threads"] == 1
    assert mine["ffmpeg"] == ffmpeg.build(EXE) == found["ffmpeg"]


def test_a_worker_of_a_loopback_scheduler_listens_on_loopback_alone(scheduler, workers):
    """Started as a person starts it (its nanny too), a loopback scheduler's worker listened
    on every address in plain TCP, and its HTTP port with it: Dask's worker takes commands
    from whoever connects, so any machine on the network could run code on this one. Every
    port of its processes listens on loopback."""
    worker = workers(nanny=True)
    ports = listening(worker)
    assert len(ports) >= 3, ports  # the nanny's, the worker's and its HTTP port
    assert {ip for ip, _port in ports} == {"127.0.0.1"}, ports


def listening(worker) -> set[tuple[str, int]]:
    """(address, port) of every port the worker's processes listen on."""
    tree = [worker.python(), *worker.python().children(recursive=True)]
    return {(c.laddr.ip, c.laddr.port) for proc in tree
            for c in proc.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN}  # fmt: skip


def unheard_by(scheduler, address: str) -> float:
    """Seconds since the scheduler last heard ``address``'s heartbeat (its own view)."""
    return scheduler.client.run_on_scheduler(
        lambda dask_scheduler: time.time() - dask_scheduler.workers[address].last_seen
    )


def test_mediakeeper_cluster_marks_a_silent_worker_as_a_batch_judges_it(tmp_path, scheduler,
                                                                        workers):  # fmt: skip
    """A worker stopped (SIGSTOP: its lid shut) is sent nothing by a batch once its heartbeat
    is unheard for [cluster] silent_worker_seconds, but mediakeeper cluster listed it as if
    well, or, after waiting 10 s for it, as refused ('start it again'). It is marked silent,
    with how long its heartbeat has been unheard, by the batch's own judgement."""
    asleep, awake = workers(), workers()

    def listed(*more: str) -> subprocess.CompletedProcess:
        return mediakeeper("cluster", "--scheduler", scheduler.address, *more, "--home",
                           str(tmp_path), MEDIAKEEPER_CLUSTER_SILENT_WORKER_SECONDS="3")

    seen: dict[str, dict] = {}

    def says(silent: bool) -> bool:
        done = listed("--json")
        assert done.returncode == 0, done.stderr
        seen.update({w["address"]: w for w in json.loads(done.stdout)["workers"]})
        return seen[asleep.address]["silent"] is silent

    with asleep.lid_shut():
        # Silent before the first look: one that falls silent while a look asks its versions
        # does not answer them, and is refused in that look (not this test's path).
        assert wait_until(lambda: unheard_by(scheduler, asleep.address) > 3, limit=120)
        assert wait_until(lambda: says(True), limit=120), seen
        text = listed()
    stopped, well = seen[asleep.address], seen[awake.address]
    assert stopped["unheard_seconds"] >= 3 and not stopped["accepted"], stopped
    assert stopped["refused"] == "", stopped  # (never asked, so never refused for good)
    assert not well["silent"] and well["accepted"] and well["unheard_seconds"] < 3, well
    assert text.returncode == 0, text.stderr
    [line] = [line for line in text.stdout.splitlines() if asleep.address in line]
    assert "silent: no heartbeat for" in line and "a batch sends it nothing" in line, line
    assert "1 silent, 1 accepted thread(s)" in text.stdout, text.stdout
    # Woken: heard again, judged, and accepted as any other.
    assert wait_until(lambda: says(False), limit=120), seen
    assert seen[asleep.address]["accepted"], seen


def test_a_batch_whose_only_worker_is_silent_is_refused_naming_it(tmp_path, scheduler, workers):
    """A worker already silent when the batch starts is known so at its first look (by the
    scheduler's clock), not asked for 10 s and refused for good: with no other, the batch is
    refused in one line naming it, before anything is claimed."""
    make_library(tmp_path / "lib", albums=1, tracks=1)
    only = workers()
    quick = {"MEDIAKEEPER_CLUSTER_SILENT_WORKER_SECONDS": "3"}

    with only.lid_shut():
        assert wait_until(lambda: unheard_by(scheduler, only.address) > 3, limit=120)
        done = run_batch(tmp_path, "home", "out", "--scheduler", scheduler.address, **quick)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"the worker {only.address} has not been heard for 3 s" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home" / "status" / "conversions" / "processing_queue.json").exists()


# ---- the other kinds ---------------------------------------------------------------------


def mediakeeper(*args: str, **environ: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mediakeeper", *args], cwd=REPO_ROOT,
                          env=env(**environ), capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_a_book_a_pipeline_and_verify_sent_give_what_a_local_run_gives(tmp_path, scheduler,
                                                                        workers):  # fmt: skip
    make_library(tmp_path / "lib", albums=1, tracks=2)
    book = tmp_path / "books" / "Author" / "Book"
    book.mkdir(parents=True)
    for n in (1, 2):
        made = ffmpeg.run(EXE, ["-f", "lavfi", "-i", f"sine=d=2:f={300 + 50 * n}", "-ac", "2",
                                "-b:a", "64k", "-y", str(book / f"0{n} Chapter.mp3")])  # fmt: skip
        assert made.returncode == 0
    worker = workers()
    there = ("--scheduler", scheduler.address)
    runs = {
        "book": lambda home, out, *more: mediakeeper(
            "audiobooks", "batch", "--home", str(tmp_path / home), "--library",
            str(tmp_path / "books"), "--output", str(tmp_path / out), *more),
        "pipeline": lambda home, out, *more: mediakeeper(
            "pipeline", "run", "opus", "--home", str(tmp_path / home), "--input",
            str(tmp_path / "lib"), "--output", str(tmp_path / out), *more),
        "verify": lambda home, out, *more: mediakeeper(
            "verify", "batch", "--home", str(tmp_path / home), "--library",
            str(tmp_path / "lib"), *more, MEDIAKEEPER_CLUSTER_SEND="verify"),
    }  # fmt: skip
    for name, run in runs.items():
        local, sent = run(f"{name}-home-local", f"{name}-local"), run(f"{name}-home", name, *there)
        assert local.returncode == 0, local.stdout + local.stderr
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert digests(tmp_path / name) == digests(tmp_path / f"{name}-local")
        kind = {"book": "audiobooks", "pipeline": "pipeline-opus", "verify": "verify"}[name]
        lines = (tmp_path / f"{name}-home" / "status" / kind / "sessions.jsonl").read_text()
        items = [e for e in map(json.loads, lines.splitlines()) if e.get("event") == "item"]
        assert items and all(e["workers"] == [worker.address] for e in items), name
    verified = [json.loads(p.read_text())["files"] for p in
                sorted((tmp_path / "verify-home" / "outputs" / "verify").glob("*.json"))]
    here = [json.loads(p.read_text())["files"] for p in
            sorted((tmp_path / "verify-home-local" / "outputs" / "verify").glob("*.json"))]
    assert verified == here and verified


def test_a_step_sent_to_a_worker_is_stopped_at_the_pipeline_s_step_timeout(
        tmp_path, scheduler, workers, fake_bin):  # fmt: skip
    """A pipeline's step_timeout stopped a step run here that took too long, but a step sent
    to a worker ran without it: an encode that never ended held its album, and the batch, for
    ever. Stopped on the worker (its programs too), the item fails as it does here."""
    make_library(tmp_path / "lib", albums=1, tracks=1)
    gate = fake_bin / "never"  # (never made: its encode waits for ever, as a hung one)
    slow = f"{gated_ffmpeg(fake_bin / 'slow', gate, minutes=1)}:{os.environ['PATH']}"
    pipeline = write_pipeline(tmp_path / "slow.yaml", step("to-opus", "convert", codec="opus"),
                              input=tmp_path / "lib", output=tmp_path / "out",
                              stall_timeout=600, step_timeout=2)  # fmt: skip
    worker = workers(path=slow)

    def run(home: str, *more: str) -> tuple[subprocess.CompletedProcess, dict, list[str]]:
        done = mediakeeper("pipeline", "run", str(pipeline), "--home", str(tmp_path / home),
                           *more, PATH=slow)  # fmt: skip
        status = tmp_path / home / "status" / "pipeline-slow"
        [item] = json.loads((status / "processing_queue.json").read_text())["items"]
        working = tmp_path / home / "working" / "pipeline-slow"
        left = sorted(p.relative_to(working).as_posix() for p in working.rglob("*")
                      if p.name != "state.json")  # fmt: skip
        return done, item, left

    here, here_item, left_here = run("home-local")
    sent, item, left = run("home", "--scheduler", scheduler.address)
    assert here.returncode == 1 and sent.returncode == 1, sent.stdout + sent.stderr
    stopped = "it ran for 2 s, the pipeline's step_timeout, and was stopped"
    assert stopped in here_item["last_error"], here_item
    assert (item["status"], item["last_error"]) == (here_item["status"], here_item["last_error"])
    assert left == left_here, left
    assert "Traceback" not in sent.stdout + sent.stderr
    # Stopped there: nothing of it still runs on the worker, its folder gone.
    assert wait_until(lambda: not worker.encoding(), limit=30), "its encode still runs"
    assert not any(Path(tempfile.gettempdir()).glob("mediakeeper-test-workers-*/**/"
                                                    "mediakeeper-step-*"))  # fmt: skip


@pytest.mark.parametrize(("argv", "said"), [
    (("worker", "--scheduler", "nowhere"), "--scheduler: 'nowhere' is not a scheduler address"),
    (("worker", "nowhere"), "ADDRESS: 'nowhere' is not a scheduler address"),
    (("worker",), "give the scheduler's address: mediakeeper worker tcp://HOST:8786"),
    (("worker", "--memory-limit", "tcp://127.0.0.1:8786"), "no option --memory-limit here"),
    (("worker", "tcp://127.0.0.1:1", "--scheduler", "tcp://127.0.0.1:2"), "two addresses"),
    # Not before --: dask worker was started with it and said "Unknown argument specified: %r"
    (("worker", "tcp://127.0.0.1:1", "tcp://127.0.0.1:2"), "two addresses"),
    (("worker", "tcp://127.0.0.1:1", "--nworkers", "0"), "'--nworkers': 0 is not in the range"),
    # Was started as asked: ten thousand processes
    (("worker", "tcp://127.0.0.1:1", "--nworkers", "10000"),
     "'--nworkers': 10000 is more than this machine takes: at most "),
])  # fmt: skip
def test_a_worker_given_no_address_it_can_use_says_so_in_one_line(tmp_path, argv, said):
    """``worker --scheduler X`` (as a batch takes it) was read as the address "--scheduler"."""
    done = subprocess.run([sys.executable, "-m", "mediakeeper", *argv, "--home", str(tmp_path)],
                          cwd=REPO_ROOT, env=env(), capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and said in errors[0], done.stderr


@pytest.mark.parametrize("argv", [("worker", "tcp://127.0.0.1:8786"),
                                  ("cluster", "--scheduler", "tcp://127.0.0.1:8786")])  # fmt: skip
def test_without_the_cluster_extra_a_command_names_it(tmp_path, argv):
    done = run_without("distributed", *argv, "--home", str(tmp_path), config=tmp_path / "config")
    assert done.returncode == 2, done.stderr
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(said) == 1 and "pip install 'mediakeeper[cluster]'" in said[0], done.stderr


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_batch_sent_without_the_cluster_extra_names_it_and_claims_nothing(tmp_path, dry_run):
    """The scheduler is asked from a forked process: what it raised there was lost, and the
    batch said it had waited 60 s for an answer it never waited for; a dry run said nothing."""
    make_library(tmp_path / "lib", albums=1, tracks=1, seconds=1.0)
    argv = batch_argv(tmp_path, "home", "out", "--scheduler", "tcp://127.0.0.1:8786")[3:]
    done = run_without("distributed", *argv, *(["--dry-run"] if dry_run else []),
                       config=tmp_path / "config")  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(said) == 1 and "pip install 'mediakeeper[cluster]'" in said[0], done.stderr
    assert not (tmp_path / "home" / "status" / "conversions" / "processing_queue.json").exists()


def test_a_batch_without_a_scheduler_never_loads_dask(tmp_path):
    make_library(tmp_path / "lib", albums=1, tracks=1, seconds=1.0)
    done = subprocess.run(batch_argv(tmp_path, "home", "out"), cwd=REPO_ROOT,
                          env=env(PYTHONPROFILEIMPORTTIME="1"), capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "distributed" not in {line.split("|")[-1].strip().split(".")[0]
                                 for line in done.stderr.splitlines() if "|" in line}


@pytest.fixture
def tls_files():
    """A CA and a certificate for 127.0.0.1 it signed (openssl), outside the tests' folders
    (a worker reads them): the [cluster] TLS settings as environment variables."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make the certificates")
    folder = Path(tempfile.mkdtemp(prefix="mediakeeper-tls-"))
    ca, cert, key = folder / "ca.pem", folder / "node.pem", folder / "node.key"
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for argv in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder / "ca.key",
         "-out", ca, "-days", "2", "-subj", "/CN=mediakeeper test CA"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", folder / "node.csr",
         "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", folder / "node.csr", "-CA", ca, "-CAkey", folder / "ca.key",
         "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", folder / "ext.cnf"],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, argv)], check=True, capture_output=True)
    yield {"MEDIAKEEPER_CLUSTER_TLS_CA_FILE": str(ca), "MEDIAKEEPER_CLUSTER_TLS_CERT": str(cert),
           "MEDIAKEEPER_CLUSTER_TLS_KEY": str(key)}  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


def test_a_tls_scheduler_works_with_the_tls_settings_and_is_refused_without(
        tmp_path, workers, tls_files):  # fmt: skip
    from distributed.security import Security

    ca, cert, key = tls_files.values()
    secured = Scheduler(_made(tmp_path / "tls"), "--protocol", "tls", "--tls-ca-file", ca,
                        "--tls-cert", cert, "--tls-key", key,
                        security=Security(tls_ca_file=ca, tls_client_cert=cert,
                                          tls_client_key=key, require_encryption=True))  # fmt: skip
    try:
        assert secured.address.startswith("tls://127.0.0.1:")
        make_library(tmp_path / "lib", albums=1, tracks=1)
        worker = workers(on=secured, **tls_files)
        # Its own port speaks TLS, each peer proving itself; its HTTP port (health, metrics),
        # which no peer needs, listens on loopback alone, as a plain TCP worker's does.
        comm = int(worker.address.rsplit(":", 1)[1])
        others = {ip for ip, port in listening(worker) if port != comm}
        assert others == {"127.0.0.1"}, listening(worker)
        local = run_batch(tmp_path, "home-local", "out-local")
        sent = run_batch(tmp_path, "home", "out", "--scheduler", secured.address, **tls_files)
        assert local.returncode == 0 and sent.returncode == 0, sent.stdout + sent.stderr
        assert digests(tmp_path / "out") == digests(tmp_path / "out-local")
        bare = run_batch(tmp_path, "home-bare", "out-bare", "--scheduler", secured.address)
        assert bare.returncode == 2 and "set [cluster] tls_ca_file" in bare.stderr
    finally:
        secured.stop()


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _openssl(*argv) -> None:
    subprocess.run(["openssl", *map(str, argv)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """The cluster's CA and a certificate for 127.0.0.1 it signed; another CA and one it
    signed; one the cluster's CA signed that expired in 2020 (openssl ca: its dates given)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make the certificates")
    folder = tmp_path_factory.mktemp("certificates")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", folder / f"{ca}.key",
                 "-out", folder / f"{ca}.pem", "-days", "2", "-subj", f"/CN=mediakeeper {ca}")
    for node, ca in (("node", "ca"), ("other-node", "other-ca"), ("expired", "ca")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", folder / f"{node}.key",
                 "-out", folder / f"{node}.csr", "-subj", f"/CN={node}")
        if node != "expired":
            _openssl("x509", "-req", "-in", folder / f"{node}.csr", "-CA", folder / f"{ca}.pem",
                     "-CAkey", folder / f"{ca}.key", "-CAcreateserial", "-out",
                     folder / f"{node}.pem", "-days", "2", "-extfile", folder / "ext.cnf")
    (folder / "db").mkdir()
    (folder / "db" / "index.txt").touch()
    (folder / "db" / "serial").write_text("01\n")
    (folder / "ca.cnf").write_text(
        f"[ca]\ndefault_ca = it\n[it]\ndatabase = {folder}/db/index.txt\nserial = "
        f"{folder}/db/serial\nnew_certs_dir = {folder}/db\ndefault_md = sha256\n"
        "policy = any\n[any]\ncommonName = supplied\n")
    # A public CA (the first of Mozilla's list, as certifi ships it) in a file of its own.
    import certifi

    bundle = Path(certifi.where()).read_text()
    end = "-----END CERTIFICATE-----"
    (folder / "public-ca.pem").write_text(bundle[bundle.index("-----BEGIN CERTIFICATE-----"):
                                                 bundle.index(end) + len(end)] + "\n")
    _openssl("ca", "-batch", "-config", folder / "ca.cnf", "-cert", folder / "ca.pem",
             "-keyfile", folder / "ca.key", "-in", folder / "expired.csr", "-out",
             folder / "expired.pem", "-startdate", "20200101000000Z", "-enddate",
             "20200102000000Z", "-extfile", folder / "ext.cnf")
    return folder


def tls_settings(folder: Path, ca: str, cert: str, key: str) -> dict[str, str]:
    return {"MEDIAKEEPER_CLUSTER_TLS_CA_FILE": str(folder / ca),
            "MEDIAKEEPER_CLUSTER_TLS_CERT": str(folder / cert),
            "MEDIAKEEPER_CLUSTER_TLS_KEY": str(folder / key)}  # fmt: skip


@pytest.fixture(scope="module")
def tls_scheduler(tmp_path_factory, certificates):
    from distributed.security import Security

    ca, cert, key = (str(certificates / n) for n in ("ca.pem", "node.pem", "node.key"))
    found = Scheduler(tmp_path_factory.mktemp("tls-scheduler"), "--protocol", "tls",
                      "--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key,
                      security=Security(tls_ca_file=ca, tls_client_cert=cert,
                                        tls_client_key=key, require_encryption=True))  # fmt: skip
    yield found
    found.stop()


@pytest.mark.parametrize(("files", "plain", "said"), [
    # Was 'TLS certificate does not match. Check your security settings...; start it'
    (("other-ca.pem", "other-node.pem", "other-node.key"), False,
     "showed a certificate [cluster] tls_ca_file {folder}/other-ca.pem did not sign "
     "(self-signed certificate in certificate chain)"),
    # Was 'SSLV3_ALERT_UNKNOWN_CA', or 'EOF occurred in violation of protocol', by the race
    (("ca.pem", "other-node.pem", "other-node.key"), False,
     "[cluster] tls_cert {folder}/other-node.pem is not one tls_ca_file {folder}/ca.pem vouches "
     "for (unable to get local issuer certificate)"),
    (("ca.pem", "expired.pem", "expired.key"), False,
     "[cluster] tls_cert {folder}/expired.pem is not one tls_ca_file {folder}/ca.pem vouches "
     "for (certificate has expired)"),
    # Was '[X509: KEY_VALUES_MISMATCH] key values mismatch (_ssl.c:3926); start it', and for
    # the worker a traceback of dask worker's
    (("ca.pem", "node.pem", "other-node.key"), False,
     "[cluster] tls_key {folder}/other-node.key is not the key of tls_cert {folder}/node.pem"),
    (("ext.cnf", "node.pem", "node.key"), False,
     "[cluster] tls_ca_file {folder}/ext.cnf is not a PEM certificate"),
    # Was taken: Dask checks no host name, so any certificate a public CA signed would join
    (("public-ca.pem", "node.pem", "node.key"), False,
     "[cluster] tls_ca_file {folder}/public-ca.pem holds a public certificate authority"),
    # Was 'FatalCommClosedError; start it (dask scheduler)'
    (("ca.pem", "node.pem", "node.key"), True,
     "the scheduler at {address} does not speak TLS: give its tcp:// address"),
])  # fmt: skip
def test_tls_misconfigured_is_one_line_naming_the_setting(
        tmp_path, scheduler, tls_scheduler, certificates, files, plain, said):  # fmt: skip
    make_library(tmp_path / "lib", albums=1, tracks=1, seconds=1.0)
    address = scheduler.address.replace("tcp://", "tls://") if plain else tls_scheduler.address
    said = said.format(folder=certificates, address=address)
    settings = tls_settings(certificates, *files)
    done = run_batch(tmp_path, "home", "out", "--scheduler", address, **settings)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], done.stderr
    assert "start it (dask scheduler)" not in lines[0]
    assert not (tmp_path / "home" / "status" / "conversions" / "processing_queue.json").exists()
    if any(w in said for w in ("vouches for", "PEM", "is not the key", "public")):  # a worker
        worker = mediakeeper("worker", address, "--home", str(tmp_path), **settings)
        errors = [line for line in worker.stderr.splitlines() if line.strip()]
        assert worker.returncode == 2 and len(errors) == 1 and said in errors[0], worker.stderr


def test_a_plain_address_of_a_tls_scheduler_says_it_may_be_one(tmp_path, tls_scheduler):
    """Was 'Connection reset by peer; start it (dask scheduler)': it was running."""
    make_library(tmp_path / "lib", albums=1, tracks=1, seconds=1.0)
    plain = tls_scheduler.address.replace("tls://", "tcp://")
    done = run_batch(tmp_path, "home", "out", "--scheduler", plain)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "for a TLS scheduler, its tls:// address" in lines[0], lines


def test_a_step_is_never_sent_to_a_refused_worker(tmp_path, scheduler, workers, fake_bin):
    """The library's own call, on the real scheduler, with only a refused worker there: it
    waits its bounded time and stops the batch; the worker ran nothing."""
    from mediakeeper.batch import cluster
    from mediakeeper.batch.job import ItemFailure
    from mediakeeper.media.convert import convert_sent

    track = make_library(tmp_path / "lib", albums=1, tracks=1) / "Artist 0" / "Album"
    refused = workers(path=f"{another_ffmpeg(fake_bin)}:{os.environ['PATH']}")
    target = cluster.Target(scheduler.address, wait_for_workers=2.0, ffmpeg=ffmpeg.build(EXE))
    remote = cluster.Remote(target, scheduler.client)
    params = {"source": "01 Song.flac", "output": "01 Song.opus", "profile": "opus"}
    with pytest.raises(ItemFailure) as stopped:
        remote.call(convert_sent, params, {"01 Song.flac": (track / "01 Song.flac").read_bytes()})
    assert stopped.value.stop and "no worker" in stopped.value.message
    assert [w.address for w in remote.workers.values() if w.refused] == [refused.address]
    assert scheduler.tasks() == 0


# ---- seen while in flight ----------------------------------------------------------------


def gated_ffmpeg(folder: Path, gate: Path, *, minutes: int = 2) -> Path:
    """``folder`` with an ``ffmpeg`` that, before each run of the real one (its version line
    the real one's), waits until ``gate`` exists (``minutes`` at most): an encode held in
    flight for as long as the test looks at it, then let go at once."""
    real = shutil.which("ffmpeg") or EXE
    folder.mkdir(exist_ok=True)
    (folder / "ffmpeg").write_text(
        "#!/bin/sh\n"
        'case "$*" in *-version*) ;; *) n=0\n'
        f'  while [ ! -e "{gate}" ] && [ $n -lt {minutes * 600} ]; do sleep 0.1; '
        'n=$((n + 1)); done;;\n'
        f'esac\nexec {real} "$@"\n'
    )
    (folder / "ffmpeg").chmod(0o755)
    return folder


def test_api_batches_and_the_page_name_the_worker_holding_an_item_in_flight(
        tmp_path, scheduler, workers, fake_bin, browser):  # fmt: skip
    make_library(tmp_path / "lib", albums=1, tracks=1)
    made = mediakeeper("conversions", "queue", "--home", str(tmp_path / "home"), "--init",
                       "--library", str(tmp_path / "lib"))  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    gate = fake_bin / "encode-now"  # where the worker sees it (not the tests' folders)
    worker = workers(path=f"{gated_ffmpeg(fake_bin, gate)}:{os.environ['PATH']}")
    server = serve(tmp_path / "home")
    page = browser.new_page()
    batch = None
    try:
        # Open before the batch, its queue already there: the activity is never rendered
        # again, so what it says of the item comes from the events (page.js).
        page.goto(server.url + "/")
        sync_api = pytest.importorskip("playwright.sync_api")
        sync_api.expect(page.locator("#live")).to_have_text("live")
        batch = encoding_batch(tmp_path, scheduler, worker)

        def held() -> list[dict]:
            running = server.get("/api/batches").json()["running"]
            return [i for r in running for i in r["items"] if i["workers"]]

        assert wait_until(held, limit=60), server.get("/api/batches").text
        [item] = held()
        assert item["key"] == "Artist 0/Album"
        assert item["workers"] == [worker.address]
        now = page.locator('[data-current="conversions"]')
        sync_api.expect(now).to_contain_text(f"on {worker.address}", timeout=30_000)
        assert f"on {worker.address}" in server.get("/").text  # as the server renders it
        assert scrape(server)[("mediakeeper_cluster_items_held", ("kind", "conversions"),
                               ("worker", worker.address))] == 1  # fmt: skip
        gate.touch()  # seen in flight: the encode may go on
        out, err = batch.communicate(timeout=300)
        assert batch.returncode == 0, out + err
        # Done, no worker holds it: the API lists no item in flight, the page none.
        assert all(not r["items"] for r in server.get("/api/batches").json()["running"])
        sync_api.expect(now).not_to_contain_text("on tcp", timeout=30_000)
    finally:
        gate.touch()  # a failed look lets the encode go too
        page.close()
        server.stop()
        if batch is not None and batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
