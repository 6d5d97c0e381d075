"""forward_backward_custom with regularizers against the torch backend (the micro model): every
term's value, contribution and gradient norm in the result's metrics equals the value computed by
hand from the model's logprobs, and the gradient sent to the server is the combined one."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("tinkex_server")

import torch

import tinkex
from tinkex.types import Datum, ModelInput
from tinkex_server import DEFAULT_DEV_API_KEY, LocalServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DATA = [
    Datum(
        model_input=ModelInput.from_ints([104, 101, 108, 108]),
        loss_fn_inputs={"target_tokens": [101, 108, 108, 111], "weights": [0.0, 1.0, 1.0, 1.0]},
    ),
    Datum(model_input=ModelInput.from_ints([119, 111]), loss_fn_inputs={"target_tokens": [111, 114]}),
]
MASKS = [[0.0, 1.0, 1.0, 1.0], [1.0, 1.0]]


@pytest.fixture(scope="module")
def tc() -> Iterator[tinkex.TrainingClient]:
    with (
        LocalServer(backend="torch") as server,
        tinkex.ServiceClient(base_url=server.base_url, api_key=DEFAULT_DEV_API_KEY, telemetry=False) as sc,
    ):
        yield sc.create_lora_training_client(base_model="tinkex/micro-llama", rank=4, seed=0)


def _nll(data: list[Datum], logprobs: list[Any]) -> tuple[Any, dict[str, float]]:
    return -sum((lp * torch.tensor(m)).sum() for lp, m in zip(logprobs, MASKS, strict=True)), {}


def test_regularized_custom_loss_matches_hand_computed_values(tc: tinkex.TrainingClient) -> None:
    forward = tc.forward(DATA, "cross_entropy").result(timeout=120)
    lp = [[float(x) for x in out["logprobs"].tolist()] for out in forward.loss_fn_outputs]
    ref = [[v + (0.3 if i % 2 else -0.2) for i, v in enumerate(row)] for row in lp]
    regs = [
        tinkex.l1_regularizer(0.1),
        tinkex.l2_regularizer(0.05),
        tinkex.entropy_regularizer(-0.2),
        tinkex.kl_regularizer(0.5, ref),
    ]
    out = tc.forward_backward_custom(DATA, _nll, regularizers=regs, track_grad_norms=True).result(timeout=120)

    # By hand, per token (mask m, logprob x, reference r, d = r - x): value and d(value)/dx.
    pairs = [
        (m, x, r)
        for ms, xs, rs in zip(MASKS, lp, ref, strict=True)
        for m, x, r in zip(ms, xs, rs, strict=True)
    ]
    terms = {
        "l1": (0.1, [(m * abs(x), -m) for m, x, _ in pairs]),  # every logprob is < 0: d|x|/dx = -1
        "l2": (0.05, [(m * x * x, 2 * m * x) for m, x, _ in pairs]),
        "entropy": (-0.2, [(-m * x, -m) for m, x, _ in pairs]),
        "kl": (0.5, [(m * (math.exp(r - x) - (r - x) - 1), m * (1 - math.exp(r - x))) for m, x, r in pairs]),
    }
    base_value = -sum(m * x for m, x, _ in pairs)
    total_grad = [-m for m, _, _ in pairs]
    figures = tinkex.CustomLossOutput.from_metrics(out.metrics)
    for name, (weight, per_token) in terms.items():
        value = sum(v for v, _ in per_token)
        grad = [weight * g for _, g in per_token]
        total_grad = [a + b for a, b in zip(total_grad, grad, strict=True)]
        got = figures.regularizers[name]
        assert got.value == pytest.approx(value, rel=1e-4, abs=1e-5)
        assert got.contribution == pytest.approx(weight * value, rel=1e-4, abs=1e-5)
        assert got.grad_norm == pytest.approx(math.sqrt(sum(g * g for g in grad)), rel=1e-4, abs=1e-6)
    total = base_value + sum(w * sum(v for v, _ in t) for w, t in terms.values())
    assert figures.base_loss == pytest.approx(base_value, rel=1e-5)
    assert figures.total == pytest.approx(total, rel=1e-4)
    assert figures.total_grad_norm == pytest.approx(math.sqrt(sum(g * g for g in total_grad)), rel=1e-4)
    # The server ran cross_entropy with weights -dL/dx, so its loss:sum is sum(dL/dx * x): the
    # combined gradient, base and all four terms, is what reached the model.
    xs = [x for _, x, _ in pairs]
    assert out.metrics["loss:sum"] == pytest.approx(
        sum(g * x for g, x in zip(total_grad, xs, strict=True)), rel=1e-4
    )
    assert tc.optim_step(tinkex.AdamParams(learning_rate=1e-2)).result(timeout=120) is not None
