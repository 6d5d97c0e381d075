"""`Runtime`: what one ServiceClient owns (loop thread, pools, requester, observer, session,
counters, sampling throttles) and the turn sequencer that keeps a TrainingClient's calls in order."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import Any, Literal, TypeVar, cast

from _tinkex_lowlevel import operations as ops

from tinkex._config import ClientConfig
from tinkex._exceptions import BadRequestError, NotFoundError, TinkexError
from tinkex._policy._sampling import ThrottleLimits, ThrottleWindow, throttle_after_429, throttle_limits
from tinkex._runtime._futures import APIFuture, spawn
from tinkex._runtime._loop import LoopThread
from tinkex._runtime._observe import EventHook, Observer, logger
from tinkex._runtime._protocol import RESULT_BYTES_BUDGET, ProtocolState
from tinkex._runtime._requests import Requester
from tinkex._runtime._session import SessionManager
from tinkex._runtime._transport import HttpClientFactory, Transport
from tinkex.types import UnloadModelRequest

__all__ = [
    "ORPHAN_UNLOAD_TIMEOUT",
    "BytesBudget",
    "Runtime",
    "SampleThrottle",
    "TurnSequencer",
    "set_default_http_client_factory",
]

# Seconds the unload of an orphaned model may add to a failed create_model (or to close()).
ORPHAN_UNLOAD_TIMEOUT = 5.0

T = TypeVar("T")

# Testing hook: the factory used when a Runtime is built without one (e.g. by unpickling a
# SamplingClient), so tests can route even re-created clients to a mock transport.
_default_factory: HttpClientFactory | None = None


def set_default_http_client_factory(factory: HttpClientFactory | None) -> None:
    """Route Runtimes created without an explicit factory through `factory` (tests only)."""
    global _default_factory
    _default_factory = factory


class BytesBudget:
    """An in-flight byte budget (the 0.7.0 client holds 5 MiB of sampling prompts in flight).
    Requests are admitted in arrival order, so a large prompt is never starved by a steady stream of
    small ones; one larger than the whole budget waits for an empty budget, then goes alone."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._queue: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def _fits(self, n: int) -> bool:
        return self.used == 0 or self.used + n <= self.capacity

    def _admit_waiters(self) -> None:
        while self._queue and self._fits(self._queue[0][0]):
            n, waiter = self._queue.popleft()
            if waiter.done():  # cancelled while queued
                continue
            self.used += n
            waiter.set_result(None)

    @contextlib.asynccontextmanager
    async def hold(self, n: int) -> AsyncIterator[None]:
        n = max(0, min(n, self.capacity))
        if self._queue or not self._fits(n):
            waiter = asyncio.get_running_loop().create_future()
            entry = (n, waiter)
            self._queue.append(entry)
            try:
                await waiter  # admitted: _admit_waiters already counted n as used
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self.used -= n  # admitted, then cancelled before running: give it back
                else:
                    with contextlib.suppress(ValueError):
                        self._queue.remove(entry)
                self._admit_waiters()
                raise
        else:
            self.used += n
        try:
            yield
        finally:
            self.used -= n
            self._admit_waiters()


