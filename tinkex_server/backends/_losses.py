"""The five built-in losses as pure tensor functions, and the parsing/validation of their wire inputs.

Conventions (server-semantics.md §1-2): position i's logit vector scores `target_tokens[i]` (no shift on
the server); the objective is a plain sum over tokens and datums; every loss returns per-token values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import torch

from tinkex_server.backends.base import UserInputError

LOSS_FNS = ("cross_entropy", "importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce")
RL_LOSSES = ("importance_sampling", "ppo", "cispo", "dro", "gspo", "stable_reinforce")

# GSPO (Zheng et al. 2025, "Group Sequence Policy Optimization", arXiv:2507.18071): bounds on the
# sequence-level ratio; the paper's ranges are 3e-4 below and 4e-4 above 1 (its ratios are
# length-normalized, hence far tighter than PPO's token-level 0.8/1.2).
DEFAULT_GSPO_CLIP_LOW = 1.0 - 3e-4
DEFAULT_GSPO_CLIP_HIGH = 1.0 + 4e-4
# stable_reinforce: the cap C on the per-token importance weight (truncated importance sampling, as in
# Yao et al. 2025, "Your Efficient RL Framework Secretly Brings You Off-Policy RL Training").
DEFAULT_STABLE_REINFORCE_CAP = 2.0

# PPO: the documented defaults 0.8/1.2 are bounds on the ratio itself (tutorial 202).
DEFAULT_PPO_CLIP_LOW = 0.8
DEFAULT_PPO_CLIP_HIGH = 1.2
# CISPO: open point 1. We pick the 0.6.3/0.7-era value (same as PPO) because this server targets
# tinker==0.7.0 clients; the later service default is 0.0/4.0. Pass the keys to choose explicitly.
DEFAULT_CISPO_CLIP_LOW = 0.8
DEFAULT_CISPO_CLIP_HIGH = 1.2
# DRO: no documented default; 0.05 is the only value the docs show (their example), so we use it.
DEFAULT_DRO_BETA = 0.05

_FLOAT_KEYS = ("weights", "advantages", "logprobs")


@attrs.frozen
class LossInputs:
    """Validated per-datum loss inputs as 1-D tensors of length N (float32; targets int64).

    Example:
        >>> LossInputs(target_tokens=torch.tensor([1, 2]), weights=torch.ones(2))  # doctest: +SKIP
    """

    target_tokens: torch.Tensor
    weights: torch.Tensor | None = None
    logprobs: torch.Tensor | None = None
    advantages: torch.Tensor | None = None
    sequence_ratio_mask: torch.Tensor | None = None  # gspo: the tokens of the sequence ratio


def _tensor(raw: Any, where: str, n: int, *, integer: bool) -> torch.Tensor:
    if not isinstance(raw, Mapping) or "data" not in raw:
        raise UserInputError(f"{where} must be a TensorData object with 'data', 'dtype' and 'shape'")
    data = raw["data"]
    if isinstance(data, np.ndarray):  # protobuf bodies: already typed numbers, no per-element checks
        return _array_tensor(data, raw.get("shape"), where, n, integer=integer)
    shape = raw.get("shape")
    if shape is None:
        shape = [len(data)]
    if list(shape) != [n]:
        if len(shape) != 1:
            raise UserInputError(
                f"{where} has shape {list(shape)}; this server accepts only 1-D ({n},) tensors"
            )
        raise UserInputError(
            f"{where} has {shape[0]} elements but model_input has {n} tokens; they must match"
        )
    if len(data) != n:
        raise UserInputError(f"{where}: data has {len(data)} elements but shape says {n}")
    try:
        t = torch.tensor(data, dtype=torch.int64 if integer else torch.float32)
    except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
        raise UserInputError(f"{where}: data is not a flat list of numbers ({exc})") from exc
    # Casting to int64 truncates 3.7 to 3 without a word; only whole numbers are token ids.
    if integer and any(isinstance(x, float) and not x.is_integer() for x in data):
        raise UserInputError(f"{where} is an int64 tensor; its data must be integers")
    if not integer and n and not bool(torch.isfinite(t).all()):
        raise UserInputError(f"NonFiniteInTensor: {where} contains NaN or Inf")
    return t


def _array_tensor(data: Any, shape: Any, where: str, n: int, *, integer: bool) -> torch.Tensor:
    shape = list(shape) if shape is not None else [len(data)]
    if shape != [n] or len(data) != n:
        raise UserInputError(
            f"{where} has shape {shape} ({len(data)} elements) but model_input has {n} tokens; "
            f"this server accepts only 1-D ({n},) tensors"
        )
    if integer and data.dtype.kind == "f" and not np.all(np.mod(data, 1) == 0):
        raise UserInputError(f"{where} is an int64 tensor; its data must be integers")
    t = torch.from_numpy(np.array(data, dtype=np.int64 if integer else np.float32))
    if not integer and n and not bool(torch.isfinite(t).all()):
        raise UserInputError(f"NonFiniteInTensor: {where} contains NaN or Inf")
    return t


def parse_loss_inputs(
    loss_fn: str, raw: Mapping[str, Any], n: int, vocab_size: int, where: str
) -> LossInputs:
    """Validate one datum's `loss_fn_inputs` for `loss_fn` and convert them to tensors.

    `where` prefixes error messages (e.g. ``data[2].loss_fn_inputs``) so they name the field.
    Missing cross-entropy `weights` mean all ones (server-semantics.md §1.5 recommendation); keys the
    loss does not read are ignored.

    Example:
        >>> parse_loss_inputs("cross_entropy", {"target_tokens": {"data": [5], "dtype": "int64",
        ...     "shape": [1]}}, 1, 259, "data[0].loss_fn_inputs").weights
        tensor([1.])
    """
    if loss_fn not in LOSS_FNS:
        raise UserInputError(f"loss_fn {loss_fn!r} is not one of {', '.join(LOSS_FNS)}")
    required = (
        ("target_tokens", "weights")
        if loss_fn == "cross_entropy"
        else ("target_tokens", "logprobs", "advantages")
    )
    for key in required:
        # cross_entropy without weights means all ones (a documented example omits them).
        if raw.get(key) is None and key != "weights":
            raise UserInputError(f"{where}.{key} is required by loss_fn {loss_fn!r}")
    targets = _tensor(raw["target_tokens"], f"{where}.target_tokens", n, integer=True)
    if n and (int(targets.min()) < 0 or int(targets.max()) >= vocab_size):
        raise UserInputError(f"{where}.target_tokens has token ids outside the vocabulary [0, {vocab_size})")
    floats: dict[str, torch.Tensor | None] = dict.fromkeys(_FLOAT_KEYS)
    if loss_fn == "gspo" and raw.get("sequence_ratio_mask") is not None:
        floats["sequence_ratio_mask"] = _tensor(
            raw["sequence_ratio_mask"], f"{where}.sequence_ratio_mask", n, integer=False
        )
    # Only the keys this loss reads: forward_backward_custom sends the user's original inputs to
    # cross_entropy, RL tensors (of any length) included; unused keys are ignored like unknown ones.
    for key in _FLOAT_KEYS:
        if key in required and raw.get(key) is not None:
            floats[key] = _tensor(raw[key], f"{where}.{key}", n, integer=False)
    if loss_fn == "cross_entropy" and floats["weights"] is None:
        floats["weights"] = torch.ones(n)
    return LossInputs(target_tokens=targets, **floats)


def _config(config: Mapping[str, float] | None, key: str, default: float) -> float:
    if not config or config.get(key) is None:
        return default
    try:
        value = float(config[key])
    except (TypeError, ValueError):
        raise UserInputError(f"loss_fn_config.{key} must be a number, got {config[key]!r}") from None
    if not math.isfinite(value):
        raise UserInputError(f"loss_fn_config.{key} must be a finite number, got {value}")
    return value


def _clip_bounds(config: Mapping[str, float] | None, low: float, high: float) -> tuple[float, float]:
    lo = _config(config, "clip_low_threshold", low)
    hi = _config(config, "clip_high_threshold", high)
    if lo > hi:
        raise UserInputError(
            f"loss_fn_config.clip_low_threshold ({lo}) must not exceed clip_high_threshold ({hi}); "
            "both are bounds on the ratio itself"
        )
    return lo, hi


def _device(t: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    assert t is not None  # parse_loss_inputs guarantees it for the loss that asks
    return t.to(like.device)


def elementwise_loss(
    loss_fn: str, lp: torch.Tensor, inputs: LossInputs, config: Mapping[str, float] | None
) -> torch.Tensor:
    """Per-token loss `ℓ_i` (differentiable in `lp`), exactly the table of server-semantics.md §1.2.

    Unknown `loss_fn_config` keys are ignored. Ratios are `r = exp(lp - q)`.

    Example:
        >>> inp = LossInputs(torch.tensor([0]), weights=torch.tensor([2.0]))
        >>> elementwise_loss("cross_entropy", torch.tensor([-0.5]), inp, None)
        tensor([1.])
    """
    if loss_fn == "cross_entropy":
        return -_device(inputs.weights, lp) * lp
    q = _device(inputs.logprobs, lp)
    adv = _device(inputs.advantages, lp)
    # A = 0 masks a token whatever its q (server-semantics.md §1.1); its ratio is taken as 1 so a huge
    # lp - q there (exp overflows float32 above 88) cannot turn 0 * inf into a NaN loss and gradient.
    # The mask sits inside exp: a torch.where after it would still backpropagate the NaN.
    # float64 ratios overflow at lp - q > 709 instead of 88: a PPO token clipped at such a ratio then
    # keeps its zero gradient (float32 gave 0 * inf = NaN in exp's backward).
    log_ratio = torch.where(adv != 0, lp - q, torch.zeros_like(lp)).double()
    ratio = torch.exp(log_ratio)
    if loss_fn == "importance_sampling":
        return (-ratio * adv).to(lp.dtype)
    if loss_fn == "ppo":
        lo, hi = _clip_bounds(config, DEFAULT_PPO_CLIP_LOW, DEFAULT_PPO_CLIP_HIGH)
        return (-torch.minimum(ratio * adv, torch.clamp(ratio, lo, hi) * adv)).to(lp.dtype)
    if loss_fn == "cispo":
        lo, hi = _clip_bounds(config, DEFAULT_CISPO_CLIP_LOW, DEFAULT_CISPO_CLIP_HIGH)
        return -torch.clamp(ratio, lo, hi).detach().to(lp.dtype) * lp * adv
    if loss_fn == "dro":
        beta = _config(config, "beta", DEFAULT_DRO_BETA)
        # Literal formula: the quadratic term is not masked where A = 0 (open point 2). Clients mask
        # prompt tokens by leaving them out of the datum or by q = lp-equal values.
        return -(lp * adv - 0.5 * beta * (lp - q) ** 2)
    if loss_fn == "gspo":
        return _gspo(lp, q, adv, inputs.sequence_ratio_mask, config)
    if loss_fn == "stable_reinforce":
        cap = _config(config, "clip_high_threshold", DEFAULT_STABLE_REINFORCE_CAP)
        if cap <= 0:
            raise UserInputError(f"loss_fn_config.clip_high_threshold must be > 0, got {cap}")
        # REINFORCE weighted by the truncated importance ratio min(r, C), held constant: the gradient is
        # -min(r, C) A grad(lp); tokens with A = 0 contribute nothing (their ratio is 1, see above).
        return -torch.clamp(ratio, max=cap).detach().to(lp.dtype) * lp * adv
    raise UserInputError(f"loss_fn {loss_fn!r} is not one of {', '.join(LOSS_FNS)}")


def _gspo(
    lp: torch.Tensor,
    q: torch.Tensor,
    adv: torch.Tensor,
    mask: torch.Tensor | None,
    config: Mapping[str, float] | None,
) -> torch.Tensor:
    """GSPO per-token losses of one datum (one sequence).

    s = exp(sum_t m_t (lp_t - q_t) / sum_t m_t) is the length-normalized sequence ratio over the mask m
    (`sequence_ratio_mask`, else the tokens with A != 0); each masked token carries
    -min(s A_t, clip(s, lo, hi) A_t) / sum_t m_t, so the datum's loss is the paper's clipped sequence
    objective for a constant advantage, and every token's gradient flows through s.
    """
    m = (adv != 0).to(lp.dtype) if mask is None else _device(mask, lp).to(lp.dtype)
    count = m.sum()
    if float(count) == 0.0:
        return torch.zeros_like(lp)
    lo, hi = _clip_bounds(config, DEFAULT_GSPO_CLIP_LOW, DEFAULT_GSPO_CLIP_HIGH)
    log_s = ((lp - q) * m).sum().double() / count.double()
    s = torch.exp(log_s)
    per = torch.minimum(s * adv.double(), torch.clamp(s, lo, hi) * adv.double())
    return (-(per * m.double()) / count.double()).to(lp.dtype)


def tensor_data(t: torch.Tensor) -> dict[str, Any]:
    """A 1-D float tensor as a wire `TensorData` dict (exactly data, dtype, shape).

    Example:
        >>> tensor_data(torch.tensor([0.5]))
        {'data': [0.5], 'dtype': 'float32', 'shape': [1]}
    """
    flat = t.detach().to("cpu", torch.float32).reshape(-1)
    return {"data": flat.tolist(), "dtype": "float32", "shape": list(t.shape)}
