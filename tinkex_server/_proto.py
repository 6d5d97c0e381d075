"""The binary side of the tinker >= 0.38 protocol: request body decoding (content type, zstd under a
cap, protobuf `ForwardBackwardRequest` into the dict shape the backends take) and result encoding
(`ForwardBackwardOutput` and `SampleResponse` protobuf for `Accept: application/x-protobuf`).

Messages are those of openapi/tinkex_wire.proto, compiled by `make gen` into
generated/_tinkex_lowlevel/proto. Every array on this wire is raw little-endian bytes: decoding is one
`np.frombuffer` per array and encoding one `tobytes`, never a walk over the elements. Everything here
is pure (bytes in, dicts/bytes out) and raises `HTTPError` naming the field on bad input.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb
from google.protobuf.message import DecodeError

from tinkex_server._core import HTTPError

__all__ = [
    "MAX_DECOMPRESSED_BYTES",
    "PROTOBUF",
    "decode_forward_backward",
    "decode_request_body",
    "decompress_zstd",
    "encode_forward_backward_output",
    "encode_sample_response",
    "forward_backward_output_json",
    "wants_protobuf",
]

PROTOBUF = "application/x-protobuf"
# A decompressed request body may not exceed this. The 0.38 client splits forward_backward batches
# at 5 MB of serialized protobuf (its fwdbwd_max_chunk_bytes_count default), so 64 MiB is a wide
# margin for a legitimate body and a hard stop for a decompression bomb.
MAX_DECOMPRESSED_BYTES = 64 << 20
_READ_BLOCK = 1 << 20

# proto DType -> (numpy dtype on the wire, numpy dtype handed on, wire TensorData dtype)
_DTYPES: dict[int, tuple[np.dtype[Any], np.dtype[Any], str]] = {
    pb.DTYPE_FLOAT32: (np.dtype("<f4"), np.dtype(np.float32), "float32"),
    pb.DTYPE_INT64: (np.dtype("<i8"), np.dtype(np.int64), "int64"),
    pb.DTYPE_INT32: (np.dtype("<i4"), np.dtype(np.int64), "int64"),
    pb.DTYPE_BFLOAT16: (np.dtype("<u2"), np.dtype(np.float32), "float32"),
}
_TO_PROTO_DTYPE = {"float32": pb.DTYPE_FLOAT32, "int64": pb.DTYPE_INT64}
_STOP = {"stop": pb.STOP_REASON_STOP, "length": pb.STOP_REASON_LENGTH}
_FROM_STOP = {v: k for k, v in _STOP.items()}
# Empty top-k cells, as the protocol fills them.
TOPK_EMPTY_TOKEN = 0
TOPK_EMPTY_LOGPROB = -99999.0


def _problem(pointer: str, msg: str, kind: str = "value") -> HTTPError:
    loc = ["body", *[p for p in pointer.strip("/").split("/") if p]]
    return HTTPError(422, [{"loc": loc, "pointer": pointer, "msg": f"{pointer}: {msg}", "type": kind}])


# -- request bodies ---------------------------------------------------------------------------------
def decompress_zstd(raw: bytes, cap: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """The zstd-compressed body `raw` decompressed; 413 as soon as it would pass `cap` bytes (the
    declared frame size is checked first, and the stream is read in blocks, so a bomb is never
    allocated), 400 if it is not zstd.

    Example::

        decompress_zstd(zstandard.ZstdCompressor().compress(b"abc"))  # -> b"abc"
    """
    import zstandard

    too_big = HTTPError(
        413, f"the zstd body decompresses to more than {cap} bytes; send smaller forward_backward chunks"
    )
    try:
        declared = zstandard.frame_content_size(raw)
    except zstandard.ZstdError as e:
        raise HTTPError(400, f"Content-Encoding is zstd but the body is not a zstd frame: {e}") from None
    if declared > cap:
        raise too_big
    parts: list[bytes] = []
    total = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True) as reader:
            while True:
                block = reader.read(min(_READ_BLOCK, cap + 1 - total))
                if not block:
                    break
                total += len(block)
                if total > cap:
                    raise too_big
                parts.append(block)
    except zstandard.ZstdError as e:
        raise HTTPError(400, f"the zstd body is corrupt: {e}") from None
    return b"".join(parts)


def decode_request_body(
    op_id: str, raw: bytes, content_type: str | None, content_encoding: str | None
) -> tuple[dict[str, Any] | None, bytes]:
    """Sort a request body by its headers: (decoded protobuf body, raw) for a protobuf body of an
    operation that takes one, (None, raw) for JSON (the caller parses it), HTTPError otherwise.
    A zstd Content-Encoding is undone first, for any operation.

    Example::

        decode_request_body("create_session", b"{}", "application/json", None)  # -> (None, b"{}")
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding == "zstd":
        raw = decompress_zstd(raw)
    elif encoding not in ("", "identity"):
        raise HTTPError(415, f"Content-Encoding {content_encoding!r} is not supported; use zstd or none")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    # No Content-Type: JSON, as every client before 0.38 sends it (and tools like curl -d omit it).
    if media in ("", "application/json") or media.endswith("+json"):
        return None, raw
    if media == PROTOBUF:
        if op_id != "forward_backward":
            raise HTTPError(
                415, f"{op_id} takes application/json; only forward_backward also takes {PROTOBUF}"
            )
        return decode_forward_backward(raw), raw
    raise HTTPError(415, f"Content-Type {content_type!r} is not supported; send application/json")


