"""Issue 13 items end to end against the local null-backend server on 127.0.0.1: a rate-limited
sampling burst goes through on a throttled window, the circuit breaker fails fast on a dead server,
and TINKER_LOG / default_query reach real HTTP exchanges with the key kept out of the log."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

pytest.importorskip("tinkex_server")

import tinkex
from tinkex._runtime import _waits
from tinkex._runtime._observe import logger
from tinkex.types import ModelInput, SamplingParams
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer

pytestmark = pytest.mark.e2e


def _client(url: str, **kwargs: Any) -> tinkex.ServiceClient:
    return tinkex.ServiceClient(api_key=DEFAULT_DEV_API_KEY, base_url=url, telemetry=False, **kwargs)


def test_a_rate_limited_burst_completes_on_a_throttled_window(tmp_path: Any) -> None:
    with (
        LocalServer(backend="null", long_poll_s=0.3, faults="429=0.2,seed=3", data_dir=tmp_path) as srv,
        _waits.zero_waits(),
        _client(srv.base_url, max_retries=40) as sc,
    ):
        model = sc.get_server_capabilities().supported_models[0].model_name
        sampler = sc.create_sampling_client(base_model=model)
        futs = [
            sampler.sample(ModelInput.from_ints([1, 2]), 1, SamplingParams(max_tokens=2)) for _ in range(48)
        ]
        assert len(tinkex.wait_all(futs, timeout=120)) == 48
        rt = sc._rt
        assert rt.sample_throttle.window is not None  # some 429 opened a window...
        assert rt.sample_pause_until == 0.0  # ...and nobody was paused session-wide


def test_the_breaker_fails_fast_on_a_dead_server() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: connections are refused
    breaker = tinkex.CircuitBreakerConfig(failure_threshold=3, reset_timeout=60.0)
    with _waits.zero_waits(), _client(f"http://127.0.0.1:{port}", circuit_breaker=breaker) as sc:
        with pytest.raises(tinkex.CircuitOpenError) as info:
            sc.get_server_capabilities()
        assert isinstance(info.value.__cause__, tinkex.APIConnectionError)
        assert info.value.retryable
        assert 0 < (info.value.retry_after or 0) <= 60.0
        with pytest.raises(tinkex.CircuitOpenError):
            sc.get_server_capabilities()  # refused without a connection attempt


def test_tinker_log_and_default_query_on_real_exchanges(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    level = logger.level
    monkeypatch.setenv("TINKER_LOG", "debug")
    caplog.set_level(logging.DEBUG, logger="tinkex")
    try:
        with LocalServer(backend="null") as srv, _client(srv.base_url, default_query={"team": "rl"}) as sc:
            assert sc.get_server_capabilities().supported_models
            sc.create_rest_client().list_training_runs().result(timeout=30)
    finally:
        logger.setLevel(level)
    lines = [r.getMessage() for r in caplog.records if r.name == "tinkex"]
    assert any(m.startswith("GET /api/v1/get_server_capabilities -> 200 in ") for m in lines)
    assert any("/api/v1/training_runs -> 200" in m for m in lines)
    assert DEFAULT_DEV_API_KEY not in caplog.text
