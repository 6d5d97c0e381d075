"""Encode one forward_backward request (32 datums x 8192 tokens) with tinkex and with tinker 0.7.0.

    python bench/encode_forward_backward.py [--runs 15] [--datums 32] [--tokens 8192] [--enforce]

Both sides start from a request object already built from the same Python lists and end with the
JSON body inside an httpx.Request, ready to send:

* official: what tinker 0.7.0's `resources/training.py` does, `model_dump(request, exclude_unset=True,
  mode="json")`, then httpx's `json=` encoding (json.dumps), which `_base_client` hands the dict to;
* tinkex: the generated `forward_backward._get_kwargs` (the public wire types' `to_dict`, generated from
  the spec, which passes the per-token lists through by reference, then orjson), then the same
  httpx.Request.

Figures: median (and best) of N runs, official and tinkex interleaved, gc.collect() before each. The
machine is shared, so the best-of column shows the cost without interference. Target: tinkex <= 1/20 of official.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import tinker
from _tinkex_lowlevel.api.training import forward_backward
from tinker._compat import model_dump

import tinkex.types
from tinkex._policy._wire_check import check_datums
from tinkex.types import (
    Datum,
    EncodedTextChunk,
    ForwardBackwardInput,
    ForwardBackwardRequest,
    ModelInput,
    TensorData,
)

BASE_URL = "https://tinker.thinkingmachines.dev/services/tinker-prod"
TARGET_RATIO = 20.0


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


def build_official(lists: list[tuple[list[int], list[int], list[float]]]) -> Any:
    types = tinker.types
    data = [
        types.Datum(
            model_input=types.ModelInput(chunks=[types.EncodedTextChunk(tokens=toks)]),
            loss_fn_inputs={
                "target_tokens": types.TensorData(data=targets, dtype="int64", shape=[len(targets)]),
                "weights": types.TensorData(data=weights, dtype="float32", shape=[len(weights)]),
            },
        )
        for toks, targets, weights in lists
    ]
    return types.ForwardBackwardRequest(
        forward_backward_input=types.ForwardBackwardInput(data=data, loss_fn="cross_entropy"),
        model_id="run-1",
        seq_id=1,
    )


def build_tinkex(lists: list[tuple[list[int], list[int], list[float]]]) -> ForwardBackwardRequest:
    data = []
    for toks, targets, weights in lists:
        inputs = {
            "target_tokens": TensorData(data=targets, dtype="int64", shape=[len(targets)]),
            "weights": TensorData(data=weights, dtype="float32", shape=[len(weights)]),
        }
        data.append(
            Datum(loss_fn_inputs=inputs, model_input=ModelInput(chunks=[EncodedTextChunk(tokens=toks)]))
        )
    return ForwardBackwardRequest(
        forward_backward_input=ForwardBackwardInput(data=data, loss_fn="cross_entropy"),
        model_id="run-1",
        seq_id=1,
    )


def encode_official(request: Any) -> httpx.Request:
    body = model_dump(request, exclude_unset=True, mode="json")
    return httpx.Request("POST", f"{BASE_URL}/api/v1/forward_backward", json=body)


def encode_tinkex(request: ForwardBackwardRequest) -> httpx.Request:
    kwargs = forward_backward._get_kwargs(body=request)
    return httpx.Request(
        kwargs["method"], BASE_URL + kwargs["url"], content=kwargs["content"], headers=kwargs["headers"]
    )


def time_ms(
    official: Callable[[], object], ours: Callable[[], object], runs: int
) -> tuple[list[float], list[float]]:
    """Wall times of each, the runs interleaved so both see the same machine load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, sink in ((official, times[0]), (ours, times[1])):
            gc.collect()
            start = time.perf_counter()
            fn()
            sink.append((time.perf_counter() - start) * 1000)
    return times


def _without_chunk_tags(body: Any) -> Any:
    for datum in body["forward_backward_input"]["data"]:
        for chunk in datum["model_input"]["chunks"]:
            chunk.pop("type", None)
    body.pop("type", None)
    return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--datums", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=8192)
    parser.add_argument("--enforce", action="store_true", help="exit 1 when the 1/20 target is missed")
    args = parser.parse_args()

    lists = make_lists(args.datums, args.tokens)
    official_request = build_official(lists)
    tinkex_request = build_tinkex(lists)

    # Same wire content: tinkex also sends the chunk `type` tag (the 0.18+ style), nothing else differs.
    official_body = orjson.loads(encode_official(official_request).content)
    tinkex_wire = encode_tinkex(tinkex_request)
    assert _without_chunk_tags(orjson.loads(tinkex_wire.content)) == official_body, "bodies differ"

    rows = [
        (
            "build request object",
            *time_ms(lambda: build_official(lists), lambda: build_tinkex(lists), args.runs),
        ),
        (
            "encode -> httpx.Request",
            *time_ms(
                lambda: encode_official(official_request), lambda: encode_tinkex(tinkex_request), args.runs
            ),
        ),
    ]
    print(
        f"forward_backward: {args.datums} datums x {args.tokens} tokens, int target_tokens + float weights, "
        f"{len(tinkex_wire.content) / 1e6:.2f} MB JSON; {args.runs} interleaved runs each"
    )
    print(
        f"{'step':<26}{'tinker 0.7.0 median':>20}{'tinkex median':>15}{'ratio':>8}{'   (best: official / tinkex)':>30}"
    )
    for step, official_ms, tinkex_ms in rows:
        official_med, tinkex_med = statistics.median(official_ms), statistics.median(tinkex_ms)
        print(
            f"{step:<26}{official_med:>17.1f} ms{tinkex_med:>12.1f} ms{official_med / tinkex_med:>7.1f}x"
            f"{min(official_ms):>14.1f} / {min(tinkex_ms):.1f} ms = {min(official_ms) / min(tinkex_ms):.1f}x"
        )
    # The wire-value check a TrainingClient runs on the public types before a request takes its seq_id
    # (int64 / finite / UTF-8; the official client's equivalent is part of its pydantic build above).
    public = [
        tinkex.types.Datum(
            model_input=tinkex.types.ModelInput.from_ints(toks),
            loss_fn_inputs={"target_tokens": targets, "weights": weights},
        )
        for toks, targets, weights in lists
    ]
    checks = []
    for _ in range(args.runs):
        gc.collect()
        start = time.perf_counter()
        check_datums(public)
        checks.append((time.perf_counter() - start) * 1000)
    print(
        f"{'tinkex wire check':<26}{'':>20}{statistics.median(checks):>12.1f} ms   (best {min(checks):.1f} ms)"
    )
    encode_ratio = statistics.median(rows[1][1]) / statistics.median(rows[1][2])
    verdict = "meets" if encode_ratio >= TARGET_RATIO else "MISSES"
    print(
        f"encode (medians): tinkex takes 1/{encode_ratio:.1f} of the official time ({verdict} the 1/{TARGET_RATIO:.0f} target)"
    )
    return 1 if args.enforce and encode_ratio < TARGET_RATIO else 0


if __name__ == "__main__":
    raise SystemExit(main())