def _array(buf: bytes, wire: np.dtype[Any], pointer: str) -> npt.NDArray[Any]:
    if len(buf) % wire.itemsize:
        raise _problem(
            pointer, f"{len(buf)} bytes is not a whole number of {wire.itemsize}-byte {wire.name} elements"
        )
    return np.frombuffer(buf, dtype=wire)


def _tensor(t: Any, pointer: str) -> dict[str, Any]:
    known = _DTYPES.get(t.dtype)
    if known is None:
        raise _problem(f"{pointer}/dtype", f"dtype {t.dtype} is not one of float32, int64, int32, bfloat16")
    wire, out, name = known
    shape = [int(s) for s in t.shape]
    if any(s < 0 for s in shape):
        raise _problem(f"{pointer}/shape", f"negative dimension in {shape}")
    if t.WhichOneof("encoding") == "sparse_csr":
        data = _dense_from_csr(t.sparse_csr, wire, shape, pointer)
    else:
        data = _array(t.dense, wire, f"{pointer}/dense")
    if t.dtype == pb.DTYPE_BFLOAT16:
        data = (data.astype(np.uint32) << 16).view(np.float32)
    elif data.dtype != out:
        data = data.astype(out)
    if not shape:
        shape = [len(data)]
    if math.prod(shape) != len(data):
        raise _problem(
            f"{pointer}/shape", f"shape {shape} holds {math.prod(shape)} elements, data has {len(data)}"
        )
    return {"data": data, "dtype": name, "shape": shape}


def _dense_from_csr(csr: Any, wire: np.dtype[Any], shape: list[int], pointer: str) -> npt.NDArray[Any]:
    if len(shape) != 2:
        raise _problem(f"{pointer}/shape", f"a sparse_csr tensor needs a 2-D shape, got {shape}")
    rows, cols = shape
    values = _array(csr.values, wire, f"{pointer}/sparse_csr/values")
    crow = _array(csr.crow_indices, np.dtype("<i8"), f"{pointer}/sparse_csr/crow_indices")
    col = _array(csr.col_indices, np.dtype("<i8"), f"{pointer}/sparse_csr/col_indices")
    nnz = len(values)
    if len(crow) != rows + 1 or len(col) != nnz or (rows and (crow[0] != 0 or crow[-1] != nnz)):
        raise _problem(f"{pointer}/sparse_csr", "crow_indices/col_indices do not describe the values")
    if np.any(np.diff(crow) < 0) or (nnz and (col.min() < 0 or col.max() >= cols)):
        raise _problem(f"{pointer}/sparse_csr", "indices out of range or not ascending")
    dense = np.zeros(rows * cols, dtype=wire)
    row_of = np.repeat(np.arange(rows, dtype=np.int64), np.diff(crow))
    dense[row_of * cols + col] = values
    return dense


