"""The spec against the installed official SDK (tinker==0.7.0), in both directions.

Requests: bodies built with the official types and dumped the way 0.7.0 puts them on the wire
(model_dump(exclude_unset=True, mode="json")), and the 0.18+ way (exclude_none), validate against the
spec's schemas and round-trip through the generated models. Responses: every example in the spec is
accepted by the official type of the same name (model_validate).
"""

from __future__ import annotations

import datetime
from typing import Any

import _tinkex_lowlevel.models as models
import pydantic
import pytest
import tinker
from tinker import types as T

from ._spec import OFFICIAL_ALIASES, errors, official_models, schemas, wire_problems

NOW = datetime.datetime(2025, 12, 3, 1, 0, 0, 123456, tzinfo=datetime.UTC)
COMMON: dict[str, Any] = {
    "event_id": "6c0b0f8e-1a2b-4c3d-8e9f-001122334455",
    "event_session_index": 0,
    "timestamp": NOW,
}


def _datum(n: int) -> T.Datum:
    return T.Datum(
        model_input=T.ModelInput.from_ints(list(range(n))),
        loss_fn_inputs={
            "target_tokens": T.TensorData(data=list(range(1, n + 1)), dtype="int64", shape=[n]),
            "weights": T.TensorData(data=[1.0] * n, dtype="float32", shape=[n]),
        },
    )


def _official_requests() -> list[tuple[str, pydantic.BaseModel]]:
    image = T.ImageChunk(data=b"\x89PNG\r\n", format="png", expected_tokens=4)
    pointer = T.ImageAssetPointerChunk(format="jpeg", location="s3://b/cat.jpg")
    fb_input = T.ForwardBackwardInput(
        data=[_datum(4), _datum(2)], loss_fn="cross_entropy", loss_fn_config=None
    )
    return [
        ("CreateSessionRequest", T.CreateSessionRequest(tags=["t"], user_metadata={}, sdk_version="0.7.0")),
        ("SessionHeartbeatRequest", T.SessionHeartbeatRequest(session_id="s")),
        (
            "CreateSamplingSessionRequest",
            T.CreateSamplingSessionRequest(
                session_id="s",
                sampling_session_seq_id=0,
                base_model=None,
                model_path="tinker://r/sampler_weights/a",
            ),
        ),
        (
            "CreateModelRequest",
            T.CreateModelRequest(
                session_id="s",
                model_seq_id=0,
                base_model="b",
                user_metadata=None,
                lora_config=T.LoraConfig(rank=32),
            ),
        ),
        ("GetInfoRequest", T.GetInfoRequest(model_id="r")),
        ("UnloadModelRequest", T.UnloadModelRequest(model_id="r")),
        ("ForwardRequest", T.ForwardRequest(forward_input=fb_input, model_id="r", seq_id=1)),
        (
            "ForwardBackwardRequest",
            T.ForwardBackwardRequest(forward_backward_input=fb_input, model_id="r", seq_id=2),
        ),
        (
            "ForwardBackwardInput",
            T.ForwardBackwardInput(
                data=[_datum(1)], loss_fn="ppo", loss_fn_config={"clip_low_threshold": 0.8}
            ),
        ),
        (
            "OptimStepRequest",
            T.OptimStepRequest(adam_params=T.AdamParams(learning_rate=1e-4), model_id="r", seq_id=3),
        ),
        (
            "AdamParams",
            T.AdamParams(
                learning_rate=2e-4, beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=0.01, grad_clip_norm=1.0
            ),
        ),
        ("SaveWeightsRequest", T.SaveWeightsRequest(model_id="r", path="ckpt-1", seq_id=4)),
        (
            "LoadWeightsRequest",
            T.LoadWeightsRequest(model_id="r", path="tinker://r/weights/ckpt-1", optimizer=True, seq_id=5),
        ),
        ("SaveWeightsForSamplerRequest", T.SaveWeightsForSamplerRequest(model_id="r", path="s1", seq_id=6)),
        (
            "SaveWeightsForSamplerRequest",
            T.SaveWeightsForSamplerRequest(model_id="r", sampling_session_seq_id=1, seq_id=7),
        ),
        (
            "SampleRequest",
            T.SampleRequest(
                num_samples=2,
                prompt=T.ModelInput(chunks=[T.EncodedTextChunk(tokens=[1, 2]), image, pointer]),
                sampling_params=T.SamplingParams(max_tokens=16, stop=["\n"], temperature=0.7),
                sampling_session_id="s:sample:0",
                seq_id=0,
                prompt_logprobs=True,
                topk_prompt_logprobs=5,
            ),
        ),
        ("SamplingParams", T.SamplingParams(stop=[13, 14], seed=3, top_k=40, top_p=0.9)),
        ("SamplingParams", T.SamplingParams(stop="END")),
        ("FutureRetrieveRequest", T.FutureRetrieveRequest(request_id="req")),
        (
            "TelemetrySendRequest",
            T.TelemetrySendRequest(
                events=[
                    T.SessionStartEvent(event="SESSION_START", severity="INFO", **COMMON),
                    T.SessionEndEvent(
                        event="SESSION_END", severity="INFO", duration="0:00:01.234000", **COMMON
                    ),
                    T.UnhandledExceptionEvent(
                        event="UNHANDLED_EXCEPTION",
                        severity="ERROR",
                        error_message="x",
                        error_type="E",
                        **COMMON,
                    ),
                    tinker.types.generic_event.GenericEvent(
                        event="GENERIC_EVENT",
                        severity="WARNING",
                        event_name="user_error",
                        event_data={"a": 1},
                        **COMMON,
                    ),
                ],
                platform="Linux",
                sdk_version="0.7.0",
                session_id="s",
            ),
        ),
    ]


