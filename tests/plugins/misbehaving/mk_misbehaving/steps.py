"""A step that never ends: it waits for nothing, forever (a network mount that stopped
answering, a lock never released)."""

import threading

from mediakeeper.pipelines.steps.registry import Processor


def run(context, inputs, out, params):
    (out / "started").write_text("and never ends\n")
    threading.Event().wait()


HANGS = Processor("hangs", "waits forever", run)
