"""Local loss validation: table-driven over the five losses, and wired into the TrainingClient so a bad
request raises before anything is sent."""

from __future__ import annotations

import doctest
from typing import Any

import numpy as np
import pytest

from tinkex._exceptions import TinkexValidationError
from tinkex._policy import _loss_check
from tinkex._policy._loss_check import check_loss_config, check_loss_request
from tinkex.types import Datum, ImageAssetPointerChunk, ModelInput, TensorData

RL = ("importance_sampling", "ppo", "cispo", "dro")


def _datum(n: int = 3, **inputs: Any) -> Datum:
    return Datum(model_input=ModelInput.from_ints(list(range(n))), loss_fn_inputs=inputs)


def _rl(n: int = 3, **over: Any) -> Datum:
    base: dict[str, Any] = {"target_tokens": [1] * n, "logprobs": [-1.0] * n, "advantages": [0.5] * n}
    base.update(over)
    return _datum(n, **{k: v for k, v in base.items() if v is not None})


def test_docstring_examples() -> None:
    result = doctest.testmod(_loss_check, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("data", "loss_fn", "config"),
    [
        ([_datum(target_tokens=[1, 2, 3], weights=[1.0, 0.0, 1.0])], "cross_entropy", None),
        ([_datum(target_tokens=[1, 2, 3])], "cross_entropy", None),  # weights default to ones
        ([_datum(target_tokens=[1, 2, 3])], "cross_entropy", {}),
        # forward_backward_custom sends RL inputs to cross_entropy: ignored, whatever their length.
        ([_datum(target_tokens=[1, 2, 3], advantages=[1.0])], "cross_entropy", None),
        *[([_rl()], loss, None) for loss in RL],
        ([_rl()], "ppo", {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2}),
        ([_rl()], "cispo", {"clip_low_threshold": 0.0, "clip_high_threshold": 4}),
        ([_rl()], "dro", {"beta": 0.05}),
        ([_rl(clip_low_threshold=[0.8] * 3)], "ppo", None),  # tolerated legacy per-token input
        ([_datum(target_tokens=np.arange(3), weights=np.ones(3, dtype=np.float32))], "cross_entropy", None),
        (
            [_datum(target_tokens=TensorData(data=[1, 2, 3, 4, 5, 6], dtype="int64", shape=[3, 2]))],
            "cross_entropy",
            None,
        ),
        # An image without expected_tokens: its length is the server's to check.
        (
            [
                Datum(
                    model_input=ModelInput(
                        chunks=[ImageAssetPointerChunk(format="png", location="s3://b/i.png")]
                    ),
                    loss_fn_inputs={"target_tokens": [1, 2]},
                )
            ],
            "cross_entropy",
            None,
        ),
    ],
)
def test_valid_requests_pass(data: list[Datum], loss_fn: str, config: dict[str, float] | None) -> None:
    check_loss_request(data, loss_fn, config)


@pytest.mark.parametrize(
    ("data", "loss_fn", "config", "field", "fix"),
    [
        ([], "crossentropy", None, "loss_fn", "did you mean 'cross_entropy'"),
        ([], "mse", None, "loss_fn", "forward_backward_custom"),
        (
            [_datum(weights=[1.0] * 3)],
            "cross_entropy",
            None,
            "data[0].loss_fn_inputs['target_tokens']",
            "one token id per model_input token (3 here)",
        ),
        (
            [_rl(), _rl(advantages=None)],
            "ppo",
            None,
            "data[1].loss_fn_inputs['advantages']",
            "add advantages",
        ),
        ([_rl(logprobs=None)], "dro", None, "data[0].loss_fn_inputs['logprobs']", "add logprobs"),
        (
            [_rl(advantages=None, advantage=np.ones(3))],
            "ppo",
            None,
            "data[0].loss_fn_inputs['advantages']",
            "rename 'advantage' to 'advantages'",
        ),
        (
            [_datum(target_tokens=[1] * 3, weight=np.ones(3))],
            "cross_entropy",
            None,
            "data[0].loss_fn_inputs['weight']",
            "rename it to 'weights'",
        ),
        (
            [_datum(target_tokens=[1, 2])],
            "cross_entropy",
            None,
            "data[0].loss_fn_inputs['target_tokens']",
            "model_input = tokens[:-1]",
        ),
        (
            [_datum(target_tokens=[1] * 3, weights=[1.0] * 4)],
            "cross_entropy",
            None,
            "data[0].loss_fn_inputs['weights']",
            "one value per model_input position",
        ),
        (
            [_rl(logprobs=[0.0] * 2)],
            "importance_sampling",
            None,
            "data[0].loss_fn_inputs['logprobs']",
            "one value",
        ),
        (
            [_datum(target_tokens=TensorData(data=[1] * 4, dtype="int64", shape=[2, 2]))],
            "cross_entropy",
            None,
            "data[0].loss_fn_inputs['target_tokens']",
            "one value",
        ),
        ([], "cross_entropy", {"beta": 0.1}, "loss_fn_config['beta']", "loss_fn_config=None"),
        (
            [],
            "importance_sampling",
            {"clip_low_threshold": 0.8},
            "loss_fn_config['clip_low_threshold']",
            "loss_fn_config=None",
        ),
        ([], "ppo", {"clip_low": 0.8}, "loss_fn_config['clip_low']", "did you mean 'clip_low_threshold'"),
        ([], "dro", {"advantages": [1.0, 2.0]}, "loss_fn_config['advantages']", "loss_fn_inputs"),
        ([], "dro", {"beta": [0.1]}, "loss_fn_config['beta']", "finite number"),
        ([], "dro", {"beta": float("nan")}, "loss_fn_config['beta']", "one float"),
        ([], "ppo", {"clip_low_threshold": True}, "loss_fn_config['clip_low_threshold']", "one float"),
        (
            [],
            "ppo",
            {"clip_low_threshold": 1.2, "clip_high_threshold": 0.8},
            "loss_fn_config['clip_low_threshold']",
            "bound the ratio",
        ),
        ([], "ppo", [("beta", 1.0)], "loss_fn_config", "dict"),
    ],
)
def test_bad_requests_name_the_datum_field_and_fix(
    data: list[Datum], loss_fn: str, config: Any, field: str, fix: str
) -> None:
    with pytest.raises(TinkexValidationError) as info:
        check_loss_request(data, loss_fn, config)
    assert info.value.field == field
    assert fix in str(info.value)


def test_config_accepts_ints() -> None:
    check_loss_config("cispo", {"clip_low_threshold": 0, "clip_high_threshold": 4})
