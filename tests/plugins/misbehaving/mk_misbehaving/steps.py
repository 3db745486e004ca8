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
