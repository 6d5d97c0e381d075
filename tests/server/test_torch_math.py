"""The pure math of the torch backend: the five losses against hand-computed values, loss-input
validation, sampling filters and stop rules, and AdamW against torch.optim.AdamW."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from tinkex_server.backends._losses import LossInputs, elementwise_loss, parse_loss_inputs, tensor_data
from tinkex_server.backends._optim import adam_step, clip_coefficient, new_optimizer
from tinkex_server.backends._sampling import (
    draw,
    hits_stop_string,
    sample_seeds,
    sampling_logits,
    stop_rule,
)
from tinkex_server.backends.base import AdamSpec, SamplingSpec, UserInputError
from tinkex_server.backends.checks import DEFAULT_MAX_TOKENS_CAP, token_budget
from tinkex_server.backends.checks import check_sampling as validate_params

LP = [-1.0, -2.0]
Q = [-1.5, -1.0]
ADV = [2.0, -1.0]
R = [math.exp(0.5), math.exp(-1.0)]  # exp(lp - q)


def _rl() -> LossInputs:
    return LossInputs(torch.tensor([3, 4]), logprobs=torch.tensor(Q), advantages=torch.tensor(ADV))


@pytest.mark.parametrize(
    ("loss_fn", "config", "expected", "grad"),
    [
        # -r*A; d/dlp = -A*r
        ("importance_sampling", None, [-R[0] * 2.0, R[1]], [-2.0 * R[0], R[1]]),
        # r0 = 1.65 > 1.2 with A > 0 and r1 = 0.37 < 0.8 with A < 0: both clipped, zero gradient
        ("ppo", None, [-2.4, 0.8], [0.0, 0.0]),
        # thresholds are bounds on r itself: with [0.5, 2.0] neither token is clipped
        (
            "ppo",
            {"clip_low_threshold": 0.3, "clip_high_threshold": 2.0},
            [-R[0] * 2.0, R[1]],
            [-2.0 * R[0], R[1]],
        ),
        # -sg(clip(r))*lp*A: never zeroed, only scaled
        ("cispo", None, [2.4, -1.6], [-2.4, 0.8]),
        # -(lp*A - beta/2 (lp-q)^2) with beta 0.5; d/dlp = -A + beta (lp - q)
        ("dro", {"beta": 0.5}, [2.0625, -1.75], [-2.0 + 0.25, 1.0 - 0.5]),
    ],
)
def test_rl_losses_match_hand_computed_values_and_gradients(
    loss_fn: str, config: dict[str, float] | None, expected: list[float], grad: list[float]
) -> None:
    lp = torch.tensor(LP, requires_grad=True)
    loss = elementwise_loss(loss_fn, lp, _rl(), config)
    assert loss.tolist() == pytest.approx(expected, abs=1e-5)
    loss.sum().backward()  # type: ignore[no-untyped-call]
    assert lp.grad is not None
    assert lp.grad.tolist() == pytest.approx(grad, abs=1e-5)


def test_cross_entropy_is_minus_weight_times_logprob_and_accepts_negative_weights() -> None:
    lp = torch.tensor(LP, requires_grad=True)
    inputs = LossInputs(torch.tensor([3, 4]), weights=torch.tensor([1.0, -0.5]))
    loss = elementwise_loss("cross_entropy", lp, inputs, {"ignored": 1.0})
    assert loss.tolist() == pytest.approx([1.0, -1.0])
    loss.sum().backward()  # type: ignore[no-untyped-call]
    assert lp.grad is not None
    assert lp.grad.tolist() == pytest.approx([-1.0, 0.5])


def _td(data: list[Any], dtype: str, shape: list[int] | None = None) -> dict[str, Any]:
    return {"data": data, "dtype": dtype, "shape": shape if shape is not None else [len(data)]}


def test_parse_fills_missing_cross_entropy_weights_with_ones() -> None:
    parsed = parse_loss_inputs("cross_entropy", {"target_tokens": _td([1, 2], "int64")}, 2, 10, "d")
    assert parsed.weights is not None
    assert parsed.weights.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("loss_fn", "raw", "message"),
    [
        ("importance_sampling", {"target_tokens": _td([1, 2], "int64")}, "data[0].loss_fn_inputs.logprobs"),
        ("cross_entropy", {"target_tokens": _td([1, 2, 3], "int64")}, "has 3 elements but model_input has 2"),
        ("cross_entropy", {"target_tokens": _td([1, 99], "int64")}, "outside the vocabulary"),
        (
            "cross_entropy",
            {"target_tokens": _td([1, 2], "int64"), "weights": _td([1.0, float("nan")], "float32")},
            "NonFiniteInTensor: data[0].loss_fn_inputs.weights",
        ),
        ("cross_entropy", {"target_tokens": _td([1, 2], "int64", [1, 2])}, "1-D"),
        ("kl", {}, "loss_fn 'kl'"),
    ],
)
def test_bad_loss_inputs_raise_user_errors_naming_the_field(
    loss_fn: str, raw: dict[str, Any], message: str
) -> None:
    with pytest.raises(UserInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_loss_inputs(loss_fn, raw, 2, 10, "data[0].loss_fn_inputs")


def test_tensor_data_has_exactly_the_three_wire_keys() -> None:
    assert tensor_data(torch.tensor([0.5, 1.0])) == {"data": [0.5, 1.0], "dtype": "float32", "shape": [2]}


# ----------------------------------------------------------------------------- sampling


def test_top_k_and_top_p_filter_the_distribution() -> None:
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    top2 = sampling_logits(logits, SamplingSpec(top_k=2))
    assert torch.isinf(top2[0, 2:]).all()
    assert torch.isfinite(top2[0, :2]).all()
    # nucleus 0.7: 0.5 alone is short of it, 0.5 + 0.3 reaches it -> two tokens survive
    nucleus = sampling_logits(logits, SamplingSpec(top_p=0.7))
    assert torch.isfinite(nucleus[0]).tolist() == [True, True, False, False]
    # temperature divides logits
    hot = sampling_logits(torch.tensor([[2.0, 4.0]]), SamplingSpec(temperature=2.0))
    assert hot.tolist() == [[1.0, 2.0]]


def test_draw_is_greedy_at_temperature_zero_and_reproducible_by_generator_seed() -> None:
    logits = torch.tensor([[0.0, 1.0, 0.5]] * 3)
    assert draw(logits, SamplingSpec(temperature=0.0), []).tolist() == [1, 1, 1]
    a = [
        draw(logits, SamplingSpec(), [torch.Generator().manual_seed(s) for s in (7, 8, 9)]) for _ in range(2)
    ]
    assert a[0].tolist() == a[1].tolist()
    # row r is drawn with generator r alone: the first row is the same whatever the batch size
    single = draw(logits[:1], SamplingSpec(), [torch.Generator().manual_seed(7)])
    assert single.tolist() == a[0][:1].tolist()


def test_sample_seeds_depend_on_seed_and_index_only() -> None:
    seeds = sample_seeds(7, 3)
    assert seeds[:2] == sample_seeds(7, 2)
    assert len(set(seeds)) == 3
    assert sample_seeds(8, 1) != seeds[:1]
    assert all(0 <= s < 2**63 for s in seeds + sample_seeds(-(2**70), 2) + sample_seeds(2**70, 2))


@pytest.mark.parametrize(
    ("spec", "tokens", "strings"),
    [
        (SamplingSpec(), {2}, ()),  # stop=None: EOS still stops
        (SamplingSpec(stop_token_ids=(5, 6)), {2, 5, 6}, ()),
        (SamplingSpec(stop_strings=("\n",)), {2}, ("\n",)),
        (SamplingSpec(stop_given_empty=True), set(), ()),  # stop=[]: even EOS is disabled
    ],
)
def test_stop_rule(spec: SamplingSpec, tokens: set[int], strings: tuple[str, ...]) -> None:
    rule = stop_rule(spec, (2,))
    assert rule.token_ids == tokens
    assert rule.strings == strings


def test_stop_strings_and_token_budget() -> None:
    assert hits_stop_string("ab\ncd", ["\n"])
    assert not hits_stop_string("abcd", ["\n", ""])
    assert token_budget(10, 5, 100) == 5
    assert token_budget(10, None, 100) == 90
    assert token_budget(1, None, 10**6) == DEFAULT_MAX_TOKENS_CAP
    with pytest.raises(UserInputError, match=r"prompt length 10 \+ max_tokens 95 = 105 exceeds .* 100"):
        token_budget(10, 95, 100)
    with pytest.raises(UserInputError, match="max_tokens"):
        token_budget(10, 0, 100)
    with pytest.raises(UserInputError, match="top_p"):
        validate_params(SamplingSpec(top_p=0.0), 10)
    with pytest.raises(UserInputError, match="stop has token ids"):
        validate_params(SamplingSpec(stop_token_ids=(10,)), 10)


# ----------------------------------------------------------------------------- AdamW


@pytest.mark.parametrize(
    ("norm", "max_norm", "coef"), [(4.0, 1.0, 0.25), (0.5, 1.0, 1.0), (4.0, 0.0, 1.0), (1.0, 1.0, 1.0)]
)
def test_clip_coefficient(norm: float, max_norm: float, coef: float) -> None:
    assert clip_coefficient(norm, max_norm) == coef


def test_two_adam_steps_match_torch_adamw_with_decoupled_weight_decay() -> None:
    torch.manual_seed(0)
    init = torch.randn(3, 4)
    grads = [torch.randn(3, 4), torch.randn(3, 4)]
    ours = torch.nn.Parameter(init.clone())
    ref = torch.nn.Parameter(init.clone())
    opt = new_optimizer([ours])
    ref_opt = torch.optim.AdamW([ref], lr=0.01, betas=(0.8, 0.9), eps=1e-8, weight_decay=0.1)
    spec = AdamSpec(learning_rate=0.01, beta1=0.8, beta2=0.9, eps=1e-8, weight_decay=0.1)
    for g in grads:
        ours.grad = g.clone()
        ref.grad = g.clone()
        adam_step(opt, [ours], spec)
        ref_opt.step()
        assert ours.grad is None  # zeroed after the step
    torch.testing.assert_close(ours.detach(), ref.detach(), rtol=0, atol=1e-7)


def test_grad_clipping_scales_the_global_norm_to_the_limit() -> None:
    a = torch.nn.Parameter(torch.zeros(1))
    b = torch.nn.Parameter(torch.zeros(1))
    a.grad, b.grad = torch.tensor([3.0]), torch.tensor([4.0])  # global norm 5
    # With beta1 = beta2 = 0 one step moves by lr * g / |g| per element, so inspect m directly.
    opt = new_optimizer([a, b])
    norm = adam_step(opt, [a, b], AdamSpec(learning_rate=0.0, beta1=0.0, beta2=0.0, grad_clip_norm=1.0))
    assert norm == pytest.approx(5.0)
    assert opt.state[a]["exp_avg"].tolist() == pytest.approx([0.6])
    assert opt.state[b]["exp_avg"].tolist() == pytest.approx([0.8])


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (AdamSpec(beta1=1.5), "beta1"),
        (AdamSpec(beta2=1.0), "beta2"),
        (AdamSpec(beta1=-0.1), "beta1"),
        (AdamSpec(learning_rate=float("inf")), "learning_rate"),
        (AdamSpec(eps=float("nan")), "eps"),
        (AdamSpec(weight_decay=float("nan")), "weight_decay"),
    ],
)
def test_adam_step_rejects_hyperparameters_outside_adams_domain_and_changes_nothing(
    spec: AdamSpec, field: str
) -> None:
    # torch.optim.AdamW refuses these in its constructor, but per-step values bypass that check:
    # beta1 = 1.5 would silently blow the moments up and ruin the adapter.
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.ones(2)
    opt = new_optimizer([p])
    with pytest.raises(UserInputError, match=rf"adam_params\.{field}"):
        adam_step(opt, [p], spec)
    assert p.tolist() == [1.0, 1.0]
    assert p.grad is not None  # the accumulated gradient is kept for a corrected retry
    assert p.grad.tolist() == [1.0, 1.0]
    assert not opt.state


@pytest.mark.parametrize(
    ("loss_fn", "second"),
    [("importance_sampling", -1.0), ("ppo", -1.0), ("cispo", 2.0)],  # token 2: r = 1, A = 1, lp = -2
)
def test_a_masked_token_contributes_exactly_zero_even_when_its_ratio_overflows(
    loss_fn: str, second: float
) -> None:
    # A = 0 masks a token; its q may be anything (here lp - q = 199, exp overflows float32 to inf).
    # 0 * inf would be NaN and poison loss:sum and every gradient of the adapter.
    lp = torch.tensor([-1.0, -2.0], requires_grad=True)
    inputs = LossInputs(
        torch.tensor([3, 4]), logprobs=torch.tensor([-200.0, -2.0]), advantages=torch.tensor([0.0, 1.0])
    )
    loss = elementwise_loss(loss_fn, lp, inputs, None)
    assert loss.tolist() == pytest.approx([0.0, second])
    loss.sum().backward()  # type: ignore[no-untyped-call]
    assert lp.grad is not None
    assert lp.grad.tolist() == pytest.approx([0.0, -1.0])  # -A*r, and -A*clip(r) for cispo


@pytest.mark.parametrize(
    ("loss_fn", "config"),
    [
        ("ppo", {"clip_low_threshold": 1.5, "clip_high_threshold": 1.2}),
        ("cispo", {"clip_low_threshold": 1.3}),  # above the default high bound 1.2
    ],
)
def test_clip_bounds_in_the_wrong_order_are_a_user_error(loss_fn: str, config: dict[str, float]) -> None:
    # torch.clamp(min > max) silently returns max everywhere: every ratio would become a constant.
    with pytest.raises(UserInputError, match=r"loss_fn_config\.clip_low_threshold"):
        elementwise_loss(loss_fn, torch.tensor(LP), _rl(), config)


def test_non_integral_target_tokens_are_a_user_error_not_truncated() -> None:
    # torch.tensor([3.7], dtype=int64) silently becomes 3: the loss would score a token nobody sent.
    raw = {"target_tokens": _td([1, 3.7], "int64")}
    with pytest.raises(UserInputError, match=r"d\.target_tokens.*integers"):
        parse_loss_inputs("cross_entropy", raw, 2, 10, "d")
    whole = parse_loss_inputs("cross_entropy", {"target_tokens": _td([1, 3.0], "int64")}, 2, 10, "d")
    assert whole.target_tokens.tolist() == [1, 3]


def test_a_non_finite_temperature_is_a_user_error() -> None:
    # NaN passes the ">= 0" check; NaN logits would crash torch.multinomial as a server error.
    with pytest.raises(UserInputError, match=r"sampling_params\.temperature"):
        validate_params(SamplingSpec(temperature=float("nan")), 10)


def test_adam_steps_follow_the_reference_formulas_and_server_defaults() -> None:
    # server-semantics.md §4 written out by hand (not via torch): decay, moments, bias correction.
    assert AdamSpec.from_wire({}) == AdamSpec(
        learning_rate=1e-4, beta1=0.9, beta2=0.95, eps=1e-12, weight_decay=0.0, grad_clip_norm=0.0
    )
    lr, wd, b1, b2, eps = 0.1, 0.5, 0.9, 0.95, 1e-12
    p = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
    opt = new_optimizer([p])
    theta, m, v = 1.0, 0.0, 0.0
    seen = []
    for t, g in enumerate([0.5, -1.0, 0.25], start=1):
        p.grad = torch.tensor([g], dtype=torch.float64)
        adam_step(opt, [p], AdamSpec(learning_rate=lr, weight_decay=wd))
        theta *= 1 - lr * wd
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        seen.append(float(p.detach()))
        assert seen[-1] == pytest.approx(theta, rel=1e-12)
    # by hand: 1 * 0.95 - 0.1 * 0.5 / 0.5 = 0.85; then 0.85 * 0.95 + 0.1 * 0.28947 / 0.79663 = 0.84384
    assert seen[:2] == pytest.approx([0.85, 0.84384], abs=1e-5)


def test_keys_a_loss_does_not_use_are_ignored_not_validated() -> None:
    # forward_backward_custom first calls forward(data, "cross_entropy") with the user's original
    # loss_fn_inputs, which may carry RL tensors of other lengths; cross_entropy reads only its own keys.
    raw = {
        "target_tokens": _td([1, 2], "int64"),
        "logprobs": _td([-1.0], "float32"),
        "advantages": _td([1.0, float("nan"), 0.0], "float32"),
    }
    parsed = parse_loss_inputs("cross_entropy", raw, 2, 10, "d")
    assert (parsed.logprobs, parsed.advantages) == (None, None)
    rl = {**raw, "logprobs": _td([-1.0, -1.0], "float32"), "advantages": _td([1.0, 0.0], "float32")}
    assert parse_loss_inputs("ppo", {**rl, "weights": _td([1.0], "float32")}, 2, 10, "d").weights is None


def test_ppo_clipped_token_with_an_overflowing_ratio_has_zero_gradient_not_nan() -> None:
    # r = exp(99) overflows float32; the clipped branch is selected (A > 0), so the loss is -hi * A and
    # the gradient 0. In float32 the backward of exp computed 0 * inf = NaN for the whole adapter.
    lp = torch.tensor([-1.0, -2.0], requires_grad=True)
    inputs = LossInputs(
        torch.tensor([3, 4]), logprobs=torch.tensor([-100.0, -2.0]), advantages=torch.tensor([1.0, 1.0])
    )
    loss = elementwise_loss("ppo", lp, inputs, None)
    assert loss.dtype == torch.float32
    assert loss.tolist() == pytest.approx([-1.2, -1.0])
    loss.sum().backward()  # type: ignore[no-untyped-call]
    assert lp.grad is not None
    assert lp.grad.tolist() == pytest.approx([0.0, -1.0])
