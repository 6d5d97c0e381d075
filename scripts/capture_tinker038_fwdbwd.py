"""Capture what the official tinker 0.38.0 client sends as a protobuf forward_backward body for a few
fixed inputs, into a committed fixture, so a contract test holds tinkex's encoder to the same message
without installing 0.38 next to tinkex.

    .venv-tinker038/bin/python scripts/capture_tinker038_fwdbwd.py > tests/contract/fixtures/tinker-0.38-fwdbwd.json

Each case is described as plain JSON (datums, loss, config, seq_id, forward_only); the official SDK
builds its types from it and encodes them with its own request conversion; the fixture keeps the case
and the body (base64). Facts only: the bytes the official client puts on the wire.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

CASES: list[dict[str, Any]] = [
    {
        "name": "lists_cross_entropy",
        "datums": [
            {"tokens": [1, 2, 3, 4], "inputs": {"target_tokens": ["int64", [2, 3, 4, 5], None],
                                                 "weights": ["float32", [1.0, 1.0, 0.5, 0.0], None]}},
            {"tokens": [100000, 7], "inputs": {"target_tokens": ["int64", [7, 8], [2]],
                                                "weights": ["float32", [0.25, 1.0], [2]]}},
        ],
        "loss_fn": "cross_entropy", "loss_fn_config": None, "seq_id": 1, "forward_only": False,
    },
    {
        "name": "config_numbers_and_strings_forward_only",
        "datums": [
            {"tokens": [5, 6, 7], "inputs": {"target_tokens": ["int64", [6, 7, 8], [3]],
                                              "logprobs": ["float32", [-1.5, -0.25, -3.0], [3]],
                                              "advantages": ["float32", [0.5, 0.5, 0.5], [3]]}},
        ],
        "loss_fn": "ppo", "loss_fn_config": {"clip_low_threshold": 0.8, "mode": "token"},
        "seq_id": 17, "forward_only": True,
    },
]  # fmt: skip


def main() -> int:
    import tinker
    from tinker import types
    from tinker.proto.request_conv import forward_backward_request_to_proto

    out: dict[str, Any] = {"tinker_version": tinker.__version__, "cases": []}
    for case in CASES:
        data = []
        for d in case["datums"]:
            inputs = {
                key: types.TensorData(data=values, dtype=dtype, shape=shape)
                for key, (dtype, values, shape) in d["inputs"].items()
            }
            data.append(
                types.Datum(model_input=types.ModelInput.from_ints(d["tokens"]), loss_fn_inputs=inputs)
            )
        request = types.ForwardBackwardRequest(
            forward_backward_input=types.ForwardBackwardInput(
                data=data, loss_fn=case["loss_fn"], loss_fn_config=case["loss_fn_config"]
            ),
            model_id="session-1:train:0",
            seq_id=case["seq_id"],
        )
        msg = forward_backward_request_to_proto(request)
        msg.forward_only = case["forward_only"]
        body = msg.SerializeToString(deterministic=True)
        out["cases"].append({**case, "body_b64": base64.b64encode(body).decode()})
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
