"""AdamW with the AdamParams semantics of server-semantics.md §4: per-call hyperparameters, global-norm
clipping (0 = off) of the gradient accumulated since the previous step, decoupled weight decay."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from tinkex_server.backends.base import AdamSpec, DimuonSpec, UserInputError
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


# Newton-Schulz quintic coefficients of Muon (Jordan et al. 2024): they push every singular value of
# the normalized update towards 1 in five steps.
_NS_COEFFS = (3.4445, -4.7750, 2.0315)
_NS_STEPS = 5


def orthogonalize(g: torch.Tensor) -> torch.Tensor:
    """The semi-orthogonal matrix nearest `g` (approximately: U V^T of its SVD), by Newton-Schulz.

    Example:
        >>> o = orthogonalize(torch.tensor([[3.0, 0.0], [0.0, 1.0]]))
        >>> bool((o.diagonal() > 0.6).all())
        True
    """
    a, b, c = _NS_COEFFS
    x = g.double()
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (x.norm() + 1e-7)
    for _ in range(_NS_STEPS):
        xx = x @ x.T
        x = a * x + (b * xx + c * xx @ xx) @ x
    if tall:
        x = x.T
    return x.to(g.dtype)


class Dimuon(torch.optim.Optimizer):
    """Muon-style optimizer (see `DimuonSpec`); its param groups carry `dimuon=True` so a saved state
    tells which optimizer it belongs to."""

    def __init__(self, params: Sequence[torch.nn.Parameter]) -> None:
        super().__init__(list(params), {"lr": 0.0, "beta1": 0.9, "dimuon": True})

    @torch.no_grad()  # type: ignore[misc]
    def step(self, closure: object = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            lr, beta = group["lr"], group["beta1"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = torch.zeros_like(p)
                buf.mul_(beta).add_(p.grad)
                update = p.grad.add(buf, alpha=beta)  # Nesterov look-ahead
                if p.ndim == 2:
                    scale = max(1.0, p.shape[0] / p.shape[1]) ** 0.5
                    update = orthogonalize(update) * scale
                p.add_(update, alpha=-lr)


def is_dimuon_state(state: dict[str, object]) -> bool:
    """True when an optimizer state_dict was saved by `Dimuon`."""
    groups = state.get("param_groups")
    return isinstance(groups, list) and bool(groups) and bool(groups[0].get("dimuon"))


def dimuon_step(optimizer: Dimuon, params: Sequence[torch.nn.Parameter], spec: DimuonSpec) -> float:
    """Clip, apply one Dimuon update, zero the gradients; returns the pre-clip global norm."""
    if not (math.isfinite(spec.learning_rate) and math.isfinite(spec.grad_clip_norm)):
        raise UserInputError("optim_params: learning_rate and grad_clip_norm must be finite")
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    norm = math.sqrt(sum(float(p.grad.detach().double().pow(2).sum()) for p in params if p.grad is not None))
    coef = clip_coefficient(norm, spec.grad_clip_norm)
    if coef != 1.0:
        for p in params:
            assert p.grad is not None
            p.grad.mul_(coef)
    for group in optimizer.param_groups:
        group["lr"] = spec.learning_rate
        group["beta1"] = spec.beta1
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return norm
