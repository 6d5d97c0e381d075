"""Telemetry and tracing wiring: session telemetry batches reach /api/v1/telemetry on their own pool
(and never when TINKER_TELEMETRY=0), failures are reported, and event kinds are emitted."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import SDKEvent, ServiceClient
from tinkex.types import AdamParams


def _events(server: FakeTinker) -> list[dict[str, object]]:
    return [e for c in server.ops("send_telemetry") for e in c.body["events"]]


def test_telemetry_session_start_and_end(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    pytest.importorskip("tinkex._telemetry")
    client = make_client(telemetry=True)
    client.create_sampling_client(base_model="tiny-model")
    assert client.get_telemetry() is not None
    client.close()
    kinds = [e["event"] for e in _events(server)]
    assert kinds[0] == "SESSION_START"
    assert "SESSION_END" in kinds
    body = server.ops("send_telemetry")[0].body
    assert body["session_id"] == "sess-1"
    assert body["sdk_version"] == tinkex.__version__


def test_failures_are_reported_to_telemetry(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    pytest.importorskip("tinkex._telemetry")
    client = make_client(telemetry=True)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.poll_script("optim_step", json_response(200, {"error": "exploded", "category": "server"}))
    with pytest.raises(tinkex.RequestFailedError):
        tc.optim_step(AdamParams()).result(timeout=10)
    client.close()
    unhandled = [e for e in _events(server) if e["event"] == "UNHANDLED_EXCEPTION"]
    assert unhandled
    assert unhandled[0]["error_type"] == "RequestFailedError"


def test_telemetry_off(
    server: FakeTinker, make_client: Callable[..., ServiceClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINKER_TELEMETRY", "0")
    client = make_client(telemetry=None)
    client.create_sampling_client(base_model="tiny-model")
    client.close()
    assert client.get_telemetry() is None
    assert not server.ops("send_telemetry")


def test_event_kinds(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    events: list[SDKEvent] = []
    client = make_client(event_hooks=[events.append], heartbeat_interval=0.02)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.script("optim_step", json_response(503))
    tc.optim_step(AdamParams()).result(timeout=10)
    deadline = time.monotonic() + 5
    while not any(e.kind == "heartbeat" for e in events):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    kinds = {e.kind for e in events}
    assert {"request", "retry", "future_done", "heartbeat", "session"} <= kinds
    retry = next(e for e in events if e.kind == "retry")
    assert retry.operation == "optim_step"
    assert retry.attributes["status"] == 503
    assert retry.attributes["attempt"] == 1
    done = next(e for e in events if e.kind == "future_done" and e.operation == "OptimStep")
    assert done.attributes["request_id"].startswith("req-")
    for e in events:
        assert "tml-test-key" not in repr(e)


def test_every_future_ending_emits_future_done(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    events: list[SDKEvent] = []
    client = make_client(event_hooks=[events.append])
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    server.poll_script("optim_step", json_response(410, {"detail": "expired"}))
    server.poll_script("save_weights", json_response(400, {"detail": "bad"}))
    with pytest.raises(tinkex.GoneError):
        tc.optim_step(AdamParams()).result(timeout=10)
    with pytest.raises(tinkex.BadRequestError):
        tc.save_state("x").result(timeout=10)
    done = [(e.operation, e.attributes.get("error_type")) for e in events if e.kind == "future_done"]
    assert ("OptimStep", "GoneError") in done
    assert ("SaveWeights", "BadRequestError") in done


def test_every_client_offers_get_telemetry_as_the_official_ones_do(
    server: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    sc = client.create_sampling_client(base_model="tiny-model")
    rc = client.create_rest_client()
    assert client.get_telemetry() is None  # telemetry is off in these tests
    assert tc.get_telemetry() is None
    assert sc.get_telemetry() is None
    assert rc.get_telemetry() is None