def _chunk(c: Any, pointer: str) -> dict[str, Any]:
    kind = c.WhichOneof("chunk")
    if kind == "encoded_text":
        return {
            "type": "encoded_text",
            "tokens": _array(c.encoded_text.tokens, np.dtype("<i4"), f"{pointer}/tokens"),
        }
    if kind == "image":
        img = c.image
        chunk: dict[str, Any] = {"type": "image", "format": img.format, "data_bytes": len(img.data)}
        if img.HasField("expected_tokens"):
            chunk["expected_tokens"] = img.expected_tokens
        return chunk
    if kind == "dmel":
        return {"type": "dmel"}
    raise _problem(pointer, "the chunk has none of encoded_text, image, dmel")


def decode_forward_backward(raw: bytes) -> dict[str, Any]:
    """A protobuf `ForwardBackwardRequest` as the JSON path's body dict (arrays are numpy views of
    `raw`, chunks and tensors already normalized), plus `forward_only`.

    Example::

        decode_forward_backward(pb.ForwardBackwardRequest(model_id="m", loss_fn="cross_entropy")
                                .SerializeToString())["model_id"]  # -> "m"
    """
    msg = pb.ForwardBackwardRequest()
    try:
        msg.ParseFromString(raw)
    except DecodeError:
        raise HTTPError(400, _locate_decode_error(raw)) from None
    if not msg.model_id:
        raise _problem("/model_id", "is required (a non-empty string)", "required")
    if not msg.loss_fn:
        raise _problem("/loss_fn", "is required (e.g. cross_entropy)", "required")
    data = []
    for i, d in enumerate(msg.data):
        where = f"/data/{i}"
        chunks = [_chunk(c, f"{where}/model_input/{j}") for j, c in enumerate(d.model_input)]
        inputs = {key: _tensor(t, f"{where}/loss_fn_inputs/{key}") for key, t in d.loss_fn_inputs.items()}
        data.append({"model_input": {"chunks": chunks}, "loss_fn_inputs": inputs})
    config: dict[str, float | str] = dict(msg.loss_fn_config.items())
    for key, value in msg.loss_fn_config_v2.items():  # v2 carries strings too and wins
        kind = value.WhichOneof("value")
        if kind == "number":
            config[key] = value.number
        elif kind == "text":
            config[key] = value.text
    fbi: dict[str, Any] = {"data": data, "loss_fn": msg.loss_fn}
    if config:
        fbi["loss_fn_config"] = config
    return {
        "model_id": msg.model_id,
        # The 0.38 client numbers from 1; 0 is what an unset seq_id encodes to: no ordering asked.
        "seq_id": msg.seq_id if msg.seq_id > 0 else None,
        "forward_backward_input": fbi,
        "forward_only": msg.forward_only,
        "_proto": True,
    }


_TOP_FIELDS = {1: "model_id", 2: "seq_id", 3: "data", 4: "loss_fn", 5: "loss_fn_config", 6: "forward_only",
               7: "loss_fn_config_v2"}  # fmt: skip


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _locate_decode_error(raw: bytes) -> str:
    """Name the top-level field (and the datum) where a body stops being a valid
    ForwardBackwardRequest; only run after a parse failed, so its Python loop costs nothing normally."""
    head = "body is not a valid protobuf ForwardBackwardRequest"
    pos, datum = 0, 0
    while pos < len(raw):
        start = pos
        try:
            key, pos = _varint(raw, pos)
        except ValueError:
            return f"{head}: truncated field key at byte {start}"
        number, wire_type = key >> 3, key & 7
        name = _TOP_FIELDS.get(number, f"field {number}")
        try:
            if wire_type == 0:
                _, pos = _varint(raw, pos)
            elif wire_type == 1:
                pos += 8
            elif wire_type == 5:
                pos += 4
            elif wire_type == 2:
                length, pos = _varint(raw, pos)
                payload = raw[pos : pos + length]
                pos += length
                if pos > len(raw):
                    where = f"data[{datum}]" if number == 3 else name
                    return f"{head}: {where} at byte {start} claims {length} bytes, the body ends first"
                if number == 3:
                    try:
                        pb.Datum.FromString(payload)
                    except DecodeError:
                        return f"{head}: data[{datum}] (at byte {start}) is not a valid Datum"
                    datum += 1
            else:
                return f"{head}: {name} at byte {start} has invalid wire type {wire_type}"
        except ValueError:
            return f"{head}: {name} at byte {start} is truncated"
        if pos > len(raw):
            return f"{head}: {name} at byte {start} runs past the end of the body"
    return f"{head}: a field has the wrong type for its number (e.g. a string that is not UTF-8)"


