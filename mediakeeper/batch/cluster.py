"""The heavy steps of a batch sent to a Dask distributed cluster (``[cluster] scheduler``).

The machine that holds the library (the coordinator: the batch) stays the one that reads,
claims, verifies and places; a worker gets a step (a function of the toolkit's, sent by
reference), its parameters and its inputs' bytes (``cluster_steps.run_step``), works in a
temporary folder of its own and sends back the outputs' bytes and the step's result. The
JSON queue stays the one truth: a task in flight belongs to an item claimed as any other.

- **Which kinds**: each kind's plan declares its heavy step ``send`` (seconds of CPU per
  megabyte: an encode) or ``near`` (bytes moved per CPU-second: a verify decode, a
  fingerprint); ``[cluster] send = [...]`` names the kinds sent instead (``plan.sent``,
  which decides whether a batch loads this module at all: ``plan.cluster_target``).
- **Checked before anything is claimed** (``connect``): the address (``tcp://`` or
  ``tls://``, host and port; off loopback only ``tls://`` unless ``[cluster] insecure``),
  the TLS files, the scheduler reached, and each worker's ffmpeg build and toolkit version
  against the coordinator's: a worker that differs is refused (never sent a task) with one
  line naming both; none left: the batch is refused.
- **Lost workers** (``Remote.call``): Dask runs a task whose worker died again on another;
  a task restricted to workers all gone is sent again to the workers accepted since; with no
  accepted worker at all for ``[cluster] wait_for_workers`` seconds the batch stops and its
  items go back to pending (``ItemFailure(stop=True)``), resumable; so too at once when the
  scheduler itself is lost (Dask cancels every task of the connection).
- **Silent workers** (``Remote.look``, ``Remote.call``): a worker stopped (SIGSTOP, a lid
  shut, a machine swapping to death) keeps its connection open, and Dask waits its
  worker-ttl (5 min) before it gives up on it; a worker whose heartbeat the scheduler has
  not heard for ``[cluster] silent_worker_seconds`` is sent no step, and a step it holds is
  cancelled and sent to another (none left: it waits as above). Its late answer, if it
  wakes, belongs to a cancelled task: it never reaches the batch. A worker that gives no
  answer to its first question and whose heartbeat did not change meanwhile fell silent as
  it was asked: it is silent too, until it is heard again and asked again (refused for good
  it would stay unused after it woke). ``mediakeeper cluster`` marks such a worker by the
  same judgement (``Remote.silent``).
- **Stopped**: ``cancel_all()`` (a Ctrl+C in the job's stage) cancels every task in flight.

``distributed`` is imported only here and only when a scheduler is set: a batch without
one never loads it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import re
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mediakeeper import __version__
from mediakeeper.batch import cluster_tally
from mediakeeper.batch.cluster_steps import Step, identity, run_step
from mediakeeper.batch.job import ItemFailure
from mediakeeper.batch.stage_progress import report_workers
from mediakeeper.core.config import Settings
from mediakeeper.core.errors import ConfigError, MediakeeperError
from mediakeeper.core.extras import require
from mediakeeper.media import ffmpeg
from mediakeeper.system.network import is_loopback

CONNECT_SECONDS = 5.0  # to reach the scheduler before the batch is refused
POLL = 0.5  # seconds between two looks at the workers while a task runs
NEEDS_IT = "[cluster] scheduler (--scheduler)"  # what needs the extra, as its message says
ANSWER_SECONDS = 60.0  # the most the scheduler and its workers may take to be judged
ASK_SECONDS = 5.0  # the most the scheduler may take to say its workers, or their tasks
JUDGE_SECONDS = 10.0  # the most one worker may take to say its ffmpeg and toolkit
TLS_KEYS = ("tls_ca_file", "tls_cert", "tls_key")
_ADDRESS = re.compile(r"(?P<scheme>[a-z]+)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)"
                      r":(?P<port>\d{1,5})/?")  # fmt: skip


@dataclass(frozen=True)
class Target:
    """Where a batch sends its heavy steps, checked (``target_of``), and what its workers
    must run to be accepted (the coordinator's ffmpeg build and toolkit version)."""

    address: str
    tls: tuple[str, str, str] | None = None  # CA file, certificate, key
    wait_for_workers: float = 120.0
    ffmpeg: str = ""
    toolkit: str = __version__
    threads: int = 1  # the accepted workers' threads when the batch started
    silent_worker_seconds: float = 30.0  # no heartbeat for as long: its steps sent elsewhere

    @property
    def on_loopback(self) -> bool:
        """Whether the scheduler is on this machine's loopback (so are its workers then)."""
        match = _ADDRESS.fullmatch(self.address)
        return match is not None and is_loopback(match["host"])

    # A job holding a target sends through it, so only a batch that sends loads this module.
    def call(self, step: Step, params: dict[str, Any], inputs: dict[str, bytes]
             ) -> dict[str, Any]:  # fmt: skip
        """``step`` run on one of the cluster's workers (``Remote.call``, through this
        process's client of the target)."""
        return remote(self).call(step, params, inputs)

    @staticmethod
    def cancel_all() -> None:
        """Every task this process sent cancelled (the batch stops): ``cancel_all``."""
        cancel_all()


def target_of(settings: Settings) -> Target:
    """The ``[cluster]`` settings checked: a ConfigError (one line, the fix) for a malformed
    address, plain tcp:// off loopback without ``insecure``, a TLS file missing."""
    address = settings.get("cluster", "scheduler").strip()
    where = settings.origin("cluster", "scheduler") or "[cluster] scheduler"
    match = _ADDRESS.fullmatch(address)
    if not match or match["scheme"] not in ("tcp", "tls") or not 0 < int(match["port"]) < 65536:
        raise ConfigError(f"{where}: {address!r} is not a scheduler address: give "
                          "tcp://HOST:PORT or tls://HOST:PORT (Dask's default port is 8786)")
    files = {key: settings.get("cluster", key) for key in TLS_KEYS}
    for key, path in files.items():
        if path and not Path(path).expanduser().is_file():
            raise ConfigError(f"[cluster] {key} {path}: no such file; give the path of the "
                              "PEM file, or leave it empty")  # fmt: skip
    tls = None
    if match["scheme"] == "tls":
        if not all(files.values()):
            raise ConfigError(f"{address} is a tls:// scheduler: set [cluster] tls_ca_file, "
                              "tls_cert and tls_key (PEM files)")  # fmt: skip
        tls = _loaded(*(str(Path(files[k]).expanduser()) for k in TLS_KEYS))
    elif not is_loopback(match["host"]) and not settings.get("cluster", "insecure"):
        # Loopback alone: a scheduler on another of this machine's addresses is reached by
        # other machines' workers, whose bytes cross the network as much.
        raise ConfigError(f"{address} is not a loopback address (localhost, 127.0.0.1, ::1): "
                          "the items' bytes would cross the network unencrypted; use tls://… "
                          "with [cluster] tls_ca_file, tls_cert and tls_key, or set [cluster] "
                          "insecure = true on a network you trust")  # fmt: skip
    return Target(address, tls, float(settings.get("cluster", "wait_for_workers")),
                  ffmpeg.build(ffmpeg.find(settings.get("ffmpeg", "path"))),
                  silent_worker_seconds=float(settings.get("cluster",
                                                           "silent_worker_seconds")))  # fmt: skip


def _loaded(ca: str, cert: str, key: str) -> tuple[str, str, str]:
    """The TLS files, loaded as Dask loads them (a CA, a certificate and its key): one that
    does not load is said in one line naming the setting, here, before anything is claimed,
    where Dask said an OpenSSL code with no file (a batch) or a traceback (``worker``)."""
    import ssl  # (a batch with a tls:// scheduler only)

    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    except ssl.SSLError as err:
        raise ConfigError(f"[cluster] tls_ca_file {ca} is not a PEM certificate ({_words(err)}): "
                          "give the CA that signed the cluster's certificates") from None
    if (public := _public_authority(context)) is not None:
        raise ConfigError(f"[cluster] tls_ca_file {ca} holds a public certificate authority "
                          f"({public}): Dask trusts every certificate the CA signed, whatever "
                          "host it names, so anyone holding one could join the cluster; give "
                          "the cluster's own CA") from None  # fmt: skip
    try:  # (a key under a passphrase is refused, never asked for on the terminal)
        context.load_cert_chain(cert, key, password=lambda: b"")
    except ssl.SSLError as err:
        if err.reason == "KEY_VALUES_MISMATCH":
            raise ConfigError(f"[cluster] tls_key {key} is not the key of tls_cert {cert}: "
                              "give the key made with that certificate") from None
        raise ConfigError(f"[cluster] tls_cert {cert} and tls_key {key} do not load "
                          f"({_words(err)}): give a PEM certificate and its unencrypted "
                          "key") from None  # fmt: skip
    try:
        _vouched(ca, cert, key)
    except ssl.SSLCertVerificationError as err:
        raise ConfigError(f"[cluster] tls_cert {cert} is not one tls_ca_file {ca} vouches for "
                          f"({_words(err)}): the scheduler would refuse it; give a "
                          "certificate the cluster's CA signed, in date") from None  # fmt: skip
    except ssl.SSLError as err:
        raise ConfigError(f"[cluster] tls_ca_file {ca}, tls_cert {cert} and tls_key {key} make "
                          f"no TLS connection ({_words(err)})") from None  # fmt: skip
    return ca, cert, key


def _public_authority(context) -> str | None:
    """The name of a CA ``context`` trusts that is a public one, on Mozilla's list as certifi
    ships it; else None. Dask checks no host name, so a cluster trusting a public CA would take
    any certificate of the web's as one of its own machines. (A person's own CA added to this
    machine's store is no public one: the system's store is not what is asked.)"""
    import ssl

    import certifi

    public = ssl.create_default_context(cafile=certifi.where()).get_ca_certs(binary_form=True)
    trusted = zip(context.get_ca_certs(binary_form=True), context.get_ca_certs(), strict=True)
    for der, cert in trusted:
        if der in public:
            subject = dict(part for entry in cert["subject"] for part in entry)
            return subject.get("commonName") or subject.get("organizationName") or "unnamed"
    return None


def _vouched(ca: str, cert: str, key: str) -> None:
    """This machine's certificate checked against the CA as the scheduler checks a client's
    (a handshake in memory with itself: signed by that CA, in date); raises the
    ``SSLCertVerificationError`` it met. Offline and at once, where the scheduler's refusal
    comes back as an alert the connection may close before (an 'EOF occurred')."""
    import ssl

    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE  # (only ours is judged)
    client.load_cert_chain(cert, key, password=lambda: b"")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key, password=lambda: b"")
    server.verify_mode = ssl.CERT_REQUIRED  # as Dask's: the CA trusted, not host names
    server.verify_flags &= ~ssl.VERIFY_X509_STRICT
    server.load_verify_locations(ca)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    sides = [client.wrap_bio(to_client, to_server),
             server.wrap_bio(to_server, to_client, server_side=True)]  # fmt: skip
    for _ in range(8):  # (TLS 1.3: the server judges the client's certificate last)
        for side in list(sides):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
                sides.remove(side)
        if not sides:
            return


