"""The two wire generations over the scripted fake server: client/config decides (404 -> today's JSON,
2xx -> tinker 0.38: protobuf forward_backward, forward_only, protobuf results into numpy, sequence ids,
metadata-only polls, x-sdk headers, deprecation notices, 402, dynamic config stopped by close())."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import numpy as np
import pytest

import tinkex
from tests.runtime.fake_server import PROTOBUF, FakeTinker, json_response
from tinkex import ServiceClient
from tinkex._runtime._binary import decode_forward_backward_output
from tinkex.types import AdamParams, Datum, ModelInput, SamplingParams, TensorData


def _datum(tokens: list[int], as_numpy: bool = False) -> Datum:
    targets: Any = [t + 1 for t in tokens]
    weights: Any = [1.0] * len(tokens)
    if as_numpy:
        targets = TensorData.from_numpy(np.asarray(targets, dtype=np.int64))
        weights = TensorData.from_numpy(np.asarray(weights, dtype=np.float32))
    return Datum(
        model_input=ModelInput.from_ints(tokens),
        loss_fn_inputs={"target_tokens": targets, "weights": weights},
    )


@pytest.fixture
def v038(server: FakeTinker) -> FakeTinker:
    server.protocol = "0.38"
    return server


def test_a_404_on_client_config_means_todays_json_protocol(server: FakeTinker, client: ServiceClient) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    tc.forward_backward([_datum([1, 2])], "cross_entropy").result(timeout=10)
    tc.forward([_datum([1, 2])], "cross_entropy").result(timeout=10)
    ops = [c.op for c in server.calls]
    assert ops[:2] == ["client_config", "create_session"]  # asked first, once
    assert ops.count("client_config") == 1
    assert "client_dynamic_config" not in ops
    assert client._rt.protocol == "0.7"
    fb = server.ops("forward_backward")[0]
    assert fb.headers["content-type"] == "application/json"
    assert "x-sdk-version" not in fb.headers
    assert len(server.ops("forward")) == 1  # 0.7.0's /forward
    polls = server.ops("retrieve_future")
    assert all("allow_metadata_only" not in p.body for p in polls)
    assert all(PROTOBUF not in p.headers.get("accept", "") for p in polls)


def test_a_038_server_gets_protobuf_and_results_come_back_as_numpy(
    v038: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    data = [_datum([1, 2, 3]), _datum([4, 5], as_numpy=True)]
    out = tc.forward_backward(data, "cross_entropy").result(timeout=10)
    fwd = tc.forward([_datum([9])], "cross_entropy").result(timeout=10)
    assert client._rt.protocol == "0.38"
    fb = v038.ops("forward_backward")
    assert [c.headers["content-type"] for c in fb] == [PROTOBUF, PROTOBUF]
    assert "content-encoding" not in fb[0].headers  # the server did not ask for zstd
    assert [c.body["forward_only"] for c in fb] == [False, True]  # forward is forward_only, no /forward
    assert v038.ops("forward") == []
    assert [c.body["seq_id"] for c in fb] == [1, 2]
    sent = fb[0].body["forward_backward_input"]
    assert sent["loss_fn"] == "cross_entropy"
    assert sent["data"][0]["model_input"]["chunks"][0]["tokens"] == [1, 2, 3]
    assert sent["data"][1]["loss_fn_inputs"]["target_tokens"] == {
        "data": [5, 6],
        "dtype": "int64",
        "shape": [2],
    }
    assert sent["data"][1]["loss_fn_inputs"]["weights"]["dtype"] == "float32"
    assert fb[0].headers["x-sdk-version"] == tinkex.__version__
    assert fb[0].headers["x-sdk-method"] == "forward_backward"
    polls = v038.ops("retrieve_future")
    assert all(p.body.get("allow_metadata_only") is True for p in polls)
    # protobuf is asked for the results that have a protobuf form only (not create_model's, req-1)
    assert [PROTOBUF in p.headers["accept"] for p in polls] == [
        p.body["request_id"] != "req-1" for p in polls
    ]
    lp = out.loss_fn_outputs[1]["logprobs"]
    assert isinstance(lp.data, np.ndarray)  # straight from the protobuf bytes
    np.testing.assert_array_equal(lp.to_numpy(), [-1.0, -1.0])
    assert out.metrics == {"loss:sum": 2.0}
    assert len(fwd.loss_fn_outputs) == 1


def test_zstd_when_the_server_asks(v038: FakeTinker, client: ServiceClient) -> None:
    v038.client_flags = {"proto_compress_fwdbwd": True}
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    tc.forward_backward([_datum(list(range(1, 200)))], "cross_entropy").result(timeout=10)
    fb = v038.ops("forward_backward")[0]
    assert fb.headers["content-encoding"] == "zstd"
    assert fb.body["forward_backward_input"]["data"][0]["model_input"]["chunks"][0]["tokens"][:3] == [1, 2, 3]


def test_a_retried_protobuf_step_resends_the_same_bytes_and_key(
    v038: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    v038.script("forward_backward", json_response(503), httpx.ReadError("reset"))
    tc.forward_backward([_datum([1, 2])], "cross_entropy").result(timeout=10)
    tc.optim_step(AdamParams()).result(timeout=10)
    fb = v038.ops("forward_backward")
    assert len(fb) == 3
    assert len({c.raw for c in fb}) == 1  # seq_id included: never a second step
    assert {c.body["seq_id"] for c in fb} == {1}
    assert len({c.headers["x-idempotency-key"] for c in fb}) == 1
    assert v038.ops("optim_step")[0].body["seq_id"] == 2


def test_a_value_protobuf_cannot_carry_fails_locally_and_burns_no_seq_id(
    v038: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    with pytest.raises(tinkex.TinkexValidationError, match="int32"):
        tc.forward_backward([_datum([2**40])], "cross_entropy").result(timeout=10)
    tc.forward_backward([_datum([1])], "cross_entropy").result(timeout=10)
    assert [c.body["seq_id"] for c in v038.ops("forward_backward")] == [1]


def test_negotiation_is_asked_once_and_a_failure_is_not_cached(
    v038: FakeTinker, client: ServiceClient
) -> None:
    v038.script("client_config", json_response(401, {"detail": "bad key"}))
    with pytest.raises(tinkex.AuthenticationError):
        client.create_lora_training_client(base_model="tiny-model", rank=4)
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)
    for _ in range(3):
        tc.forward_backward([_datum([1])], "cross_entropy").result(timeout=10)
    assert len(v038.ops("client_config")) == 2
    assert client._rt.protocol == "0.38"


def test_sampling_gets_sequence_ids_and_protobuf_results(v038: FakeTinker, client: ServiceClient) -> None:
    sampler = client.create_sampling_client(base_model="tiny-model")
    resp = sampler.sample(
        ModelInput.from_ints([1, 2, 3]), 2, SamplingParams(max_tokens=2), include_prompt_logprobs=True
    ).result(timeout=10)
    assert [s.tokens for s in resp.sequences] == [[7, 8], [7, 8]]
    assert resp.sequences[0].logprobs == [-0.5, -0.25]
    assert resp.prompt_logprobs == [None, -1.0, -1.0]
    if "sequence_id" in type(resp.sequences[0]).__dataclass_fields__:  # the 0.38 types
        assert [s.sequence_id for s in resp.sequences] == ["req-1:seq:0", "req-1:seq:1"]  # type: ignore[attr-defined]
    poll = v038.ops("retrieve_future")[-1]
    assert PROTOBUF in poll.headers["accept"]


def test_a_metadata_only_answer_is_fetched_within_the_byte_budget(
    v038: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_lora_training_client(base_model="tiny-model", rank=4)

    def fetch(request: httpx.Request) -> httpx.Response:
        return v038.default("retrieve_future", request)

    v038.poll_script(
        "forward_backward",
        json_response(200, {"status": "complete_metadata", "response_payload_size": 12345}),
        fetch,
    )
    out = tc.forward_backward([_datum([1, 2])], "cross_entropy").result(timeout=10)
    assert len(out.loss_fn_outputs) == 1
    polls = [p for p in v038.ops("retrieve_future") if p.body["request_id"] != "req-1"]
    assert polls[0].body.get("allow_metadata_only") is True
    assert "allow_metadata_only" not in polls[1].body  # the fetch asks for the result itself
    assert client._rt.result_bytes.used == 0


def test_402_raises_billing_error_without_retrying(v038: FakeTinker, client: ServiceClient) -> None:
    v038.script("create_session", json_response(402, {"detail": "out of credits"}, {"retry-after": "3"}))
    with pytest.raises(tinkex.BillingError) as info:
        client.create_lora_training_client(base_model="tiny-model", rank=4)
    err = info.value
    assert isinstance(err, tinkex.APIStatusError)
    assert err.status_code == 402
    assert err.is_user_error is True
    assert err.retryable is True
    assert err.retry_after == 3.0
    assert "out of credits" in str(err)
    assert len(v038.ops("create_session")) == 1


def test_deprecation_notices_are_logged_once_each(
    v038: FakeTinker, client: ServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    note = {"x-deprecation-note": "forward is going away", "x-deprecation-level": "warning"}
    v038.script(
        "get_server_capabilities",
        *[json_response(200, {"supported_models": [{"model_name": "m"}]}, note) for _ in range(3)],
        json_response(
            200,
            {"supported_models": []},
            {"x-deprecation-note": "tml-secret-key-1 x", "x-deprecation-level": "error"},
        ),
    )
    with caplog.at_level(logging.INFO, logger="tinkex"):
        for _ in range(4):
            client.get_server_capabilities()
    notes = [r for r in caplog.records if "deprecation" in r.getMessage()]
    assert [r.levelno for r in notes] == [logging.WARNING, logging.ERROR]
    assert "forward is going away" in notes[0].getMessage()


def test_dynamic_config_refreshes_in_the_background_and_close_stops_it(
    v038: FakeTinker, make_client: Any
) -> None:
    client = make_client()
    client.create_lora_training_client(base_model="tiny-model", rank=4)
    rt = client._rt
    task = rt.wire.refresher
    assert task is not None
    assert v038.ops("client_dynamic_config")  # read at start
    assert not task.done()
    client.close()
    assert task.done()
    assert rt.wire.refresher is None


def test_a_404_on_dynamic_config_ends_the_refresher(v038: FakeTinker, client: ServiceClient) -> None:
    v038.script("client_dynamic_config", json_response(404, {"detail": "Not Found"}))
    client.create_lora_training_client(base_model="tiny-model", rank=4)
    task = client._rt.wire.refresher
    assert task is not None
    client._rt.run(_wait_done(task))
    assert len(v038.ops("client_dynamic_config")) == 1


async def _wait_done(task: Any) -> None:
    import asyncio

    await asyncio.wait_for(asyncio.shield(task), 5)


def test_decode_refuses_offsets_that_do_not_cover_the_data() -> None:
    from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

    msg = pb.ForwardBackwardOutput(loss_fn_output_type="ArrayRecord")
    rec = msg.loss_fn_outputs.add(num_datums=2)
    rec.fields["logprobs"].data = np.zeros(3, "<f4").tobytes()
    rec.fields["logprobs"].offsets = np.array([0, 4], "<i8").tobytes()
    rec.fields["logprobs"].dtype = pb.DTYPE_FLOAT32
    with pytest.raises(tinkex.APIResponseValidationError, match="offsets"):
        decode_forward_backward_output(msg.SerializeToString())


def test_create_from_state_on_038_is_one_load_weights_without_model_id(
    v038: FakeTinker, client: ServiceClient
) -> None:
    tc = client.create_training_client_from_state_with_optimizer("tinker://run-1/weights/step-3")
    assert tc.model_id == "sess-1:train:0"
    loads = v038.ops("load_weights")
    assert len(loads) == 1
    body = loads[0].body
    assert "model_id" not in body
    assert body["session_id"] == "sess-1"
    assert body["model_seq_id"] == 0
    assert body["optimizer"] is True
    assert body["path"] == "tinker://run-1/weights/step-3"
    assert v038.ops("create_model") == []
    assert v038.ops("weights_info") == []


def test_create_from_state_on_07_creates_then_loads(server: FakeTinker, client: ServiceClient) -> None:
    client.create_training_client_from_state("tinker://run-1/weights/step-3")
    assert len(server.ops("create_model")) == 1
    assert server.ops("load_weights")[0].body["model_id"] == "sess-1:train:0"
