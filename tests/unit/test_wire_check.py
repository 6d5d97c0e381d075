"""Wire-value checks (tinkex._policy._wire_check): what a training or sampling call refuses before it
takes a seq_id, and the field each refusal names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinkex import TinkexValidationError
from tinkex._policy import _wire_check as wc
from tinkex.types import AdamParams, Datum, ModelInput, SamplingParams, TensorData


def _datum(tokens: Any, **inputs: Any) -> Datum:
    return Datum(model_input=ModelInput.from_ints(tokens), loss_fn_inputs=inputs)


BAD: list[tuple[str, Any, str]] = [
    (
        "token past int64",
        lambda: wc.check_datums([_datum([1, 2**64])]),
        r"data\[0\]\.model_input\.chunks\[0\]\.tokens\[1\]",
    ),
    ("negative token", lambda: wc.check_datums([_datum([-1])]), r"tokens\[0\]: -1 is outside"),
    ("float token", lambda: wc.check_datums([_datum([1.5])]), r"tokens\[0\]: must be an int"),
    (
        "NaN weight (list)",
        lambda: wc.check_datums([_datum([1], weights=[1.0, float("nan")])]),
        r"data\[0\]\.loss_fn_inputs\['weights'\]\.data\[1\]: must be finite",
    ),
    (
        "inf weight (numpy)",
        lambda: wc.check_datums([_datum([1], weights=np.array([0.0, np.inf], np.float32))]),
        r"\['weights'\]\.data\[1\]: must be finite",
    ),
    (
        "str in weights",
        lambda: wc.check_tensor(TensorData(data=[1.0, "x"], dtype="float32"), "t"),
        r"t\.data\[1\]: must be a number",
    ),
    (
        "int64 holds floats",
        lambda: wc.check_tensor(TensorData(data=[1, 2.5], dtype="int64"), "t"),
        r"t\.data\[1\]: must be an int",
    ),
    (
        "int64 from a float array",
        lambda: wc.check_tensor(TensorData(data=np.zeros(2), dtype="int64"), "t"),
        r"numpy dtype float64, not integers",
    ),
    (
        "uint64 past int64",
        lambda: wc.check_tensor(TensorData(data=np.array([2**64 - 1], np.uint64), dtype="int64"), "t"),
        r"outside",
    ),
    (
        "shape mismatch",
        lambda: wc.check_tensor(TensorData(data=[1, 2, 3], dtype="int64", shape=[2, 2]), "t"),
        r"t\.shape: \[2, 2\] holds 4",
    ),
    (
        "lone surrogate",
        lambda: wc.check_text("ab\udfff", "name"),
        r"name: is not valid UTF-8 text \(lone surrogate at index 2\)",
    ),
    ("not a str", lambda: wc.check_text(3, "name"), r"name: must be a str, got int"),
    ("a Datum, not a list", lambda: wc.check_datums(_datum([1])), r"^data: must be a list of Datum"),
    ("a list datum", lambda: wc.check_datums([[1, 2]]), r"data\[0\]: must be Datum"),
    (
        "adam NaN",
        lambda: wc.check_adam_params(AdamParams(beta1=float("nan"))),
        r"adam_params\.beta1: must be finite",
    ),
    ("adam typo", lambda: wc.check_adam_params({"lr": 1.0}), r"unknown key 'lr'"),
    ("adam list", lambda: wc.check_adam_params([1.0]), r"adam_params: must be AdamParams \(or a dict"),
    (
        "seed past int64",
        lambda: wc.check_sampling_params(SamplingParams(seed=2**64)),
        r"sampling_params\.seed: .* out of range",
    ),
    (
        "top_p inf",
        lambda: wc.check_sampling_params({"top_p": float("inf")}),
        r"sampling_params\.top_p: must be finite",
    ),
    ("prompt list", lambda: wc.check_model_input([1, 2], "prompt"), r"^prompt: must be ModelInput"),
    (
        "config NaN",
        lambda: wc.check_loss_fn_config({"beta": float("nan")}),
        r"loss_fn_config\['beta'\]: must be finite",
    ),
    ("config not a dict", lambda: wc.check_loss_fn_config([1.0]), r"^loss_fn_config: must be a dict"),
    (
        "metadata object",
        lambda: wc.check_user_metadata({"k": object()}),
        r"user_metadata\['k'\]: must be a str, got object",
    ),
    (
        "metadata surrogate key",
        lambda: wc.check_user_metadata({"\ud800": "v"}),
        r"user_metadata key .*surrogate",
    ),
]


@pytest.mark.parametrize(("case", "call", "field"), BAD, ids=[b[0] for b in BAD])
def test_refused_with_the_field_named(case: str, call: Any, field: str) -> None:
    with pytest.raises(TinkexValidationError, match=field) as info:
        call()
    assert info.value.fix, "every refusal says how to fix it"


def test_valid_values_pass_and_dicts_are_coerced() -> None:
    data = wc.check_datums(
        [
            _datum([0, 2**63 - 1], target_tokens=[1, 2], weights=[0.0, 1.0]),
            _datum(np.arange(4), target_tokens=np.arange(4), weights=np.ones(4, np.float64)),
            _datum([1], weights=[1e308, 1e308]),  # finite values whose sum overflows are still valid
            _datum([1]).to_dict(),
        ]
    )
    assert all(isinstance(d, Datum) for d in data)
    assert wc.check_adam_params({"learning_rate": 1e-3}).learning_rate == 1e-3
    assert wc.check_sampling_params({"max_tokens": 3, "stop": ["\n", "é"]}).max_tokens == 3
    assert wc.check_model_input({"chunks": [{"tokens": [1]}]}, "prompt").length == 1
    assert wc.check_user_metadata({"k": "v"}) == {"k": "v"}
    assert wc.check_loss_fn_config(None) is None


def test_numpy_inputs_are_checked_without_walking_them() -> None:
    # A 32 x 8192 batch of arrays: the checks read dtype / min / max / isfinite, never the elements in
    # Python (an array whose iteration fails would be noticed).
    class NoIter(np.ndarray):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            raise AssertionError("walked element by element")

    weights = np.ones(8192, np.float32).view(NoIter)
    ids = np.arange(8192, dtype=np.int64).view(NoIter)
    for td in (TensorData(data=weights, dtype="float32"), TensorData(data=ids, dtype="int64")):
        assert not isinstance(td.data, list)
        wc.check_tensor(td, "t")
    wc.check_int_values(ids, "ids", lo=0)
    wc.check_float_values(weights, "w")


def test_loss_fn_config_bools_become_floats_as_officially() -> None:
    assert wc.check_loss_fn_config({"a": True, "b": 2}) == {"a": 1.0, "b": 2}