# -- results ----------------------------------------------------------------------------------------
def wants_protobuf(accept: str | None) -> bool:
    """True when the Accept header asks for protobuf (0.38 clients do for forward_backward and sample
    results)."""
    return bool(accept) and PROTOBUF in (accept or "").lower()


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: list[Any]) -> list[Any]:
    """A length-delimited field: its key, its length, then the payload's pieces (not copied)."""
    size = sum(len(x) if isinstance(x, bytes) else x.nbytes for x in payload)
    return [_uvarint(number << 3 | 2), _uvarint(size), *payload]


def _string(number: int, text: str) -> list[Any]:
    return _field(number, [text.encode()])


def encode_forward_backward_output(result: Mapping[str, Any]) -> bytes:
    """A backend's forward_backward result as a protobuf ForwardBackwardOutput: one ArrayRecord, each
    output name one BatchedTensor of every datum's array with byte offsets.

    Written directly in the protobuf wire format: the per-datum arrays go into the one output buffer
    as they are (a single copy), where building the message object and serializing it copies them twice
    and costs ~5 ms for a 32 x 8192 batch. tests/server/test_v038.py checks it parses to the same message.

    Example::

        encode_forward_backward_output({"loss_fn_outputs": [], "metrics": {"loss:sum": 1.0}})
    """
    pieces: list[Any] = _string(1, str(result.get("loss_fn_output_type") or "ArrayRecord"))
    outputs: Sequence[Mapping[str, Any]] = result.get("loss_fn_outputs") or []
    if outputs:
        record: list[Any] = _string(1, "ArrayRecord")
        for name in outputs[0]:
            dtype_name = str(outputs[0][name].get("dtype") or "float32")
            np_dtype = np.dtype("<f4") if dtype_name == "float32" else np.dtype("<i8")
            arrays = [np.ascontiguousarray(o[name]["data"], dtype=np_dtype).reshape(-1) for o in outputs]
            sizes = np.fromiter((a.nbytes for a in arrays), dtype=np.int64, count=len(arrays))
            offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(sizes)]).astype("<i8")
            shape = list(outputs[0][name].get("shape") or [])
            tensor = _field(1, [memoryview(a).cast("B") for a in arrays])
            tensor += _field(2, [offsets.tobytes()])
            tensor += [_uvarint(3 << 3), _uvarint(_TO_PROTO_DTYPE[dtype_name])]
            if len(shape) > 1:
                tensor += _field(4, [b"".join(_uvarint(int(d)) for d in shape[1:])])
            record += _field(2, [*_string(1, name), *_field(2, tensor)])
        record += [_uvarint(3 << 3), _uvarint(len(outputs))]
        pieces += _field(2, record)
    for key, value in (result.get("metrics") or {}).items():
        pieces += _field(3, [*_string(1, str(key)), _uvarint(2 << 3 | 1), struct.pack("<d", float(value))])
    return b"".join(pieces)


