"""Session telemetry (SESSION_START / SESSION_END / UNHANDLED_EXCEPTION / GENERIC_EVENT, batched to
POST /api/v1/telemetry) and `LocalMetrics`, an event hook that keeps request counts, retries, errors
and latency percentiles per operation on the user's side.

Telemetry never gets in a user's way: recording an event is a lock and a deque append, sending
happens on a background task with a timeout, a failing endpoint only backs that task off, and the
queue is bounded.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as _dt
import logging
import math
import platform
import threading
import time
import traceback as _traceback
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from tinkex._exceptions import TinkexError, redact

__all__ = [
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_QUEUE",
    "LocalMetrics",
    "MetricsSnapshot",
    "OperationStats",
    "TelemetryConfig",
    "TelemetryReporter",
    "is_user_error",
    "make_event",
    "next_flush_delay",
    "percentile",
]

logger = logging.getLogger("tinkex.telemetry")

# --- defaults (the official SDK's telemetry constants, except where noted) -------------------------

DEFAULT_MAX_BATCH = 100  # events per POST
DEFAULT_FLUSH_INTERVAL = 10.0  # seconds between background flushes
DEFAULT_MAX_QUEUE = 10_000  # events held at most
DEFAULT_SEND_TIMEOUT = 5.0  # one POST; the official telemetry HTTP timeout
# Ours: the official client waits up to 30 s for the queue to drain after an exception, so every
# error surfaced 30 s late with the endpoint down. We never wait on the user's path, and bound the
# final flush at close to 2 s.
DEFAULT_CLOSE_TIMEOUT = 2.0
# Ours: after a failed POST the next try waits flush_interval * 2**(failures-1), capped at 5 min,
# instead of retrying every second forever.
DEFAULT_MAX_BACKOFF = 300.0

Send = Callable[[dict[str, Any]], Awaitable[Any]]


@attrs.frozen
class TelemetryConfig:
    """Batching limits of `TelemetryReporter` (defaults from the official SDK).

    Example::

        cfg = TelemetryConfig(flush_interval=1.0)
    """

    max_batch: int = attrs.field(default=DEFAULT_MAX_BATCH, validator=attrs.validators.ge(1))
    flush_interval: float = attrs.field(default=DEFAULT_FLUSH_INTERVAL, validator=attrs.validators.gt(0))
    max_queue: int = attrs.field(default=DEFAULT_MAX_QUEUE, validator=attrs.validators.ge(1))
    send_timeout: float = attrs.field(default=DEFAULT_SEND_TIMEOUT, validator=attrs.validators.gt(0))
    close_timeout: float = attrs.field(default=DEFAULT_CLOSE_TIMEOUT, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=DEFAULT_MAX_BACKOFF, validator=attrs.validators.gt(0))


# --- pure pieces ----------------------------------------------------------------------------------


def _iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).isoformat().replace("+00:00", "Z")


def make_event(kind: str, index: int, now: float, severity: str = "INFO", **fields: Any) -> dict[str, Any]:
    """One wire event (wire-protocol §3.8): the common envelope plus the kind's fields.

    Example::

        >>> e = make_event("GENERIC_EVENT", 3, 0.0, event_name="x", event_data={})
        >>> e["event"], e["event_session_index"], e["timestamp"]
        ('GENERIC_EVENT', 3, '1970-01-01T00:00:00Z')
    """
    return {
        "event": kind,
        "event_id": str(uuid.uuid4()),
        "event_session_index": index,
        "severity": severity,
        "timestamp": _iso(now),
        **fields,
    }


def is_user_error(exc: BaseException) -> bool:
    """True when the user's input caused `exc` (or an exception it was raised from): a tinkex error
    whose `is_user_error` says so (a failed request of category `user`, a 4xx other than 408, 410 and
    429, local validation), or a foreign exception carrying category `user`.

    Example::

        >>> from tinkex._exceptions import status_error_for
        >>> is_user_error(status_error_for(400)), is_user_error(status_error_for(503))
        (True, False)
    """
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, TinkexError):
            # The one rule every tinkex error reports (tinkex._policy._retry.error_traits).
            if e.is_user_error:
                return True
        elif str(getattr(e, "category", "")).lower().endswith("user"):
            return True
        stack += [e.__cause__, e.__context__]
    return False


def next_flush_delay(failures: int, flush_interval: float, max_backoff: float = DEFAULT_MAX_BACKOFF) -> float:
    """Seconds until the next flush: the interval, doubled per consecutive failed POST, capped.

    Example::

        >>> next_flush_delay(0, 10.0), next_flush_delay(1, 10.0), next_flush_delay(3, 10.0), next_flush_delay(20, 10.0)
        (10.0, 10.0, 40.0, 300.0)
    """
    if failures <= 1:
        return flush_interval
    return min(flush_interval * 2.0 ** min(failures - 1, 30), max(max_backoff, flush_interval))


# --- the reporter -----------------------------------------------------------------------------------


class TelemetryReporter:
    """Queues telemetry events of one session and posts them in batches from a background task.

    `send(body)` posts one batch body `{events, platform, sdk_version, session_id}` (the runtime
    wires it to the telemetry connection pool). Recording methods may be called from any thread
    and never block; a full queue drops the oldest events (the newest say most about a failure).

    Example::

        reporter = TelemetryReporter(send=post_batch, session_id="s-1")
        await reporter.start()          # queues SESSION_START, starts the flush task
        reporter.log("checkpoint.saved", {"name": "0001"})
        reporter.report_exception(exc)  # UNHANDLED_EXCEPTION (or a user_error event), flushes soon
        await reporter.aclose()         # SESSION_END and a final, bounded flush
    """

    def __init__(
        self,
        send: Send,
        session_id: str | None,
        *,
        config: TelemetryConfig | None = None,
        clock: Callable[[], float] = time.time,
        sdk_version: str | None = None,
        platform_name: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        self._send = send
        # The client's configured credentials (ClientConfig.secrets()): redacted verbatim, since a
        # key that does not look like `tml-...` (e.g. a JWT) escapes the pattern-based redaction.
        self._secrets = tuple(s for s in secrets if s)
        self.session_id = session_id
        self.config = config or TelemetryConfig()
        self._clock = clock
        if sdk_version is None:
            from tinkex._version import __version__ as sdk_version
        self._sdk_version = sdk_version
        self._platform = platform_name or platform.system()
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._lock = threading.Lock()
        self._index = 0
        self._started_at = clock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._flush_lock: asyncio.Lock | None = None
        self._failures = 0
        self._ended = False
        # Counters for stats(); plain ints under the lock.
        self.sent = 0
        self.dropped = 0
        self.failed_posts = 0

    # -- recording (any thread, never blocks) ------------------------------------------------------

    def _enqueue(self, kind: str, severity: str, *, wake: bool = False, **fields: Any) -> None:
        with self._lock:
            event = make_event(kind, self._index, self._clock(), severity, **fields)
            self._index += 1
            self._queue.append(event)
            while len(self._queue) > self.config.max_queue:
                self._queue.popleft()
                self.dropped += 1
                if self.dropped == 1:
                    logger.warning("Telemetry queue full; dropping the oldest events")
        if wake:
            self._wake_soon()

    def _wake_soon(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop closing: the final flush covers it
            loop.call_soon_threadsafe(wake.set)

    def log(
        self, event_name: str, event_data: Mapping[str, Any] | None = None, severity: str = "INFO"
    ) -> None:
        """Queue a GENERIC_EVENT (keep `event_name` low-cardinality; `event_data` is any JSON).

        Example::

            reporter.log("sampler.created", {"base_model": "Qwen/Qwen3-8B"})
        """
        self._enqueue("GENERIC_EVENT", severity, event_name=event_name, event_data=dict(event_data or {}))

    def report_exception(self, exc: BaseException, severity: str = "ERROR") -> None:
        """Queue an exception that reached the user and flush soon (without waiting for it).

        A user error (see `is_user_error`) becomes a `user_error` GENERIC_EVENT at WARNING;
        anything else an UNHANDLED_EXCEPTION with its traceback. Messages are redacted.

        Example::

            except Exception as e:
                reporter.report_exception(e)
                raise
        """
        message = redact(str(exc), self._secrets)
        if is_user_error(exc):
            data: dict[str, Any] = {"error_type": type(exc).__name__, "message": message}
            status = getattr(exc, "status_code", None)
            if isinstance(status, int):
                data["status_code"] = status
            body = getattr(exc, "body", None)
            if body is not None:
                data["body"] = redact(str(body), self._secrets)[:2000]
            self._enqueue("GENERIC_EVENT", "WARNING", wake=True, event_name="user_error", event_data=data)
            return
        tb = "".join(_traceback.format_exception(exc))
        self._enqueue(
            "UNHANDLED_EXCEPTION",
            severity,
            wake=True,
            error_type=type(exc).__name__,
            error_message=message,
            traceback=redact(tb, self._secrets),
        )

    def log_session_end(self) -> None:
        """Queue SESSION_END with the session's duration (once).

        The duration is Python's `str(timedelta)` (e.g. `0:00:05.126732`), as the official SDK sends.
        """
        with self._lock:
            if self._ended:
                return
            self._ended = True
        duration = _dt.timedelta(seconds=max(self._clock() - self._started_at, 0.0))
        self._enqueue("SESSION_END", "INFO", duration=str(duration))

    # -- sending (on the SDK loop) ------------------------------------------------------------------

    async def start(self) -> None:
        """Queue SESSION_START and start the background flush task on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._enqueue("SESSION_START", "INFO")
        self._task = asyncio.create_task(self._run(), name="tinkex-telemetry")

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            delay = next_flush_delay(self._failures, self.config.flush_interval, self.config.max_backoff)
            if self._failures:
                await asyncio.sleep(delay)  # backing off: exceptions do not hurry a dead endpoint
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            await self.flush()

    def _take_batch(self) -> list[dict[str, Any]]:
        with self._lock:
            n = min(self.config.max_batch, len(self._queue))
            return [self._queue.popleft() for _ in range(n)]

    def _put_back(self, batch: list[dict[str, Any]]) -> None:
        with self._lock:
            self._queue.extendleft(reversed(batch))
            while len(self._queue) > self.config.max_queue:
                self._queue.popleft()
                self.dropped += 1

    async def flush(self) -> bool:
        """Post every queued event in batches; True when the queue was emptied. A failed POST
        puts its batch back and stops this round (the next one backs off)."""
        lock = self._flush_lock or asyncio.Lock()
        async with lock:
            while True:
                batch = self._take_batch()
                if not batch:
                    return True
                body = {
                    "events": batch,
                    "platform": self._platform,
                    "sdk_version": self._sdk_version,
                    "session_id": self.session_id,
                }
                try:
                    await asyncio.wait_for(self._send(body), self.config.send_timeout)
                except asyncio.CancelledError:
                    self._put_back(batch)
                    raise
                except Exception as e:  # a failing endpoint must never surface to the user
                    self._put_back(batch)
                    self._failures += 1
                    self.failed_posts += 1
                    logger.debug("Telemetry batch failed (%s); will retry later", type(e).__name__)
                    return False
                self._failures = 0
                self.sent += len(batch)

    async def aclose(self) -> None:
        """Queue SESSION_END, stop the task and make one last flush bounded by `close_timeout`."""
        self.log_session_end()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(TimeoutError, Exception):
            await asyncio.wait_for(self.flush(), self.config.close_timeout)

    def stats(self) -> dict[str, int]:
        """Counters: events sent, queued, dropped (queue full) and failed POSTs.

        Example::

            >>> r = TelemetryReporter(send=None, session_id="s")  # type: ignore[arg-type]
            >>> r.stats()
            {'sent': 0, 'queued': 0, 'dropped': 0, 'failed_posts': 0}
        """
        with self._lock:
            return {
                "sent": self.sent,
                "queued": len(self._queue),
                "dropped": self.dropped,
                "failed_posts": self.failed_posts,
            }


