"""The client's protobuf codec of tinker >= 0.38 bodies (`tinkex._runtime._binary`), against the generated
message classes: every field the encoder writes parses back, results decode into numpy views, and what
protobuf cannot carry fails locally naming the field."""

from __future__ import annotations

import doctest
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

from tinkex import TinkexValidationError
from tinkex._exceptions import APIResponseValidationError
from tinkex._policy import _retry
from tinkex._policy._retry import billing_pause
from tinkex._runtime import _binary, _protocol
from tinkex._runtime._binary import (
    BinaryBody,
    decode_forward_backward_output,
    decode_sample_response,
    encode_forward_backward,
    with_seq_id,
)
from tinkex._runtime._protocol import refresh_interval
from tinkex.types import Datum, ImageChunk, ModelInput, TensorData


def _parse(body: bytes) -> Any:
    return pb.ForwardBackwardRequest.FromString(body)


def test_lists_and_numpy_give_the_same_message() -> None:
    lists = Datum(
        model_input=ModelInput.from_ints([1, 2, 3]),
        loss_fn_inputs={"target_tokens": [2, 3, 4], "weights": [1.0, 0.5, 0.0]},
    )
    arrays = Datum(
        model_input=ModelInput.from_ints(np.array([1, 2, 3])),
        loss_fn_inputs={
            "target_tokens": TensorData.from_numpy(np.array([2, 3, 4], dtype=np.int64)),
            "weights": TensorData.from_numpy(np.array([1.0, 0.5, 0.0], dtype=np.float32)),
        },
    )
    a = _parse(encode_forward_backward("m", [lists], "cross_entropy", None))
    b = _parse(encode_forward_backward("m", [arrays], "cross_entropy", None))
    assert a.data[0].model_input[0].encoded_text.tokens == np.array([1, 2, 3], "<i4").tobytes()
    assert a.data[0].loss_fn_inputs["target_tokens"].dense == b.data[0].loss_fn_inputs["target_tokens"].dense
    assert a.data[0].loss_fn_inputs["weights"].dtype == pb.DTYPE_FLOAT32
    np.testing.assert_array_equal(
        np.frombuffer(a.data[0].loss_fn_inputs["weights"].dense, "<f4"), [1.0, 0.5, 0.0]
    )
    assert list(b.data[0].loss_fn_inputs["weights"].shape) == [3]


def test_config_forward_only_seq_id_and_big_varints() -> None:
    body = encode_forward_backward(
        "s:train:0", [], "ppo", {"clip_low_threshold": 0.8, "mode": "token"}, forward_only=True
    )
    msg = _parse(with_seq_id(body, 300))
    assert msg.model_id == "s:train:0"
    assert msg.loss_fn == "ppo"
    assert msg.forward_only is True
    assert msg.seq_id == 300
    assert dict(msg.loss_fn_config) == {"clip_low_threshold": 0.8}  # numbers only: older readers
    assert msg.loss_fn_config_v2["clip_low_threshold"].number == 0.8
    assert msg.loss_fn_config_v2["mode"].text == "token"
    assert with_seq_id(body, None) == body


def test_images_spans_and_sparse_tensors_are_written() -> None:
    image = ImageChunk(data=b"\x89PNG", format="png", expected_tokens=4)
    span = SimpleNamespace(type="sampled_tokens", sequence_id="r:seq:0", offset=2, length=3)
    sparse = SimpleNamespace(
        data=[0.5, 2.0],
        dtype="float32",
        shape=[2, 3],
        sparse_crow_indices=[0, 1, 2],
        sparse_col_indices=[2, 0],
    )
    datum = SimpleNamespace(
        model_input=SimpleNamespace(chunks=[image]),
        loss_fn_inputs={"weights": sparse},
        model_input_spans=None,
        loss_fn_input_spans=[span],
    )
    msg = _parse(encode_forward_backward("m", [datum], "cross_entropy", None))
    d = msg.data[0]
    assert d.model_input[0].image.data == b"\x89PNG"
    assert d.model_input[0].image.format == "png"
    assert d.model_input[0].image.expected_tokens == 4
    assert d.loss_fn_input_spans[0].sampled_tokens.sequence_id == "r:seq:0"
    assert d.loss_fn_input_spans[0].sampled_tokens.offset == 2
    csr = d.loss_fn_inputs["weights"].sparse_csr
    np.testing.assert_array_equal(np.frombuffer(csr.col_indices, "<i8"), [2, 0])
    assert list(d.loss_fn_inputs["weights"].shape) == [2, 3]


