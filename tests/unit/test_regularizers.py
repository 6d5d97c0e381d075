"""The regularizer pipeline against hand-computed values: each built-in term's value, contribution,
gradient and gradient norm, the combined gradient, the metric keys, and the errors a user can make."""

from __future__ import annotations

import math
from typing import Any

import pytest

pytest.importorskip("torch")

import torch

import tinkex
from tinkex import CustomLossOutput, RegularizerSpec, TinkexValidationError
from tinkex._exceptions import TinkexError
from tinkex._regularizers import run_custom_loss
from tinkex.types import Datum, ModelInput

# Two datums: the first masks its second token (weights 0), the second has no weights (all ones).
DATA = [
    Datum(
        model_input=ModelInput.from_ints([0, 1]),
        loss_fn_inputs={"target_tokens": [1, 2], "weights": [1.0, 0.0]},
    ),
    Datum(model_input=ModelInput.from_ints([0]), loss_fn_inputs={"target_tokens": [1]}),
]
LP = [[-1.0, -2.0], [-0.5]]
REF = [[-1.5, -2.0], [0.0]]


def _leaves() -> list[Any]:
    return [torch.tensor(v, requires_grad=True) for v in LP]


def _nll(data: list[Datum], logprobs: list[Any]) -> tuple[Any, dict[str, float]]:
    loss = -sum(lp.sum() for lp in logprobs)
    return loss, {"nll:sum": float(loss.detach())}


def _grads(lps: list[Any]) -> list[float]:
    return [float(g) for lp in lps for g in lp.grad]


K3_A, K3_B = math.exp(-0.5) + 0.5 - 1, math.exp(0.5) - 0.5 - 1  # diff = ref - lp = -0.5, +0.5
CASES = [
    # spec, value, gradient of the contribution w.r.t. [lp00, lp01, lp10]
    (tinkex.l1_regularizer(0.1), 1.0 + 0.5, [-0.1, 0.0, -0.1]),
    (tinkex.l2_regularizer(0.5), 1.0 + 0.25, [-1.0, 0.0, -0.5]),
    (tinkex.entropy_regularizer(-0.2), 1.0 + 0.5, [0.2, 0.0, 0.2]),
    (tinkex.kl_regularizer(1.0, REF), K3_A + K3_B, [1 - math.exp(-0.5), 0.0, 1 - math.exp(0.5)]),
    (
        tinkex.kl_regularizer(2.0, REF, estimator="k1", name="kl1"),
        (-1.0 + 1.5) + (-0.5 - 0.0),
        [2.0, 0.0, 2.0],
    ),
]


@pytest.mark.parametrize(("spec", "value", "grad"), CASES, ids=[c[0].name for c in CASES])
def test_each_builtin_term_against_hand_computed_values(
    spec: RegularizerSpec, value: float, grad: list[float]
) -> None:
    lps = _leaves()
    figures, metrics = run_custom_loss(DATA, lps, _nll, [spec], track_grad_norms=True)
    out = figures.regularizers[spec.name]
    assert out.value == pytest.approx(value)
    assert out.weight == spec.weight
    assert out.contribution == pytest.approx(spec.weight * value)
    assert out.grad_norm == pytest.approx(math.sqrt(sum(g * g for g in grad)))
    assert figures.base_loss == pytest.approx(3.5)
    assert figures.base_grad_norm == pytest.approx(math.sqrt(3))
    assert figures.total == pytest.approx(3.5 + spec.weight * value)
    assert _grads(lps) == pytest.approx([-1.0 + g for g in grad])  # base gradient is -1 per token
    assert metrics == {"nll:sum": 3.5}


