"""Parse and validate `forward` / `forward_backward` bodies in one C pass (msgspec), or say "not sure".

These two requests carry the per-token arrays: a 32 x 8192 batch is ~800,000 numbers. The generic
path (orjson, then the compiled spec predicate of `_schema_check`) visits every number twice; here
msgspec checks each one while parsing it, which takes the body from ~17 ms to ~7 ms per 2 MB.

The structs below mirror `ForwardRequest` / `ForwardBackwardRequest` of openapi/tinker.yaml for
text-only batches. They may be *stricter* than the spec, never looser: anything they refuse (image
chunks, `3.0` written for an integer, ints beyond 64 bits, invalid UTF-8, ...) returns None and the caller takes the
generic path, which accepts it or names the problem as usual. tests/server/test_fast_decode.py holds
both halves of that promise: every field here exists in the spec with the same type and
required-ness, and on hundreds of mutated bodies "fast accepts" implies "spec accepts" with the same
decoded value.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

__all__ = ["decode_hot_body"]

_LossFn = Literal["cross_entropy", "importance_sampling", "ppo", "cispo", "dro"]
# orjson reads an integer beyond 64 bits as a float, msgspec as an exact int: refusing them here keeps
# "the same value as orjson.loads" true (the generic path takes them, as the spec allows).
_Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class _TextChunk(msgspec.Struct, forbid_unknown_fields=True):
    tokens: list[_Int]
    type: Literal["encoded_text"] | UnsetType = UNSET


class _ModelInput(msgspec.Struct, forbid_unknown_fields=True):
    chunks: list[_TextChunk]


class _TensorData(msgspec.Struct, forbid_unknown_fields=True):
    # `int | float`: JSON numbers keep their kind (1 stays int, 1.0 float), bools are refused.
    data: list[_Int | float]
    dtype: Literal["int64", "float32"]
    shape: list[_Int] | UnsetType | None = UNSET


class _Datum(msgspec.Struct, forbid_unknown_fields=True):
    loss_fn_inputs: dict[str, _TensorData]
    model_input: _ModelInput


class _ForwardBackwardInput(msgspec.Struct, forbid_unknown_fields=True):
    data: list[_Datum]
    loss_fn: _LossFn
    loss_fn_config: dict[str, _Int | float] | UnsetType | None = UNSET


class _ForwardRequest(msgspec.Struct, forbid_unknown_fields=True):
    forward_input: _ForwardBackwardInput
    model_id: str
    seq_id: _Int | UnsetType | None = UNSET


class _ForwardBackwardRequest(msgspec.Struct, forbid_unknown_fields=True):
    forward_backward_input: _ForwardBackwardInput
    model_id: str
    seq_id: _Int | UnsetType | None = UNSET


_DECODERS: dict[str, tuple[str, msgspec.json.Decoder[Any]]] = {
    "forward": ("forward_input", msgspec.json.Decoder(_ForwardRequest)),
    "forward_backward": ("forward_backward_input", msgspec.json.Decoder(_ForwardBackwardRequest)),
}


def decode_hot_body(operation_id: str, raw: bytes) -> dict[str, Any] | None:
    """The body as `orjson.loads` would give it, already known valid; None = use the generic path.

    Example::

        decode_hot_body("forward", b'{"forward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "m"}')
        # -> {"forward_input": {"data": [], "loss_fn": "ppo"}, "model_id": "m"}
    """
    known = _DECODERS.get(operation_id)
    if known is None:
        return None
    input_key, decoder = known
    try:
        request = decoder.decode(raw)
    except (msgspec.MsgspecError, ValueError):  # ValueError: e.g. UnicodeDecodeError on bad UTF-8
        return None
    body: dict[str, Any] = {
        input_key: _input_dict(getattr(request, input_key)),
        "model_id": request.model_id,
    }
    if request.seq_id is not UNSET:
        body["seq_id"] = request.seq_id
    return body


def _input_dict(fbi: _ForwardBackwardInput) -> dict[str, Any]:
    out: dict[str, Any] = {"data": [_datum_dict(d) for d in fbi.data], "loss_fn": fbi.loss_fn}
    if fbi.loss_fn_config is not UNSET:
        out["loss_fn_config"] = fbi.loss_fn_config
    return out


def _datum_dict(datum: _Datum) -> dict[str, Any]:
    # The per-token lists are handed over as msgspec built them: no copy.
    inputs: dict[str, Any] = {}
    for key, t in datum.loss_fn_inputs.items():
        tensor: dict[str, Any] = {"data": t.data, "dtype": t.dtype}
        if t.shape is not UNSET:
            tensor["shape"] = t.shape
        inputs[key] = tensor
    chunks: list[dict[str, Any]] = []
    for c in datum.model_input.chunks:
        chunk: dict[str, Any] = {"tokens": c.tokens}
        if c.type is not UNSET:
            chunk["type"] = c.type
        chunks.append(chunk)
    return {"loss_fn_inputs": inputs, "model_input": {"chunks": chunks}}
