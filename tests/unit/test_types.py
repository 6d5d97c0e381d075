"""tinkex.types: helpers, conversions, tolerant decoding, no-copy wire paths, reprs and errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from typing import Any

import numpy as np
import orjson
import pytest
import torch

from tinkex._exceptions import TinkexValidationError
from tinkex.types import (
    AdamParams,
    Checkpoint,
    CheckpointsListResponse,
    CreateModelRequest,
    CreateSessionRequest,
    CreateSessionResponse,
    Datum,
    EncodedTextChunk,
    ForwardBackwardInput,
    ForwardBackwardOutput,
    ForwardBackwardRequest,
    GenericEvent,
    GetInfoResponse,
    ImageAssetPointerChunk,
    ImageChunk,
    LoadWeightsResponse,
    LoraConfig,
    ModelInput,
    OptimStepResponse,
    RequestErrorCategory,
    RequestFailedResponse,
    SampledSequence,
    SampleRequest,
    SampleResponse,
    SamplingParams,
    SaveWeightsForSamplerResponseInternal,
    SessionEndEvent,
    SessionStartEvent,
    TelemetrySendRequest,
    TensorData,
    TrainingRun,
    TryAgainResponse,
    UntypedAPIFuture,
)

# --------------------------------------------------------------------------------------------------
# ModelInput and chunks
# --------------------------------------------------------------------------------------------------


def test_model_input_helpers() -> None:
    tokens = [1, 2, 3]
    mi = ModelInput.from_ints(tokens)
    assert mi.chunks[0].tokens == tokens
    assert mi.length == 3
    assert mi.to_ints() == [1, 2, 3]
    assert mi.to_ints() is not tokens  # the caller may mutate the result
    mi2 = mi.append_int(4)
    assert mi2.to_ints() == [1, 2, 3, 4]
    assert len(mi2.chunks) == 2
    assert mi.length == 3  # append returns a new object
    mi3 = mi2.append(EncodedTextChunk(tokens=[5, 6]))
    assert mi3.length == 6
    assert ModelInput.empty().length == 0
    assert ModelInput.empty().to_ints() == []
    assert mi.chunks[0].length == 3


def test_model_input_length_with_images() -> None:
    mi = ModelInput(
        chunks=[
            EncodedTextChunk(tokens=[1, 2]),
            ImageChunk(data=b"\x89PNG", format="png", expected_tokens=10),
            ImageAssetPointerChunk(format="jpeg", location="s3://x", expected_tokens=5),
        ]
    )
    assert mi.length == 17
    with pytest.raises(TinkexValidationError) as info:
        mi.to_ints()
    assert "ImageChunk" in str(info.value)


@pytest.mark.parametrize(
    "chunk",
    [ImageChunk(data=b"x", format="png"), ImageAssetPointerChunk(format="png", location="l")],
)
def test_image_chunk_length_needs_expected_tokens(chunk: Any) -> None:
    with pytest.raises(TinkexValidationError) as info:
        _ = chunk.length
    assert info.value.field.endswith("expected_tokens")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ((1, 2), (1, 2)),
        (range(3), [0, 1, 2]),
        (np.array([4, 5], dtype=np.int32), [4, 5]),
        (torch.tensor([6, 7]), [6, 7]),
    ],
)
def test_encoded_text_chunk_accepts_sequences(tokens: Any, expected: Any) -> None:
    chunk = EncodedTextChunk(tokens=tokens)
    assert chunk.tokens == expected
    assert orjson.loads(orjson.dumps(chunk.to_dict())) == {"tokens": list(expected), "type": "encoded_text"}


@pytest.mark.parametrize("tokens", ["abc", b"abc", 5, None])
def test_encoded_text_chunk_rejects_non_sequences(tokens: Any) -> None:
    with pytest.raises(TinkexValidationError) as info:
        EncodedTextChunk(tokens=tokens)
    assert info.value.field == "EncodedTextChunk.tokens"


@pytest.mark.parametrize(
    ("chunks", "field"),
    [
        ([1, 2, 3], "ModelInput.chunks[0]"),
        ("abc", "ModelInput.chunks"),
        ([{"what": 1}], "ModelInput.chunks"),
    ],
)
def test_model_input_rejects_bad_chunks(chunks: Any, field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        ModelInput(chunks=chunks)
    assert info.value.field == field
    assert "from_ints" in str(info.value) or "type" in str(info.value)


def test_image_chunk_bytes_base64() -> None:
    chunk = ImageChunk(data=b"\x89PNG\r\n", format="png", expected_tokens=4)
    d = chunk.to_dict()
    assert d == {"data": "iVBORw0K", "format": "png", "expected_tokens": 4, "type": "image"}
    assert ImageChunk.from_dict(d) == chunk
    assert ImageChunk(data="iVBORw0K", format="png").data == b"\x89PNG\r\n"  # type: ignore[arg-type]
    assert chunk.model_dump()["data"] == b"\x89PNG\r\n"
    with pytest.raises(TinkexValidationError):
        ImageChunk(data=b"x", format="gif")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "cls"),
    [
        ({"tokens": [1]}, EncodedTextChunk),
        ({"tokens": [1], "type": "encoded_text"}, EncodedTextChunk),
        ({"data": "eA==", "format": "png"}, ImageChunk),
        ({"location": "x", "format": "png"}, ImageAssetPointerChunk),
        ({"location": "x", "format": "png", "type": "image_asset_pointer"}, ImageAssetPointerChunk),
    ],
)
def test_model_input_from_dict_infers_chunk_type(raw: dict[str, Any], cls: type) -> None:
    mi = ModelInput.from_dict({"chunks": [raw]})
    assert type(mi.chunks[0]) is cls
    assert ModelInput(chunks=[raw]).chunks[0] == mi.chunks[0]  # type: ignore[list-item]


# --------------------------------------------------------------------------------------------------
# TensorData
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.arange(6, dtype=np.float64).reshape(2, 3) / 7, "float32"),
        (np.arange(6, dtype=np.float32).reshape(3, 2), "float32"),
        (np.arange(4, dtype=np.float16), "float32"),
        (np.arange(4, dtype=np.int64), "int64"),
        (np.arange(4, dtype=np.int32), "int64"),
        (np.arange(4, dtype=np.int8).reshape(2, 2, 1), "int64"),
        (np.arange(12, dtype=np.float64).reshape(3, 4).T, "float32"),  # not C-contiguous
        (np.arange(10, dtype=np.int64)[::2], "int64"),  # strided
        (np.arange(4, dtype=">i8"), "int64"),  # big-endian
        (np.float32(3.5) * np.ones(()), "float32"),  # 0-d
    ],
)
def test_tensor_data_from_numpy(array: np.ndarray[Any, Any], dtype: str) -> None:
    td = TensorData.from_numpy(array)
    assert td.dtype == dtype
    assert td.shape == list(array.shape)
    assert td.numel == array.size
    np_dtype = np.float32 if dtype == "float32" else np.int64
    np.testing.assert_array_equal(td.to_numpy(), array.astype(np_dtype))
    assert td.to_numpy().dtype == np_dtype
    # encodes with orjson to the C-order flattened values
    body = orjson.loads(orjson.dumps(td.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY))
    np.testing.assert_allclose(body["data"], array.reshape(-1).astype(np.float64), rtol=1e-3)
    assert TensorData.from_dict(body) == td


@pytest.mark.parametrize(
    "array",
    [np.arange(3, dtype=np.uint8), np.array([True, False]), np.array([1 + 2j]), np.array(["a"])],
    ids=["uint8", "bool", "complex", "str"],
)
def test_tensor_data_from_numpy_rejects_other_dtypes(array: np.ndarray[Any, Any]) -> None:
    with pytest.raises(TinkexValidationError) as info:
        TensorData.from_numpy(array)
    assert "astype" in str(info.value)


def test_tensor_data_numpy_snapshot_then_zero_copy() -> None:
    arr = np.arange(8, dtype=np.float32).reshape(2, 4)
    td = TensorData.from_numpy(arr)
    assert isinstance(td.data, np.ndarray)  # no Python list
    assert not np.shares_memory(td.data, arr)  # a snapshot, like the official tolist()
    assert np.shares_memory(td.to_numpy(), td.data)  # to_numpy copies nothing
    assert td.to_dict()["data"] is td.data  # the array itself goes to orjson


@pytest.mark.parametrize(
    "make",
    [
        lambda buf: ModelInput.from_ints(buf["tokens"]),
        lambda buf: EncodedTextChunk(tokens=buf["tokens"]),
        lambda buf: TensorData(data=buf["weights"], dtype="float32"),
        lambda buf: TensorData(data=buf["array"], dtype="float32"),
        lambda buf: TensorData.from_numpy(buf["array"]),
        lambda buf: TensorData.from_torch(buf["tensor"]),
        lambda buf: Datum(
            model_input=ModelInput.from_ints(buf["tokens"]),
            loss_fn_inputs={"weights": buf["weights"], "advantages": buf["array"], "logprobs": buf["tensor"]},
        ),
    ],
)
def test_later_mutation_of_user_buffers_is_not_sent(make: Any) -> None:
    # Requests are encoded later on the SDK's loop thread; a caller reusing its buffers meanwhile
    # must not change what goes out (the official pydantic models copy too).
    buf = {
        "tokens": [1, 2, 3],
        "weights": [1.0, 1.0, 1.0],
        "array": np.ones(3, dtype=np.float32),
        "tensor": torch.ones(3),
    }
    obj = make(buf)
    before = orjson.dumps(obj.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY)
    buf["tokens"].append(4)
    buf["weights"][0] = 9.0
    buf["array"][0] = 9.0
    buf["tensor"][0] = 9.0
    assert orjson.dumps(obj.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY) == before


@pytest.mark.parametrize(
    ("tensor", "dtype"),
    [
        (torch.arange(6, dtype=torch.float32).reshape(2, 3) / 3, "float32"),
        (torch.arange(6, dtype=torch.float64).reshape(3, 2) / 3, "float32"),
        (torch.arange(4, dtype=torch.bfloat16) / 3, "float32"),
        (torch.arange(4, dtype=torch.float16) / 3, "float32"),
        (torch.arange(4, dtype=torch.int64), "int64"),
        (torch.arange(4, dtype=torch.int32), "int64"),
        (torch.tensor([True, False]), "int64"),
        (torch.arange(4, dtype=torch.uint8), "int64"),
        (torch.ones(3, requires_grad=True) * 2, "float32"),
        (torch.arange(12, dtype=torch.float32).reshape(3, 4).T, "float32"),
    ],
)
def test_tensor_data_from_torch_matches_official(tensor: torch.Tensor, dtype: str) -> None:
    official = pytest.importorskip("tinker.types").TensorData.from_torch(tensor)
    td = TensorData.from_torch(tensor)
    assert td.dtype == official.dtype == dtype
    assert td.shape == official.shape
    np_dtype = np.float32 if dtype == "float32" else np.int64
    np.testing.assert_array_equal(td.to_numpy(), np.asarray(official.data, dtype=np_dtype).reshape(td.shape))
    out = td.to_torch()
    assert out.dtype == (torch.float32 if dtype == "float32" else torch.int64)
    assert list(out.shape) == td.shape
    assert td.tolist() == official.tolist()


def test_tensor_data_list_conversions_match_official() -> None:
    official = pytest.importorskip("tinker.types").TensorData
    for data, dtype, shape in [
        ([0.1, 0.2, 0.3, 0.4], "float32", [2, 2]),
        ([1, 2, 3], "int64", None),
        ([1.0, 2.5], "float32", [2, 1]),
    ]:
        ours = TensorData(data=data, dtype=dtype, shape=shape)  # type: ignore[arg-type]
        theirs = official(data=data, dtype=dtype, shape=shape)
        assert ours.tolist() == theirs.tolist()
        np.testing.assert_array_equal(ours.to_numpy(), theirs.to_numpy())
        assert torch.equal(ours.to_torch(), theirs.to_torch())
        assert ours.data == data


def test_tensor_data_to_torch_does_not_alias() -> None:
    td = TensorData.from_numpy(np.zeros(3, dtype=np.float32))
    t = td.to_torch()
    t += 1
    assert td.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"data": [1], "dtype": "float64"}, "TensorData.dtype"),
        ({"data": [1], "dtype": "int32"}, "TensorData.dtype"),
        ({"data": "abc", "dtype": "int64"}, "TensorData.data"),
        ({"data": None, "dtype": "int64"}, "TensorData.data"),
        ({"data": torch.ones(2), "dtype": "float32"}, "TensorData.data"),
        ({"data": [1], "dtype": "int64", "shape": 1}, "TensorData.shape"),
    ],
)
def test_tensor_data_rejects_bad_input(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        TensorData(**kwargs)
    assert info.value.field == field
    assert info.value.fix


def test_tensor_data_equality_across_representations() -> None:
    a = TensorData(data=[1.0, 2.0], dtype="float32", shape=[2])
    b = TensorData.from_numpy(np.array([1.0, 2.0], dtype=np.float32))
    c = TensorData(data=[1.0, 2.0], dtype="float32")  # shape omitted == flat
    assert a == b == c
    assert a != TensorData(data=[1.0, 3.0], dtype="float32")
    assert a != TensorData(data=[1, 2], dtype="int64")
    assert a != TensorData(data=[1.0, 2.0], dtype="float32", shape=[1, 2])
    assert a != "x"
    with pytest.raises(TypeError):
        hash(a)


def test_tensor_data_shape_tuple_and_tolist_nesting() -> None:
    td = TensorData(data=[1, 2, 3, 4, 5, 6], dtype="int64", shape=(2, 3))  # type: ignore[arg-type]
    assert td.shape == [2, 3]
    assert td.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_tensor_data_pure_python_tolist(monkeypatch: pytest.MonkeyPatch) -> None:
    import tinkex.types._tensor as mod

    monkeypatch.setattr(mod, "_numpy_available", lambda: False)
    td = TensorData(data=[0.1, 0.2, 0.3, 0.4], dtype="float32", shape=[2, 2])
    assert td.tolist() == np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32).tolist()
    assert TensorData(data=[1, 2], dtype="int64").tolist() == [1, 2]


# --------------------------------------------------------------------------------------------------
# Datum conversions
# --------------------------------------------------------------------------------------------------

MI = ModelInput.from_ints([1, 2, 3])


@pytest.mark.parametrize(
    ("key", "value", "dtype", "shape"),
    [
        ("target_tokens", [1, 2, 3], "int64", [3]),
        ("weights", [1.0, 0.0, 1.0], "float32", [3]),
        ("advantages", [0.5, -0.5, 1], "float32", [3]),
        ("logprobs", [-1.0, -2.0, -3.0], "float32", [3]),
        ("clip_low_threshold", [0.8], "float32", [1]),
        ("clip_high_threshold", [1.2], "float32", [1]),
        ("weights", np.ones(3), "float32", [3]),
        ("anything", np.ones((2, 3), dtype=np.float16), "float32", [2, 3]),
        ("anything", np.arange(3, dtype=np.int32), "int64", [3]),
        ("anything", torch.ones(3, dtype=torch.float64), "float32", [3]),
        ("anything", torch.ones(2, 2, dtype=torch.bfloat16), "float32", [2, 2]),
        ("anything", torch.arange(3), "int64", [3]),
        ("anything", torch.tensor([True]), "int64", [1]),
        ("anything", {"data": [1, 2], "dtype": "int64"}, "int64", None),
    ],
)
def test_datum_converts_loss_inputs(key: str, value: Any, dtype: str, shape: list[int] | None) -> None:
    d = Datum(model_input=MI, loss_fn_inputs={key: value})
    td = d.loss_fn_inputs[key]
    assert isinstance(td, TensorData)
    assert td.dtype == dtype
    assert td.shape == shape
    if isinstance(value, list):
        assert td.data == value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("target_tokens", [1, 2, 3]),
        ("weights", [1.0, 0.0, 1.0]),
        ("advantages", [0.5, -0.5, 1.0]),
        ("weights", np.ones(3)),
        ("anything", np.arange(3, dtype=np.int32)),
        ("anything", torch.ones(3, dtype=torch.float64) / 3),
        ("anything", torch.arange(3)),
        ("anything", torch.tensor([True, False])),
    ],
)
def test_datum_conversion_matches_official(key: str, value: Any) -> None:
    official = pytest.importorskip("tinker.types")
    theirs = official.Datum(model_input=official.ModelInput.from_ints([1, 2, 3]), loss_fn_inputs={key: value})
    ours = Datum(model_input=MI, loss_fn_inputs={key: value})
    o, t = theirs.loss_fn_inputs[key], ours.loss_fn_inputs[key]
    assert (t.dtype, t.shape) == (o.dtype, o.shape)
    assert t.tolist() == o.tolist()


def test_datum_keeps_tensor_data_identity() -> None:
    td = TensorData(data=[1], dtype="int64")
    assert Datum(model_input=MI, loss_fn_inputs={"x": td}).loss_fn_inputs["x"] is td


def test_datum_unknown_list_key_error_names_field_and_fix() -> None:
    with pytest.raises(TinkexValidationError) as info:
        Datum(model_input=MI, loss_fn_inputs={"foo": [1, 2]})
    assert info.value.field == "Datum.loss_fn_inputs['foo']"
    assert "target_tokens" in str(info.value)
    assert "pass a TensorData, numpy array or torch tensor instead" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"model_input": MI, "loss_fn_inputs": {"x": np.arange(3, dtype=np.uint8)}},
            "Datum.loss_fn_inputs['x']",
        ),
        ({"model_input": MI, "loss_fn_inputs": {"x": np.array([True])}}, "Datum.loss_fn_inputs['x']"),
        ({"model_input": MI, "loss_fn_inputs": {"x": "abc"}}, "Datum.loss_fn_inputs['x']"),
        ({"model_input": MI, "loss_fn_inputs": {"x": 3}}, "Datum.loss_fn_inputs['x']"),
        ({"model_input": MI, "loss_fn_inputs": [1, 2]}, "Datum.loss_fn_inputs"),
        ({"model_input": [1, 2, 3], "loss_fn_inputs": {}}, "Datum.model_input"),
    ],
)
def test_datum_rejects_bad_input(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        Datum(**kwargs)
    assert info.value.field == field
    assert info.value.fix


def test_datum_accepts_model_input_dict() -> None:
    d = Datum(model_input={"chunks": [{"tokens": [1]}]}, loss_fn_inputs={})  # type: ignore[arg-type]
    assert d.model_input.to_ints() == [1]


# --------------------------------------------------------------------------------------------------
# Wire encoding: no copies, tags, None handling
# --------------------------------------------------------------------------------------------------


def _fb_request(n_tokens: int = 16) -> tuple[ForwardBackwardRequest, list[int], list[float]]:
    tokens = list(range(n_tokens))
    weights = [1.0] * n_tokens
    datum = Datum(
        model_input=ModelInput.from_ints(tokens), loss_fn_inputs={"target_tokens": tokens, "weights": weights}
    )
    fbi = ForwardBackwardInput(data=[datum, datum], loss_fn="cross_entropy")
    return ForwardBackwardRequest(forward_backward_input=fbi, model_id="run-1", seq_id=3), tokens, weights


def test_to_dict_does_not_copy_token_lists() -> None:
    req, tokens, weights = _fb_request()
    body = req.to_dict()
    datum = body["forward_backward_input"]["data"][0]
    held = req.forward_backward_input.data[0]
    assert datum["model_input"]["chunks"][0]["tokens"] is held.model_input.chunks[0].tokens
    assert datum["loss_fn_inputs"]["target_tokens"]["data"] is held.loss_fn_inputs["target_tokens"].data
    assert datum["loss_fn_inputs"]["weights"]["data"] is held.loss_fn_inputs["weights"].data
    assert datum["model_input"]["chunks"][0]["tokens"] == tokens
    assert datum["loss_fn_inputs"]["weights"]["data"] == weights
    assert "loss_fn_config" not in body["forward_backward_input"]
    assert body["seq_id"] == 3


def test_request_round_trip_through_json() -> None:
    req, _, _ = _fb_request()
    raw = orjson.loads(orjson.dumps(req.to_dict()))
    assert ForwardBackwardRequest.from_dict(raw) == req


def test_from_dict_does_not_copy_per_token_arrays() -> None:
    logprobs = [-0.5] * 100
    raw = {
        "loss_fn_output_type": "cross_entropy",
        "loss_fn_outputs": [{"logprobs": {"data": logprobs, "dtype": "float32", "shape": [100]}}],
        "metrics": {"loss:sum": 1.0},
    }
    out = ForwardBackwardOutput.from_dict(raw)
    assert out.loss_fn_outputs[0]["logprobs"].data is logprobs
    tokens_in = [7, 8]
    chunk = ModelInput.from_dict({"chunks": [{"tokens": tokens_in}]}).chunks[0]
    assert chunk.tokens is tokens_in  # type: ignore[union-attr]
    tokens = [1, 2, 3]
    lp = [-0.1, -0.2, -0.3]
    topk = [None, [[1, -0.1], [2, -0.2]]]
    sample = SampleResponse.from_dict(
        {
            "sequences": [{"stop_reason": "stop", "tokens": tokens, "logprobs": lp}],
            "topk_prompt_logprobs": topk,
        }
    )
    assert sample.sequences[0].tokens is tokens
    assert sample.sequences[0].logprobs is lp
    assert sample.topk_prompt_logprobs is topk


def test_from_dict_is_lazy_about_elements() -> None:
    # Element types are not validated: a decode never walks the array (garbage passes through).
    out = SampledSequence.from_dict({"stop_reason": "length", "tokens": ["not", "checked"]})
    assert out.tokens == ["not", "checked"]


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (
            CreateModelRequest(
                session_id="s", model_seq_id=0, base_model="m", lora_config=LoraConfig(rank=8)
            ),
            {
                "session_id": "s",
                "model_seq_id": 0,
                "base_model": "m",
                "lora_config": {"rank": 8, "train_unembed": True, "train_mlp": True, "train_attn": True},
                "type": "create_model",
            },
        ),
        (
            CreateSessionRequest(tags=[], user_metadata=None, sdk_version="1"),
            {"tags": [], "user_metadata": None, "sdk_version": "1", "type": "create_session"},
        ),
        (SamplingParams(), {"temperature": 1.0, "top_k": -1, "top_p": 1.0}),
        (
            SampleRequest(
                prompt=ModelInput.from_ints([1]), sampling_params=SamplingParams(max_tokens=2, stop=["\n"])
            ),
            {
                "num_samples": 1,
                "prompt": {"chunks": [{"tokens": [1], "type": "encoded_text"}]},
                "sampling_params": {
                    "max_tokens": 2,
                    "stop": ["\n"],
                    "temperature": 1.0,
                    "top_k": -1,
                    "top_p": 1.0,
                },
                "topk_prompt_logprobs": 0,
                "type": "sample",
            },
        ),
    ],
)
def test_to_dict_sends_type_and_non_none_fields(obj: Any, expected: dict[str, Any]) -> None:
    assert obj.to_dict() == expected


# --------------------------------------------------------------------------------------------------
# Tolerant decoding
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "raw", "check"),
    [
        (
            SamplingParams,
            {"max_tokens": 5, "temperature": None, "top_k": None},
            {"temperature": 1.0, "top_k": -1},
        ),
        (SamplingParams, {"unknown": 1, "max_tokens": 5}, {"max_tokens": 5}),
        (AdamParams, {}, {"learning_rate": 0.0001, "grad_clip_norm": 0.0}),
        (LoraConfig, {"rank": 4, "seed": None}, {"rank": 4, "seed": None, "train_mlp": True}),
        (CreateSessionResponse, {"session_id": "s", "info_message": None}, {"type": "create_session"}),
        (CreateSessionResponse, {"session_id": "s", "type": "something-else"}, {"type": "create_session"}),
        (LoadWeightsResponse, {"path": "p"}, {"type": None}),
        (LoadWeightsResponse, {"path": "p", "type": "load_weights"}, {"type": "load_weights"}),
        (LoadWeightsResponse, {"path": "p", "type": "bogus"}, {"type": None}),
        (OptimStepResponse, {"metrics": None}, {"metrics": None}),
        (SaveWeightsForSamplerResponseInternal, {"sampling_session_id": "x"}, {"path": None}),
        (UntypedAPIFuture, {"request_id": "r", "model_id": "m", "extra": [1]}, {"model_id": "m"}),
        (TryAgainResponse, {"request_id": "r", "queue_state": "paused_capacity"}, {"type": "try_again"}),
        (GetInfoResponse, {"model_data": {}, "model_id": "m"}, {"is_lora": None}),
        (CheckpointsListResponse, {"checkpoints": [], "cursor": None}, {"cursor": None}),
        (
            CreateModelRequest,
            {
                "session_id": "s",
                "model_seq_id": 0,
                "base_model": "b",
                "user_metadata": None,
                "lora_config": {"rank": 2},
            },
            {"lora_config": LoraConfig(rank=2)},
        ),
    ],
)
def test_from_dict_tolerance(cls: type, raw: dict[str, Any], check: dict[str, Any]) -> None:
    obj = cls.from_dict(raw)  # type: ignore[attr-defined]
    for name, value in check.items():
        assert getattr(obj, name) == value


@pytest.mark.parametrize(
    ("cls", "raw", "field"),
    [
        (CreateSessionResponse, {}, "CreateSessionResponse.session_id"),
        (
            ForwardBackwardOutput,
            {"loss_fn_outputs": [], "metrics": {}},
            "ForwardBackwardOutput.loss_fn_output_type",
        ),
        (Checkpoint, {"checkpoint_id": "x"}, "Checkpoint.checkpoint_type"),
        (TensorData, {"data": [1]}, "TensorData.dtype"),
    ],
)
def test_from_dict_missing_required_names_the_field(cls: type, raw: dict[str, Any], field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        cls.from_dict(raw)  # type: ignore[attr-defined]
    assert info.value.field == field


def test_from_dict_rejects_non_mappings() -> None:
    with pytest.raises(TinkexValidationError):
        LoraConfig.from_dict([1, 2])  # type: ignore[arg-type]


def test_from_dict_passes_instances_through() -> None:
    lc = LoraConfig(rank=1)
    assert LoraConfig.from_dict(lc) is lc  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-12-03T01:00:00Z", dt.datetime(2025, 12, 3, 1, tzinfo=dt.UTC)),
        ("2025-12-03T01:00:00.123456Z", dt.datetime(2025, 12, 3, 1, 0, 0, 123456, tzinfo=dt.UTC)),
        ("2025-12-03T01:00:00.123456789Z", dt.datetime(2025, 12, 3, 1, 0, 0, 123456, tzinfo=dt.UTC)),
        ("2025-12-03T02:00:00+01:00", dt.datetime(2025, 12, 3, 1, tzinfo=dt.UTC)),
        ("2025-12-03T01:00:00", dt.datetime(2025, 12, 3, 1, tzinfo=dt.UTC)),
        (1764723600, dt.datetime(2025, 12, 3, 1, tzinfo=dt.UTC)),
        (1764723600.5, dt.datetime(2025, 12, 3, 1, 0, 0, 500000, tzinfo=dt.UTC)),
    ],
)
def test_datetimes_parse_to_aware(raw: Any, expected: dt.datetime) -> None:
    c = Checkpoint.from_dict(
        {
            "checkpoint_id": "weights/a",
            "checkpoint_type": "training",
            "time": raw,
            "tinker_path": "tinker://r/weights/a",
        }
    )
    assert c.time == expected
    assert c.time.tzinfo is not None


def test_datetimes_dump_with_z() -> None:
    c = Checkpoint(
        checkpoint_id="weights/a",
        checkpoint_type="training",
        time=dt.datetime(2025, 12, 3, 1, 0, 0, 123456, tzinfo=dt.UTC),
        tinker_path="tinker://r/weights/a",
    )
    assert c.to_dict()["time"] == "2025-12-03T01:00:00.123456Z"
    assert c.model_dump()["time"] == c.time
    assert c.model_dump(mode="json")["time"] == "2025-12-03T01:00:00.123456Z"


def test_bad_datetime_is_a_validation_error() -> None:
    with pytest.raises(TinkexValidationError) as info:
        Checkpoint.from_dict(
            {"checkpoint_id": "w/a", "checkpoint_type": "training", "time": "yesterday", "tinker_path": "x"}
        )
    assert "Checkpoint.time" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("user", RequestErrorCategory.User),
        ("server", RequestErrorCategory.Server),
        ("unknown", RequestErrorCategory.Unknown),
        ("brand-new", RequestErrorCategory.Unknown),
    ],
)
def test_request_failed_response_category(raw: str, expected: RequestErrorCategory) -> None:
    r = RequestFailedResponse.from_dict({"error": "boom", "category": raw})
    assert r.category is expected
    assert r.to_dict() == {"error": "boom", "category": expected.value}


def test_request_error_category_values() -> None:
    assert [c.value for c in RequestErrorCategory] == ["unknown", "server", "user"]
    assert RequestErrorCategory.User == "user"


def test_nested_rest_types_decode() -> None:
    raw = {
        "training_run_id": "r",
        "base_model": "m",
        "model_owner": "me",
        "is_lora": True,
        "lora_rank": 8,
        "last_request_time": "2025-12-03T01:00:00Z",
        "last_checkpoint": {
            "checkpoint_id": "weights/a",
            "checkpoint_type": "training",
            "time": "2025-12-03T01:00:00Z",
            "tinker_path": "tinker://r/weights/a",
            "size_bytes": None,
        },
        "user_metadata": {"k": "v"},
        "future_field": {"ignored": True},
    }
    run = TrainingRun.from_dict(raw)
    assert isinstance(run.last_checkpoint, Checkpoint)
    assert run.last_checkpoint.size_bytes is None
    assert run.last_sampler_checkpoint is None
    back = orjson.loads(run.model_dump_json())
    assert back["last_checkpoint"]["time"] == "2025-12-03T01:00:00Z"
    assert TrainingRun.from_dict(back) == run


def test_telemetry_events_dispatch_by_event() -> None:
    ts = "2025-12-03T01:00:00Z"
    raw = {
        "events": [
            {
                "event": "SESSION_START",
                "event_id": "1",
                "event_session_index": 0,
                "severity": "INFO",
                "timestamp": ts,
            },
            {
                "event": "GENERIC_EVENT",
                "event_id": "2",
                "event_name": "x",
                "event_session_index": 1,
                "severity": "DEBUG",
                "timestamp": ts,
            },
            {
                "event": "SESSION_END",
                "duration": "PT1S",
                "event_id": "3",
                "event_session_index": 2,
                "severity": "INFO",
                "timestamp": ts,
            },
        ],
        "platform": "Linux",
        "sdk_version": "0.1.0",
        "session_id": "s",
    }
    req = TelemetrySendRequest.from_dict(raw)
    assert [type(e) for e in req.events] == [SessionStartEvent, GenericEvent, SessionEndEvent]
    assert req.events[1].event_data == {}
    assert req.to_dict()["events"][0]["timestamp"] == ts
    with pytest.raises(TinkexValidationError):
        TelemetrySendRequest.from_dict({**raw, "events": [{"event": "NOPE"}]})


# --------------------------------------------------------------------------------------------------
# Validation of local input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: LoraConfig(rank=0), "LoraConfig.rank"),
        (lambda: LoraConfig(rank="8"), "LoraConfig.rank"),
        (lambda: AdamParams(learning_rate="1e-4"), "AdamParams.learning_rate"),
        (lambda: SamplingParams(max_tokens=0), "SamplingParams.max_tokens"),
        (lambda: SamplingParams(top_k=1.5), "SamplingParams.top_k"),
        (lambda: SamplingParams(stop=[1, "a"]), "SamplingParams.stop"),
        (lambda: SamplingParams(stop=3), "SamplingParams.stop"),
        (lambda: SamplingParams(temperature=None), "SamplingParams.temperature"),
        (
            lambda: ForwardBackwardInput(
                data=Datum(model_input=MI, loss_fn_inputs={}), loss_fn="cross_entropy"
            ),
            "ForwardBackwardInput.data",
        ),
        (lambda: ForwardBackwardInput(data=[1], loss_fn="cross_entropy"), "ForwardBackwardInput.data[0]"),
        (lambda: ForwardBackwardInput(data=[], loss_fn=""), "ForwardBackwardInput.loss_fn"),
        (lambda: SampleRequest(prompt=[1, 2], sampling_params=SamplingParams()), "SampleRequest.prompt"),
        (
            lambda: SampleRequest(prompt=MI, sampling_params=SamplingParams(), num_samples=0),
            "SampleRequest.num_samples",
        ),
        (lambda: SampleRequest(prompt=MI, sampling_params="greedy"), "SampleRequest.sampling_params"),
        (
            lambda: SampleRequest(prompt=MI, sampling_params=SamplingParams(), topk_prompt_logprobs=-1),
            "SampleRequest.topk_prompt_logprobs",
        ),
    ],
)
def test_bad_local_input_names_field_and_fix(factory: Any, field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        factory()
    assert info.value.field == field
    assert info.value.fix


def test_valid_stop_forms() -> None:
    for stop in ["\n", ["a", "b"], [1, 2], (3,), None, []]:
        assert SamplingParams(stop=stop).stop == stop


def test_forward_backward_input_accepts_datum_dicts() -> None:
    raw = {
        "model_input": {"chunks": [{"tokens": [1]}]},
        "loss_fn_inputs": {"weights": {"data": [1.0], "dtype": "float32"}},
    }
    fbi = ForwardBackwardInput(data=[raw], loss_fn="ppo", loss_fn_config={"clip_low_threshold": 0.8})  # type: ignore[list-item]
    assert isinstance(fbi.data[0], Datum)
    assert fbi.to_dict()["loss_fn_config"] == {"clip_low_threshold": 0.8}


# --------------------------------------------------------------------------------------------------
# repr, equality, immutability, pickling, pydantic aliases
# --------------------------------------------------------------------------------------------------


def test_repr_truncates_long_arrays() -> None:
    tokens = list(range(8192))
    mi = ModelInput.from_ints(tokens)
    text = repr(mi)
    assert "8192 items" in text
    assert len(text) < 300
    td = TensorData.from_numpy(np.zeros(10_000, dtype=np.float32))
    assert "10000 items" in repr(td)
    assert len(repr(td)) < 300
    seq = SampledSequence(stop_reason="length", tokens=tokens, logprobs=[0.0] * 8192)
    assert len(repr(seq)) < 400
    req, _, _ = _fb_request(4096)
    assert len(repr(req)) < 400
    assert (
        str(LoraConfig(rank=2))
        == repr(LoraConfig(rank=2))
        == ("LoraConfig(rank=2, seed=None, train_unembed=True, train_mlp=True, train_attn=True)")
    )
    many = ModelInput(chunks=[EncodedTextChunk(tokens=[i]) for i in range(100)])
    assert "100 chunks" in repr(many)
    assert "<4 bytes>" in repr(ImageChunk(data=b"abcd", format="png"))


def test_equality_and_hash() -> None:
    assert LoraConfig(rank=8) == LoraConfig(rank=8)
    assert LoraConfig(rank=8) != LoraConfig(rank=9)
    assert LoraConfig(rank=8) != AdamParams()
    assert hash(LoraConfig(rank=8)) == hash(LoraConfig(rank=8))
    assert hash(AdamParams()) == hash(AdamParams())
    assert {SamplingParams(max_tokens=1), SamplingParams(max_tokens=1)} == {SamplingParams(max_tokens=1)}
    assert ModelInput.from_ints([1, 2]) == ModelInput.from_ints([1, 2])
    assert ModelInput.from_ints([1, 2]) != ModelInput.from_ints([1, 3])
    with pytest.raises(TypeError):
        hash(ModelInput.from_ints([1]))  # holds a list, like pydantic's frozen models


def test_types_are_frozen() -> None:
    lc = LoraConfig(rank=8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lc.rank = 4  # type: ignore[misc]
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError)):
        lc.extra = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "obj",
    [
        LoraConfig(rank=8),
        _fb_request()[0],
        TensorData.from_numpy(np.arange(4, dtype=np.float32)),
        SampleResponse.from_dict({"sequences": [{"stop_reason": "stop", "tokens": [1]}]}),
        RequestFailedResponse(error="e", category="user"),  # type: ignore[arg-type]
    ],
    ids=lambda o: type(o).__name__,
)
def test_types_pickle(obj: Any) -> None:
    assert pickle.loads(pickle.dumps(obj)) == obj


def test_pydantic_aliases() -> None:
    sp = SamplingParams(max_tokens=3)
    assert sp.model_dump() == {
        "max_tokens": 3,
        "seed": None,
        "stop": None,
        "temperature": 1.0,
        "top_k": -1,
        "top_p": 1.0,
    }
    assert sp.model_dump(exclude_none=True) == {
        "max_tokens": 3,
        "temperature": 1.0,
        "top_k": -1,
        "top_p": 1.0,
    }
    assert orjson.loads(sp.model_dump_json()) == sp.model_dump(mode="json")
    assert "\n" in sp.model_dump_json(indent=2)
    assert SamplingParams.model_validate({"max_tokens": 3}) == sp
    assert sp.model_copy(update={"seed": 1}).seed == 1
    assert sp.seed is None


def test_model_dump_json_converts_numpy() -> None:
    td = TensorData.from_numpy(np.arange(3, dtype=np.int64))
    assert td.model_dump()["data"] == [0, 1, 2]
    assert isinstance(td.model_dump()["data"], list)
    assert orjson.loads(td.model_dump_json()) == {"data": [0, 1, 2], "dtype": "int64", "shape": [3]}


def test_future_retrieve_response_union_members() -> None:
    from typing import get_args

    from tinkex.types import FutureRetrieveResponse

    names = {c.__name__ for c in get_args(FutureRetrieveResponse)}
    assert names == {
        "TryAgainResponse",
        "ForwardBackwardOutput",
        "OptimStepResponse",
        "SaveWeightsResponse",
        "LoadWeightsResponse",
        "SaveWeightsForSamplerResponse",
        "CreateModelResponse",
        "UnloadModelResponse",
        "RequestFailedResponse",
    }


def test_dataclasses_replace_makes_checked_copies() -> None:
    # Real code written against the official SDK calls dataclasses.replace on these types.
    req, tokens, _ = _fb_request(4)
    datum = req.forward_backward_input.data[0]
    changed = dataclasses.replace(datum, loss_fn_inputs={"target_tokens": [9, 9, 9, 9]})
    assert changed.loss_fn_inputs["target_tokens"] == TensorData(data=[9, 9, 9, 9], dtype="int64", shape=[4])
    assert changed.model_input is datum.model_input
    assert datum.loss_fn_inputs["target_tokens"].data == tokens, "the original is unchanged"
    fbi = dataclasses.replace(req.forward_backward_input, data=[changed])
    assert dataclasses.replace(req, forward_backward_input=fbi).to_dict()["forward_backward_input"][
        "data"
    ] == [changed.to_dict()]
    td = dataclasses.replace(TensorData(data=[1.0, 2.0], dtype="float32"), shape=(2,))
    assert td.shape == [2]
    seq = SampledSequence(stop_reason="stop", tokens=[1, 2])
    response = SampleResponse(sequences=[seq])
    assert dataclasses.replace(response, sequences=[dataclasses.replace(seq, tokens=[3])]).sequences[
        0
    ].tokens == [3]
    out = ForwardBackwardOutput(
        loss_fn_output_type="ArrayRecord", loss_fn_outputs=[], metrics={"loss:sum": 1.0}
    )
    assert dataclasses.replace(out, metrics={}).metrics == {}
    # The checks run again on the copy.
    with pytest.raises(TinkexValidationError, match=r"Datum\.loss_fn_inputs"):
        dataclasses.replace(datum, loss_fn_inputs=[1, 2])
    with pytest.raises(TinkexValidationError, match=r"LoraConfig\.rank"):
        dataclasses.replace(LoraConfig(rank=8), rank=0)


def test_lazy_table_matches_all() -> None:
    import _tinkex_lowlevel.models as generated

    import tinkex.types as t

    # Every public name comes from the generated models or one hand-written alias module.
    assert set(t.__all__) <= set(generated.__all__) | set(t._LOCAL)
    assert set(t._LOCAL) <= set(t.__all__)
    assert sorted(dir(t)) == sorted(set(dir(t)))
    assert set(t.__all__) <= set(dir(t))
