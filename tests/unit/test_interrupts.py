"""Signals wait for critical steps: real processes, real signals."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent(
    """
    import os, signal, sys
    from mediakeeper.system.interrupts import critical, worker_signals
    worker_signals()
    with critical():
        os.kill(os.getpid(), signal.SIGTERM)   # the pool stopping, mid-write
        print("finished the critical step", flush=True)
    print("never printed", flush=True)
    """
)

MAIN = textwrap.dedent(
    """
    import os, signal
    from mediakeeper.system.interrupts import Interrupted, critical, interruptible
    with interruptible():
        try:
            with critical():
                os.kill(os.getpid(), signal.SIGINT)   # Ctrl+C while recording
                print("recorded", flush=True)
        except Interrupted as err:
            print("interrupted after recording:", err, flush=True)
        try:
            os.kill(os.getpid(), signal.SIGINT)   # no critical step: at once
        except Interrupted:
            pass
    """
)


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)


def test_a_worker_finishes_its_critical_step_then_exits_on_sigterm():
    result = run(WORKER)
    assert result.returncode == -signal.SIGTERM, result.stderr  # SIGTERM's own default action
    assert result.stdout.splitlines() == ["finished the critical step"]


def test_the_main_process_is_interrupted_after_the_critical_step_then_a_second_signal_exits():
    result = run(MAIN)
    # The first signal waited for "recorded"; the second one (hit 2) exits at once with 130.
    assert result.stdout.splitlines() == ["recorded", "interrupted after recording: SIGINT"]
    assert result.returncode == 130


SECOND_DURING_CRITICAL = textwrap.dedent(
    """
    import os, signal
    from mediakeeper.system.interrupts import Interrupted, critical, interruptible
    with interruptible():
        try:
            os.kill(os.getpid(), signal.SIGINT)   # the first Ctrl+C: the orderly stop begins
        except Interrupted:
            with critical(exit_waits=True):   # giving back: a queue line, then its log line
                os.kill(os.getpid(), signal.SIGINT)   # the second Ctrl+C, mid-step
                print("queue line", flush=True)
                print("log line", flush=True)
            print("never printed", flush=True)
    """
)


def test_a_second_signal_in_a_critical_step_exits_as_the_step_ends():
    result = run(SECOND_DURING_CRITICAL)
    assert result.stdout.splitlines() == ["queue line", "log line"]
    assert result.returncode == 130


SECOND_DURING_LONG_STEP = textwrap.dedent(
    """
    import os, signal
    from mediakeeper.system.interrupts import critical, interruptible
    with interruptible():
        with critical():   # a long step (a group of tag copies in a --workers 1 run)
            os.kill(os.getpid(), signal.SIGINT)   # the first Ctrl+C waits for the step
            print("copy 1", flush=True)
            os.kill(os.getpid(), signal.SIGINT)   # the second one does not
            print("copy 2", flush=True)
    """
)


def test_a_second_signal_in_a_long_critical_step_exits_at_once():
    """Pressed twice, Ctrl+C must not wait for a step of unknown length: only steps marked
    exit_waits (a queue line and its log line) hold the second one too."""
    result = run(SECOND_DURING_LONG_STEP)
    assert result.stdout.splitlines() == ["copy 1"]
    assert result.returncode == 130


IN_A_FINALIZER = textwrap.dedent(
    """
    import os, signal, time
    from mediakeeper.system.interrupts import Interrupted, interruptible

    class Held:
        def __del__(self):   # a Popen's or a file's clean-up as Python drops it
            os.kill(os.getpid(), signal.SIGINT)   # the Ctrl+C lands in here
            time.sleep(0.001)   # where its handler runs, and raises

    with interruptible():
        try:
            Held()
            for _ in range(1000):
                time.sleep(0.001)
            print("went on as if there had been no Ctrl+C", flush=True)
        except Interrupted as err:
            print("interrupted:", err, flush=True)
    """
)


def test_a_ctrl_c_that_lands_in_a_finalizer_still_interrupts():
    """Python drops an exception raised in a ``__del__`` (printing "Exception ignored in"):
    the first Ctrl+C is delivered again, so the batch stops as asked, with no trace."""
    result = run(IN_A_FINALIZER)
    assert result.stdout.splitlines() == ["interrupted: SIGINT"], result.stdout
    assert result.stderr == ""


IN_ANOTHER_THREAD = textwrap.dedent(
    """
    import os, signal, threading, time
    from mediakeeper.system.interrupts import Interrupted, critical, interruptible

    held, release, done = threading.Event(), threading.Event(), []

    def record():   # a pool's record written, in its critical step, while Ctrl+C comes
        try:
            with critical():
                held.set()
                release.wait(10)
            done.append("step ended")
        except BaseException as err:
            done.append(f"the thread got {type(err).__name__}")

    with interruptible():
        thread = threading.Thread(target=record)
        thread.start()
        held.wait()
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(200):
                time.sleep(0.001)
            print("the main went on", flush=True)
        except Interrupted as err:
            print("the main interrupted:", err, "while the thread's step ran:", thread.is_alive(),
                  flush=True)
        release.set()
        thread.join()
        print(*done, flush=True)
    """
)


def test_a_critical_step_in_another_thread_neither_holds_the_main_s_ctrl_c_nor_takes_it():
    """Python runs a signal's handler in the main thread: the main acts on a Ctrl+C at once
    (its own steps are none), and the other thread's step, which no signal can cut, goes on
    to its end. Counted for the whole process, the thread's step held the Ctrl+C until it
    ended, then raised it in that thread."""
    result = run(IN_ANOTHER_THREAD)
    assert result.stdout.splitlines() == [
        "the main interrupted: SIGINT while the thread's step ran: True",
        "step ended",
    ], result.stderr
