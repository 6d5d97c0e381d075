"""The 0.7.0 client's wire quirks are accepted by the spec (jsonschema) and parsed by the generated models."""

from __future__ import annotations

import datetime
from typing import Any

import _tinkex_lowlevel.models as models
import pytest

from ._spec import errors, wire_problems

# Bodies as the 0.6.3/0.7.0 client puts them on the wire (wire-protocol.md §1.4, §2.2): fields left at
# their default omitted, `type` tags never sent, explicit nulls where the SDK sets None.
OBSERVED_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("CreateSessionRequest", {"tags": ["a", "b"], "user_metadata": {}, "sdk_version": "0.7.0"}),
    ("CreateSessionRequest", {"tags": [], "user_metadata": None, "sdk_version": "0.7.0"}),
    ("SessionHeartbeatRequest", {"session_id": "s"}),
    (
        "CreateSamplingSessionRequest",
        {"session_id": "s", "sampling_session_seq_id": 0, "base_model": "Qwen/Qwen3-8B", "model_path": None},
    ),
    (
        "CreateModelRequest",
        {
            "session_id": "s",
            "model_seq_id": 0,
            "base_model": "Qwen/Qwen3-8B",
            "user_metadata": None,
            "lora_config": {
                "rank": 32,
                "seed": None,
                "train_unembed": True,
                "train_mlp": True,
                "train_attn": True,
            },
        },
    ),
    (
        "ForwardBackwardRequest",
        {
            "forward_backward_input": {
                "data": [
                    {
                        "loss_fn_inputs": {
                            "target_tokens": {"data": [2, 3], "dtype": "int64", "shape": [2]},
                            "weights": {"data": [0.0, 1.0], "dtype": "float32", "shape": [2]},
                        },
                        "model_input": {"chunks": [{"tokens": [1, 2]}]},
                    }
                ],
                "loss_fn": "cross_entropy",
                "loss_fn_config": None,
            },
            "model_id": "run-1",
            "seq_id": 1,
        },
    ),
    ("OptimStepRequest", {"adam_params": {"learning_rate": 0.0001}, "model_id": "run-1", "seq_id": 2}),
    ("SaveWeightsRequest", {"model_id": "run-1", "path": "ckpt-1", "seq_id": 3}),
    (
        "LoadWeightsRequest",
        {"model_id": "run-1", "path": "tinker://run-1/weights/ckpt-1", "optimizer": False, "seq_id": 4},
    ),
    ("SaveWeightsForSamplerRequest", {"model_id": "run-1", "sampling_session_seq_id": 1, "seq_id": 5}),
    (
        "SampleRequest",
        {
            "num_samples": 1,
            "prompt": {"chunks": [{"tokens": [1, 2, 3]}]},
            "sampling_params": {"max_tokens": 20},
            "sampling_session_id": "s:sample:0",
            "seq_id": 0,
            "prompt_logprobs": False,
            "topk_prompt_logprobs": 0,
        },
    ),
    ("FutureRetrieveRequest", {"request_id": "r"}),
    ("WeightsInfoRequest", {"tinker_path": "tinker://run-1/weights/ckpt-1"}),
]


@pytest.mark.parametrize(("name", "body"), OBSERVED_REQUESTS, ids=[n for n, _ in OBSERVED_REQUESTS])
def test_observed_0_7_0_request_bodies_validate_and_round_trip(name: str, body: dict[str, Any]) -> None:
    assert errors(name, body) == []
    decoded = getattr(models, name).from_dict(body)
    assert wire_problems(name, decoded.to_dict(), body) == []


def test_omitted_type_tags_default_to_their_value() -> None:
    assert errors("EncodedTextChunk", {"tokens": [1]}) == []
    chunk = models.EncodedTextChunk.from_dict({"tokens": [1]})
    assert chunk.type == "encoded_text"
    # Decoded or built in code, the tag is sent (the 0.18+ style; the server accepts both).
    assert chunk.to_dict() == {"tokens": [1], "type": "encoded_text"}
    assert models.EncodedTextChunk(tokens=[1]).to_dict() == {"tokens": [1], "type": "encoded_text"}
    assert (
        models.OptimStepRequest(adam_params=models.AdamParams(), model_id="m").to_dict()["type"]
        == "optim_step"
    )


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("EncodedTextChunk", {"tokens": [1], "type": "image"}),
        (
            "CreateModelRequest",
            {"session_id": "s", "model_seq_id": 0, "base_model": "b", "type": "create_session"},
        ),
        ("TensorData", {"data": [1.0], "dtype": "float32", "shape": [1], "extra": 1}),
        ("SessionHeartbeatRequest", {"session_id": "s", "unexpected": True}),
        ("ForwardBackwardInput", {"data": [], "loss_fn": "mse"}),
        ("SamplingParams", {"max_tokens": "20"}),
        ("CreateSessionRequest", {"tags": [], "sdk_version": "0.7.0"}),
    ],
)
def test_spec_rejects_what_the_official_types_reject(name: str, body: dict[str, Any]) -> None:
    assert errors(name, body) != []