@pytest.mark.parametrize("tokens", [[2**31], np.array([2**40])], ids=["list", "numpy"])
def test_a_token_id_past_int32_fails_locally_naming_the_field(tokens: Any) -> None:
    datum = SimpleNamespace(
        model_input=SimpleNamespace(chunks=[SimpleNamespace(type="encoded_text", tokens=tokens)]),
        loss_fn_inputs={},
    )
    with pytest.raises(TinkexValidationError, match=r"data\[0\]\.model_input\.chunks\[0\]\.tokens"):
        encode_forward_backward("m", [datum], "cross_entropy", None)


def test_a_chunk_without_a_protobuf_form_fails_locally() -> None:
    datum = SimpleNamespace(
        model_input=SimpleNamespace(chunks=[SimpleNamespace(type="image_asset_pointer")]), loss_fn_inputs={}
    )
    with pytest.raises(TinkexValidationError, match="image_asset_pointer"):
        encode_forward_backward("m", [datum], "cross_entropy", None)


def test_binary_body_encodes_once_and_compresses_on_request() -> None:
    datum = Datum(model_input=ModelInput.from_ints([1] * 500), loss_fn_inputs={"target_tokens": [1] * 500})
    body = BinaryBody("m", [datum], "cross_entropy", None)
    plain, headers = body.wire(7, compress=False)
    assert headers == {"Content-Type": "application/x-protobuf"}
    assert body.encode() is body.encode()
    packed, headers = body.wire(7, compress=True)
    assert headers["Content-Encoding"] == "zstd"
    assert len(packed) < len(plain)
    import zstandard

    assert zstandard.ZstdDecompressor().decompress(packed, max_output_size=1 << 20) == plain


def _fb_output(
    num: int, arrays: list[np.ndarray[Any, Any]], dtype: int, trailing: list[int] | None = None
) -> bytes:
    msg = pb.ForwardBackwardOutput(loss_fn_output_type="ArrayRecord")
    msg.metrics["loss:sum"] = 1.5
    rec = msg.loss_fn_outputs.add(type_tag="ArrayRecord", num_datums=num)
    bt = rec.fields["logprobs"]
    bt.data = b"".join(a.tobytes() for a in arrays)
    bt.offsets = np.cumsum([0, *(a.nbytes for a in arrays)]).astype("<i8").tobytes()
    bt.dtype = dtype
    if trailing:
        bt.trailing_shape.extend(trailing)
    return bytes(msg.SerializeToString())


def test_forward_backward_output_decodes_into_numpy_views() -> None:
    out = decode_forward_backward_output(
        _fb_output(2, [np.array([-1.0, -2.0], "<f4"), np.array([-3.0], "<f4")], pb.DTYPE_FLOAT32)
    )
    assert out["metrics"] == {"loss:sum": 1.5}
    first, second = (o["logprobs"] for o in out["loss_fn_outputs"])
    assert isinstance(first["data"], np.ndarray)
    np.testing.assert_array_equal(first["data"], [-1.0, -2.0])
    assert second["shape"] == [1]
    assert first["dtype"] == "float32"