class SampleThrottle:
    """The throttled window after a sampling 429 (the limits come from _policy._sampling): while it
    runs, a dispatch waits for a slot when `concurrency` are already in flight, and learns the factor
    its byte cost is multiplied by. Outside a window it admits at once (the session semaphore caps).
    Loop thread only. A release wakes waiters in arrival order up to the limit of that moment."""

    def __init__(self, concurrency: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.concurrency = concurrency
        self.clock = clock  # tests move it
        self.window: ThrottleWindow | None = None
        self.inflight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def limits(self) -> ThrottleLimits:
        limits = throttle_limits(self.window, self.clock(), concurrency=self.concurrency)
        if not limits.active:
            self.window = None
        return limits

    def on_429(self, prompt_bytes: int, retry_after: float | None) -> None:
        self.window = throttle_after_429(self.window, self.clock(), prompt_bytes, retry_after)

    def _wake(self) -> None:
        free = self.limits().concurrency - self.inflight
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """Hold one dispatch slot; yields the byte-cost factor to apply while holding it."""
        limits = self.limits()
        if self._waiters or self.inflight >= limits.concurrency:
            while True:
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                try:
                    await waiter
                except BaseException:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
                    self._wake()  # a wake-up this cancelled waiter received passes on
                    raise
                limits = self.limits()
                if self.inflight < limits.concurrency:
                    break
        self.inflight += 1
        try:
            yield limits.byte_factor
        finally:
            self.inflight -= 1
            self._wake()


class TurnSequencer:
    """Dispatch order for one TrainingClient. Tickets are taken in call order (any thread); a ticket's
    request waits for its turn on the loop; a finished, failed or cancelled ticket always passes the
    turn on, so one bad request never blocks the ones after it (the official client hangs there).
    Wire seq_ids are handed out at dispatch time, so skipped tickets leave no seq_id gap, and a
    request the server rejected gives its seq_id back (`unuse_seq_id`): the server runs a model's
    requests in seq_id order and would park every later one waiting for the missing id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_ticket = 0
        self._turn = 0
        self._released: set[int] = set()
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._next_seq_id = 1  # the official client's first training seq_id is 1

    def take(self, n: int = 1) -> list[int]:
        """Reserve `n` consecutive tickets (thread-safe, synchronous: call order is server order)."""
        with self._lock:
            first = self._next_ticket
            self._next_ticket += n
        return list(range(first, first + n))

    async def wait_turn(self, ticket: int) -> None:
        if ticket == self._turn:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[ticket] = waiter
        try:
            await waiter
        finally:
            self._waiters.pop(ticket, None)

    def next_seq_id(self) -> int:
        """The wire seq_id for the request holding the turn (called only while holding it)."""
        seq_id = self._next_seq_id
        self._next_seq_id += 1
        return seq_id

    def unuse_seq_id(self, seq_id: int) -> None:
        """Give back the seq_id of a request the server rejected (called while holding the turn, so it
        is still the last one handed out); the next request is sent with it."""
        if seq_id == self._next_seq_id - 1:
            self._next_seq_id = seq_id

    def release(self, tickets: Iterable[int]) -> None:
        """Mark tickets finished (idempotent; loop thread only) and wake the next turn holder."""
        for t in tickets:
            if t >= self._turn:
                self._released.add(t)
        while self._turn in self._released:
            self._released.discard(self._turn)
            self._turn += 1
        waiter = self._waiters.get(self._turn)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Runtime:
    """Everything one ServiceClient owns; shared by the clients it creates."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        event_hooks: Iterable[EventHook] = (),
        http_client_factory: HttpClientFactory | None = None,
        rand: Callable[[], float] = random.random,
        start_telemetry: bool = True,
    ) -> None:
        self.config = config
        self.loop = LoopThread()
        self.observer = Observer(event_hooks)
        self.transport = Transport(config, http_client_factory=http_client_factory or _default_factory)
        self.requester = Requester(self.transport, config.retry, self.observer, rand=rand)
        self.session = SessionManager(self)
        self._counter_lock = threading.Lock()
        self._model_seq_id = 0
        self._sampling_session_seq_id = 0
        # Sampling throttles shared by every SamplingClient of this ServiceClient (0.7.0 values).
        self.sample_semaphore = asyncio.Semaphore(config.sampling_max_concurrency)
        self.sample_bytes = BytesBudget(config.sampling_max_bytes)
        self.sample_pause_until = 0.0  # sampling_backpressure="pause" (0.7.0)
        self.sample_throttle = SampleThrottle(config.sampling_max_concurrency)  # "throttle"
        self._telemetry: Any = None
        self._start_telemetry = start_telemetry and config.telemetry_enabled
        # Models whose create_model was accepted but no TrainingClient holds yet (loop thread only):
        # what unload_orphan frees when creation fails, and close() frees before the pools go.
        self.creating_models: set[str] = set()
        # The wire generation spoken is `protocol` (kept by the Requester): "0.7" until client/config
        # says "0.38" (_protocol.py); `wire` holds what the negotiation learnt.
        self.wire = ProtocolState()
        # Large results announced by a metadata-only poll (0.38) are fetched within this budget.
        self.result_bytes = BytesBudget(RESULT_BYTES_BUDGET)

    @property
    def protocol(self) -> Literal["0.7", "0.38"]:
        """Which wire generation this runtime speaks: "0.7" (JSON, today's bytes) or "0.38". The
        negotiation (client/config; a 404 means a 0.7.0-era server) sets it; the public API reads it
        to decide whether 0.38-only keywords may be sent, the Requester refuses 0.38-only operations."""
        return cast(Literal["0.7", "0.38"], self.requester.protocol)

    @protocol.setter
    def protocol(self, value: Literal["0.7", "0.38"]) -> None:
        if value not in ("0.7", "0.38"):
            raise ValueError(f"protocol must be '0.7' or '0.38', got {value!r}")
        self.requester.protocol = value

    def negotiated_protocol(self) -> Literal["0.7", "0.38"]:
        """`protocol`, asking the server (client/config, once) when nothing has asked yet. For checks of
        tinker 0.38 arguments made in the caller's thread before any session exists (a ServiceClient's
        creation keywords, a standalone RestClient): without it they would judge by the "0.7" default.
        On the SDK loop the negotiation has run already (the session runs it first)."""
        if not self.wire.known and not self.loop.in_loop_thread():
            from tinkex._runtime._protocol import ensure_protocol

            # Bounded by the retry policy and NEGOTIATION_TIMEOUT per attempt (and the client's
            # future_timeout, the default deadline of every wait).
            self.run(ensure_protocol(self))
        return self.protocol

    # -- counters ------------------------------------------------------------------------------------

    def next_model_seq_id(self) -> int:
        with self._counter_lock:
            value = self._model_seq_id
            self._model_seq_id += 1
            return value

    def next_sampling_session_seq_id(self) -> int:
        with self._counter_lock:
            value = self._sampling_session_seq_id
            self._sampling_session_seq_id += 1
            return value

    # -- running work ---------------------------------------------------------------------------------

    def new_future(self) -> APIFuture[Any]:
        """A future for `spawn(..., future=)` (the client default deadline applies)."""
        return APIFuture(self.loop, default_timeout=self.config.future_timeout)

    def spawn(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        cleanup: Callable[[], None] | None = None,
        future: APIFuture[T] | None = None,
    ) -> APIFuture[T]:
        """Run `coro` on the SDK loop and return its future (the client default deadline applies)."""
        fut = spawn(
            self.loop, coro, default_timeout=self.config.future_timeout, cleanup=cleanup, future=future
        )
        if self._telemetry is not None:
            fut.add_done_callback(self._report_failure)
        return fut

    def _report_failure(self, fut: concurrent.futures.Future[Any]) -> None:
        # Failures that reach the user go to session telemetry (user errors as `user_error`).
        telemetry = self._telemetry
        if telemetry is None or fut.cancelled():
            return
        exc = fut.exception()
        if exc is not None:
            with contextlib.suppress(Exception):
                telemetry.report_exception(exc)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the SDK loop and block for it (the blocking-style official methods)."""
        try:
            self.check_may_block()
        except TinkexError:
            coro.close()
            raise
        return self.spawn(coro)._wait(timeout)

    def check_may_block(self) -> None:
        """Raise before anything is sent if the caller is the SDK's own loop thread, where a blocking
        method could never be waited for."""
        if self.loop.in_loop_thread():
            raise TinkexError(
                "a blocking tinkex method was called on the SDK's own event-loop thread (e.g. from an "
                "event hook or a future's done-callback) and would deadlock; use its _async twin there"
            )

    async def run_async(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:  # noqa: ASYNC109
        return await self.spawn(coro).result_async(timeout)

    # -- telemetry --------------------------------------------------------------------------------------

    async def ensure_telemetry(self) -> None:
        """Start H4's TelemetryReporter on the telemetry pool once a session exists (if enabled)."""
        if not self._start_telemetry or self._telemetry is not None:
            return
        self._start_telemetry = False
        try:
            from tinkex import _telemetry  # optional module; absent -> no telemetry
        except ImportError:
            return
        reporter_cls = getattr(_telemetry, "TelemetryReporter", None)
        if reporter_cls is None:
            return

        async def send(batch: dict[str, Any]) -> None:
            await self.requester.call(
                ops.send_telemetry,
                body=batch,
                read_timeout=self.config.telemetry_timeout,
                max_retries=1,
            )

        try:
            self._telemetry = reporter_cls(
                send=send, session_id=self.session.session_id, secrets=self.config.secrets()
            )
            start = getattr(self._telemetry, "start", None)
            if callable(start):
                result = start()
                if asyncio.iscoroutine(result):
                    await result
        except Exception:  # telemetry must never break the client
            self._telemetry = None

    # -- models nobody holds ----------------------------------------------------------------------------------

    async def unload_orphan(self, model_id: str) -> None:
        """Best effort, bounded: ask the server to unload a model whose creation failed on this side
        (once: a model close() already unloaded is skipped). Never raises; shielded from cancellation."""
        if model_id not in self.creating_models:
            return
        self.creating_models.discard(model_id)

        async def unload() -> None:
            await self.requester.call(
                ops.unload_model,
                body=UnloadModelRequest(model_id=model_id).to_dict(),
                read_timeout=ORPHAN_UNLOAD_TIMEOUT,
                max_retries=1,
            )

        task = asyncio.ensure_future(unload())
        try:
            await asyncio.wait_for(asyncio.shield(task), ORPHAN_UNLOAD_TIMEOUT)
            logger.info("unloaded model %s, whose creation failed before a TrainingClient held it", model_id)
        except (NotFoundError, BadRequestError):
            # The server freed it already (it drops models whose creation result expired unretrieved).
            logger.info("model %s, whose creation failed, is not loaded on the server", model_id)
        except BaseException as exc:  # the caller re-raises the creation's own error
            logger.warning(
                "could not unload model %s after its creation failed: %s", model_id, type(exc).__name__
            )

    # -- shutdown ------------------------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> None:
        """Stop the heartbeat, flush telemetry, close the pools, stop and join the loop thread."""

        async def cleanup() -> None:
            if self.creating_models:  # creations still in flight: their models would outlive us
                orphans = list(self.creating_models)
                with contextlib.suppress(Exception):
                    await asyncio.gather(*(self.unload_orphan(m) for m in orphans))
            await self.wire.stop()
            await self.session.stop()
            telemetry = self._telemetry
            if telemetry is not None:
                for name in ("aclose", "close", "stop"):
                    fn = getattr(telemetry, name, None)
                    if callable(fn):
                        with contextlib.suppress(Exception):
                            result = fn()
                            if asyncio.iscoroutine(result):
                                await asyncio.wait_for(result, 3.0)
                        break
            await self.transport.aclose()

        self.loop.close_with(cleanup, timeout)
