"""The null backend's own work on one forward_backward (32 datums x 8192 tokens), protobuf beside JSON.

    python bench/server_forward_backward.py [--runs 15] [--datums 32] [--tokens 8192] [--enforce]

The server's side of one request, without HTTP: decode the body, run the null backend's job, encode
the result as the client asked for it.

* protobuf (tinker >= 0.38): `_proto.decode_forward_backward` (arrays land in numpy by frombuffer),
  the job, `encode_forward_backward_output` (one BatchedTensor per output name);
* JSON (tinker 0.7.0): the msgspec fast decoder `_fast_decode.decode_hot_body`, the job, and the
  orjson encoding `FutureStore.resolve` does.

Figures: median (and best) of N runs each, interleaved, gc.collect() before each. The machine is shared:
run it on a quiet one. Target (issue 10): protobuf <= 10 ms for 32 x 8192.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

from tinkex_server._fast_decode import decode_hot_body
from tinkex_server._proto import decode_forward_backward, encode_forward_backward_output
from tinkex_server.backends.base import LoraSpec
from tinkex_server.backends.null import DEFAULT_NULL_MODEL, NullBackend

MODEL = "bench:train:0"


def bodies(datums: int, tokens: int) -> tuple[bytes, bytes]:
    """The same batch as a protobuf and as a JSON forward_backward body."""
    rng = random.Random(0)
    msg = pb.ForwardBackwardRequest(model_id=MODEL, seq_id=1, loss_fn="cross_entropy")
    json_data = []
    for _ in range(datums):
        toks = [rng.randrange(256) for _ in range(tokens)]
        weights = [1.0] * tokens
        d = msg.data.add()
        d.model_input.add().encoded_text.tokens = np.asarray(toks, dtype="<i4").tobytes()
        t = d.loss_fn_inputs["target_tokens"]
        t.dtype, t.dense = pb.DTYPE_INT64, np.asarray(toks, dtype="<i8").tobytes()
        t.shape.append(tokens)
        w = d.loss_fn_inputs["weights"]
        w.dtype, w.dense = pb.DTYPE_FLOAT32, np.asarray(weights, dtype="<f4").tobytes()
        w.shape.append(tokens)
        json_data.append({
            "model_input": {"chunks": [{"tokens": toks}]},
            "loss_fn_inputs": {
                "target_tokens": {"data": toks, "dtype": "int64", "shape": [tokens]},
                "weights": {"data": weights, "dtype": "float32", "shape": [tokens]},
            },
        })  # fmt: skip
    body = {
        "forward_backward_input": {"data": json_data, "loss_fn": "cross_entropy"},
        "model_id": MODEL,
        "seq_id": 1,
    }
    return msg.SerializeToString(), orjson.dumps(body)


def proto_path(backend: NullBackend, raw: bytes) -> bytes:
    body = decode_forward_backward(raw)
    fbi = body["forward_backward_input"]
    result = backend.forward_backward(MODEL, fbi["data"], fbi["loss_fn"], fbi.get("loss_fn_config"), True)
    return encode_forward_backward_output(result)


def json_path(backend: NullBackend, raw: bytes) -> bytes:
    body = decode_hot_body("forward_backward", raw)
    assert body is not None
    fbi = body["forward_backward_input"]
    result = backend.forward_backward(MODEL, fbi["data"], fbi["loss_fn"], fbi.get("loss_fn_config"), True)
    return orjson.dumps(result, option=orjson.OPT_SERIALIZE_NUMPY)


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--datums", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=8192)
    parser.add_argument("--enforce", action="store_true", help="exit 1 when protobuf misses 10 ms")
    args = parser.parse_args()
    backend = NullBackend()
    backend.create_model(MODEL, DEFAULT_NULL_MODEL, LoraSpec(rank=4))
    proto_raw, json_raw = bodies(args.datums, args.tokens)
    # Both paths compute the same losses (checked before timing).
    via_proto = pb.ForwardBackwardOutput.FromString(proto_path(backend, proto_raw)).metrics["loss:sum"]
    via_json = orjson.loads(json_path(backend, json_raw))["metrics"]["loss:sum"]
    assert abs(via_proto - via_json) <= 1e-6 * max(1.0, abs(via_json)), (via_proto, via_json)
    times: dict[str, list[float]] = {"protobuf": [], "json": []}
    for _ in range(args.runs):
        times["protobuf"].append(timed(lambda: proto_path(backend, proto_raw)))
        times["json"].append(timed(lambda: json_path(backend, json_raw)))
    print(f"null backend forward_backward, {args.datums} x {args.tokens} tokens (decode + job + encode)")
    print(f"  body bytes: protobuf {len(proto_raw):,}  json {len(json_raw):,}")
    for name, ts in times.items():
        print(f"  {name:9s} median {statistics.median(ts):8.2f} ms   best {min(ts):8.2f} ms")
    if args.enforce and statistics.median(times["protobuf"]) > 10.0:
        print("target missed: protobuf median above 10 ms", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
