"""The server's HTTP behaviour through httpx.ASGITransport with the null backend: every operation, both
serialization styles, validation errors, the future protocol, seq_id ordering and dedupe, sessions,
auth and ownership, checkpoints and archives, restarts and injected faults."""

from __future__ import annotations

import asyncio
import hashlib
import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from server_helpers import OTHER_KEY, FakeClock, Harness, datum, fb_body

from tinkex_server._faults import parse_faults
from tinkex_server.backends.null import DEFAULT_NULL_MODEL, fake_logprob

pytestmark = pytest.mark.timeout(60)


# -- service -----------------------------------------------------------------------------------------
async def test_healthz_is_open_and_everything_else_needs_a_configured_key(h: Harness) -> None:
    r = await h.client.get("/api/v1/healthz", headers={"X-API-Key": ""})
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    for headers in ({"X-API-Key": "tml-wrong"}, {"X-API-Key": ""}):
        r = await h.client.get("/api/v1/get_server_capabilities", headers=headers)
        assert r.status_code == 401
        assert "tml-wrong" not in r.text  # the key is never echoed
    r = await h.client.get("/api/v1/get_server_capabilities")
    assert r.json()["supported_models"][0]["model_name"] == DEFAULT_NULL_MODEL


async def test_telemetry_answers_exactly_accepted(h: Harness) -> None:
    body = {"events": [], "platform": "Linux", "sdk_version": "0.7.0", "session_id": "s"}
    r = await h.post("telemetry", body)
    assert (r.status_code, r.json()) == (200, {"status": "accepted"})


# -- validation --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("op", "body", "pointer"),
    [
        ("create_session", {"tags": [], "sdk_version": "0.7.0"}, "/"),  # user_metadata key is required
        ("create_session", {"tags": "x", "user_metadata": {}, "sdk_version": "0.7.0"}, "/tags"),
        ("create_model", {"session_id": "s", "model_seq_id": "zero", "base_model": "m"}, "/model_seq_id"),
        ("create_model", {"session_id": "s", "model_seq_id": 0, "base_model": "m", "lora_config": {"rank": 0}},
         "/lora_config"),
        ("forward_backward", fb_body("m", 1, [datum([1])], loss_fn="hinge"), "/forward_backward_input/loss_fn"),
        ("forward_backward", {**fb_body("m", 1, [datum([1])]), "type": "wrong"}, "/type"),
        ("optim_step", {"model_id": "m", "adam_params": {"learning_rate": "fast"}}, "/adam_params/learning_rate"),
        ("asample", {"prompt": {"chunks": []}, "sampling_params": {"max_tokens": "ten"}}, "/sampling_params/max_tokens"),
        ("retrieve_future", {}, "/"),
    ],
)  # fmt: skip
async def test_schema_violations_get_422_naming_the_field_and_write_nothing(
    h: Harness, op: str, body: dict[str, Any], pointer: str
) -> None:
    assert h.core.validator.enabled, "openapi/tinker.yaml must be found"
    r = await h.post(op, body)
    assert r.status_code == 422, r.text
    problems = r.json()["detail"]
    assert problems[0]["pointer"].startswith(pointer)
    assert problems[0]["loc"][0] == "body"
    _rows, total = h.core.store.list_sessions(h.core.users[h.client.headers["X-API-Key"]], 10, 0)
    assert total == 0  # nothing was written