# --- local metrics ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0..100) with linear interpolation between closest ranks (numpy's
    default method); None for no values.

    Example::

        >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 100), percentile([], 50)
        (2.5, 4, None)
    """
    if not values:
        return None
    if not 0 <= q <= 100 or math.isnan(q):
        raise ValueError(f"percentile q must be within [0, 100], got {q}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    frac = pos - lo
    if frac == 0:
        return ordered[lo]
    return ordered[lo] + (ordered[hi] - ordered[lo]) * frac


@attrs.frozen
class OperationStats:
    """Counters and latency percentiles (seconds) of one operation.

    `requests` counts HTTP attempts, retries included; `errors` those that failed (no answer, or a
    status >= 400 other than 408, which the futures long poll uses for "still pending").
    """

    requests: int = 0
    errors: int = 0
    retries: int = 0
    futures_done: int = 0
    futures_failed: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    mean: float | None = None
    max: float | None = None


@attrs.frozen
class MetricsSnapshot:
    """What `LocalMetrics.snapshot()` returns: per-operation stats plus SDK-wide counters.

    Example::

        snap = metrics.snapshot()
        print(snap.operations["forward_backward"].p95, snap.total_requests)
        print(snap.format_table())
    """

    operations: Mapping[str, OperationStats]
    queue_states: Mapping[str, int]
    heartbeats: int
    heartbeat_failures: int

    @property
    def total_requests(self) -> int:
        return sum(s.requests for s in self.operations.values())

    @property
    def total_retries(self) -> int:
        return sum(s.retries for s in self.operations.values())

    @property
    def total_errors(self) -> int:
        return sum(s.errors for s in self.operations.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "operations": {k: attrs.asdict(v) for k, v in self.operations.items()},
            "queue_states": dict(self.queue_states),
            "heartbeats": self.heartbeats,
            "heartbeat_failures": self.heartbeat_failures,
        }

    def format_table(self) -> str:
        """A fixed-width table, one row per operation (latencies in milliseconds)."""

        def ms(v: float | None) -> str:
            return "-" if v is None else f"{v * 1000:.1f}"

        head = f"{'operation':<28}{'requests':>9}{'retries':>9}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
        rows = [head, "-" * len(head)]
        for name in sorted(self.operations):
            s = self.operations[name]
            rows.append(
                f"{name:<28}{s.requests:>9}{s.retries:>9}{s.errors:>8}{ms(s.p50):>10}{ms(s.p95):>10}{ms(s.p99):>10}"
            )
        return "\n".join(rows)


@attrs.define
class _OpState:
    requests: int = 0
    errors: int = 0
    retries: int = 0
    futures_done: int = 0
    futures_failed: int = 0
    latencies: collections.deque[float] = attrs.field(factory=collections.deque)


class LocalMetrics:
    """An SDK event hook that keeps request counts, retries, errors and latency percentiles per
    operation, on your side only (nothing is sent anywhere). Thread-safe.

    Percentiles are exact over the most recent `window` requests of each operation (default
    10 000), so memory stays bounded in long training runs.

    Example::

        metrics = tinkex.LocalMetrics()
        service_client = tinkex.ServiceClient(event_hooks=[metrics])
        ...
        print(metrics.snapshot().format_table())
    """

    def __init__(self, *, window: int = 10_000) -> None:
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self._window = window
        self._lock = threading.Lock()
        self._ops: dict[str, _OpState] = {}
        self._queue_states: collections.Counter[str] = collections.Counter()
        self._heartbeats = 0
        self._heartbeat_failures = 0

    def _op(self, name: str) -> _OpState:
        st = self._ops.get(name)
        if st is None:
            st = self._ops[name] = _OpState(latencies=collections.deque(maxlen=self._window))
        return st

    def __call__(self, event: Any) -> None:
        """Consume one `tinkex.SDKEvent` (kind, operation, attributes)."""
        kind = getattr(event, "kind", None)
        op = str(getattr(event, "operation", "") or "unknown")
        attrs_: Mapping[str, Any] = getattr(event, "attributes", None) or {}
        with self._lock:
            if kind == "request":
                st = self._op(op)
                st.requests += 1
                status = attrs_.get("status")
                if status is None or (isinstance(status, int) and status >= 400 and status != 408):
                    st.errors += 1
                duration = attrs_.get("duration_s")
                if isinstance(duration, int | float) and math.isfinite(duration):
                    st.latencies.append(float(duration))
            elif kind == "retry":
                self._op(op).retries += 1
            elif kind == "future_done":
                st = self._op(op)
                st.futures_done += 1
                if attrs_.get("error_type"):
                    st.futures_failed += 1
            elif kind == "queue_state":
                state = attrs_.get("queue_state")
                if state:
                    self._queue_states[str(state)] += 1
            elif kind == "heartbeat":
                self._heartbeats += 1
                status = attrs_.get("status")
                if not (isinstance(status, int) and 200 <= status < 300):
                    self._heartbeat_failures += 1

    def snapshot(self) -> MetricsSnapshot:
        """A consistent copy of the numbers so far."""
        with self._lock:
            # Counters are copied with the latencies, under the lock: the percentiles are computed
            # after it is released, when another thread may already be recording.
            ops = {
                name: (attrs.evolve(st, latencies=collections.deque()), list(st.latencies))
                for name, st in self._ops.items()
            }
            queue_states = dict(self._queue_states)
            hb, hbf = self._heartbeats, self._heartbeat_failures
        stats = {
            name: OperationStats(
                requests=st.requests,
                errors=st.errors,
                retries=st.retries,
                futures_done=st.futures_done,
                futures_failed=st.futures_failed,
                p50=percentile(lat, 50),
                p95=percentile(lat, 95),
                p99=percentile(lat, 99),
                mean=(sum(lat) / len(lat)) if lat else None,
                max=max(lat) if lat else None,
            )
            for name, (st, lat) in ops.items()
        }
        return MetricsSnapshot(stats, queue_states, hb, hbf)

    def reset(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._ops.clear()
            self._queue_states.clear()
            self._heartbeats = self._heartbeat_failures = 0

    def consume(self, events: Iterable[Any]) -> None:
        """Feed several events at once (e.g. replayed from a log)."""
        for e in events:
            self(e)
