"""Hostile input against the server (issue 12): every case is refused at once with a 4xx naming the
field or the limit, and the server keeps serving. In-process over the null backend (see
server_helpers.Harness); the denial-of-service cases against a real `tinkex serve` process are in
test_dos.py."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from server_helpers import Harness, datum, fb_body

from tinkex_server._futures import DEFAULT_SEQ_WINDOW, ComputeWorker, FutureStore, Lane, SteppedJob
from tinkex_server.backends.base import SamplingSpec
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
    assert late.kind == "behind"
    assert "not applied" in (late.message or "")


# -- item 3: idempotency keys are bound to the operation and the body ----------------------------------
async def test_an_idempotency_key_replays_only_the_same_request(h: Harness) -> None:
    key = {"X-Idempotency-Key": "k-shared"}
    s1 = await h.post("create_session", {"tags": [], "user_metadata": {}, "sdk_version": "x"}, headers=key)
    assert s1.status_code == 200
    sid = s1.json()["session_id"]
    mid = await h.model(sid)
    # The same key on another operation: refused, never answered with the session body.
    r = await h.post("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {}}, headers=key)
    assert r.status_code == 409, r.text
    assert r.json()["detail"][0]["loc"] == ["header", "X-Idempotency-Key"]
    assert r.headers["x-should-retry"] == "false"
    # Same operation, different body: refused, and the second step is not silently dropped.
    k2 = {"X-Idempotency-Key": "k-step"}
    a = await h.post("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {}}, headers=k2)
    assert a.status_code == 200
    b = await h.post("optim_step", {"model_id": mid, "seq_id": 2, "adam_params": {}}, headers=k2)
    assert b.status_code == 409
    # The very same request replays the first answer (a transport retry).
    c = await h.post("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {}}, headers=k2)
    assert c.status_code == 200
    assert c.json() == a.json()
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
    body = {
        "session_id": sid,
        "model_seq_id": 0,
        "base_model": DEFAULT_NULL_MODEL,
        "lora_config": {"rank": 2},
    }
    key = {"X-Idempotency-Key": "k-model"}
    a = await h.post("create_model", body, headers=key)
    b = await h.post("create_model", body, headers=key)
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()


# -- item 6: limit / offset beyond 64 bits ---------------------------------------------------------------
async def test_huge_limit_or_offset_on_list_endpoints_is_a_422_not_a_500(h: Harness) -> None:
    for path in ("training_runs", "checkpoints", "sessions"):
        for name in ("limit", "offset"):
            for value in (str(2**63), "9" * 5000, "-1"):
                r = await h.client.get(f"/api/v1/{path}", params={name: value})
                assert r.status_code == 422, (path, name, value, r.text)
                assert r.json()["detail"][0]["loc"] == ["query", name]
        r = await h.client.get(f"/api/v1/{path}", params={"limit": str(2**63 - 1), "offset": str(2**63 - 1)})
        assert r.status_code == 200, r.text


# -- item 7: checkpoint names and LoRA ranks -------------------------------------------------------------
async def test_an_overlong_checkpoint_name_is_refused_naming_the_field(h: Harness) -> None:
    mid = await h.model(await h.session())
    r = await h.post("save_weights", {"model_id": mid, "path": "é" * 128, "seq_id": 1})  # 256 bytes
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("path:")
    assert "255 bytes" in r.json()["detail"]
    r = await h.post("save_weights", {"model_id": mid, "path": "n" * 300, "seq_id": 1})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "path"]
    r = await h.post("save_weights_for_sampler", {"model_id": mid, "path": "é" * 200, "seq_id": 1})
    assert r.status_code == 400
    assert "255 bytes" in r.json()["detail"]
    # The longest allowed name saves (the temporary directory is not named after it).
    out = await h.run("save_weights", {"model_id": mid, "path": "n" * 255, "seq_id": 1})
    assert out["path"].endswith("n" * 255)


async def test_an_absurd_lora_rank_is_refused_before_anything_is_created(h: Harness) -> None:
    sid = await h.session()
    for lora, field in (({"rank": 2**40}, "rank"), ({"rank": 1025}, "rank")):
        body = {"session_id": sid, "model_seq_id": 0, "base_model": DEFAULT_NULL_MODEL, "lora_config": lora}
        r = await h.post("create_model", body)
        assert r.status_code == 400, r.text
        assert r.json()["detail"].startswith(f"lora_config: {field} must be")
    assert (await h.client.get("/api/v1/training_runs")).json()["training_runs"] == []
    # A seed beyond 64 bits is a valid JSON integer: kept whole, not a 500 from the database.
    body = {"session_id": sid, "model_seq_id": 1, "base_model": DEFAULT_NULL_MODEL,
            "lora_config": {"rank": 2, "seed": 2**64 - 1}}  # fmt: skip
    assert (await h.post("create_model", body)).status_code == 200
    (run,) = (await h.client.get("/api/v1/training_runs")).json()["training_runs"]
    stored = h.core.store.get_run(run["training_run_id"])
    assert stored is not None
    assert stored.seed == 2**64 - 1


async def test_failure_messages_never_show_the_servers_filesystem_paths(h: Harness) -> None:
    mid = await h.model(await h.session())
    where = h.core.checkpoint_dir(mid, "weights/x")

    def boom(*_a: Any, **_k: Any) -> None:
        raise OSError(36, "File name too long", str(where))

    h.core.backend.save_state = boom  # type: ignore[method-assign]
    r = await h.post("save_weights", {"model_id": mid, "path": "x", "seq_id": 1})
    res = (await h.result(r.json()["request_id"])).json()
    assert res["category"] == "server"
    assert str(h.data_dir) not in res["error"]
    assert "<path>" in res["error"]
    assert "File name too long" in res["error"]


def test_scrub_paths_keeps_tinker_paths_and_urls() -> None:
    from tinkex_server._futures import scrub_paths

    assert scrub_paths("[Errno 36] File name too long: '/srv/d/checkpoints/x'") == (
        "[Errno 36] File name too long: '<path>'"
    )
    kept = "checkpoint tinker://run-1/weights/a was deleted; see http://127.0.0.1:8000/api/v1/x"
    assert scrub_paths(kept) == kept


# -- item 2: sampling is bounded and fair ---------------------------------------------------------------
async def _sampler(h: Harness, client: Any = None) -> str:
    sid = await h.session(client=client)
    r = await h.post(
        "create_sampling_session",
        {"session_id": sid, "sampling_session_seq_id": 0, "base_model": DEFAULT_NULL_MODEL},
        client=client,
    )
    assert r.status_code == 200, r.text
    sampler: str = r.json()["sampling_session_id"]
    return sampler


def _sample_body(
    sampler: str, num_samples: int, max_tokens: int | None, seed: int | None = 3
) -> dict[str, Any]:
    return {
        "sampling_session_id": sampler,
        "seq_id": 0,
        "num_samples": num_samples,
        "prompt": {"chunks": [{"tokens": [1, 2, 3]}]},
        "sampling_params": {"max_tokens": max_tokens, "seed": seed},
    }


async def test_oversized_sampling_requests_are_refused_at_once_naming_the_ceiling(h: Harness) -> None:
    sampler = await _sampler(h)
    cases = [
        (_sample_body(sampler, 2**31, 4), ["body", "num_samples"], "--max-num-samples"),
        (_sample_body(sampler, 1, 10**9), ["body", "sampling_params", "max_tokens"], "--max-tokens"),
        (_sample_body(sampler, 128, 8192), ["body", "num_samples"], "--max-sampled-tokens"),
    ]
    for body, loc, flag in cases:
        r = await h.post("asample", body)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == loc
        assert flag in r.json()["detail"][0]["msg"]
    assert not h.core.futures._entries  # nothing was queued


async def test_sampling_ceilings_are_configurable(harness_factory: Any) -> None:
    h = harness_factory(max_num_samples=2, max_tokens=5, max_sampled_tokens=8)
    sampler = await _sampler(h)
    assert (await h.post("asample", _sample_body(sampler, 3, 1))).status_code == 422
    assert (await h.post("asample", _sample_body(sampler, 1, 6))).status_code == 422
    assert (await h.post("asample", _sample_body(sampler, 2, 5))).status_code == 422  # 10 > 8 tokens
    await h.run("asample", _sample_body(sampler, 2, 4))


async def test_a_big_sample_runs_in_parts_that_equal_one_call(h: Harness) -> None:
    sampler = await _sampler(h)
    body = _sample_body(sampler, 5, 2048)  # 2 samples per 4096-token part: 3 parts
    body["prompt_logprobs"] = True
    out = await h.run("asample", body)
    whole = h.core.backend.sample(
        sampler,
        [1, 2, 3],
        5,
        SamplingSpec(max_tokens=2048, seed=3),
        True,
        0,
    )
    assert [s["tokens"] for s in out["sequences"]] == [s["tokens"] for s in whole["sequences"]]
    assert out["prompt_logprobs"] == whole["prompt_logprobs"]


async def test_invalid_sampling_knobs_are_refused_at_once_by_either_backend(h: Harness) -> None:
    sampler = await _sampler(h)
    for params, field in (
        ({"top_p": 5}, "top_p"),
        ({"top_k": 0}, "top_k"),
        ({"max_tokens": 0}, "max_tokens"),
    ):
        body = _sample_body(sampler, 1, 4)
        body["sampling_params"] = {**body["sampling_params"], **params}
        r = await h.post("asample", body)
        assert r.status_code == 400, r.text
        assert f"sampling_params.{field}" in r.json()["detail"]
    # Token ids past the null model's vocabulary fail the future like the torch backend's do.
    body = _sample_body(sampler, 1, 4)
    body["prompt"] = {"chunks": [{"tokens": [1, 70000]}]}
    r = await h.post("asample", body)
    res = (await h.result(r.json()["request_id"])).json()
    assert res["category"] == "user"
    assert "outside the vocabulary" in res["error"]


async def test_an_invalid_adam_step_is_refused_at_once_and_takes_no_seq_id(h: Harness) -> None:
    mid = await h.model(await h.session())
    r = await h.post("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {"beta1": 1.5}})
    assert r.status_code == 400
    assert "adam_params.beta1 must be in [0, 1)" in r.json()["detail"]
    out = await h.run("optim_step", {"model_id": mid, "seq_id": 1, "adam_params": {}})
    assert out["metrics"]["step:max"] == 1.0


@pytest.mark.parametrize("inline", [True, False])
async def test_the_compute_worker_takes_turns_between_users(inline: bool) -> None:
    store = FutureStore(clock=lambda: 0.0)
    worker = ComputeWorker(inline=inline)
    order: list[str] = []

    def part(name: str) -> Any:
        return lambda: order.append(name)

    started = threading.Event()

    def first() -> None:
        assert started.wait(10)  # on the thread: bob's job is queued before alice's first part ends
        order.append("a0")

    big = store.create("alice", None)
    small = store.create("bob", None)
    parts = [first, *(part(f"a{i}") for i in range(1, 5))]
    worker.dispatch(store, big, SteppedJob(parts=parts, finish=lambda _o: {"a": 1}))

    def bob() -> dict[str, Any]:
        order.append("b")
        return {"b": 1}

    worker.dispatch(store, small, bob)
    started.set()
    await asyncio.wait_for(asyncio.gather(big.event.wait(), small.event.wait()), 10)
    assert order == ["a0", "b", "a1", "a2", "a3", "a4"]
    assert big.body() == {"a": 1}
    worker.shutdown()


async def test_a_future_waiting_behind_another_users_work_says_so(harness_factory: Any) -> None:
    h = harness_factory(long_poll_s=0.1)
    gate = threading.Event()
    original = h.core.backend.sample

    def gated(*args: Any, **kw: Any) -> Any:
        assert gate.wait(20)
        return original(*args, **kw)

    h.core.backend.sample = gated
    h.core.worker.inline = False  # a blocking job must run on the compute thread, not the loop
    sampler = await _sampler(h)
    hog = (await h.post("asample", _sample_body(sampler, 1, 4))).json()["request_id"]
    other_sid = await h.session(client=h.other)
    r = await h.post(
        "create_model",
        {
            "session_id": other_sid,
            "model_seq_id": 0,
            "base_model": DEFAULT_NULL_MODEL,
            "lora_config": {"rank": 2},
        },
        client=h.other,
    )
    waiting = r.json()["request_id"]
    poll = await h.post("retrieve_future", {"request_id": waiting}, client=h.other)
    assert poll.status_code == 408
    assert poll.json()["queue_state"] == "paused_capacity"
    assert "other users" in poll.json()["queue_state_reason"]
    own = await h.post("retrieve_future", {"request_id": hog})
    assert own.json()["queue_state"] == "active"  # running: not paused
    gate.set()
    assert (await h.result(waiting, client=h.other)).status_code == 200
    assert (await h.result(hog)).status_code == 200


# -- item 8: request bodies are bounded in size and time -------------------------------------------------
async def test_a_body_over_the_cap_is_refused_with_413_from_its_content_length(harness_factory: Any) -> None:
    h = harness_factory(max_body_bytes=1000)
    body = {"tags": ["x" * 2000], "user_metadata": {}, "sdk_version": "x"}
    r = await h.post("create_session", body)
    assert r.status_code == 413
    assert "request body limit of 1000 bytes" in r.json()["detail"]
    assert "--max-body-bytes" in r.json()["detail"]
    assert (
        await h.post("create_session", {"tags": [], "user_metadata": {}, "sdk_version": "x"})
    ).status_code == 200


async def test_a_chunked_body_is_cut_off_at_the_cap_and_a_stalled_one_times_out() -> None:
    from tinkex_server._limits import BodyLimit

    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    pieces = 0

    async def endless() -> dict[str, Any]:  # a chunked body that never ends
        nonlocal pieces
        pieces += 1
        return {"type": "http.request", "body": b"x" * 100, "more_body": True}

    scope = {"type": "http", "headers": [(b"transfer-encoding", b"chunked")]}
    await BodyLimit(app, max_body_bytes=1000, body_timeout_s=5)(scope, endless, send)
    assert sent[0]["status"] == 413
    assert pieces == 11  # read up to the cap, not one piece more
    assert not reached

    async def stalled() -> dict[str, Any]:
        await asyncio.sleep(3600)
        raise AssertionError

    sent.clear()
    await BodyLimit(app, max_body_bytes=1000, body_timeout_s=0.05)(scope, stalled, send)
    assert sent[0]["status"] == 408
    assert not reached


# -- item 11: smaller holes ------------------------------------------------------------------------------
async def test_a_wrong_method_on_publish_lists_every_allowed_method(h: Harness) -> None:
    r = await h.client.put("/api/v1/training_runs/r/checkpoints/weights/x/publish")
    assert r.status_code == 405
    assert sorted(m.strip() for m in r.headers["allow"].split(",")) == ["DELETE", "POST"]


@pytest.mark.parametrize(
    "stamp", ["yesterday", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-01-01 00:00"]
)
async def test_telemetry_refuses_an_invalid_date_time(h: Harness, stamp: str) -> None:
    event = {"event": "SESSION_START", "event_id": "e", "event_session_index": 0, "severity": "INFO",
             "timestamp": stamp}  # fmt: skip
    body = {"events": [event], "platform": "linux", "sdk_version": "0.7.0", "session_id": "s"}
    r = await h.post("telemetry", body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][:3] == ["body", "events", 0]
    event["timestamp"] = "2025-01-01T00:00:00.5+01:00"
    assert (await h.post("telemetry", body)).status_code == 200