async def test_unparseable_bodies_get_400(h: Harness) -> None:
    r = await h.client.post(
        "/api/v1/create_session", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert "not valid JSON" in r.json()["detail"]
    r = await h.client.post("/api/v1/create_session", json=[1, 2])
    assert r.status_code == 400


async def test_semantic_errors_get_400_and_create_nothing(h: Harness) -> None:
    sid = await h.session()
    base = {"session_id": sid, "model_seq_id": 0, "user_metadata": None}
    r = await h.post("create_model", {**base, "base_model": "meta-llama/none"})
    assert r.status_code == 400
    assert "base_model" in r.json()["detail"]
    lora = {"rank": 4, "train_attn": False, "train_mlp": False, "train_unembed": False}
    r = await h.post("create_model", {**base, "base_model": DEFAULT_NULL_MODEL, "lora_config": lora})
    assert r.status_code == 400
    assert "train_attn" in r.json()["detail"]
    assert h.core.store.runs_of_session(sid) == []


# -- both serialization styles -----------------------------------------------------------------------
async def test_both_serialization_styles_train_and_sample(h: Harness) -> None:
    sid = await h.session()
    # 0.7.0 style: no type tags, defaults omitted, explicit nulls.
    old = await h.run(
        "create_model",
        {"session_id": sid, "model_seq_id": 0, "base_model": DEFAULT_NULL_MODEL, "user_metadata": None,
         "lora_config": {"rank": 4, "seed": None, "train_unembed": True, "train_mlp": True, "train_attn": True}},
    )  # fmt: skip
    # later style: every tag and default, nulls omitted.
    new = await h.run(
        "create_model",
        {"type": "create_model", "session_id": sid, "model_seq_id": 1, "base_model": DEFAULT_NULL_MODEL,
         "lora_config": {"rank": 4, "train_unembed": True, "train_mlp": True, "train_attn": True}},
    )  # fmt: skip
    assert old["type"] == new["type"] == "create_model"
    old_fb = await h.run("forward_backward", fb_body(old["model_id"], 1, [datum([1, 2, 3])]))
    new_datum = {
        "loss_fn_inputs": {"target_tokens": {"data": [2, 3, 4], "dtype": "int64", "shape": [3]}},
        "model_input": {"chunks": [{"type": "encoded_text", "tokens": [1, 2, 3]}]},
    }
    new_fb = await h.run(
        "forward_backward",
        {
            "forward_backward_input": {"data": [new_datum], "loss_fn": "cross_entropy"},
            "model_id": new["model_id"],
            "seq_id": 1,
        },
    )
    assert old_fb["loss_fn_outputs"] == new_fb["loss_fn_outputs"]
    assert old_fb["metrics"]["loss:sum"] == pytest.approx(-sum(fake_logprob(t) for t in [2, 3, 4]))
    full_adam = {
        "learning_rate": 1e-4,
        "beta1": 0.9,
        "beta2": 0.95,
        "eps": 1e-12,
        "weight_decay": 0.0,
        "grad_clip_norm": 0.0,
    }
    await h.run(
        "optim_step",
        {"type": "optim_step", "adam_params": full_adam, "model_id": new["model_id"], "seq_id": 2},
    )
    await h.run("optim_step", {"adam_params": {}, "model_id": old["model_id"], "seq_id": 2})
    ss_old = await h.post(
        "create_sampling_session",
        {
            "session_id": sid,
            "sampling_session_seq_id": 0,
            "base_model": DEFAULT_NULL_MODEL,
            "model_path": None,
        },
    )
    ss_new = await h.post(
        "create_sampling_session",
        {
            "type": "create_sampling_session",
            "session_id": sid,
            "sampling_session_seq_id": 1,
            "base_model": DEFAULT_NULL_MODEL,
        },
    )
    params_new = {"max_tokens": 4, "seed": 5, "temperature": 1.0, "top_k": -1, "top_p": 1.0}
    s_old = await h.run(
        "asample",
        {
            "num_samples": 1,
            "prompt": {"chunks": [{"tokens": [1]}]},
            "sampling_params": {"max_tokens": 4, "seed": 5},
            "sampling_session_id": ss_old.json()["sampling_session_id"],
            "seq_id": 0,
            "prompt_logprobs": None,
            "topk_prompt_logprobs": 0,
        },
    )
    s_new = await h.run("asample", {"type": "sample", "num_samples": 1, "prompt": {"chunks": [{"type": "encoded_text", "tokens": [1]}]},
                                    "sampling_params": params_new, "sampling_session_id": ss_new.json()["sampling_session_id"], "seq_id": 0,
                                    "prompt_logprobs": False, "topk_prompt_logprobs": 0})  # fmt: skip
    assert s_old["sequences"] == s_new["sequences"]  # same seed, same tokens


# -- the future protocol -----------------------------------------------------------------------------
class _SlowBackendGate:
    """Holds the null backend's forward_backward until released (to observe pending polls)."""

    def __init__(self, h: Harness) -> None:
        import threading

        self.event = threading.Event()
        original = h.core.backend.forward_backward

        def gated(*args: Any, **kw: Any) -> Any:
            assert self.event.wait(20)
            return original(*args, **kw)

        h.core.backend.forward_backward = gated  # type: ignore[method-assign]
        h.core.worker.inline = False  # a blocking job must run on the compute thread, not the loop


@pytest.mark.parametrize(("faults", "status"), [("", 408), ("pending=try_again", 200)])
async def test_pending_polls_are_held_then_answer_408_or_try_again(
    harness_factory: Callable[..., Harness], faults: str, status: int
) -> None:
    h = harness_factory(faults=parse_faults(faults), long_poll_s=0.2)
    gate = _SlowBackendGate(h)
    mid = await h.model(await h.session())
    rid = (await h.post("forward_backward", fb_body(mid, 1, [datum([1])]))).json()["request_id"]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    r = await h.post("retrieve_future", {"request_id": rid})
    held = loop.time() - t0
    assert r.status_code == status
    assert r.json()["queue_state"] == "active"
    if status == 200:
        assert r.json()["type"] == "try_again"
    assert held >= 0.18  # the poll was held for long_poll_s, not answered at once
    gate.event.set()
    assert (await h.result(rid)).json()["metrics"]["loss:sum"] > 0
    await h.close()


async def test_user_errors_fail_the_future_with_category_user(h: Harness) -> None:
    mid = await h.model(await h.session())
    bad = datum([1, 2, 3], targets=[1, 2])  # 2 targets for 3 tokens
    r = await h.post("forward_backward", fb_body(mid, 1, [bad]))
    res = (await h.result(r.json()["request_id"])).json()
    assert res["category"] == "user"
    assert "target_tokens" in res["error"]
    assert "3 tokens" in res["error"]
    unknown = datum([1])
    unknown["loss_fn_inputs"]["advantages"] = {"data": [1.0], "dtype": "float32", "shape": [1]}
    r = await h.post("forward_backward", fb_body(mid, 2, [unknown]))
    res = (await h.result(r.json()["request_id"])).json()
    assert res == {"error": res["error"], "category": "user"}
    assert "unknown keys ['advantages']" in res["error"]


async def test_backend_crashes_fail_the_future_with_category_server(h: Harness) -> None:
    mid = await h.model(await h.session())

    def boom(*_a: Any, **_k: Any) -> dict[str, float]:
        raise RuntimeError("disk on fire")

    h.core.backend.optim_step = boom  # type: ignore[method-assign]
    r = await h.post("optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 1})
    res = (await h.result(r.json()["request_id"])).json()
    assert res["category"] == "server"
    assert "disk on fire" in res["error"]


async def test_results_expire_after_the_ttl_with_410_and_unknown_ids_get_404(
    harness_factory: Callable[..., Harness], clock: FakeClock
) -> None:
    h = harness_factory(future_ttl_s=60)
    mid = await h.model(await h.session())
    rid = (await h.post("optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 1})).json()["request_id"]
    assert (await h.result(rid)).status_code == 200
    assert (await h.result(rid)).status_code == 200  # results can be read again within the TTL
    clock.advance(61)
    r = await h.post("retrieve_future", {"request_id": rid})
    assert r.status_code == 410
    assert "expired" in r.json()["detail"]
    assert (await h.post("retrieve_future", {"request_id": "req-nope"})).status_code == 404
    await h.close()


async def test_futures_of_one_user_are_invisible_to_another(h: Harness) -> None:
    mid = await h.model(await h.session())
    rid = (await h.post("optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 1})).json()["request_id"]
    assert (await h.post("retrieve_future", {"request_id": rid}, client=h.other)).status_code == 404


# -- ordering and dedupe -----------------------------------------------------------------------------
async def test_early_requests_wait_for_their_turn(h: Harness) -> None:
    mid = await h.model(await h.session())
    calls: list[str] = []
    be = h.core.backend
    orig_fb, orig_step = be.forward_backward, be.optim_step

    def fb(*a: Any, **k: Any) -> dict[str, Any]:
        calls.append("fb")
        return orig_fb(*a, **k)

    def step(*a: Any, **k: Any) -> dict[str, float]:
        calls.append("step")
        return orig_step(*a, **k)

    be.forward_backward = fb  # type: ignore[method-assign]
    be.optim_step = step  # type: ignore[method-assign]
    r2 = await h.post("optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 2})  # arrives first
    assert 2 in h.core.lanes[mid].waiting  # parked, not dispatched: seq 1 has not arrived
    assert calls == []
    r1 = await h.post("forward_backward", fb_body(mid, 1, [datum([1])]))
    assert (await h.result(r1.json()["request_id"])).status_code == 200
    assert (await h.result(r2.json()["request_id"])).status_code == 200
    assert calls == ["fb", "step"]


async def test_a_gap_that_never_fills_runs_the_waiting_request_and_refuses_the_lost_one(
    harness_factory: Callable[..., Harness],
) -> None:
    # A client that gave up on seq 1 and 2 (say, the server was unreachable) must not have every later
    # request of the model blocked: after the gap deadline the server runs seq 3 ...
    h = harness_factory(seq_gap_timeout_s=0.1)
    mid = await h.model(await h.session())
    r = await h.post("optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 3})
    assert (await h.result(r.json()["request_id"])).status_code == 200
    # ... and a lost request that turns up late is refused, naming what happened, not applied.
    late = await h.post("optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 2})
    assert late.status_code == 400
    assert "not applied" in late.json()["detail"]
    await h.close()


async def test_a_repeated_seq_id_is_answered_from_the_first_execution(h: Harness) -> None:
    mid = await h.model(await h.session())
    steps: list[int] = []
    orig = h.core.backend.optim_step

    def counted(*a: Any, **k: Any) -> dict[str, float]:
        steps.append(1)
        return orig(*a, **k)

    h.core.backend.optim_step = counted  # type: ignore[method-assign]
    body = {"adam_params": {"learning_rate": 0.5}, "model_id": mid, "seq_id": 1}
    first = (await h.post("optim_step", body)).json()["request_id"]
    again = (await h.post("optim_step", body)).json()["request_id"]
    assert first == again
    await h.result(first)
    assert steps == [1]
    r = await h.post("optim_step", {**body, "adam_params": {"learning_rate": 0.1}})
    assert r.status_code == 400
    assert "seq_id 1 was already used" in r.json()["detail"]


async def test_idempotency_key_replays_the_first_answer(h: Harness) -> None:
    sid = await h.session()
    body = {
        "session_id": sid,
        "model_seq_id": 0,
        "base_model": DEFAULT_NULL_MODEL,
        "user_metadata": None,
        "lora_config": {"rank": 2},
    }
    key = {"X-Idempotency-Key": "stainless-python-retry-1"}
    a = await h.post("create_model", body, headers=key)
    b = await h.post("create_model", body, headers=key)
    assert a.json() == b.json()
    s1 = await h.post(
        "create_session",
        {"tags": [], "user_metadata": {}, "sdk_version": "x"},
        headers={"X-Idempotency-Key": "k2"},
    )
    s2 = await h.post(
        "create_session",
        {"tags": [], "user_metadata": {}, "sdk_version": "x"},
        headers={"X-Idempotency-Key": "k2"},
    )
    assert s1.json()["session_id"] == s2.json()["session_id"]


# -- sessions ----------------------------------------------------------------------------------------
async def test_sessions_expire_without_heartbeats_and_say_so(h: Harness, clock: FakeClock) -> None:
    sid = await h.session()
    mid = await h.model(sid)
    timeout = h.core.config.session_timeout_s
    for _ in range(3):  # heartbeats keep it alive well past the timeout
        clock.advance(timeout * 0.6)
        r = await h.post("session_heartbeat", {"session_id": sid})
        assert (r.status_code, r.json()) == (200, {"type": "session_heartbeat"})
    clock.advance(timeout + 1)
    r = await h.post("session_heartbeat", {"session_id": sid})
    assert r.status_code == 404
    assert f"session {sid} expired" in r.json()["detail"]
    r = await h.post("forward_backward", fb_body(mid, 1, [datum([1])]))
    assert r.status_code == 404
    assert "expired" in r.json()["detail"]
    assert (await h.post("session_heartbeat", {"session_id": sid}, client=h.other)).status_code == 404


async def test_list_and_get_sessions(h: Harness) -> None:
    sid = await h.session()
    mid = await h.model(sid)
    await h.post(
        "create_sampling_session",
        {
            "session_id": sid,
            "sampling_session_seq_id": 0,
            "base_model": DEFAULT_NULL_MODEL,
            "model_path": None,
        },
    )
    assert sid in (await h.client.get("/api/v1/sessions")).json()["sessions"]
    got = (await h.client.get(f"/api/v1/sessions/{sid}")).json()
    assert got == {"training_run_ids": [mid], "sampler_ids": [f"{sid}:sample:0"]}
    assert (await h.other.get(f"/api/v1/sessions/{sid}")).status_code == 404
    assert (await h.other.get("/api/v1/sessions")).json() == {"sessions": []}
    assert mid == f"{sid}:train:0"


# -- models ------------------------------------------------------------------------------------------
async def test_get_info_unload_and_forward_without_backward(h: Harness) -> None:
    mid = await h.model(await h.session(), rank=8)
    info = (await h.post("get_info", {"model_id": mid})).json()
    assert info["model_id"] == mid
    assert info["lora_rank"] == 8
    assert info["model_data"]["model_name"] == DEFAULT_NULL_MODEL
    assert (await h.post("get_info", {"model_id": mid}, client=h.other)).status_code == 404
    fwd = await h.run(
        "forward",
        {
            "forward_input": {"data": [datum([4, 5])], "loss_fn": "cross_entropy", "loss_fn_config": None},
            "model_id": mid,
            "seq_id": 1,
        },
    )
    assert fwd["loss_fn_outputs"][0]["logprobs"]["shape"] == [2]
    assert fwd["loss_fn_outputs"][0]["elementwise_loss"]["dtype"] == "float32"
    out = await h.run("unload_model", {"model_id": mid})
    assert out == {"type": "unload_model", "model_id": mid}
    r = await h.post(
        "forward",
        {"forward_input": {"data": [datum([1])], "loss_fn": "cross_entropy"}, "model_id": mid, "seq_id": 2},
    )
    assert r.status_code == 404
    assert "not loaded" in r.json()["detail"]


@pytest.mark.parametrize("loss_fn", ["importance_sampling", "ppo", "cispo", "dro"])
async def test_rl_losses_return_per_token_outputs(h: Harness, loss_fn: str) -> None:
    mid = await h.model(await h.session())
    n = 3
    d = datum([1, 2, 3])
    d["loss_fn_inputs"]["logprobs"] = {"data": [-1.0] * n, "dtype": "float32", "shape": [n]}
    d["loss_fn_inputs"]["advantages"] = {"data": [1.0, 0.0, -1.0], "dtype": "float32", "shape": [n]}
    out = await h.run("forward_backward", fb_body(mid, 1, [d], loss_fn=loss_fn))
    assert len(out["loss_fn_outputs"][0]["elementwise_loss"]["data"]) == n
    assert set(out["metrics"]) == {"loss:sum"}


# -- checkpoints -------------------------------------------------------------------------------------
async def _trained(h: Harness) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    sid = await h.session()
    mid = await h.model(sid)
    await h.run("forward_backward", fb_body(mid, 1, [datum([1, 2])]))
    await h.run("optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 2})
    state = await h.run("save_weights", {"model_id": mid, "path": "s1", "seq_id": 3})
    sampler = await h.run("save_weights_for_sampler", {"model_id": mid, "path": "w1", "seq_id": 4})
    return sid, mid, state, sampler


async def test_save_list_load_and_delete_checkpoints(h: Harness) -> None:
    sid, mid, state, sampler = await _trained(h)
    assert state == {"type": "save_weights", "path": f"tinker://{mid}/weights/s1"}
    assert sampler["path"] == f"tinker://{mid}/sampler_weights/w1"
    listing = (await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints")).json()
    assert [c["checkpoint_id"] for c in listing["checkpoints"]] == ["weights/s1", "sampler_weights/w1"]
    assert listing["cursor"] is None
    assert all(c["size_bytes"] > 0 and c["public"] is False for c in listing["checkpoints"])
    user = (await h.client.get("/api/v1/checkpoints?limit=1&offset=0")).json()
    assert len(user["checkpoints"]) == 1
    assert user["cursor"] == {"offset": 0, "limit": 1, "total_count": 2}
    dup = await h.post("save_weights", {"model_id": mid, "path": "s1", "seq_id": 5})
    res = (await h.result(dup.json()["request_id"])).json()
    assert res["category"] == "user"
    assert "already exists" in res["error"]
    # load into a new model, with and without optimizer
    mid2 = await h.model(sid, seq=1)
    for seq, opt in ((1, True), (2, False)):
        out = await h.run(
            "load_weights", {"model_id": mid2, "path": state["path"], "optimizer": opt, "seq_id": seq}
        )
        assert out["path"] == state["path"]
    bad = await h.post(
        "load_weights",
        {"model_id": mid2, "path": f"tinker://{mid}/weights/nope", "optimizer": False, "seq_id": 3},
    )
    assert bad.status_code == 400
    assert "not found" in bad.json()["detail"]
    assert (await h.client.delete(f"/api/v1/training_runs/{mid}/checkpoints/weights/s1")).status_code == 204
    assert (await h.client.delete(f"/api/v1/training_runs/{mid}/checkpoints/weights/s1")).status_code == 404
    assert not h.core.checkpoint_dir(mid, "weights/s1").exists()
    assert (await h.client.delete(f"/api/v1/training_runs/{mid}/checkpoints/other/s1")).status_code == 400


async def test_training_runs_rest_views(h: Harness) -> None:
    _sid, mid, _state, _sampler = await _trained(h)
    runs = (await h.client.get("/api/v1/training_runs")).json()
    assert runs["cursor"]["total_count"] == 1
    run = runs["training_runs"][0]
    assert run["training_run_id"] == mid
    assert run["lora_rank"] == 4
    assert run["is_lora"] is True
    assert run["last_checkpoint"]["checkpoint_id"] == "weights/s1"
    assert run["last_sampler_checkpoint"]["checkpoint_id"] == "sampler_weights/w1"
    assert (await h.client.get(f"/api/v1/training_runs/{mid}")).json() == run
    assert (await h.other.get(f"/api/v1/training_runs/{mid}")).status_code == 404
    assert (await h.other.get("/api/v1/training_runs")).json()["training_runs"] == []
    assert (await h.client.get("/api/v1/training_runs?limit=-1")).status_code == 422


async def test_publish_rules_and_reading_other_users_checkpoints(h: Harness) -> None:
    _sid, mid, _state, sampler = await _trained(h)
    base = f"/api/v1/training_runs/{mid}/checkpoints/sampler_weights/w1"
    info_body = {"tinker_path": sampler["path"]}
    assert (await h.post("weights_info", info_body, client=h.other)).status_code == 404  # private
    assert (await h.other.get(f"{base}/archive")).status_code == 404
    assert (await h.other.post(f"{base}/publish")).status_code == 404  # only the owner publishes
    assert (await h.client.post(f"{base}/publish")).status_code == 204
    again = await h.client.post(f"{base}/publish")
    assert again.status_code == 409
    assert again.headers["x-should-retry"] == "false"
    info = (await h.post("weights_info", info_body, client=h.other)).json()
    assert info["base_model"] == DEFAULT_NULL_MODEL
    assert info["lora_rank"] == 4
    assert info["is_lora"] is True
    assert (await h.other.get(f"{base}/archive")).status_code == 302
    assert (await h.other.delete(base)).status_code == 404  # public does not mean deletable by others
    assert (await h.other.delete(f"{base}/publish")).status_code == 404
    assert (await h.client.delete(f"{base}/publish")).status_code == 204
    assert (await h.client.delete(f"{base}/publish")).status_code == 409
    assert (await h.post("weights_info", info_body, client=h.other)).status_code == 404


async def test_archive_redirects_to_a_signed_url_serving_ranges_and_checksum(
    h: Harness, clock: FakeClock
) -> None:
    _sid, mid, _state, _sampler = await _trained(h)
    r = await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints/sampler_weights/w1/archive")
    assert r.status_code == 302
    assert r.headers["Expires"].endswith(" GMT")
    url = urlsplit(r.headers["Location"])
    assert url.path == f"/storage/archive/{mid}/sampler_weights/w1"
    target = f"{url.path}?{url.query}"
    full = await h.client.get(target, headers={"X-API-Key": ""})  # no API key needed, the URL is signed
    assert full.status_code == 200
    assert full.headers["Accept-Ranges"] == "bytes"
    assert int(full.headers["Content-Length"]) == len(full.content)
    assert full.headers["X-Checksum-Sha256"] == hashlib.sha256(full.content).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(full.content), mode="r:*") as tar:
        assert sorted(tar.getnames()) == [
            "adapter_config.json",
            "adapter_model.safetensors",
            "checkpoint_complete",
        ]
    part = await h.client.get(target, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == full.content[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(full.content)}"
    assert part.headers["X-Checksum-Sha256"] == full.headers["X-Checksum-Sha256"]
    assert (await h.client.get(target, headers={"Range": f"bytes={len(full.content)}-"})).status_code == 416
    etag = full.headers["ETag"]
    assert (await h.client.get(target, headers={"Range": "bytes=5-", "If-Range": etag})).status_code == 206
    stale = await h.client.get(target, headers={"Range": "bytes=5-", "If-Range": '"old"'})
    assert stale.status_code == 200  # the file changed since: the whole file, not a mismatched tail
    assert stale.content == full.content
    head = await h.client.head(target)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(full.content))
    tampered = target.replace("w1?", "w2?")
    assert (await h.client.get(tampered)).status_code == 403
    clock.advance(h.core.config.archive_url_ttl_s + 1)
    assert (await h.client.get(target)).status_code == 403


async def test_archive_answers_503_with_retry_after_while_building(
    harness_factory: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import tinkex_server._app as app_mod
    from tinkex_server._archive import build_archive

    h = harness_factory(archive_wait_s=0.05)
    _sid, mid, _state, _sampler = await _trained(h)
    release = threading.Event()

    def slow(source: Any, target: Any) -> Any:
        assert release.wait(10)
        return build_archive(source, target)

    monkeypatch.setattr(app_mod, "build_archive", slow)
    try:
        r = await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints/weights/s1/archive")
        u = urlsplit(r.headers["Location"])
        r = await h.client.get(f"{u.path}?{u.query}")
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        release.set()
        (task,) = h.core.archive_builds.values()
        await asyncio.wait_for(task, 10)
        r = await h.client.get(f"{u.path}?{u.query}")
        assert r.status_code == 200
    finally:
        release.set()
    await h.close()


# -- sampling ----------------------------------------------------------------------------------------
async def test_sampling_from_base_saved_and_ephemeral_weights(h: Harness) -> None:
    sid, mid, _state, sampler = await _trained(h)
    prompt = {"chunks": [{"tokens": [3, 4, 5]}]}
    base = (
        await h.post(
            "create_sampling_session",
            {
                "session_id": sid,
                "sampling_session_seq_id": 0,
                "base_model": DEFAULT_NULL_MODEL,
                "model_path": None,
            },
        )
    ).json()
    saved = (
        await h.post(
            "create_sampling_session",
            {
                "session_id": sid,
                "sampling_session_seq_id": 1,
                "base_model": None,
                "model_path": sampler["path"],
            },
        )
    ).json()
    eph = await h.run(
        "save_weights_for_sampler", {"model_id": mid, "sampling_session_seq_id": 2, "seq_id": 5}
    )
    assert eph["path"] is None
    assert eph["sampling_session_id"] == f"{sid}:sample:2"
    for sampler_id in (base["sampling_session_id"], saved["sampling_session_id"], eph["sampling_session_id"]):
        out = await h.run("asample", {"num_samples": 3, "prompt": prompt, "sampling_params": {"max_tokens": 6, "seed": 11},
                                      "sampling_session_id": sampler_id, "seq_id": 0, "prompt_logprobs": True, "topk_prompt_logprobs": 2})  # fmt: skip
        assert len(out["sequences"]) == 3
        assert all(
            len(s["tokens"]) == len(s["logprobs"]) == 6 and s["stop_reason"] == "length"
            for s in out["sequences"]
        )
        assert out["prompt_logprobs"][0] is None
        assert len(out["prompt_logprobs"]) == 3
        assert out["topk_prompt_logprobs"][0] is None
        assert len(out["topk_prompt_logprobs"][1]) == 2
    got = (await h.client.get(f"/api/v1/samplers/{saved['sampling_session_id']}")).json()
    assert got == {
        "sampler_id": saved["sampling_session_id"],
        "base_model": DEFAULT_NULL_MODEL,
        "model_path": sampler["path"],
    }
    assert (await h.other.get(f"/api/v1/samplers/{saved['sampling_session_id']}")).status_code == 404
    bad = await h.post(
        "create_sampling_session",
        {"session_id": sid, "sampling_session_seq_id": 9, "model_path": f"tinker://{mid}/weights/s1"},
    )
    assert bad.status_code == 400
    assert "sampler_weights" in bad.json()["detail"]


async def test_stop_tokens_end_sequences_with_reason_stop(h: Harness) -> None:
    sid = await h.session()
    s = (
        await h.post(
            "create_sampling_session",
            {"session_id": sid, "sampling_session_seq_id": 0, "base_model": DEFAULT_NULL_MODEL},
        )
    ).json()
    out = await h.run("asample", {"prompt": {"chunks": [{"tokens": [1]}]}, "sampling_params": {"max_tokens": 200, "seed": 1, "stop": list(range(0, 256, 2))},
                                  "sampling_session_id": s["sampling_session_id"], "seq_id": 0})  # fmt: skip
    seq = out["sequences"][0]
    assert seq["stop_reason"] == "stop"
    assert seq["tokens"][-1] % 2 == 0


# -- restart -----------------------------------------------------------------------------------------
async def test_a_restart_on_the_same_data_dir_keeps_everything_saved(
    harness_factory: Callable[..., Harness],
) -> None:
    h1 = harness_factory()
    sid, mid, state, sampler = await _trained(h1)
    await h1.client.post(f"/api/v1/training_runs/{mid}/checkpoints/sampler_weights/w1/publish")
    old_rid = (await h1.post("get_info", {"model_id": mid})).json()["model_id"] and (
        await h1.post("unload_model", {"model_id": mid})
    ).json()["request_id"]
    await h1.close()
    h2 = harness_factory()  # same tmp data dir
    listing = (await h2.client.get(f"/api/v1/training_runs/{mid}/checkpoints")).json()
    assert {c["checkpoint_id"]: c["public"] for c in listing["checkpoints"]} == {
        "weights/s1": False,
        "sampler_weights/w1": True,
    }
    assert sid in (await h2.client.get("/api/v1/sessions")).json()["sessions"]
    assert (
        await h2.post("weights_info", {"tinker_path": sampler["path"]}, client=h2.other)
    ).status_code == 200
    # saved weights are usable: sample from them, and resume training from the state in a new session
    sid2 = await h2.session()
    s = (
        await h2.post(
            "create_sampling_session",
            {"session_id": sid2, "sampling_session_seq_id": 0, "model_path": sampler["path"]},
        )
    ).json()
    out = await h2.run(
        "asample",
        {
            "prompt": {"chunks": [{"tokens": [1]}]},
            "sampling_params": {"max_tokens": 2, "seed": 1},
            "sampling_session_id": s["sampling_session_id"],
            "seq_id": 0,
        },
    )
    assert len(out["sequences"][0]["tokens"]) == 2
    mid2 = await h2.model(sid2)
    await h2.run("load_weights", {"model_id": mid2, "path": state["path"], "optimizer": True, "seq_id": 1})
    # the old model itself is gone from memory, and says so
    r = await h2.post("forward_backward", fb_body(mid, 1, [datum([1])]))
    assert r.status_code == 404
    # a future issued before the restart is gone: 410 (sampling clients re-submit), not 404
    assert (await h2.post("retrieve_future", {"request_id": old_rid})).status_code == 410
    # signed URLs stay valid across the restart (the secret is persisted)
    assert h2.core.secret == h1.core.secret
    await h2.close()


# -- faults ------------------------------------------------------------------------------------------
async def test_injected_5xx_and_429_with_retry_after(harness_factory: Callable[..., Harness]) -> None:
    h = harness_factory(faults=parse_faults("5xx=1,seed=1"))
    r = await h.client.get("/api/v1/get_server_capabilities")
    assert r.status_code == 503
    assert (await h.client.get("/api/v1/healthz")).status_code == 200  # readiness is never faulted
    await h.close()
    h = harness_factory(faults=parse_faults("429=1@2s"))
    r = await h.client.get("/api/v1/get_server_capabilities")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "2"
    await h.close()


async def test_injected_expire_answers_410(harness_factory: Callable[..., Harness]) -> None:
    h = harness_factory(faults=parse_faults("expire=1"))
    sid = await h.session()
    r = await h.post(
        "create_model",
        {"session_id": sid, "model_seq_id": 0, "base_model": DEFAULT_NULL_MODEL, "lora_config": {"rank": 2}},
    )
    assert (await h.post("retrieve_future", {"request_id": r.json()["request_id"]})).status_code == 410
    await h.close()


async def test_injected_delay_holds_the_request(harness_factory: Callable[..., Harness]) -> None:
    h = harness_factory(faults=parse_faults("delay=1@150ms"))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert (await h.client.get("/api/v1/get_server_capabilities")).status_code == 200
    assert loop.time() - t0 >= 0.14
    await h.close()


async def test_other_user_key_is_a_different_owner(h: Harness) -> None:
    assert h.core.users[OTHER_KEY] != h.core.users[h.client.headers["X-API-Key"]]
    assert OTHER_KEY not in repr(h.core.config)


async def test_validation_of_big_batches_still_names_the_original_position(h: Harness) -> None:
    data = [datum(list(range(50))) for _ in range(10)]
    data[7]["loss_fn_inputs"]["target_tokens"]["dtype"] = "int32"
    r = await h.post("forward_backward", fb_body("m", 1, data))
    assert r.status_code == 422
    assert (
        r.json()["detail"][0]["pointer"]
        == "/forward_backward_input/data/7/loss_fn_inputs/target_tokens/dtype"
    )
    data = [datum(list(range(50))) for _ in range(10)]
    data[3]["model_input"]["chunks"][0]["tokens"][20] = "twenty"
    r = await h.post("forward_backward", fb_body("m", 1, data))
    assert r.status_code == 422
    assert r.json()["detail"][0]["pointer"].startswith("/forward_backward_input/data/3/model_input/chunks/0")
    data = [datum(list(range(50))) for _ in range(10)]
    data[9]["model_input"]["chunks"][0]["tokens"][20] = 2.5  # a float where token ids must be integers
    r = await h.post("forward_backward", fb_body("m", 1, data))
    assert r.status_code == 422
    assert "/forward_backward_input/data/9/" in r.json()["detail"][0]["pointer"]


# -- fields of later SDKs and checkpoint TTLs --------------------------------------------------------
async def test_later_sdk_fields_are_accepted_ttl_expires_and_overwrite_replaces(
    h: Harness, clock: FakeClock
) -> None:
    sid = (
        await h.post(
            "create_session", {"tags": [], "user_metadata": {}, "sdk_version": "0.21.0", "project_id": "p"}
        )
    ).json()["session_id"]
    mid = await h.model(sid)
    body = {
        "type": "save_weights",
        "model_id": mid,
        "path": "t",
        "seq_id": 1,
        "ttl_seconds": 60,
        "overwrite": False,
    }
    saved = await h.run("save_weights", body)
    listed = (await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints")).json()["checkpoints"]
    assert listed[0]["expires_at"] is not None
    again = await h.post("save_weights", {**body, "seq_id": 2})
    assert (await h.result(again.json()["request_id"])).json()["category"] == "user"  # exists, no overwrite
    await h.run("save_weights", {**body, "seq_id": 3, "overwrite": True, "ttl_seconds": None})
    listed = (await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints")).json()["checkpoints"]
    assert [c["expires_at"] for c in listed] == [None]  # replaced, and the new one never expires
    ttl_url = f"/api/v1/training_runs/{mid}/checkpoints/weights/t/ttl"
    assert (await h.client.put(ttl_url, json={"ttl_seconds": 0})).status_code == 422  # spec: minimum 1
    assert (await h.other.put(ttl_url, json={"ttl_seconds": 10})).status_code == 404
    assert (await h.client.put(ttl_url, json={"ttl_seconds": 10})).status_code == 204
    clock.advance(11)
    assert (await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints")).json()["checkpoints"] == []
    assert not h.core.checkpoint_dir(mid, "weights/t").exists()
    assert (await h.post("weights_info", {"tinker_path": saved["path"]})).status_code == 404
    bad = await h.post("save_weights", {**body, "seq_id": 4, "ttl_seconds": -5})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["pointer"] == "/ttl_seconds"
    r = await h.post("retrieve_future", {"request_id": "req-x", "allow_metadata_only": True})
    assert r.status_code == 404  # accepted (not 422), then simply unknown


async def test_an_overwritten_checkpoint_serves_a_fresh_archive(h: Harness) -> None:
    sid = await h.session()
    mid = await h.model(sid)
    body = {"model_id": mid, "path": "o", "seq_id": 1}
    await h.run("save_weights", body)
    url = f"/api/v1/training_runs/{mid}/checkpoints/weights/o/archive"
    u = urlsplit((await h.client.get(url)).headers["Location"])
    first = await h.client.get(f"{u.path}?{u.query}")
    await h.run(
        "optim_step", {"adam_params": {}, "model_id": mid, "seq_id": 2}
    )  # the null state records steps
    await h.run("save_weights", {**body, "seq_id": 3, "overwrite": True})
    second = await h.client.get(f"{u.path}?{u.query}")
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Checksum-Sha256"] != second.headers["X-Checksum-Sha256"]


async def test_other_users_train_and_sample_from_public_checkpoints_only(h: Harness) -> None:
    _sid, mid, state, sampler = await _trained(h)
    other_sid = await h.session(client=h.other)
    other_mid = await h.model(other_sid, client=h.other)
    load = {"model_id": other_mid, "path": state["path"], "optimizer": False, "seq_id": 1}
    r = await h.post("load_weights", load, client=h.other)
    assert r.status_code == 400  # private: reported as not found, like a missing path
    assert "not found" in r.json()["detail"]
    ss = {"session_id": other_sid, "sampling_session_seq_id": 0, "model_path": sampler["path"]}
    assert (await h.post("create_sampling_session", ss, client=h.other)).status_code == 400
    for kind, name in (("weights", "s1"), ("sampler_weights", "w1")):
        assert (
            await h.client.post(f"/api/v1/training_runs/{mid}/checkpoints/{kind}/{name}/publish")
        ).status_code == 204
    await h.run("load_weights", load, client=h.other)
    sampler_id = (await h.post("create_sampling_session", ss, client=h.other)).json()["sampling_session_id"]
    body = {
        "prompt": {"chunks": [{"tokens": [1]}]},
        "sampling_params": {"max_tokens": 2},
        "sampling_session_id": sampler_id,
        "seq_id": 0,
    }
    out = await h.run("asample", body, client=h.other)
    assert len(out["sequences"][0]["tokens"]) == 2
    # the owner's view is unchanged; the other user still cannot list the owner's run
    assert (await h.other.get(f"/api/v1/training_runs/{mid}/checkpoints")).status_code == 404


# -- the compute worker ------------------------------------------------------------------------------
@pytest.mark.parametrize("inline", [True, False])
async def test_compute_worker_settles_jobs_in_order_inline_or_on_its_thread(inline: bool) -> None:
    from tinkex_server._futures import ComputeWorker, FutureStore
    from tinkex_server.backends.base import UserInputError

    store = FutureStore(clock=lambda: 0.0)
    worker = ComputeWorker(inline=inline)
    ran: list[int] = []

    def ok(i: int) -> dict[str, Any]:
        ran.append(i)
        return {"i": i}

    def user_error() -> dict[str, Any]:
        raise UserInputError("bad prompt")

    def crash() -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    def bad_bookkeeping(_result: dict[str, Any]) -> None:
        raise KeyError("run")

    entries = [store.create("u", None) for _ in range(5)]
    worker.dispatch(store, entries[0], lambda: ok(0))
    worker.dispatch(store, entries[1], user_error)
    worker.dispatch(store, entries[2], crash)
    worker.dispatch(store, entries[3], lambda: ok(3), bad_bookkeeping)
    worker.dispatch(store, entries[4], lambda: ok(4))
    assert not any(e.done for e in entries)  # dispatch never runs a job before the caller answers
    await asyncio.wait_for(asyncio.gather(*(e.event.wait() for e in entries)), 10)
    assert ran == [0, 3, 4]
    assert [e.body() for e in entries] == [
        {"i": 0},
        {"error": "bad prompt", "category": "user"},
        {"error": "internal server error: RuntimeError: disk on fire", "category": "server"},
        {"error": "server bookkeeping failed: KeyError", "category": "server"},
        {"i": 4},
    ]
    worker.shutdown()


def test_the_null_backend_runs_inline_and_others_on_the_compute_thread(tmp_path: Path) -> None:
    from tinkex_server._core import ServerConfig, ServerCore
    from tinkex_server.backends.null import NullBackend

    class Slow(NullBackend):
        runs_inline = False

    for backend, inline in ((NullBackend(), True), (Slow(), False)):
        core = ServerCore(ServerConfig(data_dir=tmp_path / str(inline), api_keys=("tml-k",)), backend)
        assert core.worker.inline is inline
        core.close()


def test_remembered_answers_leave_oldest_first_when_expired_or_over_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tinkex_server._core as core_mod
    from tinkex_server._core import IDEMPOTENCY_TTL_S, ServerConfig, ServerCore
    from tinkex_server.backends.null import NullBackend

    clock = FakeClock()
    core = ServerCore(ServerConfig(data_dir=tmp_path, api_keys=("tml-k",)), NullBackend(), clock=clock)
    monkeypatch.setattr(core_mod, "IDEMPOTENCY_MAX_ANSWERS", 3)
    for i in range(3):
        core.remember("u", f"k{i}", "d", 200, b"%d" % i, {})
        clock.advance(1)
    assert core.replay("u", "k0", "d") == (200, b"0", {})
    core.remember("u", "k3", "d", 200, b"3", {})  # a fourth answer: the oldest leaves
    assert core.replay("u", "k0", "d") is None
    assert core.replay("u", "k1", "d") == (200, b"1", {})
    clock.advance(IDEMPOTENCY_TTL_S - 1.5)  # k1 (and only k1) is now past the TTL
    core.remember("u", "k4", "d", 200, b"4", {})
    assert list(core.idempotent) == [("u", "k2"), ("u", "k3"), ("u", "k4")]
    clock.advance(IDEMPOTENCY_TTL_S + 1)
    core.remember("u", "k5", "d", 200, b"5", {})
    assert list(core.idempotent) == [("u", "k5")]
    core.close()