CASES = _official_requests()


@pytest.mark.parametrize(("name", "request_model"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("style", ["0.7.0-exclude_unset", "0.18-exclude_none"])
def test_official_request_bodies_validate_against_the_spec(name: str, request_model: Any, style: str) -> None:
    if style.endswith("exclude_unset"):
        body = request_model.model_dump(exclude_unset=True, mode="json")
    else:
        body = request_model.model_dump(exclude_none=True, mode="json")
    assert errors(name, body) == []
    # The generated model reads it and writes the same JSON back.
    assert wire_problems(name, getattr(models, name).from_dict(body).to_dict(), body) == []


def test_every_official_request_type_is_exercised() -> None:
    request_side = {n for n, m in official_models().items() if m.model_config.get("extra") == "forbid"}
    covered = {name for name, _ in CASES}
    # Types only reachable nested inside the covered ones.
    nested = {
        "Datum",
        "EncodedTextChunk",
        "ImageChunk",
        "ImageAssetPointerChunk",
        "LoraConfig",
        "ModelInput",
        "TensorData",
    }
    assert request_side - covered - nested == set()


def _example_cases() -> list[Any]:
    return [
        pytest.param(name, i, id=f"{name}-{i}")
        for name in sorted(set(official_models()) | OFFICIAL_ALIASES)
        for i in range(len(schemas()[name]["examples"]))
    ]


@pytest.mark.parametrize(("name", "index"), _example_cases())
def test_spec_examples_are_accepted_by_the_official_types(name: str, index: int) -> None:
    example = schemas()[name]["examples"][index]
    official = official_models().get(name) or getattr(T, name)
    # FutureRetrieveResponse: the official alias lacks SampleResponse and the Internal save result
    # (the spec adds them); every example of it here is a member of the official union too.
    if isinstance(official, type) and issubclass(official, pydantic.BaseModel):
        official.model_validate(example)
    else:
        pydantic.TypeAdapter(official).validate_python(example)


def test_official_strictness_matches_the_spec_on_tensor_data_in_responses() -> None:
    bad = {"data": [1.0], "dtype": "float32", "shape": [1], "extra": 1}
    with pytest.raises(pydantic.ValidationError):
        T.TensorData.model_validate(bad)
    assert errors("TensorData", bad) != []