def test_bfloat16_int32_and_trailing_shapes() -> None:
    bf16 = (np.array([1.5, -2.0], dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
    out = decode_forward_backward_output(_fb_output(1, [bf16], pb.DTYPE_BFLOAT16))
    np.testing.assert_array_equal(out["loss_fn_outputs"][0]["logprobs"]["data"], [1.5, -2.0])
    out = decode_forward_backward_output(_fb_output(1, [np.arange(6, dtype="<i4")], pb.DTYPE_INT32, [3]))
    td = out["loss_fn_outputs"][0]["logprobs"]
    assert td["dtype"] == "int64"
    assert td["shape"] == [2, 3]


def test_a_result_that_does_not_parse_is_a_response_error() -> None:
    with pytest.raises(APIResponseValidationError, match="does not parse"):
        decode_forward_backward_output(b"\xff\xff\xff")


def test_sample_response_decodes_with_sequence_ids_topk_and_nan_prompt_logprobs() -> None:
    msg = pb.SampleResponse(prompt_cache_hit_tokens=3)
    s = msg.sequences.add(stop_reason=pb.STOP_REASON_STOP, tokens=np.array([5, 6], "<i4").tobytes())
    s.logprobs = np.array([-0.5, -0.25], "<f4").tobytes()
    s.topk_sampled_logprobs.CopyFrom(
        pb.TopkLogprobs(
            token_ids=np.array([[5, 9], [6, 0]], "<i4").tobytes(),
            logprobs=np.array([[-0.5, -1.0], [-0.25, -99999.0]], "<f4").tobytes(),
            k=2,
            length=2,
        )
    )
    msg.prompt_logprobs = np.array([math.nan, -1.0], "<f4").tobytes()
    msg.target_prompt_logprobs.CopyFrom(
        pb.Tensor(dense=np.zeros(2, "<f4").tobytes(), dtype=pb.DTYPE_FLOAT32, shape=[1, 2])
    )
    out = decode_sample_response(msg.SerializeToString(), ["r:seq:0"])
    seq = out["sequences"][0]
    assert seq["tokens"] == [5, 6]
    assert seq["stop_reason"] == "stop"
    assert seq["logprobs"] == [-0.5, -0.25]
    assert seq["sequence_id"] == "r:seq:0"
    assert seq["topk_logprobs"] == [[(5, -0.5), (9, -1.0)], [(6, -0.25)]]  # empty cells dropped
    assert out["prompt_logprobs"] == [None, -1.0]
    assert out["prompt_cache_hit_tokens"] == 3
    assert out["target_prompt_logprobs"]["shape"] == [1, 2]


def test_refresh_interval_and_billing_pause_are_bounded() -> None:
    assert refresh_interval({"refresh_interval_sec": 0}) == 1.0
    assert refresh_interval({"refresh_interval_sec": 10_000}) == 300.0
    assert refresh_interval({"refresh_interval_sec": "soon"}) == 300.0
    assert refresh_interval(None) == 300.0
    assert billing_pause({"retry-after": "2"}) == 2.0
    assert billing_pause({}) == _retry.BILLING_PAUSE
    assert billing_pause({"retry-after": "999999"}) <= _retry.BILLING_PAUSE_MAX


def test_doctests() -> None:
    for module in (_binary, _protocol):
        assert doctest.testmod(module).failed == 0


def test_the_wire_checks_packed_lists_are_reused_byte_for_byte() -> None:
    from tinkex._policy._wire_check import check_datums

    data = [
        Datum(
            model_input=ModelInput.from_ints([1, 2, 3]),
            loss_fn_inputs={"target_tokens": [2, 3, 4], "weights": [1.0, 0.5, 0.0]},
        )
    ]
    memo: dict[int, Any] = {}
    checked = check_datums(data, memo=memo)
    assert len(memo) == 2  # the token list and the int64 targets
    plain = encode_forward_backward("m", checked, "cross_entropy", None)
    assert encode_forward_backward("m", checked, "cross_entropy", None, memo=memo) == plain
    too_big = [Datum(model_input=ModelInput.from_ints([2**40]), loss_fn_inputs={})]
    memo = {}
    with pytest.raises(TinkexValidationError, match="int32"):
        encode_forward_backward("m", check_datums(too_big, memo=memo), "cross_entropy", None, memo=memo)