def _words(err: BaseException) -> str:
    """What OpenSSL said, without its source line: 'certificate expired'."""
    if verified := getattr(err, "verify_message", None):  # why a certificate was not trusted
        return str(verified)
    if reason := getattr(err, "reason", None):  # SSLV3_ALERT_CERTIFICATE_EXPIRED
        return str(reason).replace("_", " ").lower()
    return _first_line(err)


# ---- the client -------------------------------------------------------------------------


def _quiet() -> None:
    """Dask speaks for itself on stderr (reconnections, large graphs): the batch says what
    matters in its own lines."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message=".*[Ll]arge graph.*")


def _client(target: Target) -> Any:
    """A client of the scheduler; a ConfigError (one line) when it cannot be reached."""
    require("cluster", NEEDS_IT)
    from distributed import Client
    from distributed.security import Security

    _quiet()
    security = None
    if target.tls:
        ca, cert, key = target.tls
        security = Security(tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key,
                            require_encryption=True)  # fmt: skip
    try:
        return Client(target.address, timeout=CONNECT_SECONDS, security=security,
                      set_as_default=False)  # fmt: skip
    except (OSError, TimeoutError) as err:
        if (refused := _tls_refused(target, err)) is not None:
            raise ConfigError(refused) from None
        hint = "" if target.tls else ", or, for a TLS scheduler, its tls:// address"
        raise ConfigError(f"cannot reach the scheduler at {target.address}: "
                          f"{_first_line(err)}; start it (dask scheduler) or fix "
                          f"[cluster] scheduler / --scheduler{hint}") from None  # fmt: skip
    except Exception as err:  # a TLS handshake refused, a certificate that does not load
        if (refused := _tls_refused(target, err)) is not None:
            raise ConfigError(refused) from None
        raise ConfigError(f"cannot connect to the scheduler at {target.address}: "
                          f"{type(err).__name__}: {_first_line(err)}") from None  # fmt: skip


def _tls_refused(target: Target, err: BaseException) -> str | None:
    """The one line a failed TLS handshake is said in, naming the side and the setting to
    look at (Dask said 'TLS certificate does not match', or nothing, with 'start it');
    None when ``err`` came from no handshake."""
    import ssl

    if not target.tls:
        return None
    found: BaseException | None = err
    while found is not None and not isinstance(found, ssl.SSLError):
        found = found.__cause__ or found.__context__
    # A plain scheduler speaks first: its bytes meet the TLS hello (OpenSSL's wrong version),
    # or are already there when the connection turns to TLS (Tornado's "not idle").
    if (isinstance(found, ssl.SSLError) and found.reason == "WRONG_VERSION_NUMBER") or (
            isinstance(err, ValueError) and "cannot convert to SSL" in str(err)):  # fmt: skip
        return (f"the scheduler at {target.address} does not speak TLS: give its tcp:// "
                "address, or start it with --protocol tls and the cluster's certificates")
    if not isinstance(found, ssl.SSLError):
        return None
    ca, cert, _ = target.tls
    if isinstance(found, ssl.SSLCertVerificationError):
        return (f"the scheduler at {target.address} showed a certificate [cluster] "
                f"tls_ca_file {ca} did not sign ({_words(found)}): give the CA that signed "
                "the cluster's certificates")  # fmt: skip
    if str(found.reason).startswith(("SSLV3_ALERT_", "TLSV1_ALERT_", "TLSV13_ALERT_")):
        return (f"the scheduler at {target.address} refused this machine's certificate "
                f"([cluster] tls_cert {cert}): {_words(found).split('alert ', 1)[-1]}; give "
                "one the cluster's CA signed, in date")  # fmt: skip
    return (f"TLS with the scheduler at {target.address} failed ({_words(found)}): check "
            "[cluster] tls_ca_file, tls_cert and tls_key")


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


@dataclass
class Worker:
    """One worker as the coordinator sees it."""

    address: str
    threads: int
    ffmpeg: str
    toolkit: str
    refused: str = ""  # why it is never sent a task ("" accepted)
    # False: silent when first seen, or fallen silent as it was asked, so not asked its
    # ffmpeg and toolkit (it would not answer: ``JUDGE_SECONDS`` lost, and it refused for
    # good); judged once it is heard.
    judged: bool = True


def refusal(target: Target, seen: dict[str, Any]) -> str:
    """The one line a worker that would not give identical outputs is refused with."""
    if seen.get("toolkit") != target.toolkit:
        return (f"its toolkit is {seen.get('toolkit')}, this machine's {target.toolkit}: "
                "install the same version there")  # fmt: skip
    if seen.get("ffmpeg") != target.ffmpeg:
        return (f"its ffmpeg is {seen.get('ffmpeg') or 'unknown'!r}, this machine's "
                f"{target.ffmpeg!r}: outputs would differ; run the same build on both "
                "(the one imageio-ffmpeg ships, or [ffmpeg] path)")  # fmt: skip
    return ""


@dataclass
class Remote:
    """The coordinator's side of one scheduler, shared by the threads of a job."""

    target: Target
    client: Any
    workers: dict[str, Worker] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _looked: float = 0.0
    _futures: set[Any] = field(default_factory=set)
    _cancelled: threading.Event = field(default_factory=threading.Event)
    _holding: list[str] = field(default_factory=list)  # the workers told holding the item
    _held_by: dict[str, str] = field(default_factory=dict)  # a task's key -> its worker
    # Each worker's last heartbeat as the scheduler stamped it, and when (this machine's
    # clock) that stamp was first seen: a stamp that stays the same is a silent worker,
    # whatever the two machines' clocks say.
    _heard: dict[str, tuple[float, float]] = field(default_factory=dict)
    # The workers that gave no answer to their first question, their heartbeat unchanged
    # meanwhile: the stamp it stayed at. Silent while it stays there (``silent``).
    _fell_silent: dict[str, Any] = field(default_factory=dict)
    _asked: float = 0.0  # when the scheduler was last asked where the tasks are
    _answered: bool = True  # whether it answered the last look

    def look(self, *, every: float = 0.0) -> list[Worker]:
        """The workers now on the scheduler, each new one's identity asked and judged;
        at most once each ``every`` seconds (the threads of a job share the answer)."""
        with self._lock:
            if time.monotonic() - self._looked >= every:
                self._looked = time.monotonic()
                try:
                    said = self._ask(self.client.scheduler.identity, n_workers=-1)["workers"]
                    present = {a: w.get("nthreads") for a, w in said.items()}
                    self._answered = True
                except Exception:  # the scheduler gone or silent: as if no worker were left
                    present, self._answered = {}, False
                else:  # one that held a step of this process's (``_where``) and left: lost
                    for address in set(self._holding) & set(self.workers) - set(present):
                        cluster_tally.lost(address)
                    self._listen(said)
                self.workers = {a: w for a, w in self.workers.items() if a in present}
                silent = self.silent()
                unjudged = [a for a in present
                            if a not in self.workers or not self.workers[a].judged]  # fmt: skip
                for address in (a for a in unjudged if a in silent):
                    self.workers[address] = Worker(address, int(present[address] or 1), "", "",
                                                   judged=False)  # fmt: skip
                if new := [a for a in unjudged if a not in silent]:
                    self._judge(new, present)
            return list(self.workers.values())

    def _ask(self, question: Any, **arguments: Any) -> Any:
        """The scheduler's answer to ``question`` (one of its handlers), bounded: a scheduler
        stopped, or its machine frozen, keeps its connection open and never answers (the
        blocking ``Client.nthreads`` and ``processing`` held the batch for as long)."""
        return self.client.sync(question, **arguments, callback_timeout=ASK_SECONDS)

    def _listen(self, said: dict[str, dict[str, Any]]) -> None:
        """Each worker's heartbeat stamp (``last_seen``, the scheduler's clock) noted, with
        when it changed on this machine's clock. A worker first seen is aged by the
        scheduler's own clock (its time now less the stamp: one machine's clock, whatever
        this one's says), so one already silent is known at the first look (``mediakeeper
        cluster`` looks once)."""
        now = time.monotonic()
        first = [a for a in said if a not in self._heard]
        scheduler_now = self._scheduler_time() if first else None
        heard = {}
        for address, worker in said.items():
            stamp = worker.get("last_seen")
            before = self._heard.get(address)
            if before and before[0] == stamp:
                heard[address] = before
            elif before is None and scheduler_now is not None and isinstance(stamp, float):
                heard[address] = (stamp, now - max(0.0, scheduler_now - stamp))
            else:
                heard[address] = (stamp, now)
        self._heard = heard

    def _scheduler_time(self) -> float | None:
        """The scheduler's clock now (``time.time`` run there: a built-in, sent by name), or
        None when it does not say (its pickled calls refused): a worker first seen then
        counts as heard now."""
        try:
            return float(self.client.run_on_scheduler(time.time, callback_timeout=ASK_SECONDS))
        except Exception:
            return None

    def unheard(self) -> dict[str, float]:
        """Seconds since each worker's heartbeat last changed, as of the last ``look``."""
        now = time.monotonic()
        return {a: now - since for a, (_, since) in self._heard.items()}

    def silent(self) -> set[str]:
        """The workers whose heartbeat has not changed for ``silent_worker_seconds``: stopped
        (SIGSTOP, a lid shut, a machine swapping), their connection still open. Dask keeps
        them until its worker-ttl (5 min); the batch sends them nothing meanwhile, and
        ``mediakeeper cluster`` marks them."""
        most = self.target.silent_worker_seconds
        quiet = {a for a, unheard in self.unheard().items() if unheard >= most}
        return quiet | self.fell_silent()

    def fell_silent(self) -> set[str]:
        """The workers that fell silent as they were first asked (``_judge``), still unheard."""
        return {a for a, stamp in self._fell_silent.items()
                if a in self._heard and self._heard[a][0] == stamp}  # fmt: skip

    def _judge(self, new: list[str], present: dict[str, int]) -> None:
        try:
            seen = self._identities(new)
        except Exception:
            return  # asked again at the next look
        asleep = self._asleep([a for a in new if seen.get(a) is None])
        for address in new:
            said = seen.get(address)
            known = said if isinstance(said, dict) else {}
            threads = int(present.get(address) or 1)  # the scheduler's count
            worker = Worker(address, threads, known.get("ffmpeg", ""), known.get("toolkit", ""),
                            judged=address not in asleep)  # fmt: skip
            if address in asleep:
                self._fell_silent[address] = self._heard[address][0]
            elif said is None:
                worker.refused = (f"it did not answer within {JUDGE_SECONDS:g} s (stopped, or "
                                  "its machine asleep); start it again")  # fmt: skip
            elif not known:
                worker.refused = f"it could not say its ffmpeg and toolkit: {_first_line(said)}"
            else:
                worker.refused = refusal(self.target, known)
            self.workers[address] = worker

    def _asleep(self, unanswered: list[str]) -> set[str]:
        """Of the workers that gave no answer, those whose heartbeat did not change while
        they were asked (``JUDGE_SECONDS``, where a worker beats about every second): stopped
        as they were asked, not a worker that never answers. None of them when the scheduler
        does not say."""
        if not unanswered:
            return set()
        try:
            said = self._ask(self.client.scheduler.identity, n_workers=-1)["workers"]
        except Exception:
            return set()
        return {a for a in unanswered if a in said and a in self._heard
                and said[a].get("last_seen") == self._heard[a][0]}  # fmt: skip

    def _identities(self, addresses: list[str]) -> dict[str, Any]:
        """Each worker's ``identity`` (or what it raised), asked of all at once, each bounded:
        a worker that does not answer (stopped, its machine asleep, its connection still
        open) held every look, so the batch and ``mediakeeper cluster``, until the scheduler
        dropped it minutes later. None: no answer."""
        from concurrent.futures import ThreadPoolExecutor

        def one(address: str) -> dict[str, Any]:
            try:  # Client.run hands callback_timeout to its sync: one worker bounded
                return self.client.run(identity, workers=[address], on_error="return",
                                       callback_timeout=JUDGE_SECONDS)  # fmt: skip
            except TimeoutError:
                return {address: None}

        answers: dict[str, Any] = {}
        with ThreadPoolExecutor(max_workers=len(addresses)) as pool:
            for answer in pool.map(one, addresses):
                answers.update(answer)
        return answers

    def accepted(self) -> list[str]:
        """The workers a step may be sent to: not refused, and heard from lately."""
        silent = self.silent()
        return [w.address for w in self.workers.values()
                if w.judged and not w.refused and w.address not in silent]  # fmt: skip

    def _stalled(self, future: Any) -> str | None:
        """The silent worker holding ``future``'s task (``_where``), or None."""
        holder = self._held_by.get(future.key) if future is not None else None
        return holder if holder in self.silent() else None

    def call(self, step: Step, params: dict[str, Any], inputs: dict[str, bytes]) -> dict[str, Any]:
        """Run ``step`` on a worker and return what it sent back (``run_step``), with the
        bytes sent and received. Raises what the step raised; ``ItemFailure(stop=True)``
        when no accepted worker was there for ``wait_for_workers`` seconds, or the
        connection to the scheduler was lost (its tasks with it: Dask cancels them)."""
        future, placed, finished, alone_since = None, [], threading.Event(), None
        try:
            while True:
                if self._cancelled.is_set():
                    raise ItemFailure("cluster", "stopped: its tasks were cancelled", stop=True)
                if self.client.status != "running":  # its tasks went with the connection
                    raise ItemFailure("cluster", f"lost the scheduler at {self.target.address}: "
                                      "its items go back to pending; start it again (dask "
                                      "scheduler) and run the batch again",
                                      stop=True)  # fmt: skip
                # Waited on through the future's own callback: ``result(timeout=...)`` may
                # lose its answer to a cancelled wait inside Dask (an UnboundLocalError in
                # distributed.utils.sync, seen under load); asked once it is done, it is not.
                if future is not None and finished.wait(POLL) and not self._cancelled.is_set():
                    if not future.cancelled():
                        sent_back = future.result()
                        break
                    # Cancelled, not by this batch: the scheduler lost it (the connection,
                    # said at the loop's top), never the step's failure: sent again.
                    self._forget(future)
                    future, placed = None, []
                    continue
                self.look(every=POLL)
                self._where(every=POLL)
                stalled = self._stalled(future)
                if accepted := self.accepted():
                    alone_since = None
                    # Not sent yet, its workers gone, or the one holding it silent: sent
                    # (again) to the workers heard from. The task it replaces is cancelled:
                    # were that worker to wake, its answer reaches no one.
                    if stalled or not set(accepted) & set(placed):
                        if future is not None:
                            self._forget(future)
                        if stalled:
                            cluster_tally.silent(stalled)
                        future, placed = self._submit(step, params, inputs, accepted)
                        finished = _finished(future)
                    continue
                # Never sent to a refused worker: with none accepted, it waits, bounded.
                alone_since = alone_since or time.monotonic()
                if time.monotonic() - alone_since >= self.target.wait_for_workers:
                    raise ItemFailure("cluster", self._alone(), stop=True)
                if future is None:
                    time.sleep(POLL)
        finally:
            if future is not None:
                self._forget(future)
            self._where()
        size = lambda files: sum(len(b) for b in files.values())  # noqa: E731
        cluster_tally.add(sent_back["worker"], size(inputs), size(sent_back["outputs"]))
        return sent_back

    def _alone(self) -> str:
        """Why the batch stops with no accepted worker for ``wait_for_workers`` seconds."""
        address, waited = self.target.address, f"{self.target.wait_for_workers:g} s"
        if not self._answered:
            return (f"the scheduler at {address} did not answer for {waited}: its items go "
                    "back to pending; start it again (dask scheduler) and run the batch again")
        if silent := sorted(self.silent() & {w.address for w in self.workers.values()
                                              if not w.refused}):  # fmt: skip
            them = f"worker {silent[0]}" if len(silent) == 1 else f"workers {', '.join(silent)}"
            return (f"the {them} of the scheduler at {address} did not answer (stopped, or "
                    f"its machine asleep) and no other was there for "
                    f"{waited}: its items go back to pending; wake it or start a worker "
                    f"(mediakeeper worker {address}) and run the batch again")  # fmt: skip
        return (f"no worker of the scheduler at {address} for {waited}: its items go back to "
                f"pending; start a worker (mediakeeper worker {address}) and run the batch "
                "again")  # fmt: skip

    def _submit(self, step: Step, params: dict[str, Any], inputs: dict[str, bytes],
                workers: list[str]) -> tuple[Any, list[str]]:  # fmt: skip
        """The task, placed on ``workers`` only (the accepted ones: never a refused one)."""
        future = self.client.submit(run_step, step, params, inputs,
                                    key=f"{step.__name__}-{uuid.uuid4()}", workers=workers,
                                    allow_other_workers=False, pure=False)  # fmt: skip
        with self._lock:
            self._futures.add(future)
        return future, workers

    def _where(self, *, every: float = 0.0) -> None:
        """Which workers hold this process's tasks in flight (the scheduler's ``processing``:
        those of its item in hand), reported when that changes (``report_workers``: its queue
        item, ``/api/batches``, the page); at most once each ``every`` seconds."""
        with self._lock:
            if time.monotonic() - self._asked < every:
                return
            self._asked = time.monotonic()
            keys = {f.key for f in self._futures}
            held_by: dict[str, str] = {}
            if keys:
                try:
                    processing = self._ask(self.client.scheduler.processing, workers=None)
                except Exception:  # the scheduler gone: ``look`` says what that means
                    return
                held_by = {key: w for w, tasks in processing.items()
                           for key in tasks if key in keys}  # fmt: skip
            self._held_by = held_by
            holding = sorted(set(held_by.values()))
            if holding != self._holding:
                self._holding = holding
                report_workers(holding)

    def _forget(self, future: Any) -> None:
        with self._lock:
            self._futures.discard(future)
        future.cancel()  # done: released on the scheduler; in flight: cancelled

    def cancel(self) -> None:
        """Every task in flight cancelled; the threads waiting on them stop."""
        self._cancelled.set()
        with self._lock:
            futures = list(self._futures)
        if futures:
            with contextlib.suppress(Exception):  # the scheduler gone: nothing left to cancel
                self.client.cancel(futures)


