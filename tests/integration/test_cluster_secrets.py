"""No secret ever reaches a cluster worker (issue 71): a home whose settings hold a TMDb API
key, an AcoustID key, a serve token, an alerts webhook and an Apprise URL, each a
recognisable secret, sends a batch of every kind the cluster serves to a real ``dask
scheduler`` and a real ``mediakeeper worker``. What every task carried is read where Dask
holds it: each task's spec as the scheduler received it (a ``SchedulerPlugin``) and as the
worker unpacked it to run (a ``WorkerPlugin``), both pickled whole, inputs' bytes and
parameters alike; then the worker's own output and its temporary folder. No secret is in
any of them."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from mediakeeper.media import ffmpeg
from tests.integration.test_cluster import (
    EXE,
    Scheduler,
    Worker,
    make_library,
    mediakeeper,
)

pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")
from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin  # noqa: E402

pytestmark = pytest.mark.slow

SECRETS = {
    ("tmdb", "api_key"): "tmdbKEYsecret4f1e9a7c2b",
    ("acoustid", "key"): "acoustidKEYsecret8d3b6e1f",
    ("serve", "token"): "serveTOKENsecret5a2c9e7b1d",
    ("alerts", "webhook_url"): "https://hooks.example.org/WEBHOOKsecret7c1d3f",
}
APPRISE = "ntfys://APPRISEsecret2e8b4a6c@ntfy.example.org/topic"
KINDS = ("conversions", "audiobooks", "pipelines", "verify", "dupes")


class SpecsSeen(SchedulerPlugin):
    """Each task's spec, pickled, as the scheduler holds it once it is handed a worker."""

    name = "mediakeeper-test-specs-seen"

    def __init__(self):
        self.seen: list[bytes] = []

    async def start(self, scheduler) -> None:
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        task = self.scheduler.tasks.get(key)
        if finish == "processing" and task is not None:
            self.seen.append((key, cloudpickle.dumps(task.run_spec)))


class RunSeen(WorkerPlugin):
    """Each task's spec, pickled, as the worker unpacked it to run it."""

    name = "mediakeeper-test-run-seen"

    def setup(self, worker) -> None:
        self.worker, self.seen = worker, []

    def transition(self, key, start, finish, **kwargs) -> None:
        task = self.worker.state.tasks.get(key)
        if finish == "executing" and task is not None:
            self.seen.append((key, cloudpickle.dumps(task.run_spec)))


def _settings(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    text = "".join(f'[{section}]\n{key} = "{value}"\n' for (section, key), value in
                   SECRETS.items())  # fmt: skip
    text = text.replace('[alerts]\n', f'[alerts]\napprise = ["{APPRISE}"]\n')
    text += "[cluster]\nsend = [" + ", ".join(f'"{k}"' for k in KINDS) + "]\n"
    (home / "mediakeeper.toml").write_text(text, encoding="utf-8")


def _found_in(blob: bytes) -> list[str]:
    """The secrets (or a telling part of them) found in ``blob``."""
    words = [*SECRETS.values(), APPRISE]
    parts = {w for word in words for w in (word, word.split("//")[-1], word[-12:])}
    return sorted(p for p in parts if p.encode() in blob)


def _files_under(folder: Path) -> bytes:
    found = b""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found += path.name.encode() + b"\0" + path.read_bytes()
    return found


def test_no_secret_reaches_a_worker_in_any_task_its_output_or_its_temporary_folder(
    tmp_path, tmp_path_factory
):
    make_library(tmp_path / "lib", albums=1, tracks=2)
    book = tmp_path / "books" / "Author" / "Book"
    book.mkdir(parents=True)
    for n in (1, 2):
        made = ffmpeg.run(
            EXE, ["-f", "lavfi", "-i", f"sine=d=2:f={300 + 50 * n}", "-ac", "2", "-b:a", "64k",
                  "-y", str(book / f"0{n} Chapter.mp3")])  # fmt: skip
        assert made.returncode == 0
    scheduler = Scheduler(tmp_path_factory.mktemp("scheduler"))
    worker_tmp = Path(tempfile.mkdtemp(prefix="mediakeeper-worker-tmp-"))
    worker = None
    try:
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        scheduler.client.register_plugin(SpecsSeen())
        worker = Worker(scheduler, hidden=tmp_path_factory.getbasetemp().parent,
                        TMPDIR=str(worker_tmp))  # fmt: skip
        scheduler.client.register_plugin(RunSeen())
        there = ("--scheduler", scheduler.address)
        runs = {
            "conversions": ("conversions", "batch", "--library", str(tmp_path / "lib"),
                            "--output", str(tmp_path / "out")),
            "audiobooks": ("audiobooks", "batch", "--library", str(tmp_path / "books"),
                           "--output", str(tmp_path / "m4b")),
            "pipelines": ("pipeline", "run", "opus", "--input", str(tmp_path / "lib"),
                          "--output", str(tmp_path / "opus")),
            "verify": ("verify", "batch", "--library", str(tmp_path / "lib")),
            "dupes": ("dupes", "batch", "--library", str(tmp_path / "lib")),
        }  # fmt: skip
        home = tmp_path / "home"
        _settings(home)
        done = {kind: mediakeeper(*argv, "--home", str(home), *there)
                for kind, argv in runs.items()}  # fmt: skip
        specs = scheduler.client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.plugins[SpecsSeen.name].seen)
        ran = scheduler.client.run(lambda dask_worker: dask_worker.plugins[RunSeen.name].seen,
                                   workers=[worker.address])[worker.address]  # fmt: skip
        worker.log.seek(0)
        said = worker.log.read()
        left = _files_under(worker_tmp)
    finally:
        if worker is not None:
            worker.stop()
        scheduler.stop()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        shutil.rmtree(worker_tmp, ignore_errors=True)
    # What every task carried, then what the worker said and kept: no secret in any.
    assert len(ran) == len(specs), (len(specs), len(ran))
    for key, blob in (*specs, *ran):
        assert not _found_in(blob), (key, _found_in(blob))
    assert not _found_in(said), said.decode(errors="replace")[-3000:]
    assert not _found_in(left), _found_in(left)
    # Each kind ran, and sent its heavy step: the tasks above are every kind's.
    assert {kind: result.returncode for kind, result in done.items()} == dict.fromkeys(KINDS, 0), (
        {kind: result.stdout + result.stderr for kind, result in done.items()})  # fmt: skip
    steps = {key.rsplit("-", 5)[0] for key, _ in specs}
    assert steps == {"convert_sent", "merge_sent", "step_sent", "check_sent",
                     "fingerprint_sent"}, steps  # fmt: skip
