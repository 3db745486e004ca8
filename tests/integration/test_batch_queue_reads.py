"""What a batch reads back of the queue it made: nothing. The store that wrote the new queue
holds it, so the look for items whose rule plugins were left out, and the stale claims given
back before the first claim, read what it holds instead of the file just written (the batch's
own process works alone then, before its workers' first item).

Counted, not timed: a real ``process_music_batch.py`` in a subprocess, each reading of the
queue file into the store (``load_queue``, or ``parse_queue`` for a state handed out whole)
counted in the batch's own process; the closing reports' reading is their own."""

from __future__ import annotations

import json

from tests.helpers import run_counted
from tests.integration.test_undo import spec

COUNTING = """
import mediakeeper.queue.store as store
main = os.getpid()
def counted_here(name):
    wrapped = getattr(store, name)
    def counting(*args, **kw):
        if os.getpid() == main:  # the workers read no queue; counted in the batch's process
            counted[name] += 1
        return wrapped(*args, **kw)
    setattr(store, name, counting)
counted_here("load_queue")
counted_here("parse_queue")
"""


def test_a_batch_reads_back_none_of_the_queue_it_made(tmp_path, music_library):
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    home = tmp_path / "home"
    run, read = run_counted(COUNTING, "process_music_batch.py", "--home", home, "--library", lib,
                            "--offline", counts=tmp_path / "counted.json")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert read == {}, read
    queue = json.loads((home / "status" / "music" / "processing_queue.json").read_text())
    assert [i["status"] for i in queue["items"]] == ["completed", "completed"]


def test_a_batch_on_a_queue_another_process_changed_reads_it(tmp_path, music_library):
    """A queue made before, by another command: read, as every command reads it."""
    lib = music_library(tmp_path / "Music", {**spec("Alpha"), **spec("Bravo")})
    home = tmp_path / "home"
    made, _ = run_counted("", "music_queue_manager.py", "--home", home, "--init", "--library",
                          lib, counts=tmp_path / "made.json")  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    run, read = run_counted(COUNTING, "process_music_batch.py", "--home", home, "--offline",
                            counts=tmp_path / "counted.json")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert read.get("load_queue") == 1, read  # the store's, for the claims