def test_wrong_type_tag_is_rejected_by_the_generated_model() -> None:
    # The generated operations decode strictly; the public from_dict keeps the class's own tag.
    with pytest.raises(ValueError, match="must match const"):
        models.EncodedTextChunk.from_dict_strict({"tokens": [1], "type": "image"})
    assert models.EncodedTextChunk.from_dict({"tokens": [1], "type": "image"}).type == "encoded_text"


def test_0_18_style_bodies_with_every_default_and_no_nulls_also_validate() -> None:
    body = {
        "num_samples": 2,
        "prompt": {"chunks": [{"tokens": [1], "type": "encoded_text"}]},
        "sampling_params": {"max_tokens": 8, "temperature": 1.0, "top_k": -1, "top_p": 1.0},
        "sampling_session_id": "s:sample:0",
        "seq_id": 1,
        "prompt_logprobs": False,
        "topk_prompt_logprobs": 0,
        "type": "sample",
    }
    assert errors("SampleRequest", body) == []


@pytest.mark.parametrize(
    "stamp",
    [
        "2025-12-03T01:00:00.123456Z",
        "2025-12-03T01:00:00Z",
        "2025-12-03T01:00:00.123456789Z",
        "2025-12-03T02:00:00+01:00",
    ],
)
def test_datetimes_with_z_parse_as_aware_utc(stamp: str) -> None:
    body = {
        "checkpoint_id": "weights/a",
        "checkpoint_type": "training",
        "time": stamp,
        "tinker_path": "tinker://r/weights/a",
    }
    assert errors("Checkpoint", body) == []
    checkpoint = models.Checkpoint.from_dict(body)
    assert checkpoint.time.tzinfo is not None
    assert checkpoint.time.utcoffset() == (
        datetime.timedelta(hours=1) if stamp.endswith("+01:00") else datetime.timedelta(0)
    )
    assert checkpoint.time.astimezone(datetime.UTC).replace(microsecond=0) == datetime.datetime(
        2025, 12, 3, 1, 0, 0, tzinfo=datetime.UTC
    )
    written = checkpoint.to_dict()["time"]
    assert written.endswith(("Z", "+01:00"))


def test_unknown_extra_response_fields_are_ignored() -> None:
    # Observed in production: a sampler-save result with a size_bytes key the client does not know.
    body = {
        "path": "tinker://r/sampler_weights/s",
        "sampling_session_id": None,
        "size_bytes": None,
        "type": "save_weights_for_sampler",
    }
    assert errors("SaveWeightsForSamplerResponseInternal", body) == []
    result = models.SaveWeightsForSamplerResponseInternal.from_dict(body)
    assert result.path == "tinker://r/sampler_weights/s"
    run = {
        "training_run_id": "r",
        "base_model": "b",
        "model_owner": "o",
        "is_lora": True,
        "last_request_time": "2025-12-03T01:00:00Z",
        "brand_new_field": {"nested": [1]},
    }
    assert errors("TrainingRun", run) == []
    decoded = models.TrainingRun.from_dict(run)
    assert decoded.training_run_id == "r"
    assert decoded.corrupted is False
    assert errors("SampleResponse", {"sequences": [], "prompt_cache_hit_tokens": 3}) == []


def test_explicit_nulls_on_optional_response_fields() -> None:
    body = {"session_id": "s", "info_message": None, "warning_message": None, "error_message": None}
    assert errors("CreateSessionResponse", body) == []
    decoded = models.CreateSessionResponse.from_dict(body)
    assert decoded.warning_message is None
    assert wire_problems("CreateSessionResponse", decoded.to_dict(), body) == []
