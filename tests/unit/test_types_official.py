"""tinkex.types against the official tinker.types 0.7.0: same names, fields and defaults, and the same
JSON for the same objects, both ways (our dumps equal theirs; their JSON decodes into equal objects)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from typing import Any

import numpy as np
import orjson
import pytest

import tinkex.types as ours

official = pytest.importorskip("tinker.types")
pydantic = pytest.importorskip("pydantic")
from pydantic_core import PydanticUndefined  # noqa: E402

# Defined in tinker.types submodules but not re-exported there; we export them.
_HIDDEN = {
    "TryAgainResponse": "tinker.types.try_again_response",
    "GenericEvent": "tinker.types.generic_event",
}


def _official(name: str) -> Any:
    if name in _HIDDEN:
        return getattr(importlib.import_module(_HIDDEN[name]), name)
    return getattr(official, name)


OFFICIAL_NAMES = sorted(
    n
    for n in dir(official)
    if not n.startswith("_") and n != "annotations" and not isinstance(getattr(official, n), type(importlib))
)


def test_every_official_name_exists() -> None:
    missing = [n for n in [*OFFICIAL_NAMES, *_HIDDEN] if not hasattr(ours, n)]
    assert missing == []


def test_all_is_sorted_complete_and_resolvable() -> None:
    assert ours.__all__ == sorted(ours.__all__)
    assert set(OFFICIAL_NAMES) | set(_HIDDEN) <= set(ours.__all__)
    for name in ours.__all__:
        assert getattr(ours, name) is not None
    namespace: dict[str, Any] = {}
    exec("from tinkex.types import *", namespace)
    assert set(ours.__all__) <= set(namespace)
    with pytest.raises(AttributeError):
        _ = ours.NoSuchType  # type: ignore[attr-defined]


MODEL_NAMES = [
    n
    for n in [*OFFICIAL_NAMES, *_HIDDEN]
    if isinstance(_official(n), type) and issubclass(_official(n), pydantic.BaseModel)
]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_same_fields_order_and_defaults(name: str) -> None:
    theirs = {
        k: (v.default if v.default is not PydanticUndefined else "<required>")
        for k, v in _official(name).model_fields.items()
    }
    cls = getattr(ours, name)
    mine = {}
    for f in dataclasses.fields(cls):
        if f.name in cls._LATER:
            continue  # added by tinker 0.38 (x-tinker-since): unset, it is not part of the 0.7.0 type
        default = f.default
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        mine[f.name] = "<required>" if default is dataclasses.MISSING else default
    assert list(mine) == list(theirs)
    assert mine == theirs


@pytest.mark.parametrize(
    "name",
    [
        "ModelID",
        "RequestID",
        "TensorDtype",
        "StopReason",
        "LossFnType",
        "CheckpointType",
        "EventType",
        "Severity",
    ],
)
def test_same_aliases(name: str) -> None:
    from typing import get_args

    # tinker 0.38 appends values (losses, the `external` checkpoint type); 0.7.0's come first, in order.
    later = {"gspo", "stable_reinforce", "custom", "external"}
    mine = tuple(v for v in get_args(getattr(ours, name)) if v not in later)
    assert mine == get_args(_official(name)) or getattr(ours, name) is _official(name)


def test_request_error_category_matches() -> None:
    assert {m.name: m.value for m in ours.RequestErrorCategory} == {
        m.name: m.value for m in official.RequestErrorCategory
    }


# --------------------------------------------------------------------------------------------------
# The same object built with both libraries dumps to the same JSON
# --------------------------------------------------------------------------------------------------

TS = dt.datetime(2025, 12, 3, 1, 0, 0, 123456, tzinfo=dt.UTC)


def _both(build: Any) -> tuple[Any, Any]:
    return build(ours), build(official)


def _datum(t: Any) -> Any:
    return t.Datum(
        model_input=t.ModelInput.from_ints([1, 2, 3, 4]),
        loss_fn_inputs={
            "target_tokens": [2, 3, 4, 5],
            "weights": [1.0, 1.0, 0.0, 1.0],
            "advantages": [0.5] * 4,
        },
    )


CASES: dict[str, Any] = {
    "LoraConfig": lambda t: t.LoraConfig(rank=16, seed=3, train_unembed=False),
    "AdamParams": lambda t: t.AdamParams(learning_rate=3e-4, weight_decay=0.01, grad_clip_norm=1.0),
    "SamplingParams": lambda t: t.SamplingParams(max_tokens=20, seed=7, stop=["\n\n"], temperature=0.7),
    "SamplingParamsTokens": lambda t: t.SamplingParams(max_tokens=5, stop=[13, 14]),
    "CreateModelRequest": lambda t: t.CreateModelRequest(
        session_id="s",
        model_seq_id=0,
        base_model="m",
        user_metadata={"a": "b"},
        lora_config=t.LoraConfig(rank=8),
    ),
    "CreateSessionRequest": lambda t: t.CreateSessionRequest(
        tags=["x"], user_metadata=None, sdk_version="0.7.0"
    ),
    "CreateSamplingSessionRequest": lambda t: t.CreateSamplingSessionRequest(
        session_id="s", sampling_session_seq_id=1, model_path="tinker://r/sampler_weights/a"
    ),
    "ForwardBackwardRequest": lambda t: t.ForwardBackwardRequest(
        forward_backward_input=t.ForwardBackwardInput(
            data=[_datum(t), _datum(t)], loss_fn="ppo", loss_fn_config={"clip_low_threshold": 0.8}
        ),
        model_id="run-1",
        seq_id=4,
    ),
    "ForwardRequest": lambda t: t.ForwardRequest(
        forward_input=t.ForwardBackwardInput(data=[_datum(t)], loss_fn="cross_entropy"), model_id="run-1"
    ),
    "OptimStepRequest": lambda t: t.OptimStepRequest(adam_params=t.AdamParams(), model_id="m", seq_id=2),
    "SampleRequest": lambda t: t.SampleRequest(
        num_samples=4,
        prompt=t.ModelInput(
            chunks=[
                t.EncodedTextChunk(tokens=[1, 2]),
                t.ImageChunk(data=b"\x89PNG\r\n\x1a\n", format="png", expected_tokens=16),
                t.ImageAssetPointerChunk(format="jpeg", location="s3://b/k.jpg", expected_tokens=8),
            ]
        ),
        sampling_params=t.SamplingParams(max_tokens=8),
        sampling_session_id="s:sample:0",
        seq_id=0,
        prompt_logprobs=True,
        topk_prompt_logprobs=5,
    ),
    "SaveWeightsForSamplerRequest": lambda t: t.SaveWeightsForSamplerRequest(
        model_id="m", sampling_session_seq_id=3
    ),
    "LoadWeightsRequest": lambda t: t.LoadWeightsRequest(
        model_id="m", path="tinker://r/weights/a", optimizer=True
    ),
    "Checkpoint": lambda t: t.Checkpoint(
        checkpoint_id="weights/a",
        checkpoint_type="training",
        time=TS,
        tinker_path="tinker://r/weights/a",
        size_bytes=9,
    ),
    "TrainingRun": lambda t: t.TrainingRun(
        training_run_id="r",
        base_model="m",
        model_owner="o",
        is_lora=True,
        lora_rank=8,
        last_request_time=TS,
        last_sampler_checkpoint=t.Checkpoint(
            checkpoint_id="sampler_weights/s",
            checkpoint_type="sampler",
            time=TS,
            tinker_path="tinker://r/sampler_weights/s",
            public=True,
        ),
    ),
    "TrainingRunsResponse": lambda t: t.TrainingRunsResponse(
        training_runs=[], cursor=t.Cursor(offset=0, limit=20, total_count=0)
    ),
    "TelemetrySendRequest": lambda t: t.TelemetrySendRequest(
        events=[
            t.SessionStartEvent(
                event="SESSION_START", event_id="e1", event_session_index=0, severity="INFO", timestamp=TS
            ),
            t.UnhandledExceptionEvent(
                error_message="boom",
                error_type="ValueError",
                event="UNHANDLED_EXCEPTION",
                event_id="e2",
                event_session_index=1,
                severity="ERROR",
                timestamp=TS,
                traceback="tb",
            ),
        ],
        platform="Linux",
        sdk_version="0.7.0",
        session_id="s",
    ),
    "ForwardBackwardOutput": lambda t: t.ForwardBackwardOutput(
        loss_fn_output_type="cross_entropy",
        loss_fn_outputs=[{"logprobs": t.TensorData(data=[-0.5, -1.5], dtype="float32", shape=[2])}],
        metrics={"loss:sum": 2.0},
    ),
    "SampleResponse": lambda t: t.SampleResponse(
        sequences=[t.SampledSequence(stop_reason="stop", tokens=[5, 6], logprobs=[-0.1, -0.2])],
        prompt_logprobs=[None, -0.3],
        topk_prompt_logprobs=[None, [(1, -0.1), (2, -0.2)]],
    ),
    "GetInfoResponse": lambda t: t.GetInfoResponse(
        model_data=t.ModelData(arch="llama", model_name="m", tokenizer_id="tok"), model_id="m", is_lora=True
    ),
    "RequestFailedResponse": lambda t: t.RequestFailedResponse(
        error="bad", category=t.RequestErrorCategory.User
    ),
    "ParsedCheckpointTinkerPath": lambda t: t.ParsedCheckpointTinkerPath.from_tinker_path(
        "tinker://r/sampler_weights/x"
    ),
    "CheckpointArchiveUrlResponse": lambda t: t.CheckpointArchiveUrlResponse(
        url="http://x/a.tar", expires=TS
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_model_dump_json_equals_official(case: str) -> None:
    mine, theirs = _both(CASES[case])
    assert mine.model_dump(mode="json") == theirs.model_dump(mode="json")
    assert orjson.loads(mine.model_dump_json()) == orjson.loads(theirs.model_dump_json())


@pytest.mark.parametrize("case", sorted(CASES))
def test_to_dict_equals_official_exclude_none(case: str) -> None:
    mine, theirs = _both(CASES[case])
    body = orjson.loads(orjson.dumps(mine.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY))
    expected = theirs.model_dump(mode="json", exclude_none=True)
    # Required-but-nullable fields (CreateSessionRequest.user_metadata) are sent as null: 0.7.0
    # servers validate with the official models, which require the key.
    for name, info in type(theirs).model_fields.items():
        if info.is_required() and getattr(theirs, name) is None:
            expected[name] = None
    assert body == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_official_json_decodes_to_equal_object(case: str) -> None:
    mine, theirs = _both(CASES[case])
    for payload in (
        theirs.model_dump(mode="json"),  # every field, nulls explicit
        theirs.model_dump(mode="json", exclude_unset=True),  # 0.6.3/0.7.0 wire style: no type tags
        theirs.model_dump(mode="json", exclude_none=True),  # 0.18+ wire style
    ):
        decoded = type(mine).from_dict(payload)
        assert decoded.model_dump(mode="json") == mine.model_dump(mode="json"), payload


@pytest.mark.parametrize("case", sorted(CASES))
def test_our_json_validates_in_official(case: str) -> None:
    mine, theirs = _both(CASES[case])
    body = orjson.loads(orjson.dumps(mine.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY))
    assert type(theirs).model_validate(body).model_dump(mode="json") == theirs.model_dump(mode="json")


def test_numpy_backed_datum_encodes_like_official() -> None:
    arr = (np.arange(12, dtype=np.float32) / 7).reshape(3, 4)
    mine = ours.Datum(model_input=ours.ModelInput.from_ints([1]), loss_fn_inputs={"weights": arr})
    theirs = official.Datum(model_input=official.ModelInput.from_ints([1]), loss_fn_inputs={"weights": arr})
    body = orjson.loads(orjson.dumps(mine.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY))
    want = theirs.model_dump(mode="json")
    got_w, want_w = body["loss_fn_inputs"]["weights"], want["loss_fn_inputs"]["weights"]
    assert (got_w["dtype"], got_w["shape"]) == (want_w["dtype"], want_w["shape"])
    # orjson writes float32 values in their shortest float32 form; equal once read back as float32.
    np.testing.assert_array_equal(np.float32(got_w["data"]), np.float32(want_w["data"]))
    # and the official client accepts our body
    assert official.Datum.model_validate(body).loss_fn_inputs["weights"].shape == [3, 4]


def test_official_wire_quirk_payloads() -> None:
    # What 0.6.3 / 0.7.0 actually put on the wire: no `type` tags, explicit nulls.
    raw = {
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
    }
    req = ours.CreateModelRequest.from_dict(raw)
    assert req.type == "create_model"
    assert req.lora_config == ours.LoraConfig(rank=32)
    sample = ours.SampleRequest.from_dict(
        {
            "prompt": {"chunks": [{"tokens": [1, 2, 3]}]},
            "sampling_params": {"max_tokens": 20},
            "num_samples": 1,
            "sampling_session_id": "s:sample:0",
            "seq_id": 0,
            "prompt_logprobs": None,
        }
    )
    assert sample.sampling_params.temperature == 1.0
    assert sample.prompt.to_ints() == [1, 2, 3]
    assert sample.topk_prompt_logprobs == 0
