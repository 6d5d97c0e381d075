"""The future protocol's server side: the future store (long-poll, results, failures, expiry), the
per-model `seq_id` lanes (ordering, waiting with a deadline, dedupe of repeated seq_ids) and the one
compute worker thread the backend runs on.

Everything here lives on the event loop except the compute thread; `Lane` and `pending_reply` are
pure and table-tested.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import orjson

from tinkex_server._faults import PendingStyle
from tinkex_server.backends.base import UserInputError

__all__ = [
    "DEFAULT_FUTURE_TTL_S",
    "DEFAULT_LONG_POLL_S",
    "DEFAULT_SEQ_GAP_TIMEOUT_S",
    "DEFAULT_SEQ_WINDOW",
    "Admission",
    "BinaryResult",
    "ComputeWorker",
    "FutureEntry",
    "FutureStore",
    "Job",
    "Lane",
    "SteppedJob",
    "pending_reply",
    "scrub_paths",
]

log = logging.getLogger("tinkex_server")

# The official client reads retrieve_future with a 45 s timeout (wire-protocol.md §4.2); holding 30 s
# leaves a wide margin for slow machines while keeping the number of polls per result low.
DEFAULT_LONG_POLL_S = 30.0
# How long a finished result stays retrievable. Clients poll right away, so one hour is generous;
# after that retrieve_future answers 410 (the client's "promise expired" case).
DEFAULT_FUTURE_TTL_S = 3600.0
# How long an early request waits for a missing lower seq_id. The client sends requests of one model
# in order, each after the previous submit returned, so a gap lasting minutes means the lower request
# was lost for good (e.g. the client died mid-retry).
DEFAULT_SEQ_GAP_TIMEOUT_S = 120.0
# How far ahead of a model's next expected seq_id a request may arrive. The client sends a model's
# requests in order (tinkex pipelines a few at most), so a seq_id hundreds ahead is a bug or an attack;
# refusing it at once bounds the requests parked per model (each holds its body until it runs).
DEFAULT_SEQ_WINDOW = 256
# How many skipped seq_id ranges a lane remembers to explain a late arrival ("not applied"); older
# late arrivals are refused all the same, with the plain "behind" message.
_MAX_SKIPPED_RANGES = 64


# An absolute filesystem path inside a message (not a URL or tinker:// path: those have a word
# character, ':' or '/' before the slash).
_ABS_PATH = re.compile(r"(?<![\w.:/~])/(?:[^\s'\"/]+/)*[^\s'\"/,;)]+")


def scrub_paths(message: str) -> str:
    """`message` with every absolute filesystem path replaced by `<path>`: failure messages reach
    users, and the server's directory layout is none of their business (the log keeps the detail).

    Example::

        scrub_paths("[Errno 36] File name too long: '/srv/data/checkpoints/x'")  # -> "... '<path>'"
    """
    return _ABS_PATH.sub("<path>", message)


def pending_reply(
    style: PendingStyle, request_id: str, *, waits_for_others: bool = False
) -> tuple[int, dict[str, Any]]:
    """The answer to a poll whose result is not ready after the hold.

    408 is what the 0.6.3/0.7.0 client treats as "long-poll timed out" and re-polls at once; the
    200 `try_again` body is understood by every version too. Both carry `queue_state`: `active` (0.7+
    observers log nothing) while the operation runs or waits only behind the same user's work,
    `paused_capacity` with a reason while it waits for other users' work on the compute worker.

    Example::

        pending_reply(PendingStyle.HTTP_408, "r1")  # -> (408, {"queue_state": "active", ...})
    """
    body: dict[str, Any] = {"request_id": request_id, "queue_state": "active"}
    if waits_for_others:
        body["queue_state"] = "paused_capacity"
        body["queue_state_reason"] = (
            "waiting for other users' requests to finish on the server's compute worker"
        )
    if style is PendingStyle.TRY_AGAIN:
        return 200, {"type": "try_again", **body}
    return 408, body


@attrs.frozen
class BinaryResult:
    """A job result already encoded as protobuf on the compute thread (tinker >= 0.38 asks for
    forward_backward results that way); its JSON form is made only if a poll asks for JSON."""

    proto: bytes
    to_json: Callable[[bytes], bytes]


@attrs.define(eq=False)
class FutureEntry:
    """One queued operation and, once finished, its result or failure."""

    request_id: str
    owner: str
    model_id: str | None
    created_at: float
    done_at: float | None = None
    # The retrieve_future body, encoded once when the job finished: the poll that is (usually) already
    # waiting answers without serializing on its critical path, repeated polls cost nothing, and a
    # result kept for the TTL takes its JSON size (2.4 MB for a 32x8192 forward_backward) instead of
    # ~10x that as Python floats.
    payload: bytes | None = None
    failure: dict[str, Any] | None = None  # {"error": str, "category": "user" | "server"}
    started: bool = False  # set by the compute worker when the job's first part begins
    event: asyncio.Event = attrs.field(factory=asyncio.Event)
    # Set once a poll was answered with the result; a finished entry that expires unretrieved calls
    # `on_orphan` (create_model: free the model nobody can learn the id of).
    retrieved: bool = False
    on_orphan: Callable[[], None] | None = None
    # The protobuf body (Accept: application/x-protobuf), made by the job or on the first such poll.
    proto_payload: bytes | None = None
    json_from_proto: Callable[[bytes], bytes] | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    def encoded_body(self) -> bytes:
        """The retrieve_future body of a finished entry, as sent."""
        if self.failure is not None:
            return orjson.dumps(self.failure)
        if self.payload is None and self.proto_payload is not None and self.json_from_proto is not None:
            self.payload = self.json_from_proto(self.proto_payload)
        assert self.payload is not None
        return self.payload

    def body(self) -> dict[str, Any]:
        """The retrieve_future body of a finished entry, decoded (for inspection and tests)."""
        decoded: dict[str, Any] = orjson.loads(self.encoded_body())
        return decoded


class FutureStore:
    """request_id -> FutureEntry, with lazy TTL expiry and tombstones so expired ids answer 410.

    Example::

        store = FutureStore(clock=time.monotonic)
        entry = store.create(owner="u", model_id=None)
        store.resolve(entry, {"model_id": "m"})
    """

    def __init__(self, clock: Callable[[], float], ttl_s: float = DEFAULT_FUTURE_TTL_S) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._entries: dict[str, FutureEntry] = {}
        self._expired: set[str] = set()
        self._last_sweep = clock()
        # Request ids carry this boot id, so a poll for a future issued before a restart answers 410
        # (the promise is gone: sampling clients re-submit) rather than 404 (fatal to clients).
        self.boot = uuid.uuid4().hex[:8]

    def create(self, owner: str, model_id: str | None) -> FutureEntry:
        self._sweep()
        entry = FutureEntry(
            request_id=f"req-{self.boot}-{uuid.uuid4().hex}",
            owner=owner,
            model_id=model_id,
            created_at=self._clock(),
        )
        self._entries[entry.request_id] = entry
        return entry

    def resolve(self, entry: FutureEntry, result: dict[str, Any] | BinaryResult) -> None:
        if isinstance(result, BinaryResult):
            entry.proto_payload, entry.json_from_proto = result.proto, result.to_json
            entry.done_at = self._clock()
            entry.event.set()
            return
        # Backends may hand numpy arrays (the null backend does): orjson writes them without a detour
        # through Python floats.
        try:
            entry.payload = orjson.dumps(result, option=orjson.OPT_SERIALIZE_NUMPY)
        except (orjson.JSONEncodeError, TypeError) as exc:  # a backend bug must not leave it pending
            log.error("the result of %s could not be encoded", entry.request_id, exc_info=exc)
            self.fail(entry, f"internal server error: the result could not be encoded ({exc})", "server")
            return
        entry.done_at = self._clock()
        entry.event.set()
        if entry.request_id in self._expired:  # expired while running: nobody can retrieve it now
            self._orphaned(entry)

    def _orphaned(self, entry: FutureEntry) -> None:
        if entry.on_orphan is not None and entry.done and entry.failure is None and not entry.retrieved:
            try:
                entry.on_orphan()
            except Exception:
                log.exception("cleaning up after the unretrieved future %s failed", entry.request_id)

    def fail(self, entry: FutureEntry, error: str, category: str) -> None:
        entry.failure, entry.done_at = {"error": scrub_paths(error), "category": category}, self._clock()
        entry.event.set()

    def get(self, request_id: str) -> FutureEntry | None:
        """The live entry, or None (see `is_expired` to tell 410 from 404)."""
        entry = self._entries.get(request_id)
        if entry is not None and self._past_ttl(entry):
            self.expire(request_id)
            return None
        return entry

    def is_expired(self, request_id: str) -> bool:
        """True for ids that existed: expired here, or issued by an earlier run of the server."""
        if request_id in self._expired:
            return True
        parts = request_id.split("-")
        return len(parts) == 3 and parts[0] == "req" and len(parts[1]) == 8 and parts[1] != self.boot

    def expire(self, request_id: str) -> None:
        """Forget a future (TTL passed, or an injected `expire` fault): later polls get 410."""
        entry = self._entries.pop(request_id, None)
        self._expired.add(request_id)
        if entry is not None:
            entry.event.set()  # wake pollers so they re-check and answer 410
            self._orphaned(entry)

    def wake_all(self) -> None:
        """Release every held poll (they answer "pending"); used when the server shuts down."""
        for entry in self._entries.values():
            entry.event.set()

    def _past_ttl(self, entry: FutureEntry) -> bool:
        return entry.done_at is not None and self._clock() - entry.done_at > self._ttl_s

    def _sweep(self) -> None:
        now = self._clock()
        if now - self._last_sweep < min(60.0, self._ttl_s):
            return
        self._last_sweep = now
        for rid in [rid for rid, e in self._entries.items() if self._past_ttl(e)]:
            self.expire(rid)


@attrs.frozen
class Admission:
    """What to do with an arriving training request (see `Lane.admit`)."""

    kind: str  # "run" | "wait" | "duplicate" | "conflict" | "behind" | "too_far"
    request_id: str | None = None  # for "duplicate": the first execution's future
    message: str | None = None


@attrs.define
class Lane:
    """seq_id bookkeeping of one model. Pure: no I/O, no clock; the caller runs and times jobs.

    The official client numbers a model's requests 1, 2, 3, ... and sends each only after the
    previous submit returned; retries repeat the same seq_id. A lane runs seq n only after n-1
    was dispatched (or given up on after a gap deadline), answers a repeated seq_id with the first
    execution's request_id (same body) and refuses a different body under a used seq_id.

    Example::

        lane = Lane(); lane.admit(1, "h").kind  # -> "run"
    """

    next_seq: int = 1
    started: bool = False
    window: int = DEFAULT_SEQ_WINDOW  # how far ahead of next_seq a seq_id may be (see DEFAULT_SEQ_WINDOW)
    seen: dict[int, tuple[str, str]] = attrs.Factory(dict)  # seq -> (request_id, body hash)
    waiting: dict[int, Any] = attrs.Factory(dict)  # seq -> caller's job
    # Lower seq_ids given up on after a gap deadline, as [lo, hi) ranges: a set of every skipped id
    # would take memory proportional to the gap (20M ids = 1.1 GB).
    skipped: list[tuple[int, int]] = attrs.Factory(list)

    def admit(self, seq_id: int | None, body_hash: str) -> Admission:
        if seq_id is None:
            return Admission("run")
        if seq_id in self.seen:
            rid, first_hash = self.seen[seq_id]
            if first_hash == body_hash:
                return Admission("duplicate", request_id=rid)
            return Admission("conflict", message=f"seq_id {seq_id} was already used by a different request")
        if not self.started and seq_id in (0, 1):
            # Clients number from 1 (the official one) or 0; accept either as the first request.
            self.next_seq = seq_id
        if any(lo <= seq_id < hi for lo, hi in self.skipped):
            return Admission(
                "behind",
                message=(
                    f"seq_id {seq_id} arrived after the server stopped waiting for it and ran this model's "
                    "later requests; it was not applied. Send the operation again (it gets a new seq_id)."
                ),
            )
        if seq_id < self.next_seq:
            return Admission(
                "behind",
                message=f"seq_id {seq_id} is behind this model's next expected seq_id {self.next_seq}",
            )
        if seq_id == self.next_seq:
            return Admission("run")
        if seq_id - self.next_seq > self.window:
            return Admission(
                "too_far",
                message=(
                    f"seq_id {seq_id} is {seq_id - self.next_seq} ahead of this model's next expected seq_id "
                    f"{self.next_seq}; the server accepts seq_ids at most {self.window} ahead (its seq_id "
                    "window). Number a model's requests 1, 2, 3, ... in the order they are sent."
                ),
            )
        return Admission("wait")

    def record(self, seq_id: int | None, request_id: str, body_hash: str) -> None:
        if seq_id is not None:
            self.seen[seq_id] = (request_id, body_hash)

    def ran(self, seq_id: int | None) -> list[Any]:
        """Mark `seq_id` dispatched; return the waiting jobs that may now run, in order."""
        if seq_id is None:
            return []
        self.started = True
        self.next_seq = max(self.next_seq, seq_id + 1)
        ready: list[Any] = []
        while True:
            if self.next_seq not in self.waiting:
                break
            ready.append(self.waiting.pop(self.next_seq))
            self.next_seq += 1
        return ready

    def park(self, seq_id: int, job: Any) -> None:
        self.waiting[seq_id] = job

    def skip_gap(self, seq_id: int) -> list[Any]:
        """A parked request's gap deadline passed: give up on the missing lower seq_ids (they are
        refused if they ever arrive) and return the jobs that may now run, in order. Failing the
        parked request instead would let one lost request block every later one of the model.
        """
        if seq_id not in self.waiting or seq_id <= self.next_seq:
            return []  # already released, or the gap was filled in the meantime
        self.skipped.append((self.next_seq, seq_id))
        del self.skipped[:-_MAX_SKIPPED_RANGES]
        self.next_seq = seq_id
        self.started = True
        ready: list[Any] = []
        while self.next_seq in self.waiting:
            ready.append(self.waiting.pop(self.next_seq))
            self.next_seq += 1
        return ready


@attrs.define(eq=False)
class SteppedJob:
    """A job in parts the compute worker runs one at a time, taking turns with other users' work
    between parts (e.g. a big asample split into chunks of samples); `finish` builds the result from
    the parts' return values once all ran.

    Example::

        SteppedJob(parts=[lambda: 1, lambda: 2], finish=lambda outs: {"sum": sum(outs)})
    """

    parts: list[Callable[[], Any]]
    finish: Callable[[list[Any]], dict[str, Any]]


Job = Callable[[], dict[str, Any]] | SteppedJob


@attrs.define(eq=False)
class _Task:
    owner: str
    parts: collections.deque[Callable[[], Any]]
    finish: Callable[[list[Any]], Any]
    settle: Callable[[Any, BaseException | None], None]  # called on the thread that ran the last part
    entry: FutureEntry | None = None
    outputs: list[Any] = attrs.Factory(list)


class ComputeWorker:
    """Runs every backend call, one at a time, taking turns between users: each user's work waits in
    that user's own queue (first in, first out, so a model's requests keep their seq_id order), and
    the worker runs one part of the first job of each user with work in turn. A job of many parts (a
    chunked asample) therefore cannot starve another user's requests, and a waiting future knows it
    waits (`waits_for_others`).

    On its own thread by default, so compute never blocks the event loop (torch on 2 cores gains
    nothing from parallel models). `inline=True` (backends whose calls take microseconds, like the
    null backend) runs parts on the event loop instead, a few milliseconds' worth per loop turn, so
    requests (healthz included) are read between them; a thread hop would cost more than such a job.

    Example::

        worker = ComputeWorker(); worker.dispatch(store, entry, lambda: {"ok": 1})
    """

    # Inline mode: how long one loop turn may spend running parts before the loop reads requests again.
    _INLINE_SLICE_S = 0.002

    def __init__(self, *, inline: bool = False) -> None:
        self.inline = inline
        self._cond = threading.Condition()
        self._queues: dict[str, collections.deque[_Task]] = {}  # owner -> tasks, oldest first
        self._turns: collections.deque[str] = collections.deque()  # owners with work, next turn first
        self._running: str | None = None  # owner of the part being run
        self._thread: threading.Thread | None = None
        self._pump_scheduled = False
        self._closed = False

    # -- queueing -------------------------------------------------------------------------------
    def dispatch(
        self,
        store: FutureStore,
        entry: FutureEntry,
        job: Job,
        on_success: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Queue `job` for `entry.owner`; resolve or fail `entry` on the event loop when it ends."""
        loop = asyncio.get_running_loop()
        inline = self.inline

        def settle(result: Any, exc: BaseException | None) -> None:
            if inline:
                _settle(store, entry, on_success, result, exc)
            elif not loop.is_closed():  # else the server is gone, and nobody polls any more
                loop.call_soon_threadsafe(_settle, store, entry, on_success, result, exc)

        if isinstance(job, SteppedJob):
            parts, finish = collections.deque(job.parts), job.finish
        else:
            parts, finish = collections.deque([job]), _only
        self._enqueue(_Task(entry.owner, parts, finish, settle, entry), loop)

    def call_soon(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        """Run a side job (e.g. unloading a model of an expired session) on the compute thread (on the
        event loop when `inline`), in the turn of a system queue of its own."""
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def settle(result: Any, exc: BaseException | None) -> None:
            if exc is not None:
                log.error("side job failed", exc_info=exc)
                done.set_exception(exc)
            else:
                done.set_result(result)

        self._enqueue(_Task("", collections.deque([fn]), _only, settle), asyncio.get_running_loop())
        return done

    def _enqueue(self, task: _Task, loop: asyncio.AbstractEventLoop) -> None:
        with self._cond:
            queue = self._queues.setdefault(task.owner, collections.deque())
            queue.append(task)
            if len(queue) == 1 and task.owner != self._running:
                self._turns.append(task.owner)
            self._cond.notify()
        if self.inline:
            if not self._pump_scheduled:
                self._pump_scheduled = True
                loop.call_soon(self._pump)
        elif self._thread is None:
            self._thread = threading.Thread(target=self._thread_main, name="tinkex-compute", daemon=True)
            self._thread.start()

    def waits_for_others(self, entry: FutureEntry) -> bool:
        """True while `entry` has not started and other users' work runs or waits before its turn."""
        if entry.started or entry.done:
            return False
        with self._cond:
            running = self._running not in (None, entry.owner)
            return running or any(o != entry.owner for o in self._turns)

    # -- running --------------------------------------------------------------------------------
    def _take(self) -> _Task | None:
        """The next part's task, in turn (caller holds the lock)."""
        if not self._turns:
            return None
        owner = self._turns.popleft()
        self._running = owner
        task = self._queues[owner][0]
        if task.entry is not None:
            task.entry.started = True
        return task

    def _run_part(self, task: _Task) -> None:
        """Run one part of `task` (outside the lock); settle it after its last part or a failure."""
        exc: BaseException | None = None
        try:
            task.outputs.append(task.parts.popleft()())
            finished = not task.parts
        except Exception as e:  # settled like any failed job
            exc, finished = e, True
        result = None
        if finished and exc is None:
            try:
                result = task.finish(task.outputs)
            except Exception as e:
                exc = e
        with self._cond:
            self._running = None
            queue = self._queues[task.owner]
            if finished:
                queue.popleft()
            if queue:
                self._turns.append(task.owner)  # the back of the line: everyone else goes first
            else:
                del self._queues[task.owner]
        if finished:
            task.settle(result, exc)

    def _thread_main(self) -> None:
        while True:
            with self._cond:
                while not self._turns and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                task = self._take()
            assert task is not None
            self._run_part(task)

    def _pump(self) -> None:
        self._pump_scheduled = False
        end = time.perf_counter() + self._INLINE_SLICE_S
        while True:
            with self._cond:
                task = self._take()
            if task is None:
                return
            self._run_part(task)
            if time.perf_counter() > end:
                break
        if self._turns and not self._pump_scheduled:
            self._pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    def shutdown(self) -> None:
        """Stop after the part being run; queued work is dropped (the server is going away)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=60)


def _only(outputs: list[Any]) -> Any:
    return outputs[0]


def _settle(
    store: FutureStore,
    entry: FutureEntry,
    on_success: Callable[[dict[str, Any]], None] | None,
    result: dict[str, Any] | None,
    exc: BaseException | None,
) -> None:
    """Resolve or fail `entry` with a finished job's outcome (on the event loop)."""
    if exc is None:
        assert result is not None
        if on_success is not None:
            try:
                on_success(result)
            except Exception as e:  # bookkeeping failed: report, never hang the poller
                log.exception("bookkeeping after %s failed", entry.request_id)
                store.fail(entry, f"server bookkeeping failed: {type(e).__name__}", "server")
                return
        store.resolve(entry, result)
    elif isinstance(exc, UserInputError):
        store.fail(entry, str(exc), "user")
    else:
        log.error("request %s failed", entry.request_id, exc_info=exc)
        store.fail(entry, f"internal server error: {type(exc).__name__}: {exc}", "server")
