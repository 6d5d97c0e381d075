"""Every answer the server gives while one flow touches every operation validates against the response
schema that openapi/tinker.yaml declares for that operation and status."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from server_helpers import Harness, datum, fb_body

from tinkex_server._faults import PendingStyle
from tinkex_server._futures import pending_reply

pytestmark = pytest.mark.timeout(60)


async def test_every_operation_answers_what_the_spec_declares(h: Harness) -> None:
    seen: list[tuple[str, int, Any]] = []
    v = h.core.validator
    assert v.enabled

    async def record(response: httpx.Response) -> None:
        await response.aread()
        op = v.operation(response.request.method, response.request.url.path)
        if op is None:
            return  # the storage route is not an API operation
        body = response.json() if response.content else None
        seen.append((str(op["operationId"]), response.status_code, body))

    for c in (h.client, h.other):
        c.event_hooks["response"] = [record]

    await h.client.get("/api/v1/healthz")
    await h.client.get("/api/v1/get_server_capabilities")
    sid = await h.session()
    await h.post("session_heartbeat", {"session_id": sid})
    await h.post("telemetry", {"events": [], "platform": "Linux", "sdk_version": "0.7.0", "session_id": sid})
    mid = await h.model(sid)
    await h.post("get_info", {"model_id": mid})
    await h.run(
        "forward",
        {
            "forward_input": {"data": [datum([1, 2])], "loss_fn": "cross_entropy"},
            "model_id": mid,
            "seq_id": 1,
        },
    )
    await h.run("forward_backward", fb_body(mid, 2, [datum([1, 2])]))
    bad = await h.post("forward_backward", fb_body(mid, 3, [datum([1, 2], targets=[1])]))
    await h.result(bad.json()["request_id"])  # a failure body
    await h.run("optim_step", {"adam_params": {"learning_rate": 1e-3}, "model_id": mid, "seq_id": 4})
    state = await h.run("save_weights", {"model_id": mid, "path": "s", "seq_id": 5})
    sampler = await h.run("save_weights_for_sampler", {"model_id": mid, "path": "w", "seq_id": 6})
    await h.run("save_weights_for_sampler", {"model_id": mid, "sampling_session_seq_id": 5, "seq_id": 7})
    await h.run("load_weights", {"model_id": mid, "path": state["path"], "optimizer": True, "seq_id": 8})
    ss = await h.post(
        "create_sampling_session",
        {"session_id": sid, "sampling_session_seq_id": 0, "model_path": sampler["path"]},
    )
    sampler_id = ss.json()["sampling_session_id"]
    await h.run(
        "asample",
        {"prompt": {"chunks": [{"tokens": [1, 2]}]}, "sampling_params": {"max_tokens": 3, "seed": 1},
         "sampling_session_id": sampler_id, "seq_id": 0, "prompt_logprobs": True, "topk_prompt_logprobs": 2},
    )  # fmt: skip
    await h.post("weights_info", {"tinker_path": sampler["path"]})
    await h.client.get("/api/v1/training_runs")
    await h.client.get(f"/api/v1/training_runs/{mid}")
    await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints")
    await h.client.get("/api/v1/checkpoints")
    ckpt = f"/api/v1/training_runs/{mid}/checkpoints/sampler_weights/w"
    await h.client.get(f"{ckpt}/archive")
    await h.client.post(f"{ckpt}/publish")
    await h.client.post(f"{ckpt}/publish")  # 409
    await h.client.delete(f"{ckpt}/publish")
    await h.client.put(f"{ckpt}/ttl", json={"ttl_seconds": 3600})
    await h.client.put(f"{ckpt}/ttl", json={"ttl_seconds": 0})  # 422
    await h.client.delete(ckpt)
    await h.client.get("/api/v1/sessions")
    await h.client.get(f"/api/v1/sessions/{sid}")
    await h.client.get(f"/api/v1/samplers/{sampler_id}")
    # the operations of tinker >= 0.38
    await h.post("client/config", {"sdk_version": "0.38.0"})
    await h.post("client/dynamic_config", {"sdk_version": "0.38.0"})
    await h.run("save_weights_external", {"model_id": mid, "path": "ext", "seq_id": 9})
    await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints/external_weights/ext/external_weights_urls")
    sid2 = await h.session()
    await h.post("copy_weights", {"source_path": state["path"], "session_id": sid2, "model_seq_id": 0})
    await h.client.put(f"/api/v1/sessions/{sid}/project", json={"project_id": "p1"})
    await h.client.get(f"/api/v1/sessions/{sid}/trace_export")
    await h.post("sessions/search", {"project_ids": ["p1"]})
    await h.client.get("/api/v1/audit")
    await h.client.get("/api/v1/billing/usage/events")
    await h.client.get("/api/v1/billing/usage/checkpoints/current")
    for flagged in (
        "auth/token",
        "create_custom_loss",
        "join_sampling_session",
        "retrieve_futures",
        "cancel_future",
    ):
        assert (await h.post(flagged, {})).status_code == 404
    await h.post(f"sessions/{sid2}/finish", {"reason": {"type": "success"}, "detail": "done"})
    await h.run("unload_model", {"model_id": mid})
    # error answers too
    await h.other.get(f"/api/v1/training_runs/{mid}")  # 404
    await h.client.get("/api/v1/sessions", headers={"X-API-Key": "tml-nope"})  # 401
    await h.post("create_session", {"tags": 1})  # 422
    await h.post("retrieve_future", {"request_id": "req-unknown"})  # 404

    problems = []
    for op_id, status, body in seen:
        schema = v.response_schema(op_id, status)
        if status not in (204, 302):
            assert schema is not None, f"{op_id} answered {status}, which the spec does not declare"
        for p in v.check_response(op_id, status, body):
            problems.append((op_id, status, p["msg"]))
    assert problems == []
    assert {op for op, _s, _b in seen} == set(v.operation_ids), "every operation was exercised"
    statuses = {(op, s) for op, s, _b in seen}
    assert {("publish_checkpoint", 409), ("retrieve_future", 404), ("create_session", 422)} <= statuses
    assert any(op == "retrieve_future" and body and "error" in body for op, _s, body in seen)


@pytest.mark.parametrize("style", list(PendingStyle))
def test_pending_answers_match_the_spec(h: Harness, style: PendingStyle) -> None:
    status, body = pending_reply(style, "req-1")
    assert h.core.validator.response_schema("retrieve_future", status) is not None
    assert h.core.validator.check_response("retrieve_future", status, body) == []