def _finished(future: Any) -> threading.Event:
    """Set once ``future`` is done (finished, failed or cancelled)."""
    finished = threading.Event()
    future.add_done_callback(lambda _: finished.set())
    return finished


_REMOTES: dict[tuple[int, Target], Remote] = {}


def remote(target: Target) -> Remote:
    """This process's client of ``target`` (made once; a forked process makes its own)."""
    key = (os.getpid(), replace(target, threads=0))
    if key not in _REMOTES:
        _REMOTES[key] = Remote(target, _client(target))
    return _REMOTES[key]  # (cancelled stays cancelled: the batch is ending)


def cancel_all() -> None:
    """The tasks of every remote of this process cancelled (the batch stops)."""
    for found in _REMOTES.values():
        found.cancel()


def joined(settings: Settings, *, dry_run: bool = False) -> tuple[Target, list[str]]:
    """The target of a batch whose heavy steps are sent (``plan.sent``): its settings
    checked (a dry run too) and, for a real run, its scheduler reached and its workers
    judged (``connect``); with a line per worker refused or fallen silent. The extra is
    asked for here, in the batch's own process, so that a dry run refuses what the real run
    would."""
    target = target_of(settings)
    require("cluster", NEEDS_IT)
    return (target, []) if dry_run else connect(target)


