"""tinkex's protobuf forward_backward body is the message the official tinker 0.38.0 client sends for the
same inputs (fixture captured by scripts/capture_tinker038_fwdbwd.py in .venv-tinker038), whether the
arrays come as Python lists or numpy arrays."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

from tinkex._runtime._binary import encode_forward_backward, with_seq_id
from tinkex.types import Datum, ModelInput, TensorData

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "tinker-0.38-fwdbwd.json").read_text())
NP = {"int64": np.int64, "float32": np.float32}


def _datums(case: dict[str, Any], as_numpy: bool) -> list[Datum]:
    out = []
    for d in case["datums"]:
        inputs = {}
        for key, (dtype, values, shape) in d["inputs"].items():
            data: Any = np.asarray(values, dtype=NP[dtype]) if as_numpy else values
            inputs[key] = TensorData(data=data, dtype=dtype, shape=shape)
        out.append(Datum(model_input=ModelInput.from_ints(d["tokens"]), loss_fn_inputs=inputs))
    return out


@pytest.mark.parametrize("as_numpy", [False, True], ids=["lists", "numpy"])
@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["name"])
def test_the_body_is_the_official_038_message(case: dict[str, Any], as_numpy: bool) -> None:
    body = encode_forward_backward(
        "session-1:train:0",
        _datums(case, as_numpy),
        case["loss_fn"],
        case["loss_fn_config"],
        forward_only=case["forward_only"],
    )
    ours = pb.ForwardBackwardRequest.FromString(with_seq_id(body, case["seq_id"]))
    official = pb.ForwardBackwardRequest.FromString(base64.b64decode(case["body_b64"]))
    assert ours == official
    # and byte for byte once both are written in field order
    assert ours.SerializeToString(deterministic=True) == base64.b64decode(case["body_b64"])


def test_the_fixture_is_from_038() -> None:
    assert FIXTURE["tinker_version"].startswith("0.38")
