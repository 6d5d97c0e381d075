"""AdamW with the AdamParams semantics of server-semantics.md §4: per-call hyperparameters, global-norm
clipping (0 = off) of the gradient accumulated since the previous step, decoupled weight decay."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from tinkex_server.backends.base import AdamSpec
from tinkex_server.backends.checks import check_adam as validate_adam  # shared with the null backend


def clip_coefficient(grad_norm: float, max_norm: float) -> float:
    """The factor the gradient is multiplied by: `max_norm / norm` when clipping applies, else 1.

    Unlike `torch.nn.utils.clip_grad_norm_` there is no `+1e-6` in the denominator: the clipped norm
    is exactly `max_norm`, as the reference describes.

    Example:
        >>> clip_coefficient(4.0, 1.0), clip_coefficient(0.5, 1.0), clip_coefficient(9.0, 0.0)
        (0.25, 1.0, 1.0)
    """
    if max_norm <= 0.0 or not math.isfinite(grad_norm) or grad_norm <= max_norm:
        return 1.0
    return max_norm / grad_norm


def new_optimizer(params: Sequence[torch.nn.Parameter]) -> torch.optim.AdamW:
    """A fresh AdamW over `params` (hyperparameters are set on every step, these are placeholders).

    Example:
        >>> opt = new_optimizer([torch.nn.Parameter(torch.zeros(2))])
    """
    # PyTorch's AdamW is the documented reference; foreach=False keeps the arithmetic order fixed.
    return torch.optim.AdamW(list(params), lr=0.0, weight_decay=0.0, foreach=False)


def adam_step(optimizer: torch.optim.AdamW, params: Sequence[torch.nn.Parameter], adam: AdamSpec) -> float:
    """Clip, apply one AdamW update with `adam`, zero the gradients; returns the pre-clip global norm.

    A parameter without a gradient (no forward_backward since the last step) counts as a zero
    gradient, so every optim_step advances the step counter of every parameter alike.

    Example:
        >>> p = torch.nn.Parameter(torch.ones(1)); p.grad = torch.ones(1)
        >>> adam_step(new_optimizer([p]), [p], AdamSpec(learning_rate=0.1))
        1.0
    """
    validate_adam(adam)  # before anything changes: a rejected step keeps the accumulated gradient
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    norm = math.sqrt(sum(float(p.grad.detach().double().pow(2).sum()) for p in params if p.grad is not None))
    coef = clip_coefficient(norm, adam.grad_clip_norm)
    if coef != 1.0:
        for p in params:
            assert p.grad is not None
            p.grad.mul_(coef)
    for group in optimizer.param_groups:
        group["lr"] = adam.learning_rate
        group["betas"] = (adam.beta1, adam.beta2)
        group["eps"] = adam.eps
        group["weight_decay"] = adam.weight_decay
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return norm
