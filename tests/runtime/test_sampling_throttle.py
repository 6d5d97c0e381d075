"""A 429 on asample throttles the session's sampling (fewer requests in flight) instead of pausing
it; `sampling_backpressure="pause"` keeps 0.7.0's session-wide pause."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import ServiceClient
from tinkex._policy._sampling import THROTTLED_CONCURRENCY
from tinkex.types import ModelInput, SamplingParams

PROMPT = ModelInput.from_ints([1, 2, 3])
PARAMS = SamplingParams(max_tokens=4)
N = 60


class InflightCounter:
    """An async MockTransport handler that keeps asample requests in flight for a few loop turns and
    records the most that were at the server at once."""

    def __init__(self, server: FakeTinker) -> None:
        self.server = server
        self.inflight = 0
        self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        sample = request.url.path.endswith("/asample")
        if sample:
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)
        try:
            for _ in range(5):
                await asyncio.sleep(0)
            return self.server.handle(request)
        finally:
            if sample:
                self.inflight -= 1


@pytest.fixture
def counted(server: FakeTinker) -> Iterator[tuple[ServiceClient, InflightCounter]]:
    counter = InflightCounter(server)
    client = ServiceClient(
        api_key="tml-test-key-123456",
        base_url="http://fake.test",
        telemetry=False,
        _transport=httpx.MockTransport(counter),
    )
    yield client, counter
    client.close()


def _burst(sc: tinkex.SamplingClient) -> None:
    futures = [sc.sample(PROMPT, 1, PARAMS) for _ in range(N)]
    assert all(f.result(timeout=30).sequences for f in futures)


def test_without_a_429_the_burst_runs_wide(counted: tuple[ServiceClient, InflightCounter]) -> None:
    client, counter = counted
    _burst(client.create_sampling_client(base_model="tiny-model"))
    assert counter.peak > THROTTLED_CONCURRENCY  # so the throttled bound below means something


def test_after_a_429_the_session_samples_on_throttled(
    server: FakeTinker, counted: tuple[ServiceClient, InflightCounter]
) -> None:
    client, counter = counted
    rt = client._rt
    rt.sample_throttle.clock = lambda: 1000.0  # time stands still: the window stays in its hold
    sc = client.create_sampling_client(base_model="tiny-model")
    server.script("asample", json_response(429, None, {"Retry-After": "1"}))
    assert sc.sample(PROMPT, 1, PARAMS).result(timeout=10).sequences
    assert rt.sample_throttle.window is not None
    assert rt.sample_pause_until == 0.0  # nobody else was told to pause

    counter.peak = 0
    _burst(sc)
    # Every sample went through, never more than the throttled concurrency at once, and not one at a time.
    assert 1 < counter.peak <= THROTTLED_CONCURRENCY
    assert len(server.ops("asample")) == N + 2

    # Once the window is over the session runs at full width again.
    rt.sample_throttle.clock = lambda: 2000.0
    counter.peak = 0
    _burst(sc)
    assert counter.peak > THROTTLED_CONCURRENCY
    assert rt.sample_throttle.window is None


def test_pause_mode_keeps_the_session_wide_pause(server: FakeTinker) -> None:
    client = ServiceClient(
        api_key="tml-test-key-123456",
        base_url="http://fake.test",
        telemetry=False,
        sampling_backpressure="pause",
        _transport=server.transport(),
    )
    try:
        sc = client.create_sampling_client(base_model="tiny-model")
        server.script("asample", json_response(429))
        assert sc.sample(PROMPT, 1, PARAMS).result(timeout=10).sequences
        assert client._rt.sample_pause_until > 0
        assert client._rt.sample_throttle.window is None
    finally:
        client.close()


def test_an_unknown_backpressure_mode_names_the_choices() -> None:
    with pytest.raises(tinkex.TinkexValidationError, match="throttle"):
        tinkex.ClientConfig(api_key="tml-x", sampling_backpressure="wait")
