"""The opt-in circuit breaker through the real stack: it opens after N failures in a row on one
purpose, fails fast without sending, lets one probe through after the cool-down, and stays off
unless configured."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import CircuitBreakerConfig, ServiceClient


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _with_breaker(make_client: Callable[..., ServiceClient], **cfg: object) -> tuple[ServiceClient, Clock]:
    client = make_client(circuit_breaker=CircuitBreakerConfig(**cfg))  # type: ignore[arg-type]
    clock = Clock()
    client._rt.requester.clock = clock
    return client, clock


def test_breaker_opens_fails_fast_then_probes(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client, clock = _with_breaker(make_client, failure_threshold=3, reset_timeout=30.0)
    server.script("get_server_capabilities", *[json_response(503, {"detail": "down"})] * 3)
    with pytest.raises(tinkex.CircuitOpenError) as info:
        client.get_server_capabilities()
    err = info.value
    # Three attempts went out, the fourth was refused by the breaker, not sent.
    assert len(server.ops("get_server_capabilities")) == 3
    assert err.purpose == "session"
    assert err.retryable
    assert err.retry_after == pytest.approx(30.0)
    assert isinstance(err.__cause__, tinkex.InternalServerError)
    assert "session" in str(err)
    assert "30.0 s" in str(err)

    # While open: nothing is sent; retry_after counts down.
    clock.now += 10
    with pytest.raises(tinkex.CircuitOpenError) as info:
        client.get_server_capabilities()
    assert info.value.retry_after == pytest.approx(20.0)
    assert len(server.ops("get_server_capabilities")) == 3

    # After the cool-down one probe goes out; its success closes the breaker.
    clock.now += 21
    assert client.get_server_capabilities().supported_models
    assert len(server.ops("get_server_capabilities")) == 4
    assert client._rt.requester.breakers["session"].phase == "closed"
    assert client.get_server_capabilities().supported_models


def test_a_failed_probe_reopens_for_a_fresh_cool_down(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client, clock = _with_breaker(make_client, failure_threshold=2, reset_timeout=5.0)
    server.script("get_server_capabilities", httpx.ConnectError("refused"), httpx.ConnectError("refused"))
    with pytest.raises(tinkex.CircuitOpenError) as info:
        client.get_server_capabilities()
    assert isinstance(info.value.__cause__, tinkex.APIConnectionError)
    clock.now += 6
    server.script("get_server_capabilities", json_response(500))
    with pytest.raises(tinkex.CircuitOpenError) as info:
        client.get_server_capabilities()  # the probe failed: open again, the retry loop stops at once
    assert info.value.retry_after == pytest.approx(5.0)
    assert len(server.ops("get_server_capabilities")) == 3


def test_breakers_are_per_purpose_and_4xx_do_not_trip_them(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client, _ = _with_breaker(make_client, failure_threshold=2, reset_timeout=30.0)
    server.script("get_server_capabilities", *[json_response(404, {"detail": "nope"})] * 5)
    for _ in range(5):
        with pytest.raises(tinkex.NotFoundError):
            client.get_server_capabilities()
    assert client._rt.requester.breakers["session"].phase == "closed"
    server.script("get_server_capabilities", json_response(503), json_response(503))
    with pytest.raises(tinkex.CircuitOpenError):
        client.get_server_capabilities()
    # The session breaker is open; the REST (training-purpose) connections are unaffected.
    rest = client.create_rest_client()
    assert rest.list_training_runs().result() is not None


def test_breaker_is_off_by_default(server: FakeTinker, client: ServiceClient) -> None:
    assert client.config.circuit_breaker is None
    server.script("get_server_capabilities", *[json_response(503)] * 11)
    with pytest.raises(tinkex.InternalServerError):
        client.get_server_capabilities()
    assert len(server.ops("get_server_capabilities")) == 11  # max_retries=10, never cut short


def test_a_bad_breaker_config_names_the_fix() -> None:
    with pytest.raises(tinkex.TinkexValidationError, match="CircuitBreakerConfig"):
        ServiceClient(api_key="tml-x-123456", base_url="http://127.0.0.1:9", circuit_breaker={"n": 1}).close()
    with pytest.raises(tinkex.TinkexValidationError, match="purposes"):
        CircuitBreakerConfig(purposes={"downloads"})


def test_a_training_call_refused_before_sending_leaves_no_seq_id_gap(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client, clock = _with_breaker(make_client, failure_threshold=2, reset_timeout=30.0, purposes={"training"})
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    datum = tinkex.types.Datum(
        model_input=tinkex.types.ModelInput.from_ints([1, 2]),
        loss_fn_inputs={"target_tokens": [2, 3], "weights": [1.0, 1.0]},
    )
    server.script("forward_backward", json_response(503), json_response(503))
    with pytest.raises(tinkex.CircuitOpenError) as info:
        tc.forward_backward([datum], "cross_entropy").result(timeout=10)
    assert info.value.attempts == 2  # sent twice: the server may hold that seq_id, so it stays used
    with pytest.raises(tinkex.CircuitOpenError) as info:
        tc.forward_backward([datum], "cross_entropy").result(timeout=10)
    assert info.value.attempts == 0
    clock.now += 31
    assert tc.forward_backward([datum], "cross_entropy").result(timeout=10).metrics
    sent = [c.body["seq_id"] for c in server.ops("forward_backward")]
    assert sent == [1, 1, 2]  # the refused call's seq_id went to the next request
