"""Two steps with bugs: one never ends (it waits for nothing, forever: a network mount that
stopped answering, a lock never released), one raises on the first file it is given."""

import threading

from mediakeeper.pipelines.steps.registry import Processor


def run(context, inputs, out, params):
    (out / "started").write_text("and never ends\n")
    threading.Event().wait()


def explode(context, inputs, out, params):
    raise RuntimeError(f"cannot handle {min(p.name for p in inputs.iterdir())}")


HANGS = Processor("hangs", "waits forever", run)
RAISES = Processor("raises", "raises on the first file it is given", explode)


# Below the two above (whose lines their tests name): one that spins for ever (busy: no stall
# shows), one that leaves a program of its own running (killed with the batch, it must not
# outlive it), one that returns what is not JSON, one that prints a great deal, one that
# copies its first file and then fails, half-way.
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from mediakeeper.pipelines.steps.registry import Param, input_files  # noqa: E402


def spin(context, inputs, out, params):
    while True:  # busy for ever: its CPU time moves, so it never looks stalled
        pass


def leave_running(context, inputs, out, params):
    """A program of its own (its pid in MK_ORPHAN_PID, a file), waited for for ever; once
    mended (MK_ORPHAN_MENDED), the files passed on."""
    if os.environ.get("MK_ORPHAN_MENDED"):
        for source in input_files(inputs):
            (out / source.name).write_bytes(source.read_bytes())
        return {}
    program = subprocess.Popen(["sleep", "3600"])
    with open(os.environ["MK_ORPHAN_PID"], "w") as f:
        f.write(str(program.pid))
    program.wait()


def not_json(context, inputs, out, params):
    for source in input_files(inputs):
        (out / source.name).write_bytes(source.read_bytes())
    return {"files": {source.name for source in input_files(inputs)}}  # a set: not JSON


def chatter(context, inputs, out, params):
    for source in input_files(inputs):
        (out / source.name).write_bytes(source.read_bytes())
    for n in range(5000):
        print(f"chatter {n} on stdout")
        print(f"chatter {n} on stderr", file=sys.stderr)
    if params.get("fail"):
        print("the last thing it said", file=sys.stderr, flush=True)
        raise RuntimeError("gave up")
    return {}


def halfway(context, inputs, out, params):
    """The first file copied whole, the second begun, then a failure."""
    first, second, *_ = input_files(inputs)
    (out / first.name).write_bytes(first.read_bytes())
    with open(out / second.name, "wb") as f:
        f.write(second.read_bytes()[:100])
    raise RuntimeError(f"cannot handle {second.name}")


SPINS = Processor("spins", "busy for ever", spin)
ORPHANS = Processor("orphans", "starts a program and waits for it", leave_running)
NOT_JSON = Processor("not-json", "returns a set", not_json)
CHATTERS = Processor("chatters", "prints 10000 lines", chatter,
                     (Param("fail", bool, default=False),))
HALFWAY = Processor("halfway", "writes a file and a half, then fails", halfway)


def forget(context, inputs, out, params):
    return {}  # its files neither made nor passed on


FORGETS = Processor("forgets", "writes nothing and passes nothing on", forget)


def flood(context, inputs, out, params):
    """Writes until its volume is full, as an encode of a long book does on a small disk (at
    most 64 MB: its test puts the working folder on a small volume)."""
    with open(out / "flood.bin", "wb") as f:
        for _ in range(64):
            f.write(b"\0" * (1 << 20))
            f.flush()
    return {}


FLOODS = Processor("floods", "writes until its disk is full", flood)