def connect(target: Target) -> tuple[Target, list[str]]:
    """The scheduler reached and its workers judged, before any item is claimed: the target
    with the accepted workers' threads, and a line per worker refused or fallen silent as it
    was asked. A ConfigError (exit 2, nothing claimed) when the scheduler cannot be reached
    or no worker is accepted.

    Asked from a process forked for it: a client's threads (its event loop, its offload
    thread) must not be running in a batch that forks its worker processes next; each of
    them makes its own client (``remote``) when its first step is sent."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    asking = context.Process(target=_connect_in, args=(target, theirs), daemon=True)
    asking.start()
    theirs.close()
    try:  # (bounded: a child forked from a process with threads could hang on a lock)
        answer = ours.recv() if ours.poll(ANSWER_SECONDS) else None
    except EOFError:  # it died (killed): as if the scheduler had not answered
        answer = None
    finally:
        if asking.is_alive():
            asking.kill()
        asking.join()
    if answer is None:
        answer = ConfigError(f"cannot reach the scheduler at {target.address}: no answer "
                             f"within {ANSWER_SECONDS:g} s")  # fmt: skip
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _unheard(address: str, found: Remote, target: Target) -> str:
    """How a silent worker is known silent: unheard for the setting's seconds, or no answer
    to its first question and no heartbeat since."""
    if address in found.fell_silent():
        return f"did not answer within {JUDGE_SECONDS:g} s and has not been heard since"
    return f"has not been heard for {target.silent_worker_seconds:g} s"


def _connect_in(target: Target, answer: Any) -> None:
    try:
        answer.send(_connected(target))
    except MediakeeperError as err:  # its one line whole (a subclass's hint pickles lost)
        answer.send(ConfigError(str(err)))
    finally:
        os._exit(0)  # not through the batch's own exit handlers


def _connected(target: Target) -> tuple[Target, list[str]]:
    found = remote(target)
    workers = found.look()
    refused = [f"refused the worker {w.address}: {w.refused}" for w in workers if w.refused]
    if not workers:
        raise ConfigError(f"no worker on the scheduler at {target.address}: start one there "
                          f"(mediakeeper worker {target.address})")  # fmt: skip
    if not (accepted := found.accepted()):
        silent = sorted(found.silent() & {w.address for w in workers if not w.refused})
        said = refused + [f"the worker {a} {_unheard(a, found, target)} (stopped, or its "
                          "machine asleep): wake it" for a in silent]  # fmt: skip
        raise ConfigError(said[0] if len(said) == 1 else
                          f"{'no worker to send to' if silent else 'every worker refused'}: "
                          f"{'; '.join(said)}")  # fmt: skip
    threads = sum(w.threads for w in workers if w.address in accepted)
    asleep = [f"the worker {a} {_unheard(a, found, target)} (stopped, or its machine asleep): "
              "it is sent nothing until it is heard again" for a in sorted(found.fell_silent())]
    return replace(target, threads=threads), refused + asleep