def test_terms_are_computed_together_and_reported_as_metrics() -> None:
    lps = _leaves()
    specs = [spec for spec, _, _ in CASES]
    figures, _ = run_custom_loss(DATA, lps, _nll, specs, track_grad_norms=True)
    assert figures.total == pytest.approx(3.5 + sum(s.weight * v for s, v, _ in CASES))
    combined = [-1.0 + sum(g[i] for _, _, g in CASES) for i in range(3)]
    assert _grads(lps) == pytest.approx(combined, abs=1e-6)
    assert figures.total_grad_norm == pytest.approx(math.sqrt(sum(g * g for g in combined)))
    metrics = figures.to_metrics()
    assert metrics["reg/l2:sum"] == pytest.approx(0.625)
    assert metrics["reg/l2/value:sum"] == pytest.approx(1.25)
    assert metrics["reg/l2/weight:unique"] == 0.5
    assert metrics["reg/l2/grad_norm:max"] == pytest.approx(math.sqrt(1.25))
    assert metrics["custom_loss/base:sum"] == pytest.approx(3.5)
    for key in metrics:  # the SDK's metric naming: exactly one ':' and a known reduction
        name, reduction = key.split(":")
        assert name
        assert reduction in {"sum", "max", "unique"}
    assert CustomLossOutput.from_metrics({**metrics, "loss:sum": 1.0}) == figures


def test_without_grad_norms_none_are_reported() -> None:
    figures, _ = run_custom_loss(DATA, _leaves(), _nll, [tinkex.l2_regularizer(1.0)])
    assert figures.regularizers["l2"].grad_norm is None
    assert not any("grad_norm" in k for k in figures.to_metrics())


def test_a_user_term_with_its_own_metrics() -> None:
    def first_token(data: list[Datum], logprobs: list[Any]) -> tuple[Any, dict[str, float]]:
        value = sum(lp[0] for lp in logprobs)
        return value, {"first_lp:mean": float(value.detach()) / len(logprobs)}

    lps = _leaves()
    figures, metrics = run_custom_loss(DATA, lps, _nll, [RegularizerSpec("first", 3, first_token)])
    assert figures.regularizers["first"].value == pytest.approx(-1.5)
    assert figures.regularizers["first"].contribution == pytest.approx(-4.5)
    assert metrics["first_lp:mean"] == pytest.approx(-0.75)
    assert _grads(lps) == pytest.approx([2.0, -1.0, 2.0])


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: RegularizerSpec("", 1.0, lambda d, lp: 0), "RegularizerSpec.name"),
        (lambda: RegularizerSpec("a:b", 1.0, lambda d, lp: 0), "RegularizerSpec.name"),
        (lambda: RegularizerSpec("a", float("inf"), lambda d, lp: 0), "RegularizerSpec.weight"),
        (lambda: RegularizerSpec("a", True, lambda d, lp: 0), "RegularizerSpec.weight"),
        (lambda: RegularizerSpec("a", 1.0, "l2"), "RegularizerSpec.fn"),
        (lambda: tinkex.kl_regularizer(1.0, REF, estimator="k2"), "kl_regularizer(estimator)"),  # type: ignore[arg-type]
    ],
)
def test_bad_specs_name_the_field(build: Any, field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        build()
    assert info.value.field == field


@pytest.mark.parametrize(
    ("specs", "field"),
    [
        ([tinkex.l2_regularizer(1.0), tinkex.l2_regularizer(2.0)], "forward_backward_custom(regularizers)"),
        ([RegularizerSpec("vec", 1.0, lambda d, lp: lp[0])], "RegularizerSpec('vec').fn"),
        ([tinkex.kl_regularizer(1.0, REF[:1])], "kl_regularizer(reference_logprobs)"),
        ([tinkex.kl_regularizer(1.0, [[0.0], [0.0]])], "kl_regularizer(reference_logprobs)[0]"),
        ([RegularizerSpec("inf", 1.0, lambda d, lp: torch.log(torch.zeros(())))], "forward_backward_custom"),
    ],
)
def test_bad_terms_are_named(specs: list[RegularizerSpec], field: str) -> None:
    with pytest.raises(TinkexValidationError) as info:
        run_custom_loss(DATA, _leaves(), _nll, specs)
    assert info.value.field == field


def test_a_term_that_raises_is_named() -> None:
    def broken(data: list[Datum], logprobs: list[Any]) -> Any:
        raise RuntimeError("boom")

    with pytest.raises(TinkexError, match="regularizer 'broken' raised RuntimeError: boom"):
        run_custom_loss(DATA, _leaves(), _nll, [RegularizerSpec("broken", 1.0, broken)])
