"""Hostile input against the server (issue 12): every case is refused at once with a 4xx naming the
field or the limit, and the server keeps serving. In-process over the null backend (see
server_helpers.Harness); the denial-of-service cases against a real `tinkex serve` process are in
test_dos.py."""

from __future__ import annotations

from typing import Any

from server_helpers import Harness, datum, fb_body

from tinkex_server._futures import DEFAULT_SEQ_WINDOW, Lane
from tinkex_server.backends.null import DEFAULT_NULL_MODEL


# -- item 1: seq_id window -----------------------------------------------------------------------------
async def test_a_far_ahead_seq_id_is_refused_at_once_naming_the_window(h: Harness) -> None:
    sid = await h.session()
    mid = await h.model(sid)
    for seq in (2**63 - 1, 2 + DEFAULT_SEQ_WINDOW):
        r = await h.post("forward_backward", fb_body(mid, seq, [datum([1, 2])]))
        assert r.status_code == 400, r.text
        assert f"at most {DEFAULT_SEQ_WINDOW} ahead" in r.json()["detail"]
    assert not h.core.lane(mid).waiting  # nothing parked, no gap timer armed
    # The lane is untouched: the next request in order runs.
    await h.run("forward_backward", fb_body(mid, 1, [datum([1, 2])]))
    # Inside the window a request still waits for its turn.
    r = await h.post("forward_backward", fb_body(mid, 1 + DEFAULT_SEQ_WINDOW, [datum([1, 2])]))
    assert r.status_code == 200, r.text


def test_a_skipped_gap_is_remembered_as_a_range_not_a_set_of_ids() -> None:
    lane = Lane(window=2**62)
    lane.ran(1)
    lane.park(2**61, "far")
    assert lane.skip_gap(2**61) == ["far"]
    assert lane.skipped == [(2, 2**61)]
    late = lane.admit(12345, "h")
    assert late.kind == "behind" and "not applied" in (late.message or "")


# -- item 3: idempotency keys are bound to the operation and the body ----------------------------------
async def test_an_idempotency_key_replays_only_the_same_request(h: Harness) -> None:
    key = {"X-Idempotency-Key": "k-shared"}
    s1 = await h.post("create_session", {"tags": [], "user_metadata": {}, "sdk_version": "x"}, headers=key)
    assert s1.status_code == 200
    sid = s1.json()["session_id"]
    mid = await h.model(sid)
    # The same key on another operation: refused, never answered with the session body.
    r = await h.post("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {}}, headers=key)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["header", "X-Idempotency-Key"]
    assert r.headers["x-should-retry"] == "false"
    # Same operation, different body: refused, and the second step is not silently dropped.
    k2 = {"X-Idempotency-Key": "k-step"}
    a = await h.post("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {}}, headers=k2)
    assert a.status_code == 200
    b = await h.post("optim_step", {"model_id": mid, "seq_id": 2, "adam_params": {}}, headers=k2)
    assert b.status_code == 422
    # The very same request replays the first answer (a transport retry).
    c = await h.post("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {}}, headers=k2)
    assert c.status_code == 200 and c.json() == a.json()
    out = await h.result(a.json()["request_id"])
    assert out.json()["metrics"]["step:max"] == 1.0


async def test_an_invalid_request_is_never_answered_from_the_replay_cache(h: Harness) -> None:
    key = {"X-Idempotency-Key": "k-valid-first"}
    body: dict[str, Any] = {"tags": [], "user_metadata": {}, "sdk_version": "x"}
    assert (await h.post("create_session", body, headers=key)).status_code == 200
    r = await h.post("create_session", {**body, "tags": 5}, headers=key)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "tags"]


async def test_create_model_retry_with_its_key_is_replayed(h: Harness) -> None:
    sid = await h.session()
    body = {"session_id": sid, "model_seq_id": 0, "base_model": DEFAULT_NULL_MODEL, "lora_config": {"rank": 2}}
    key = {"X-Idempotency-Key": "k-model"}
    a = await h.post("create_model", body, headers=key)
    b = await h.post("create_model", body, headers=key)
    assert a.status_code == b.status_code == 200 and a.json() == b.json()
