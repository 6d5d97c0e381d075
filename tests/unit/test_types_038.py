"""tinker 0.38 types beside 0.7.0's: the generated models hold both generations' fields, and a request
built without the 0.38 fields is byte for byte the body tinkex sent before 0.38 joined (so a 0.7.0
server sees exactly what it always saw); set, a 0.38 field is sent."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from tinkex import types as t
from tinkex._exceptions import TinkexValidationError


def _bodies() -> dict[str, object]:
    dm = t.Datum(
        model_input=t.ModelInput.from_ints([1, 2, 3]),
        loss_fn_inputs={"target_tokens": [2, 3, 4], "weights": [1.0, 1.0, 0.0]},
    )
    return {
        "create_session": t.CreateSessionRequest(tags=["a"], user_metadata={"k": "v"}, sdk_version="0.7.0"),
        "create_model": t.CreateModelRequest(
            session_id="s", model_seq_id=1, base_model="m", lora_config=t.LoraConfig(rank=8)
        ),
        "forward_backward": t.ForwardBackwardRequest(
            forward_backward_input=t.ForwardBackwardInput(data=[dm], loss_fn="cross_entropy"),
            model_id="m",
            seq_id=3,
        ),
        "optim_step": t.OptimStepRequest(
            adam_params=t.AdamParams(learning_rate=1e-4), model_id="m", seq_id=4
        ),
        "save_weights": t.SaveWeightsRequest(model_id="m", path="ckpt", seq_id=5),
        "save_weights_for_sampler": t.SaveWeightsForSamplerRequest(model_id="m", path="s1", seq_id=6),
        "load_weights": t.LoadWeightsRequest(
            model_id="m", path="tinker://r/weights/c", seq_id=7, optimizer=True
        ),
        "asample": t.SampleRequest(
            num_samples=2,
            prompt=t.ModelInput.from_ints([1, 2]),
            sampling_params=t.SamplingParams(max_tokens=4, temperature=0.5),
            sampling_session_id="ss",
            seq_id=0,
        ),
        "retrieve_future": t.FutureRetrieveRequest(request_id="r1"),
        "sampled": t.SampleResponse(
            sequences=[t.SampledSequence(stop_reason="length", tokens=[1], logprobs=[-0.5])]
        ),
    }


# Captured from the tree before the 0.38 types were generated (the same script, the old code).
BEFORE_038 = {
    "create_session": b'{"tags":["a"],"user_metadata":{"k":"v"},"sdk_version":"0.7.0","type":"create_session"}',
    "create_model": b'{"session_id":"s","model_seq_id":1,"base_model":"m","lora_config":{"rank":8,"train_unembed":true,"train_mlp":true,"train_attn":true},"type":"create_model"}',
    "forward_backward": b'{"forward_backward_input":{"data":[{"loss_fn_inputs":{"target_tokens":{"data":[2,3,4],"dtype":"int64","shape":[3]},"weights":{"data":[1.0,1.0,0.0],"dtype":"float32","shape":[3]}},"model_input":{"chunks":[{"tokens":[1,2,3],"type":"encoded_text"}]}}],"loss_fn":"cross_entropy"},"model_id":"m","seq_id":3}',
    "optim_step": b'{"adam_params":{"learning_rate":0.0001,"beta1":0.9,"beta2":0.95,"eps":1e-12,"weight_decay":0.0,"grad_clip_norm":0.0},"model_id":"m","seq_id":4,"type":"optim_step"}',
    "save_weights": b'{"model_id":"m","path":"ckpt","seq_id":5,"type":"save_weights"}',
    "save_weights_for_sampler": b'{"model_id":"m","path":"s1","seq_id":6,"type":"save_weights_for_sampler"}',
    "load_weights": b'{"model_id":"m","path":"tinker://r/weights/c","optimizer":true,"seq_id":7,"type":"load_weights"}',
    "asample": b'{"num_samples":2,"prompt":{"chunks":[{"tokens":[1,2],"type":"encoded_text"}]},"sampling_params":{"max_tokens":4,"temperature":0.5,"top_k":-1,"top_p":1.0},"sampling_session_id":"ss","seq_id":0,"topk_prompt_logprobs":0,"type":"sample"}',
    "retrieve_future": b'{"request_id":"r1"}',
    "sampled": b'{"sequences":[{"stop_reason":"length","tokens":[1],"logprobs":[-0.5]}],"type":"sample"}',
}


@pytest.mark.parametrize("name", sorted(BEFORE_038))
def test_a_0_7_era_body_is_unchanged_byte_for_byte(name: str) -> None:
    obj = _bodies()[name]
    assert orjson.dumps(obj.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY) == BEFORE_038[name]  # type: ignore[attr-defined]
    # model_dump (pydantic style, None fields included) leaves the unset 0.38 fields out too.
    dumped = obj.model_dump(mode="json")  # type: ignore[attr-defined]
    assert not set(dumped) & type(obj)._LATER


def test_a_set_0_38_field_is_sent() -> None:
    body = t.SaveWeightsRequest(
        model_id="m", path="c", seq_id=1, ttl_seconds=60, overwrite=True, user_metadata={"a": "b"}
    )
    wire = body.to_dict()
    assert (wire["ttl_seconds"], wire["overwrite"], wire["user_metadata"]) == (60, True, {"a": "b"})
    assert t.SaveWeightsRequest.from_dict(wire) == body


def test_0_38_response_fields_decode() -> None:
    resp = t.SampleResponse.from_dict(
        {
            "type": "sample",
            "sequences": [
                {"stop_reason": "stop", "tokens": [1, 2], "logprobs": [-0.1, -0.2], "sequence_id": "r:7"}
            ],
            "prompt_cache_hit_tokens": 3,
        }
    )
    assert resp.prompt_cache_hit_tokens == 3
    assert resp.sequences[0].sequence_id == "r:7"
    ckpt = t.Checkpoint.from_dict(
        {
            "checkpoint_id": "weights/a", "checkpoint_type": "training", "time": "2026-01-01T00:00:00Z",
            "tinker_path": "tinker://r/weights/a", "expires_at": "2026-01-02T00:00:00Z", "user_metadata": {"k": "v"},
        }
    )  # fmt: skip
    assert ckpt.expires_at is not None
    assert ckpt.expires_at.day == 2
    assert ckpt.user_metadata == {"k": "v"}
    model = t.SupportedModel.from_dict({"model_name": "m", "max_context_length": 4096, "trainable": True})
    assert (model.max_context_length, model.trainable, model.sampleable) == (4096, True, None)


def test_new_types_exist_and_replace_works() -> None:
    assert {"gspo", "stable_reinforce", "custom"} <= set(t.LossFnType.__args__)  # type: ignore[attr-defined]
    assert t.DimuonParams(learning_rate=0.02).learning_rate == 0.02
    assert t.DmelChunk(dmel=bytes([3, 2, 5, 80])).length == 5
    with pytest.raises(TinkexValidationError, match=r"DmelChunk\.dmel"):
        _ = t.DmelChunk(dmel=b"\x09").length
    assert t.ModelInput(chunks=[t.DmelChunk(dmel=bytes([3, 1, 4]))]).length == 4
    from tinkex.types.tensor_data import TensorData

    assert TensorData is t.TensorData
    for obj in (_bodies()["sampled"], _bodies()["sampled"].sequences[0]):  # type: ignore[attr-defined]
        assert dataclasses.replace(obj) == obj
    seq = dataclasses.replace(_bodies()["sampled"].sequences[0], sequence_id="r:9")  # type: ignore[attr-defined]
    assert seq.sequence_id == "r:9"
    assert t.TelemetryBatch.__dataclass_fields__["process_uuid"].default is None


def test_with_provenance_checks_the_tiling_and_sends_the_spans() -> None:
    datum = _bodies()["forward_backward"].forward_backward_input.data[0]  # type: ignore[attr-defined]
    spans = [
        t.PromptProvenanceSpan(sequence_id="r:0", length=2),
        t.SampledProvenanceSpan(sequence_id="r:0", length=1),
    ]
    with_spans = datum.with_provenance(model_input=spans, loss_fn_inputs=spans)
    wire = with_spans.to_dict()
    assert [s["type"] for s in wire["model_input_spans"]] == ["prompt_tokens", "sampled_tokens"]
    assert "model_input_spans" not in datum.to_dict()  # the original is unchanged and sends none
    again = t.Datum.from_dict(wire)
    assert [s.length for s in again.loss_fn_input_spans] == [2, 1]
    with pytest.raises(TinkexValidationError, match=r"cover 2 positions but the field has 3"):
        datum.with_provenance(model_input=spans[:1], loss_fn_inputs=spans)
    with pytest.raises(TinkexValidationError, match=r"loss_fn_inputs=...\)\[0\]"):
        datum.with_provenance(model_input=spans, loss_fn_inputs=[{"length": 3}])


def test_dataclasses_replace_on_the_types_0_38_makes_frozen_dataclasses() -> None:
    body = _bodies()["forward_backward"]
    datum = body.forward_backward_input.data[0]  # type: ignore[attr-defined]
    tensor = datum.loss_fn_inputs["target_tokens"]
    assert dataclasses.replace(tensor, shape=[3]).shape == [3]
    assert (
        dataclasses.replace(datum, loss_fn_inputs={"weights": [1.0, 1.0, 1.0]})
        .loss_fn_inputs["weights"]
        .dtype
        == "float32"
    )
    fb_input = dataclasses.replace(body.forward_backward_input, loss_fn="gspo")  # type: ignore[attr-defined]
    assert dataclasses.replace(body, forward_backward_input=fb_input).forward_backward_input.loss_fn == "gspo"  # type: ignore[type-var]
    out = t.ForwardBackwardOutput(loss_fn_output_type="x", loss_fn_outputs=[], metrics={"loss:sum": 1.0})
    assert dataclasses.replace(out, metrics={}).metrics == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        datum.model_input = None
