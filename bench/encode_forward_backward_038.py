"""Encode one forward_backward request (32 datums x 8192 tokens) as the tinker 0.38 protobuf body:
tinkex and the official tinker 0.38.0 client, side by side in one run.

    .venv/bin/python bench/encode_forward_backward_038.py [--runs 15] [--datums 32] [--tokens 8192]

Both sides start from datums already built (from Python lists, and from numpy arrays) and end with the
body bytes, seq_id included, ready to send:

* official 0.38: its own request conversion (`tinker.proto.request_conv`) then `SerializeToString()`,
  run by the interpreter of `.venv-tinker038` (made by `make setup`) in a subprocess of this script;
* tinkex: `_runtime._binary.encode_forward_backward` + `with_seq_id` (what a TrainingClient sends).

Before timing, the script checks both bodies parse to the same protobuf message. Figures: median and
best of N runs, gc.collect() before each. Targets (issue 11): from numpy <= 2 ms; from lists <= half
the official time.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFICIAL_PYTHON = os.path.join(ROOT, ".venv-tinker038", "bin", "python")
MODEL_ID = "session-1:train:0"


def make_lists(datums: int, tokens: int) -> list[tuple[list[int], list[int], list[float]]]:
    """Per datum: input tokens, target tokens (ints) and weights (floats with full precision)."""
    rng = random.Random(0)
    return [
        (
            [rng.randrange(150_000) for _ in range(tokens)],
            [rng.randrange(150_000) for _ in range(tokens)],
            [rng.random() for _ in range(tokens)],
        )
        for _ in range(datums)
    ]


def build(types: Any, lists: list[tuple[list[int], list[int], list[float]]], as_numpy: bool) -> list[Any]:
    """The datums, with the same public API on both SDKs."""
    import numpy as np

    out = []
    for toks, targets, weights in lists:
        if as_numpy:
            tt = types.TensorData.from_numpy(np.asarray(targets, dtype=np.int64))
            ww = types.TensorData.from_numpy(np.asarray(weights, dtype=np.float32))
            chunk = types.EncodedTextChunk(tokens=np.asarray(toks, dtype=np.int64).tolist())
        else:
            tt = types.TensorData(data=targets, dtype="int64", shape=[len(targets)])
            ww = types.TensorData(data=weights, dtype="float32", shape=[len(weights)])
            chunk = types.EncodedTextChunk(tokens=toks)
        out.append(
            types.Datum(
                model_input=types.ModelInput(chunks=[chunk]),
                loss_fn_inputs={"target_tokens": tt, "weights": ww},
            )
        )
    return out


def time_ms(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def official_worker(args: argparse.Namespace) -> None:
    """In .venv-tinker038: time the official encoder; print {kind: [ms...], kind_body: b64} as JSON."""
    from tinker import types
    from tinker.proto.request_conv import forward_backward_request_to_proto

    lists = make_lists(args.datums, args.tokens)
    result: dict[str, Any] = {}
    for kind in ("lists", "numpy"):
        request = types.ForwardBackwardRequest(
            forward_backward_input=types.ForwardBackwardInput(
                data=build(types, lists, kind == "numpy"), loss_fn="cross_entropy"
            ),
            model_id=MODEL_ID,
            seq_id=1,
        )

        def encode(request: Any = request) -> bytes:
            return bytes(forward_backward_request_to_proto(request).SerializeToString())

        result[kind] = time_ms(encode, args.runs)
        result[kind + "_body"] = base64.b64encode(encode()).decode()
    print(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--datums", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=8192)
    parser.add_argument("--official-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.official_worker:
        official_worker(args)
        return 0
    if not os.path.exists(OFFICIAL_PYTHON):
        sys.exit(f"{OFFICIAL_PYTHON} not found: run `make setup` (it builds .venv-tinker038)")

    from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

    import tinkex.types as types
    from tinkex._runtime._binary import encode_forward_backward, with_seq_id

    sizes = ["--runs", str(args.runs), "--datums", str(args.datums), "--tokens", str(args.tokens)]
    proc = subprocess.run(
        [OFFICIAL_PYTHON, __file__, "--official-worker", *sizes], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"the official 0.38 worker failed:\n{proc.stderr}")
    official = json.loads(proc.stdout.strip().splitlines()[-1])

    lists = make_lists(args.datums, args.tokens)
    print(
        f"forward_backward protobuf body: {args.datums} datums x {args.tokens} tokens; {args.runs} runs each"
    )
    print(
        f"{'input':<10}{'tinker 0.38.0 median':>22}{'tinkex median':>15}{'speed-up':>10}{'   best: official / tinkex':>28}"
    )
    for kind in ("lists", "numpy"):
        data = build(types, lists, kind == "numpy")

        def encode(data: list[Any] = data) -> bytes:
            return with_seq_id(encode_forward_backward(MODEL_ID, data, "cross_entropy", None), 1)

        ours_body = encode()
        theirs = pb.ForwardBackwardRequest.FromString(base64.b64decode(official[kind + "_body"]))
        assert pb.ForwardBackwardRequest.FromString(ours_body) == theirs, f"bodies differ ({kind})"
        ours = time_ms(encode, args.runs)
        off_med, our_med = statistics.median(official[kind]), statistics.median(ours)
        print(
            f"{kind:<10}{off_med:>19.2f} ms{our_med:>12.2f} ms{off_med / our_med:>9.1f}x"
            f"{min(official[kind]):>16.2f} / {min(ours):.2f} ms"
        )
    print("targets: numpy <= 2 ms; lists <= 1/2 of the official time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