def forward_backward_output_json(payload: bytes) -> bytes:
    """The JSON body of a result encoded by `encode_forward_backward_output` (for a JSON poll)."""
    msg = pb.ForwardBackwardOutput.FromString(payload)
    per_datum: list[dict[str, Any]] = []
    for record in msg.loss_fn_outputs:
        rows: list[dict[str, Any]] = [{} for _ in range(record.num_datums)]
        for name, bt in record.fields.items():
            wire, out, dtype = _DTYPES[bt.dtype]
            buf = np.frombuffer(bt.data, dtype=wire).astype(out, copy=False)
            offsets = np.frombuffer(bt.offsets, dtype="<i8") // wire.itemsize
            trailing = list(bt.trailing_shape)
            inner = math.prod(trailing) if trailing else 1
            for i in range(record.num_datums):
                arr = buf[offsets[i] : offsets[i + 1]]
                rows[i][name] = {"data": arr, "dtype": dtype, "shape": [len(arr) // max(inner, 1), *trailing]}
        per_datum.extend(rows)
    body = {
        "loss_fn_output_type": msg.loss_fn_output_type,
        "loss_fn_outputs": per_datum,
        "metrics": dict(msg.metrics.items()),
    }
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def _topk(rows: Sequence[Any] | None, k: int | None = None) -> Any:
    """JSON top-k rows (None or [[token, logprob], ...] per position) as a dense TopkLogprobs."""
    if rows is None:
        return None
    width = k if k is not None else max((len(r) for r in rows if r), default=0)
    n = len(rows)
    ids = np.full((n, width), TOPK_EMPTY_TOKEN, dtype="<i4")
    lps = np.full((n, width), TOPK_EMPTY_LOGPROB, dtype="<f4")
    for i, row in enumerate(rows):
        for j, (tok, lp) in enumerate((row or [])[:width]):
            ids[i, j], lps[i, j] = tok, lp
    return pb.TopkLogprobs(token_ids=ids.tobytes(), logprobs=lps.tobytes(), k=width, length=n)


def _floats_with_nan(values: Sequence[float | None]) -> bytes:
    return np.array([math.nan if v is None else v for v in values], dtype="<f4").tobytes()


def encode_sample_response(result: Mapping[str, Any]) -> bytes:
    """A sample result (the JSON shape) as a protobuf SampleResponse.

    Example::

        encode_sample_response({"sequences": [{"tokens": [1], "logprobs": [-0.5], "stop_reason": "length"}]})
    """
    out = pb.SampleResponse(prompt_cache_hit_tokens=int(result.get("prompt_cache_hit_tokens") or 0))
    for seq in result.get("sequences") or []:
        s = out.sequences.add(
            stop_reason=_STOP.get(str(seq.get("stop_reason")), pb.STOP_REASON_LENGTH),
            tokens=np.asarray(seq.get("tokens") or [], dtype="<i4").tobytes(),
        )
        if seq.get("logprobs") is not None:
            s.logprobs = _floats_with_nan(seq["logprobs"])
        topk = _topk(seq.get("topk_logprobs"))
        if topk is not None:
            s.topk_sampled_logprobs.CopyFrom(topk)
    if result.get("prompt_logprobs") is not None:
        out.prompt_logprobs = _floats_with_nan(result["prompt_logprobs"])
    topk = _topk(result.get("topk_prompt_logprobs"))
    if topk is not None:
        out.topk_prompt_logprobs.CopyFrom(topk)
    target = result.get("target_prompt_logprobs")
    if target is not None:
        out.target_prompt_logprobs.CopyFrom(
            pb.Tensor(
                dense=np.asarray(target["data"], dtype="<f4").tobytes(),
                dtype=pb.DTYPE_FLOAT32,
                shape=[int(s) for s in target["shape"]],
            )
        )
    alt = result.get("prompt_alt_tokens")
    if alt is not None:
        out.prompt_alt_tokens.tokens.CopyFrom(
            pb.Tensor(dense=np.asarray(alt["tokens"]["data"], dtype="<i4").tobytes(), dtype=pb.DTYPE_INT32,
                      shape=[int(s) for s in alt["tokens"]["shape"]])
        )  # fmt: skip
        out.prompt_alt_tokens.logprobs.CopyFrom(
            pb.Tensor(dense=np.asarray(alt["logprobs"]["data"], dtype="<f4").tobytes(), dtype=pb.DTYPE_FLOAT32,
                      shape=[int(s) for s in alt["logprobs"]["shape"]])
        )  # fmt: skip
    return out.SerializeToString()


def decode_sample_response(payload: bytes) -> dict[str, Any]:
    """The JSON shape of a SampleResponse (tests and tools; the server encodes, clients decode)."""
    msg = pb.SampleResponse.FromString(payload)
    seqs = []
    for s in msg.sequences:
        seq: dict[str, Any] = {
            "tokens": np.frombuffer(s.tokens, dtype="<i4").tolist(),
            "stop_reason": _FROM_STOP[s.stop_reason],
            "logprobs": np.frombuffer(s.logprobs, dtype="<f4").tolist() if s.HasField("logprobs") else None,
        }
        seqs.append(seq)
    return {
        "sequences": seqs,
        "prompt_logprobs": np.frombuffer(msg.prompt_logprobs, dtype="<f4").tolist()
        if msg.HasField("prompt_logprobs")
        else None,
        "prompt_cache_hit_tokens": msg.prompt_cache_hit_tokens,
    }
