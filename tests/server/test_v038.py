"""What tinker 0.38 adds, on the server: protobuf (+ zstd) forward_backward with clear errors for bad
bodies, protobuf and metadata-only results, sequence ids, create-via-load, optimizers, TTLs, save
metadata, session finish, external weights, and the new losses' math."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import zstandard
from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb
from server_helpers import Harness, datum

from tinkex_server import _proto, _v038
from tinkex_server._core import HTTPError
from tinkex_server.backends._losses import LossInputs, elementwise_loss

pytestmark = pytest.mark.timeout(60)
PROTO = {"Content-Type": "application/x-protobuf"}


def fb_proto(model_id: str, seq_id: int, rows: list[list[int]], *, forward_only: bool = False,
             loss_fn: str = "cross_entropy") -> bytes:  # fmt: skip
    msg = pb.ForwardBackwardRequest(
        model_id=model_id, seq_id=seq_id, loss_fn=loss_fn, forward_only=forward_only
    )
    for tokens in rows:
        d = msg.data.add()
        d.model_input.add().encoded_text.tokens = np.asarray(tokens, dtype="<i4").tobytes()
        t = d.loss_fn_inputs["target_tokens"]
        t.dtype, t.dense = pb.DTYPE_INT64, np.asarray([x + 1 for x in tokens], dtype="<i8").tobytes()
        t.shape.append(len(tokens))
    return msg.SerializeToString()


async def poll(h: Harness, rid: str, **headers: str) -> Any:
    for _ in range(50):
        r = await h.client.post("/api/v1/retrieve_future", json={"request_id": rid}, headers=headers)
        if r.status_code != 408:
            return r
    raise AssertionError("never finished")


async def test_client_config_and_dynamic_config_answer_for_0_38_clients(h: Harness) -> None:
    r = await h.post("client/config", {"sdk_version": "0.38.0"})
    assert r.status_code == 200
    assert r.json()["proto_compress_fwdbwd"] is False  # off unless the server is started with it
    assert r.json()["sample_use_retrieve_futures"] is False
    assert (await h.post("client/dynamic_config", {"sdk_version": "0.38.0"})).json()[
        "refresh_interval_sec"
    ] == 300


async def test_protobuf_forward_backward_returns_protobuf_or_json_as_asked(h: Harness) -> None:
    mid = await h.model(await h.session())
    body = fb_proto(mid, 1, [[1, 2, 3], [4, 5]])
    r = await h.client.post("/api/v1/forward_backward", content=body, headers=PROTO)
    assert r.status_code == 200, r.text
    rid = r.json()["request_id"]
    got = await poll(h, rid, Accept="application/x-protobuf")
    assert got.headers["content-type"] == "application/x-protobuf"
    out = pb.ForwardBackwardOutput.FromString(got.content)
    record = out.loss_fn_outputs[0]
    assert record.num_datums == 2
    offsets = np.frombuffer(record.fields["logprobs"].offsets, dtype="<i8")
    assert offsets.tolist() == [0, 12, 20]  # float32 bytes per datum
    as_json = (await poll(h, rid)).json()  # the same result as JSON for a JSON poll
    assert [o["logprobs"]["shape"] for o in as_json["loss_fn_outputs"]] == [[3], [2]]
    assert as_json["metrics"]["loss:sum"] == pytest.approx(out.metrics["loss:sum"])


async def test_zstd_body_is_decompressed_and_a_bomb_is_refused_with_413(h: Harness) -> None:
    mid = await h.model(await h.session())
    zipped = zstandard.ZstdCompressor().compress(fb_proto(mid, 1, [[1, 2]]))
    r = await h.client.post(
        "/api/v1/forward_backward", content=zipped, headers={**PROTO, "Content-Encoding": "zstd"}
    )
    assert r.status_code == 200, r.text
    bomb = zstandard.ZstdCompressor().compress(b"\0" * (_proto.MAX_DECOMPRESSED_BYTES + 1))
    r = await h.client.post(
        "/api/v1/forward_backward", content=bomb, headers={**PROTO, "Content-Encoding": "zstd"}
    )
    assert r.status_code == 413
    # a frame that hides its size is stopped while streaming, at the cap
    streamed = zstandard.ZstdCompressor().compressobj()
    hidden = streamed.compress(b"\0" * (_proto.MAX_DECOMPRESSED_BYTES + 1)) + streamed.flush()
    with pytest.raises(HTTPError) as e:
        _proto.decompress_zstd(hidden)
    assert e.value.status == 413


async def test_bad_bodies_are_refused_naming_the_problem_and_change_nothing(h: Harness) -> None:
    mid = await h.model(await h.session())
    good = fb_proto(mid, 1, [[1, 2, 3]])
    r = await h.client.post("/api/v1/forward_backward", content=good[:-3], headers=PROTO)
    assert r.status_code == 400, r.text
    assert "loss_fn at byte" in r.json()["detail"], r.text  # names the field cut short
    odd = pb.ForwardBackwardRequest.FromString(good)
    odd.data[0].loss_fn_inputs["target_tokens"].dense = b"\1\2\3"
    r = await h.client.post("/api/v1/forward_backward", content=odd.SerializeToString(), headers=PROTO)
    assert r.status_code == 422
    assert r.json()["detail"][0]["pointer"] == "/data/0/loss_fn_inputs/target_tokens/dense"
    r = await h.client.post("/api/v1/forward_backward", content=good, headers={"Content-Type": "text/csv"})
    assert r.status_code == 415
    r = await h.client.post("/api/v1/optim_step", content=good, headers=PROTO)
    assert r.status_code == 415
    # nothing ran: seq_id 1 is still free for the real request
    r = await h.client.post("/api/v1/forward_backward", content=good, headers=PROTO)
    assert (await poll(h, r.json()["request_id"])).json()["loss_fn_outputs"]


async def test_forward_only_accumulates_no_gradient_on_the_null_model(h: Harness) -> None:
    mid = await h.model(await h.session())
    r = await h.client.post(
        "/api/v1/forward_backward", content=fb_proto(mid, 1, [[1, 2]], forward_only=True), headers=PROTO
    )
    await poll(h, r.json()["request_id"])
    assert h.core.backend._models[mid]["pending"] == 0  # type: ignore[attr-defined]


async def test_every_sample_future_carries_one_sequence_id_per_sample_and_protobuf_results(
    h: Harness,
) -> None:
    sid = await h.session()
    ss = await h.post("create_sampling_session", {"session_id": sid, "sampling_session_seq_id": 0,
                                                  "base_model": "tinkex/null"})  # fmt: skip
    body = {"prompt": {"chunks": [{"tokens": [1, 2, 3]}]}, "num_samples": 3, "prompt_logprobs": True,
            "sampling_params": {"max_tokens": 4, "seed": 1}, "sampling_session_id": ss.json()["sampling_session_id"],
            "topk_sample_logprobs": 2, "prompt_logprobs_last_n": 1}  # fmt: skip
    r = await h.post("asample", body)
    ids = r.json()["sample_sequence_ids"]
    assert len(ids) == 3
    assert len(set(ids)) == 3
    got = await poll(h, r.json()["request_id"], Accept="application/x-protobuf")
    msg = pb.SampleResponse.FromString(got.content)
    assert len(msg.sequences) == 3
    assert msg.prompt_cache_hit_tokens == 0
    lps = np.frombuffer(msg.prompt_logprobs, dtype="<f4")
    assert math.isnan(lps[0])
    assert math.isnan(lps[1])
    assert not math.isnan(lps[2])  # last_n = 1
    assert msg.sequences[0].topk_sampled_logprobs.k == 2
    bad = await h.post("asample", {**body, "prompt_logprobs": False})
    assert "prompt_logprobs_last_n requires" in (await poll(h, bad.json()["request_id"])).json()["error"]


async def test_large_results_are_announced_first_to_polls_that_allow_it(h: Harness) -> None:
    mid = await h.model(await h.session())
    r = await h.client.post("/api/v1/forward_backward", content=fb_proto(mid, 1, [list(range(200))] * 800),
                            headers=PROTO)  # fmt: skip
    rid = r.json()["request_id"]
    meta = await h.client.post("/api/v1/retrieve_future", json={"request_id": rid, "allow_metadata_only": True},
                               headers={"Accept": "application/x-protobuf"})  # fmt: skip
    for _ in range(50):
        if meta.status_code != 408:
            break
        meta = await h.client.post("/api/v1/retrieve_future", json={"request_id": rid, "allow_metadata_only": True},
                                   headers={"Accept": "application/x-protobuf"})  # fmt: skip
    assert meta.json()["status"] == "complete_metadata"
    full = await poll(h, rid, Accept="application/x-protobuf")
    assert meta.json()["response_payload_size"] == len(full.content) >= _v038.METADATA_ONLY_MIN_BYTES


async def test_create_via_load_builds_the_model_from_a_readable_checkpoint_only(h: Harness) -> None:
    sid = await h.session()
    mid = await h.model(sid)
    await h.run("optim_step", {"optim_params": {"learning_rate": 0.1}, "model_id": mid, "seq_id": 1})
    state = await h.run("save_weights", {"model_id": mid, "path": "s1", "seq_id": 2, "ttl_seconds": 100,
                                         "user_metadata": {"k": "v"}})  # fmt: skip
    load = {"path": state["path"], "optimizer": True, "session_id": sid, "model_seq_id": 7}
    out = await h.run("load_weights", load)
    assert out["model_id"] == f"{sid}:train:7"
    assert h.core.backend._models[out["model_id"]]["step"] == 1  # type: ignore[attr-defined]
    other_sid = await h.session(client=h.other)
    r = await h.post("load_weights", {**load, "session_id": other_sid, "model_seq_id": 0}, client=h.other)
    assert r.status_code == 404  # another key's private checkpoint
    r = await h.post("load_weights", {**load, "path": state["path"] + "x", "model_seq_id": 8})
    assert r.status_code == 404
    ckpts = (await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints")).json()["checkpoints"]
    assert ckpts[0]["user_metadata"] == {"k": "v"}
    assert ckpts[0]["expires_at"] is not None
    h.clock.advance(101)  # the TTL ends: gone from listings and loads
    assert (await h.client.get(f"/api/v1/training_runs/{mid}/checkpoints")).json()["checkpoints"] == []
    assert (await h.post("load_weights", {**load, "model_seq_id": 9})).status_code == 404


async def test_optimizer_is_fixed_at_creation(h: Harness) -> None:
    sid = await h.session()
    r = await h.run("create_model", {"session_id": sid, "model_seq_id": 0, "base_model": "tinkex/null",
                                     "user_metadata": None, "optimizer_config": {"type": "dimuon", "version": 1}})  # fmt: skip
    mid = r["model_id"]
    info = (await h.post("get_info", {"model_id": mid})).json()
    assert info["optimizer_config"]["type"] == "dimuon"
    r = await h.post("optim_step", {"optim_params": {"learning_rate": 0.1}, "model_id": mid})
    assert r.status_code == 400
    assert "Dimuon" in r.text
    await h.run("optim_step", {"optim_params": {"type": "dimuon", "learning_rate": 0.02}, "model_id": mid})
    r = await h.post("optim_step", {"optim_params": {"type": "dimuon", "learning_rate": -1}, "model_id": mid})
    assert r.status_code == 422


async def test_session_finish_ends_the_session(h: Harness) -> None:
    sid = await h.session()
    mid = await h.model(sid)
    assert (await h.post(f"sessions/{sid}/finish", {"reason": {"type": "success"}})).status_code == 204
    assert (await h.post(f"sessions/{sid}/finish", {"reason": {"type": "errored"}})).status_code == 204
    assert (await h.post("get_info", {"model_id": mid})).status_code == 200  # its records stay
    assert (await h.post("session_heartbeat", {"session_id": sid})).status_code == 404
    found = (await h.post("sessions/search", {"statuses": [{"type": "client_finished"}]})).json()["sessions"]
    assert [s["status"]["reason"]["type"] for s in found] == ["success"]  # the first reason wins


async def test_external_weights_are_served_through_signed_urls(h: Harness) -> None:
    mid = await h.model(await h.session())
    out = await h.run("save_weights_external", {"model_id": mid, "path": "exp", "seq_id": 1})
    assert out["path"].endswith("/external_weights/exp")
    urls = (
        await h.client.get(
            f"/api/v1/training_runs/{mid}/checkpoints/external_weights/exp/external_weights_urls"
        )
    ).json()
    url = urls["urls"]["adapter_model.safetensors"]
    got = await h.other.get(url.replace("http://testserver", ""), headers={"X-API-Key": ""})
    assert got.status_code == 200
    assert got.content == b"\0" * 64
    tampered = await h.client.get(url.replace("http://testserver", "").replace("sig=", "sig=0"))
    assert tampered.status_code == 403
    r = await h.post(
        "save_weights_external", {"model_id": mid, "path": "x", "age_encryption_recipients": ["a"]}
    )
    assert r.status_code == 400


def _lp(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, requires_grad=True)


def test_gspo_uses_one_length_normalized_sequence_ratio() -> None:
    lp = _lp([-1.0, -2.0, -3.0])
    inputs = LossInputs(torch.tensor([0, 0, 0]), logprobs=torch.tensor([-1.0, -2.0, -3.0]),
                        advantages=torch.tensor([0.0, 2.0, 2.0]))  # fmt: skip
    loss = elementwise_loss("gspo", lp, inputs, None)
    # on-policy: s = 1, masked tokens each carry -A / |mask|
    assert loss.tolist() == pytest.approx([0.0, -1.0, -1.0])
    loss.sum().backward()
    # d/dlp_t of -s A with s = exp(mean over mask): -A * s / |mask| on masked tokens
    assert lp.grad is not None
    assert lp.grad.tolist() == pytest.approx([0.0, -1.0, -1.0])


def test_gspo_clips_the_sequence_ratio() -> None:
    lp = _lp([0.0, 0.0])
    inputs = LossInputs(
        torch.tensor([0, 0]), logprobs=torch.tensor([-1.0, -1.0]), advantages=torch.tensor([1.0, 1.0])
    )
    loss = elementwise_loss("gspo", lp, inputs, None)  # s = e, clipped at 1 + 4e-4 for A > 0
    assert float(loss.sum().detach()) == pytest.approx(-(1 + 4e-4))
    loss.sum().backward()
    assert lp.grad is not None
    assert lp.grad.abs().sum() == 0  # clipped: no gradient


def test_stable_reinforce_caps_the_importance_weight() -> None:
    lp = _lp([0.0, 0.0])
    inputs = LossInputs(
        torch.tensor([0, 0]), logprobs=torch.tensor([0.0, -5.0]), advantages=torch.tensor([1.0, 1.0])
    )
    elementwise_loss("stable_reinforce", lp, inputs, None).sum().backward()
    assert lp.grad is not None
    assert lp.grad.tolist() == pytest.approx([-1.0, -2.0])  # r = 1, and r = e^5 capped at 2


async def test_runs_filter_by_project_and_access_scope_is_checked(h: Harness) -> None:
    r = await h.post("create_session", {"tags": [], "user_metadata": {}, "sdk_version": "0.38.0",
                                        "project_id": "p1", "display_name": "first"})  # fmt: skip
    sid = r.json()["session_id"]
    in_p1 = await h.model(sid)
    await h.model(await h.session())
    runs = (await h.client.get("/api/v1/training_runs", params={"project_id": "p1"})).json()
    assert [x["training_run_id"] for x in runs["training_runs"]] == [in_p1]
    assert runs["cursor"]["total_count"] == 1
    assert (await h.client.get(f"/api/v1/sessions/{sid}")).json()["display_name"] == "first"
    ok = await h.client.get("/api/v1/training_runs", params={"access_scope": "accessible"})
    assert ok.status_code == 200
    assert (await h.client.get("/api/v1/sessions", params={"access_scope": "everyone"})).status_code == 422


def test_the_hand_written_output_encoding_is_the_message_protobuf_builds() -> None:
    rng = np.random.default_rng(0)
    result = {
        "loss_fn_output_type": "ArrayRecord",
        "loss_fn_outputs": [
            {"logprobs": {"data": rng.standard_normal(n).astype(np.float32), "dtype": "float32", "shape": [n]},
             "ids": {"data": list(range(2 * n)), "dtype": "int64", "shape": [n, 2]}}
            for n in (3, 0, 200)
        ],
        "metrics": {"loss:sum": 1.5, "n:max": 3.0},
    }  # fmt: skip
    ours = pb.ForwardBackwardOutput.FromString(_proto.encode_forward_backward_output(result))
    built = pb.ForwardBackwardOutput(loss_fn_output_type="ArrayRecord")
    built.metrics.update(result["metrics"])
    record = built.loss_fn_outputs.add(type_tag="ArrayRecord", num_datums=3)
    for name, dtype, proto_dtype in (("logprobs", "<f4", pb.DTYPE_FLOAT32), ("ids", "<i8", pb.DTYPE_INT64)):
        arrays = [np.asarray(o[name]["data"], dtype=dtype) for o in result["loss_fn_outputs"]]
        record.fields[name].data = b"".join(a.tobytes() for a in arrays)
        record.fields[name].offsets = np.cumsum([0] + [a.nbytes for a in arrays]).astype("<i8").tobytes()
        record.fields[name].dtype = proto_dtype
        if name == "ids":
            record.fields[name].trailing_shape.append(2)
    assert ours == built
    assert _proto.forward_backward_output_json(_proto.encode_forward_backward_output(result))


async def test_sparse_tensors_in_json_bodies_are_refused_not_misread(h: Harness) -> None:
    mid = await h.model(await h.session())
    d = datum([1, 2])
    d["loss_fn_inputs"]["target_tokens"].update(sparse_crow_indices=[0, 1], sparse_col_indices=[0])
    r = await h.post("forward_backward", {"forward_backward_input": {"data": [d], "loss_fn": "cross_entropy"},
                                          "model_id": mid, "seq_id": 1})  # fmt: skip
    assert r.status_code == 422
    assert r.json()["detail"][0]["pointer"] == "/forward_backward_input/data/0/loss_fn_inputs/target_tokens"
