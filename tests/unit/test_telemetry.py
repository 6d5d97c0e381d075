"""Session telemetry (batching, bounded queue, failing endpoint, exceptions, close) and LocalMetrics
(percentiles, counts), plus both wired into a real ServiceClient over httpx.MockTransport."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from typing import Any

import httpx
import pytest

import tinkex
from tinkex._exceptions import RequestFailedError, status_error_for
from tinkex._runtime._observe import SDKEvent
from tinkex._telemetry import (
    LocalMetrics,
    TelemetryConfig,
    TelemetryReporter,
    is_user_error,
    make_event,
    next_flush_delay,
    percentile,
)

KEY = "tml-" + "s" * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_723_600.0  # 2025-12-03T01:00:00Z

    def __call__(self) -> float:
        return self.now


class Sink:
    """A telemetry endpoint: records bodies, or fails / hangs on demand."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail = False
        self.hang = False

    async def __call__(self, body: dict[str, Any]) -> None:
        if self.hang:
            await asyncio.Event().wait()
        if self.fail:
            raise tinkex.InternalServerError("telemetry down", status_code=503)
        self.bodies.append(json.loads(json.dumps(body)))  # must be JSON-serialisable

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for b in self.bodies for e in b["events"]]


async def until(cond: Any, within: float = 5.0) -> None:
    """Yield to the loop until cond() holds (event-driven, bounded; no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not cond():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.001)


def reporter(sink: Sink, **cfg: Any) -> TelemetryReporter:
    cfg.setdefault("flush_interval", 3600.0)
    return TelemetryReporter(
        sink, "sess-1", config=TelemetryConfig(**cfg), clock=Clock(), sdk_version="9.9", platform_name="Linux"
    )


async def test_batches_of_100_with_envelope_and_increasing_index() -> None:
    sink = Sink()
    r = reporter(sink)
    await r.start()
    for i in range(250):
        r.log("step", {"i": i})
    assert await r.flush()
    assert [len(b["events"]) for b in sink.bodies] == [100, 100, 51]
    body = sink.bodies[0]
    assert {k: body[k] for k in ("platform", "sdk_version", "session_id")} == {
        "platform": "Linux",
        "sdk_version": "9.9",
        "session_id": "sess-1",
    }
    events = sink.events
    assert events[0]["event"] == "SESSION_START"
    assert [e["event_session_index"] for e in events] == list(range(251))
    assert events[1] == {
        "event": "GENERIC_EVENT",
        "event_id": events[1]["event_id"],
        "event_session_index": 1,
        "severity": "INFO",
        "timestamp": "2025-12-03T01:00:00Z",
        "event_name": "step",
        "event_data": {"i": 0},
    }
    assert len({e["event_id"] for e in events}) == 251
    await r.aclose()


async def test_bounded_queue_drops_oldest() -> None:
    sink = Sink()
    r = reporter(sink, max_queue=5)
    for i in range(8):
        r.log("e", {"i": i})
    assert r.stats() == {"sent": 0, "queued": 5, "dropped": 3, "failed_posts": 0}
    await r.flush()
    assert [e["event_data"]["i"] for e in sink.events] == [3, 4, 5, 6, 7]


async def test_failing_endpoint_keeps_events_and_never_raises() -> None:
    sink = Sink()
    sink.fail = True
    r = reporter(sink)
    for i in range(3):
        r.log("e", {"i": i})
    assert await r.flush() is False
    assert r.stats()["queued"] == 3
    assert r.stats()["failed_posts"] == 1
    sink.fail = False
    assert await r.flush() is True
    assert [e["event_data"]["i"] for e in sink.events] == [0, 1, 2]


async def test_hanging_endpoint_is_cut_by_send_timeout() -> None:
    sink = Sink()
    sink.hang = True
    r = reporter(sink, send_timeout=0.01)
    r.log("e")
    assert await asyncio.wait_for(r.flush(), 5) is False
    assert r.stats()["queued"] == 1


async def test_report_exception_kinds_and_redaction_and_prompt_flush() -> None:
    sink = Sink()
    r = reporter(sink)
    await r.start()
    await r.flush()
    try:
        try:
            raise RuntimeError(f"boom with key {KEY}")
        except RuntimeError as inner:
            raise ValueError("wrapped") from inner
    except ValueError as e:
        r.report_exception(e)
    # the flush happens soon, woken by the exception, not after the 1 h interval
    await until(lambda: len(sink.events) == 2)
    ev = sink.events[1]
    assert ev["event"] == "UNHANDLED_EXCEPTION"
    assert ev["severity"] == "ERROR"
    assert ev["error_type"] == "ValueError"
    assert "RuntimeError" in ev["traceback"]
    assert KEY not in json.dumps(sink.bodies)
    r.report_exception(status_error_for(400, "POST /api/v1/forward", body={"detail": "bad loss_fn"}))
    await until(lambda: len(sink.events) == 3)
    ue = sink.events[2]
    assert ue["event"] == "GENERIC_EVENT"
    assert ue["event_name"] == "user_error"
    assert ue["severity"] == "WARNING"
    assert ue["event_data"]["status_code"] == 400
    assert ue["event_data"]["error_type"] == "BadRequestError"
    await r.aclose()


JWT_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0aW5rZXgifQ.c2lnbmF0dXJlLW9mLXRoZS1rZXk"


async def test_report_exception_redacts_configured_secrets_that_match_no_pattern() -> None:
    sink = Sink()
    r = TelemetryReporter(
        sink,
        "sess-1",
        config=TelemetryConfig(flush_interval=3600.0),
        clock=Clock(),
        sdk_version="9.9",
        platform_name="Linux",
        secrets=(JWT_KEY, None),
    )
    await r.start()
    try:
        raise RuntimeError(f"upstream echoed {JWT_KEY}")
    except RuntimeError as e:
        r.report_exception(e)
    r.report_exception(status_error_for(400, "POST /api/v1/forward", body={"detail": f"bad key {JWT_KEY}"}))
    await until(lambda: len(sink.events) == 3)
    await r.aclose()
    dumped = json.dumps(sink.bodies)
    assert JWT_KEY not in dumped
    assert dumped.count("<redacted>") >= 3  # message, traceback and the 4xx body


async def test_close_sends_session_end_and_is_bounded_when_endpoint_hangs() -> None:
    sink = Sink()
    clock = Clock()
    r = TelemetryReporter(sink, "s", config=TelemetryConfig(flush_interval=3600), clock=clock)
    await r.start()
    clock.now += 5.25
    await r.aclose()
    end = sink.events[-1]
    assert end["event"] == "SESSION_END"
    assert end["duration"] == str(dt.timedelta(seconds=5.25)) == "0:00:05.250000"
    hanging = Sink()
    hanging.hang = True
    r2 = reporter(hanging, close_timeout=0.05)
    await r2.start()
    await asyncio.wait_for(r2.aclose(), 5)  # returns although the endpoint never answers


def test_recording_from_threads_is_safe_and_indexed_uniquely() -> None:
    r = reporter(Sink(), max_queue=100_000)

    def work() -> None:
        for _ in range(1000):
            r.log("x")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    idx = sorted(e["event_session_index"] for e in r._queue)
    assert idx == list(range(4000))


def test_make_event_timestamp_format() -> None:
    e = make_event("SESSION_START", 0, 1_764_723_600.5)
    assert e["timestamp"] == "2025-12-03T01:00:00.500000Z"


@pytest.mark.parametrize(
    ("exc", "user"),
    [
        (status_error_for(400), True),
        (status_error_for(404), True),
        (status_error_for(422), True),
        (status_error_for(408), False),
        (status_error_for(429), False),
        (status_error_for(500), False),
        (RequestFailedError("bad input", "r1", "user"), True),
        (RequestFailedError("oom", "r1", "server"), False),
        (RuntimeError("x"), False),
    ],
)
def test_is_user_error(exc: BaseException, user: bool) -> None:
    assert is_user_error(exc) is user


def test_is_user_error_follows_cause_and_context() -> None:
    outer = RuntimeError("wrapped")
    outer.__cause__ = status_error_for(400)
    assert is_user_error(outer)
    implicit = RuntimeError("during handling")
    implicit.__context__ = RequestFailedError("bad", "r", "user")
    assert is_user_error(implicit)
    loop_a, loop_b = RuntimeError("a"), RuntimeError("b")
    loop_a.__context__, loop_b.__context__ = loop_b, loop_a
    assert not is_user_error(loop_a)  # cycles terminate


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 10.0), (1, 10.0), (2, 20.0), (3, 40.0), (5, 160.0), (6, 300.0), (99, 300.0)]
)
def test_next_flush_delay(failures: int, delay: float) -> None:
    assert next_flush_delay(failures, 10.0) == delay


# --- LocalMetrics -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([7.0], 50, 7.0),
        ([7.0], 99, 7.0),
        ([1, 2, 3, 4], 0, 1),
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 100, 4),
        ([4, 1, 3, 2], 25, 1.75),
        (list(range(1, 101)), 95, 95.05),
        (list(range(1, 101)), 99, 99.01),
        ([1.0, 1.0, 1.0, 100.0], 50, 1.0),
    ],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    got = percentile(values, q)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_percentile_matches_numpy() -> None:
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(0)
    data = list(rng.exponential(size=1001))
    for q in (1, 50, 95, 99, 99.9):
        assert percentile(data, q) == pytest.approx(float(np.percentile(data, q)))
    with pytest.raises(ValueError, match="within"):
        percentile(data, 101)


def test_local_metrics_counts_and_percentiles() -> None:
    m = LocalMetrics()
    for i in range(100):
        m(
            SDKEvent(
                "request", "forward_backward", {"status": 200, "attempt": 0, "duration_s": (i + 1) / 1000}
            )
        )
    m(SDKEvent("request", "forward_backward", {"status": 503, "attempt": 0, "duration_s": 0.5}))
    m(SDKEvent("retry", "forward_backward", {"attempt": 1, "delay_s": 0.5}))
    m(SDKEvent("request", "retrieve_future", {"status": 408, "duration_s": 40.0}))
    m(SDKEvent("request", "asample", {"status": None, "error_type": "APIConnectionError", "duration_s": 5.0}))
    m(SDKEvent("future_done", "forward_backward", {"request_id": "r"}))
    m(SDKEvent("future_done", "forward_backward", {"error_type": "RequestFailedError"}))
    m(SDKEvent("queue_state", "asample", {"queue_state": "paused_rate_limit"}))
    m(SDKEvent("heartbeat", "session_heartbeat", {"status": 200}))
    m(SDKEvent("heartbeat", "session_heartbeat", {"status": None}))
    m(SDKEvent("session", "create_session", {}))
    snap = m.snapshot()
    fb = snap.operations["forward_backward"]
    assert (fb.requests, fb.errors, fb.retries, fb.futures_done, fb.futures_failed) == (101, 1, 1, 2, 1)
    assert fb.p50 == pytest.approx(0.051)
    assert fb.p99 is not None
    assert fb.p99 == pytest.approx(percentile([*(i / 1000 for i in range(1, 101)), 0.5], 99))
    assert snap.operations["retrieve_future"].errors == 0  # 408 = long poll "still pending"
    assert snap.operations["asample"].errors == 1
    assert snap.queue_states == {"paused_rate_limit": 1}
    assert (snap.heartbeats, snap.heartbeat_failures) == (2, 1)
    assert snap.total_requests == 103
    table = snap.format_table()
    assert "forward_backward" in table
    assert "p95 ms" in table
    assert json.loads(json.dumps(snap.to_dict()))["operations"]["asample"]["errors"] == 1
    m.reset()
    assert m.snapshot().operations == {}


def test_local_metrics_window_bounds_memory() -> None:
    m = LocalMetrics(window=10)
    for i in range(1000):
        m(SDKEvent("request", "op", {"status": 200, "duration_s": float(i)}))
    s = m.snapshot().operations["op"]
    assert s.requests == 1000
    assert s.p50 == pytest.approx(994.5)  # over the last 10 only


# --- wired into a real ServiceClient over MockTransport -----------------------------------------


class FakeServer:
    def __init__(self, telemetry_status: int = 200) -> None:
        self.telemetry: list[dict[str, Any]] = []
        self.telemetry_status = telemetry_status
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        p = request.url.path
        self.paths.append(p)
        if p.endswith("/create_session"):
            return httpx.Response(200, json={"type": "create_session", "session_id": "sess-9"})
        if p.endswith("/session_heartbeat"):
            return httpx.Response(200, json={"type": "session_heartbeat"})
        if p.endswith("/create_sampling_session"):
            return httpx.Response(
                200, json={"type": "create_sampling_session", "sampling_session_id": "sess-9:sample:0"}
            )
        if p.endswith("/telemetry"):
            self.telemetry.append(json.loads(request.content))
            return httpx.Response(self.telemetry_status, json={"status": "accepted"})
        if p.endswith("/training_runs"):
            return httpx.Response(
                200, json={"training_runs": [], "cursor": {"offset": 0, "limit": 20, "total_count": 0}}
            )
        return httpx.Response(404, json={"detail": "unscripted"})


def client(fake: FakeServer, **kw: Any) -> Any:
    return tinkex.ServiceClient(
        api_key=KEY, base_url="http://tinker.test", _transport=httpx.MockTransport(fake), **kw
    )


def test_service_client_sends_session_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_TELEMETRY", raising=False)
    fake = FakeServer()
    sc = client(fake)
    sc.create_sampling_client(base_model="tiny")
    sc.close()
    events = [e["event"] for b in fake.telemetry for e in b["events"]]
    assert events[0] == "SESSION_START"
    assert events[-1] == "SESSION_END"
    assert all(b["session_id"] == "sess-9" for b in fake.telemetry)


def test_telemetry_off_with_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINKER_TELEMETRY", "0")
    fake = FakeServer()
    sc = client(fake)
    sc.create_sampling_client(base_model="tiny")
    sc.close()
    assert fake.telemetry == []
    assert not any(p.endswith("/telemetry") for p in fake.paths)


def test_service_client_reporter_redacts_the_configured_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_TELEMETRY", raising=False)
    fake = FakeServer()
    sc = tinkex.ServiceClient(
        api_key=JWT_KEY, base_url="http://tinker.test", _transport=httpx.MockTransport(fake)
    )
    sc.create_sampling_client(base_model="tiny")
    telemetry = sc.get_telemetry()
    assert telemetry is not None
    try:
        raise RuntimeError(f"auth failed for {JWT_KEY}")
    except RuntimeError as e:
        telemetry.report_exception(e)
    sc.close()
    dumped = json.dumps(fake.telemetry)
    assert "UNHANDLED_EXCEPTION" in dumped
    assert JWT_KEY not in dumped


def test_failing_telemetry_endpoint_breaks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINKER_TELEMETRY", raising=False)
    fake = FakeServer(telemetry_status=500)
    sc = client(fake)
    sc.create_sampling_client(base_model="tiny")
    assert sc.create_rest_client().list_training_runs().result(timeout=10).training_runs == []
    sc.close()


def test_local_metrics_as_event_hook_of_service_client() -> None:
    fake = FakeServer()
    metrics = LocalMetrics()
    sc = client(fake, event_hooks=[metrics])
    rest = sc.create_rest_client()
    for _ in range(3):
        rest.list_training_runs().result(timeout=10)
    sc.close()
    snap = metrics.snapshot()
    op = snap.operations["list_training_runs"]
    assert op.requests == 3
    assert op.errors == 0
    assert op.p50 is not None
    assert op.p50 > 0


def test_hanging_telemetry_endpoint_delays_neither_calls_nor_close(monkeypatch: pytest.MonkeyPatch) -> None:
    # The endpoint accepts the connection and never answers. User calls must not wait for it, and
    # close() must return within the telemetry close bound (DEFAULT_CLOSE_TIMEOUT, 2 s) plus a margin.
    import time

    from tinkex._telemetry import DEFAULT_CLOSE_TIMEOUT

    monkeypatch.delenv("TINKER_TELEMETRY", raising=False)
    fake = FakeServer()
    hung: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/telemetry"):
            hung.append(request.url.path)
            await asyncio.Event().wait()
        return fake(request)

    sc = tinkex.ServiceClient(
        api_key=KEY, base_url="http://tinker.test", _transport=httpx.MockTransport(handler)
    )
    sc.create_sampling_client(base_model="tiny")
    rest = sc.create_rest_client()
    started = time.monotonic()
    for _ in range(3):
        assert rest.list_training_runs().result(timeout=10).training_runs == []
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    sc.close()
    assert time.monotonic() - started < DEFAULT_CLOSE_TIMEOUT + 1.5
    assert hung  # the final flush did try the endpoint


def test_local_metrics_snapshot_is_consistent_under_concurrent_recording(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Another thread records a request while the snapshot computes percentiles (after the lock is
    # released): the snapshot's counters must still describe the same requests as its latencies.
    import tinkex._telemetry as telemetry_module

    m = LocalMetrics()
    m(SDKEvent("request", "asample", {"status": 200, "duration_s": 0.1}))
    m(SDKEvent("request", "forward", {"status": 200, "duration_s": 0.2}))
    real = telemetry_module.percentile
    injected: list[bool] = []

    def racing_percentile(values: Any, q: float) -> float | None:
        if not injected:
            injected.append(True)
            m(SDKEvent("request", "forward", {"status": 500, "duration_s": 9.0}))
        return real(values, q)

    monkeypatch.setattr(telemetry_module, "percentile", racing_percentile)
    snap = m.snapshot()
    op = snap.operations["forward"]
    assert (op.requests, op.errors, op.max) == (1, 0, 0.2)
    assert m.snapshot().operations["forward"].requests == 2
