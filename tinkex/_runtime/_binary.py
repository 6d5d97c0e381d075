"""The binary bodies of the tinker >= 0.38 protocol, on the client's side: a forward_backward request
written in the protobuf wire format of openapi/tinkex_wire.proto, and the protobuf results of
forward_backward and sample futures read back into the JSON shapes the public types decode.

Every array on this wire is raw little-endian bytes, so nothing here walks elements in Python:

* encoding: a numpy array becomes bytes with one `astype(...).tobytes()`; a Python list goes through
  `struct.Struct.pack`, a C loop (the list is read once, no intermediate numpy array). The message is
  written as a list of pieces joined once, so each array is copied once into the body; `seq_id` is appended at
  dispatch (`with_seq_id`): a protobuf field may come in any order, so the body built in the caller's
  thread is reused as it is on every retry;
* decoding: the generated message classes (`_tinkex_lowlevel.proto`, C upb) parse the result, every
  array is an `np.frombuffer` view of its field.

protobuf and numpy are imported lazily: only a client speaking 0.38 pays for them.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from tinkex._exceptions import APIResponseValidationError, TinkexValidationError

__all__ = [
    "PROTOBUF",
    "ZSTD_LEVEL",
    "BinaryBody",
    "decode_forward_backward_output",
    "decode_sample_response",
    "encode_forward_backward",
    "with_seq_id",
    "zstd_compress",
]

PROTOBUF = "application/x-protobuf"
# Fast levels: the body is mostly token ids and floats; level 1 takes most of what zstd can win.
ZSTD_LEVEL = 1

# proto DType values (openapi/tinkex_wire.proto)
_DTYPE_FLOAT32, _DTYPE_INT64, _DTYPE_INT32, _DTYPE_BFLOAT16 = 1, 2, 3, 4
_PROTO_DTYPE = {"float32": _DTYPE_FLOAT32, "int64": _DTYPE_INT64}
# wire dtype -> (array.array typecode, numpy dtype string, itemsize)
_ARRAY_CODES = {"int64": ("q", "<i8"), "float32": ("f", "<f4"), "int32": ("i", "<i4")}  # struct codes
_STOP_REASONS = {0: "stop", 1: "length"}
_LITTLE_ENDIAN = sys.byteorder == "little"


def _uvarint(value: int) -> bytes:
    if value < 0x80:
        return _SMALL[value]
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


_SMALL = [bytes((i,)) for i in range(0x80)]

# A message under construction: its pieces (joined once, at the end) and their total size. Nesting a
# message only prepends its key and length, so every array is copied exactly once, by the final join.
_Pieces = list[bytes]


def _size(pieces: _Pieces) -> int:
    return sum(map(len, pieces))


def _nest(number: int, pieces: _Pieces, size: int | None = None) -> _Pieces:
    n = _size(pieces) if size is None else size
    return [_uvarint(number << 3 | 2), _uvarint(n), *pieces]


def _bytes_field(number: int, payload: bytes) -> _Pieces:
    return [_uvarint(number << 3 | 2), _uvarint(len(payload)), payload]


def _varint_field(number: int, value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int32/int64 negatives are ten-byte varints
    return _uvarint(number << 3) + _uvarint(value)


_STRUCTS: dict[tuple[str, int], struct.Struct] = {}


def _list_bytes(values: Sequence[Any], code: str, wire: str, field: str) -> bytes:
    # struct.pack reads the list in C, ~2x faster than array.array or np.array from a list here.
    key = (code, len(values))
    packer = _STRUCTS.get(key)
    if packer is None:
        if len(_STRUCTS) > 512:
            _STRUCTS.clear()
        packer = _STRUCTS[key] = struct.Struct(f"<{len(values)}{code}")
    try:
        return packer.pack(*values)
    except struct.error as exc:
        limit = "int32 (token ids are 32-bit on this wire)" if code == "i" else wire
        raise TinkexValidationError(
            field, f"holds a value that is not a number in range for {limit} ({exc})", "pass numbers in range"
        ) from None


def _from_memo(packed: Any, wire: str, field: str) -> bytes | None:
    """The wire bytes of a list the wire check already packed as int64 (`check_int_values` memo)."""
    if wire == "int64":
        return bytes(packed.tobytes()) if _LITTLE_ENDIAN else None
    np = sys.modules.get("numpy")
    if np is None or not _LITTLE_ENDIAN or wire != "int32":
        return None
    a = np.frombuffer(packed, dtype="<i8")
    if a.size and (int(a.min()) < -(2**31) or int(a.max()) >= 2**31):
        raise TinkexValidationError(
            field, "holds a value out of range for int32 (token ids are 32-bit on this wire)",
            "pass token ids below 2**31",
        )  # fmt: skip
    return bytes(a.astype("<i4").tobytes())


def _array_bytes(values: Any, wire: str, field: str, memo: Mapping[int, Any] | None = None) -> bytes:
    """Little-endian bytes of `values` (list or array) as `wire` (int64 | float32 | int32)."""
    code, np_dtype = _ARRAY_CODES[wire]
    if isinstance(values, list | tuple):
        packed = memo.get(id(values)) if memo else None
        if packed is not None:
            done = _from_memo(packed, wire, field)
            if done is not None:
                return done
        return _list_bytes(values, code, wire, field)
    import numpy as np

    a = np.asarray(values)
    if code == "i" and a.dtype.kind in "iu" and a.size and a.dtype.itemsize > 4:
        lo, hi = int(a.min()), int(a.max())
        if lo < -(2**31) or hi >= 2**31:
            raise TinkexValidationError(
                field, "holds a value out of range for int32 (token ids are 32-bit on this wire)",
                "pass token ids below 2**31",
            )  # fmt: skip
    if a.dtype != np.dtype(np_dtype):
        a = a.astype(np_dtype)
    return a.tobytes()  # row-major, one copy


def _tensor(td: Any, field: str, memo: Mapping[int, Any] | None = None) -> _Pieces:
    """A TensorData (or anything with data/dtype/shape) as the pieces of a `Tensor` message."""
    dtype = str(getattr(td, "dtype", None) or "float32")
    proto_dtype = _PROTO_DTYPE.get(dtype)
    if proto_dtype is None:
        raise TinkexValidationError(
            f"{field}.dtype", f"{dtype!r} is not int64 or float32", "use int64 or float32"
        )
    data = td.data
    crow = getattr(td, "sparse_crow_indices", None)
    col = getattr(td, "sparse_col_indices", None)
    shape = getattr(td, "shape", None)
    if crow is not None and col is not None:
        csr = [
            *_bytes_field(1, _array_bytes(data, dtype, f"{field}.data")),
            *_bytes_field(2, _array_bytes(crow, "int64", f"{field}.sparse_crow_indices")),
            *_bytes_field(3, _array_bytes(col, "int64", f"{field}.sparse_col_indices")),
        ]
        pieces = _nest(2, csr)
    else:
        pieces = _bytes_field(1, _array_bytes(data, dtype, f"{field}.data", memo))
    pieces.append(_varint_field(3, proto_dtype))
    if shape:  # as the official client: no shape means the flat length (the server's reading too)
        pieces.extend(_bytes_field(4, b"".join(_uvarint(int(d)) for d in shape)))
    return pieces


def _chunk(chunk: Any, field: str, memo: Mapping[int, Any] | None = None) -> _Pieces:
    kind = getattr(chunk, "type", None)
    if kind == "encoded_text":
        return _nest(1, _bytes_field(1, _array_bytes(chunk.tokens, "int32", f"{field}.tokens", memo)))
    if kind == "image":
        image = [*_bytes_field(1, bytes(chunk.data)), *_bytes_field(2, str(chunk.format).encode())]
        expected = getattr(chunk, "expected_tokens", None)
        if expected is not None:
            image.append(_varint_field(3, int(expected)))
        return _nest(2, image)
    raise TinkexValidationError(
        field,
        f"a {kind!r} chunk has no protobuf form (tinker 0.38 sends encoded_text and image chunks)",
        "send the image bytes in an ImageChunk",
    )


def _span(span: Any) -> _Pieces:
    kind = 1 if getattr(span, "type", "prompt_tokens") in ("prompt_tokens", "prompt") else 2
    inner = [
        *_bytes_field(1, str(span.sequence_id).encode()),
        _varint_field(2, int(span.offset)),
        _varint_field(3, int(span.length)),
    ]
    return _nest(kind, inner)


def _datum(datum: Any, field: str, memo: Mapping[int, Any] | None) -> _Pieces:
    pieces: _Pieces = []
    for j, c in enumerate(datum.model_input.chunks):
        pieces += _nest(1, _chunk(c, f"{field}.model_input.chunks[{j}]", memo))
    for key, td in datum.loss_fn_inputs.items():
        entry = [
            *_bytes_field(1, key.encode()),
            *_nest(2, _tensor(td, f"{field}.loss_fn_inputs[{key!r}]", memo)),
        ]
        pieces += _nest(2, entry)
    for number, name in ((3, "model_input_spans"), (4, "loss_fn_input_spans")):
        for span in getattr(datum, name, None) or ():
            pieces += _nest(number, _span(span))
    return pieces


def encode_forward_backward(
    model_id: str,
    data: Sequence[Any],
    loss_fn: str,
    loss_fn_config: Mapping[str, float | str] | None,
    *,
    forward_only: bool = False,
    memo: Mapping[int, Any] | None = None,
) -> bytes:
    """A `ForwardBackwardRequest` without its seq_id (see `with_seq_id`).

    Numbers of `loss_fn_config` go in both maps (5 for older readers, 7 for newer), strings only in 7.
    `memo` holds the int64 arrays the wire check already packed from lists (`check_datums(memo=)`).

    Example::

        body = encode_forward_backward("m", [datum], "cross_entropy", None)
        wire = with_seq_id(body, 1)
    """
    pieces = _bytes_field(1, model_id.encode())
    for i, d in enumerate(data):
        pieces += _nest(3, _datum(d, f"data[{i}]", memo))
    pieces += _bytes_field(4, loss_fn.encode())
    for key, value in (loss_fn_config or {}).items():
        k = _bytes_field(1, str(key).encode())
        if isinstance(value, str):
            pieces += _nest(7, [*k, *_nest(2, _bytes_field(2, value.encode()))])
            continue
        number = struct.pack("<d", float(value))
        pieces += _nest(5, [*k, _uvarint(2 << 3 | 1), number])
        pieces += _nest(7, [*k, *_nest(2, [_uvarint(1 << 3 | 1), number])])
    if forward_only:
        pieces.append(_varint_field(6, 1))
    return b"".join(pieces)


def with_seq_id(body: bytes, seq_id: int | None) -> bytes:
    """`body` with its `seq_id` field (2) appended (protobuf fields may come in any order)."""
    if not seq_id:
        return body
    return body + _varint_field(2, seq_id)


def zstd_compress(body: bytes) -> bytes | None:
    """zstd of a request body (Content-Encoding: zstd) when the server's client config asks for it;
    None when no zstd codec is installed (`pip install zstandard`, or Python >= 3.14): the body then
    goes uncompressed, which such a server accepts too."""
    try:
        from compression import zstd  # type: ignore[import-not-found, unused-ignore]  # Python >= 3.14

        return bytes(zstd.compress(body, level=ZSTD_LEVEL))
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        return None
    return bytes(zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body))


class BinaryBody:
    """One forward(_backward) request of a TrainingClient in its protobuf form: encoded once (in the
    caller's thread when the protocol is known, else at dispatch), its seq_id appended at dispatch,
    zstd-compressed when the server asks; the same bytes on every retry of the call."""

    __slots__ = ("_encoded", "config", "data", "forward_only", "loss_fn", "memo", "model_id")

    def __init__(
        self,
        model_id: str,
        data: Sequence[Any],
        loss_fn: str,
        config: Mapping[str, float | str] | None,
        *,
        forward_only: bool = False,
        memo: Mapping[int, Any] | None = None,
    ) -> None:
        self.model_id, self.data, self.loss_fn, self.config = model_id, data, loss_fn, config
        self.forward_only = forward_only
        self.memo = memo  # valid while `data` (which holds the lists it is keyed by) is alive
        self._encoded: bytes | None = None

    def encode(self) -> bytes:
        if self._encoded is None:
            self._encoded = encode_forward_backward(
                self.model_id, self.data, self.loss_fn, self.config, forward_only=self.forward_only,
                memo=self.memo,
            )  # fmt: skip
            self.memo = None
        return self._encoded

    def wire(self, seq_id: int, compress: bool) -> tuple[bytes, dict[str, str]]:
        """(body, headers) of the request carrying `seq_id`."""
        body = with_seq_id(self.encode(), seq_id)
        headers = {"Content-Type": PROTOBUF}
        packed = zstd_compress(body) if compress else None
        if packed is not None:
            body = packed
            headers["Content-Encoding"] = "zstd"
        return body, headers


# -- results ------------------------------------------------------------------------------------------


def _pb() -> Any:
    from _tinkex_lowlevel.proto import tinkex_wire_pb2

    return tinkex_wire_pb2


def _parse(cls_name: str, payload: bytes, what: str) -> Any:
    from google.protobuf.message import DecodeError

    msg = getattr(_pb(), cls_name)()
    try:
        msg.ParseFromString(payload)
    except DecodeError as exc:
        raise APIResponseValidationError(f"{what}: the protobuf {cls_name} does not parse ({exc})") from None
    return msg


_NP_DTYPES = {
    _DTYPE_FLOAT32: ("<f4", "float32"),
    _DTYPE_INT64: ("<i8", "int64"),
    _DTYPE_INT32: ("<i4", "int64"),
}


def _batched(bt: Any, n: int, name: str, what: str) -> list[dict[str, Any]]:
    """One BatchedTensor (every datum's array, byte offsets) as n TensorData dicts of numpy views."""
    import numpy as np

    if bt.dtype == _DTYPE_BFLOAT16:
        raw = np.frombuffer(bt.data, dtype="<u2")
        buf = (raw.astype(np.uint32) << 16).view(np.float32)
        itemsize, wire_name = 2, "float32"
    else:
        known = _NP_DTYPES.get(bt.dtype)
        if known is None:
            raise APIResponseValidationError(f"{what}: output {name!r} has unknown dtype {bt.dtype}")
        buf = np.frombuffer(bt.data, dtype=known[0])
        itemsize, wire_name = buf.itemsize, known[1]
        if bt.dtype == _DTYPE_INT32:
            buf = buf.astype(np.int64)
    offsets = np.frombuffer(bt.offsets, dtype="<i8") // itemsize
    if len(offsets) != n + 1 or (n and (offsets[0] != 0 or offsets[-1] != len(buf))):
        raise APIResponseValidationError(f"{what}: output {name!r} has offsets that do not cover its data")
    trailing = [int(d) for d in bt.trailing_shape]
    inner = math.prod(trailing) if trailing else 1
    bounds = offsets.tolist()
    out = []
    for i in range(n):
        arr = buf[bounds[i] : bounds[i + 1]]
        out.append({"data": arr, "dtype": wire_name, "shape": [len(arr) // max(inner, 1), *trailing]})
    return out


def decode_forward_backward_output(payload: bytes, what: str = "forward_backward result") -> dict[str, Any]:
    """A protobuf ForwardBackwardOutput as the JSON result shape, every array a numpy view."""
    msg = _parse("ForwardBackwardOutput", payload, what)
    outputs: list[dict[str, Any]] = []
    for record in msg.loss_fn_outputs:
        n = int(record.num_datums)
        rows: list[dict[str, Any]] = [{} for _ in range(n)]
        for name, bt in record.fields.items():
            for row, td in zip(rows, _batched(bt, n, name, what), strict=True):
                row[name] = td
        outputs.extend(rows)
    return {
        "loss_fn_output_type": msg.loss_fn_output_type or "ArrayRecord",
        "loss_fn_outputs": outputs,
        "metrics": dict(msg.metrics.items()),
    }


def _floats(buf: bytes, nan_is_none: bool) -> list[float | None]:
    import numpy as np

    arr = np.frombuffer(buf, dtype="<f4")
    values: list[float | None] = arr.tolist()
    if nan_is_none:
        for i in np.flatnonzero(np.isnan(arr)).tolist():
            values[i] = None
    return values


def _topk_rows(t: Any) -> list[list[tuple[int, float]]]:
    import numpy as np

    k, n = int(t.k), int(t.length)
    ids = (
        np.frombuffer(t.token_ids, dtype="<i4").reshape(n, k).tolist() if k and n else [[] for _ in range(n)]
    )
    lps = np.frombuffer(t.logprobs, dtype="<f4").reshape(n, k).tolist() if k and n else [[] for _ in range(n)]
    return [
        [(tok, lp) for tok, lp in zip(r_ids, r_lps, strict=True) if lp > -99999.0]
        for r_ids, r_lps in zip(ids, lps, strict=True)
    ]


def _tensor_dict(t: Any) -> dict[str, Any]:
    import numpy as np

    np_dtype, name = _NP_DTYPES.get(t.dtype, ("<f4", "float32"))
    data = np.frombuffer(t.dense, dtype=np_dtype)
    if t.dtype == _DTYPE_INT32:
        data = data.astype(np.int64)
    return {"data": data, "dtype": name, "shape": [int(s) for s in t.shape] or [len(data)]}


def decode_sample_response(
    payload: bytes, sequence_ids: Sequence[str] | None = None, what: str = "sample result"
) -> dict[str, Any]:
    """A protobuf SampleResponse as the JSON result shape (`type: sample`), with `sequence_id` per
    sequence when the future named them (`sample_sequence_ids`)."""
    import numpy as np

    msg = _parse("SampleResponse", payload, what)
    seqs: list[dict[str, Any]] = []
    for i, s in enumerate(msg.sequences):
        seq: dict[str, Any] = {
            "tokens": np.frombuffer(s.tokens, dtype="<i4").tolist(),
            "stop_reason": _STOP_REASONS.get(int(s.stop_reason), "length"),
            "logprobs": _floats(s.logprobs, False) if s.HasField("logprobs") else None,
        }
        if s.HasField("topk_sampled_logprobs"):
            seq["topk_logprobs"] = _topk_rows(s.topk_sampled_logprobs)
        if sequence_ids is not None and i < len(sequence_ids):
            seq["sequence_id"] = sequence_ids[i]
        seqs.append(seq)
    out: dict[str, Any] = {
        "type": "sample",
        "sequences": seqs,
        "prompt_logprobs": _floats(msg.prompt_logprobs, True) if msg.HasField("prompt_logprobs") else None,
    }
    if msg.HasField("topk_prompt_logprobs"):
        out["topk_prompt_logprobs"] = _topk_rows(msg.topk_prompt_logprobs)
    # A 0.38 answer always says how many prompt tokens the cache served: proto3 writes 0 as absent.
    out["prompt_cache_hit_tokens"] = int(msg.prompt_cache_hit_tokens)
    if msg.HasField("target_prompt_logprobs"):
        out["target_prompt_logprobs"] = _tensor_dict(msg.target_prompt_logprobs)
    if msg.HasField("prompt_alt_tokens"):
        out["prompt_alt_tokens"] = {
            "tokens": _tensor_dict(msg.prompt_alt_tokens.tokens),
            "logprobs": _tensor_dict(msg.prompt_alt_tokens.logprobs),
        }
    return out
