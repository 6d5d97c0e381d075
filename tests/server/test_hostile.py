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


async def test_an_absurd_lora_rank_or_seed_is_refused_before_anything_is_created(h: Harness) -> None:
    sid = await h.session()
    for lora, field in (({"rank": 2**40}, "rank"), ({"rank": 4, "seed": 2**64}, "seed")):
        body = {"session_id": sid, "model_seq_id": 0, "base_model": DEFAULT_NULL_MODEL, "lora_config": lora}
        r = await h.post("create_model", body)
        assert r.status_code == 400, r.text
        assert r.json()["detail"].startswith(f"lora_config: {field} must be")
    assert (await h.client.get("/api/v1/training_runs")).json()["training_runs"] == []


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
