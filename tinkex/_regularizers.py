"""The regularizer pipeline of `forward_backward_custom`: a base loss plus named, weighted terms,
all computed on the same per-token logprob tensors and differentiated together, with per-term
values (and, when asked, gradient norms) reported as `name:reduction` metrics.

torch is imported only when a pipeline runs. Every term, built-in or user, is a function
``fn(data, logprobs) -> scalar tensor`` (or ``(tensor, metrics)``): `logprobs[d]` is datum d's
per-token log-probabilities of its target tokens, a leaf tensor the gradient is taken against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import attrs

from tinkex._exceptions import TinkexError, TinkexValidationError
from tinkex.types import Datum

__all__ = [
    "CustomLossOutput",
    "RegularizerFn",
    "RegularizerOutput",
    "RegularizerSpec",
    "entropy_regularizer",
    "kl_regularizer",
    "l1_regularizer",
    "l2_regularizer",
    "run_custom_loss",
]

# (data, per-datum logprob tensors) -> scalar tensor, or (scalar tensor, metrics). torch types are
# Any so importing tinkex never imports torch.
RegularizerFn = Callable[[list[Datum], list[Any]], Any]


def _check_name(instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value or ":" in value or "/" in value or value.strip() != value:
        raise TinkexValidationError(
            "RegularizerSpec.name",
            f"must be a non-empty name without ':', '/' or surrounding spaces, got {value!r}",
            "pass e.g. name='l2'; it becomes the metric key reg/<name>:sum",
        )


def _check_weight(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TinkexValidationError(
            "RegularizerSpec.weight", f"must be a finite number, got {value!r}", "pass e.g. weight=0.01"
        )


def _check_fn(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise TinkexValidationError(
            "RegularizerSpec.fn",
            f"must be callable as fn(data, logprobs), got {type(value).__name__}",
            "pass a function returning a scalar torch tensor",
        )


@attrs.frozen
class RegularizerSpec:
    """One term of a custom loss: `weight * fn(data, logprobs)` is added to the base loss.

    `fn` returns a scalar torch tensor, or `(tensor, metrics)` with metrics named `name:reduction`.
    The name keys the term's metrics (`reg/<name>:sum` ...) and must be unique in one call.

    Example::

        def mean_logprob(data, logprobs):
            return torch.cat(logprobs).mean()

        spec = tinkex.RegularizerSpec("mean_lp", 0.1, mean_logprob)
        tc.forward_backward_custom(data, loss_fn, regularizers=[spec, tinkex.l2_regularizer(0.01)])
    """

    name: str = attrs.field(validator=_check_name)
    weight: float = attrs.field(validator=_check_weight)
    fn: RegularizerFn = attrs.field(validator=_check_fn, repr=False)


@attrs.frozen
class RegularizerOutput:
    """What one term came to: `value` (unweighted), `weight`, `contribution` = weight * value, and
    `grad_norm`, the L2 norm of the contribution's gradient with respect to all the logprobs (None
    unless asked for). `metrics` are the term's own.

    Example::

        out = tinkex.CustomLossOutput.from_metrics(result.metrics)
        print(out.regularizers["l2"].contribution)
    """

    name: str
    value: float
    weight: float
    contribution: float
    grad_norm: float | None = None
    metrics: Mapping[str, float] = attrs.field(factory=dict)


@attrs.frozen
class CustomLossOutput:
    """The figures of one `forward_backward_custom` call: `base_loss` (the loss_fn's value),
    `regularizers` by name, `total` = base_loss + sum of contributions, and gradient norms (with
    respect to the logprobs) when asked for. `to_metrics()` gives the keys the call's result carries;
    `from_metrics` reads them back.

    Metric keys: `custom_loss/total:sum`, `custom_loss/base:sum`, `reg/<name>:sum` (contribution),
    `reg/<name>/value:sum`, `reg/<name>/weight:unique`, and with grad norms `custom_loss/total/grad_norm:max`,
    `custom_loss/base/grad_norm:max`, `reg/<name>/grad_norm:max`.

    Example::

        out = tc.forward_backward_custom(data, loss_fn, regularizers=[tinkex.l2_regularizer(0.01)]).result()
        figures = tinkex.CustomLossOutput.from_metrics(out.metrics)
        print(figures.total, figures.regularizers["l2"].value)
    """

    base_loss: float
    total: float
    regularizers: Mapping[str, RegularizerOutput] = attrs.field(factory=dict)
    base_grad_norm: float | None = None
    total_grad_norm: float | None = None

    def to_metrics(self) -> dict[str, float]:
        """The `name:reduction` metrics of these figures."""
        m = {"custom_loss/total:sum": self.total, "custom_loss/base:sum": self.base_loss}
        if self.total_grad_norm is not None:
            m["custom_loss/total/grad_norm:max"] = self.total_grad_norm
        if self.base_grad_norm is not None:
            m["custom_loss/base/grad_norm:max"] = self.base_grad_norm
        for name, r in self.regularizers.items():
            m[f"reg/{name}:sum"] = r.contribution
            m[f"reg/{name}/value:sum"] = r.value
            m[f"reg/{name}/weight:unique"] = r.weight
            if r.grad_norm is not None:
                m[f"reg/{name}/grad_norm:max"] = r.grad_norm
        return m

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, float]) -> CustomLossOutput:
        """Read the figures back from a result's metrics (raises KeyError without custom-loss keys)."""
        regs: dict[str, RegularizerOutput] = {}
        for key in metrics:
            if key.startswith("reg/") and key.endswith(":sum") and "/" not in key[4:-4]:
                name = key[4:-4]
                regs[name] = RegularizerOutput(
                    name=name,
                    value=float(metrics[f"reg/{name}/value:sum"]),
                    weight=float(metrics[f"reg/{name}/weight:unique"]),
                    contribution=float(metrics[key]),
                    grad_norm=_opt(metrics, f"reg/{name}/grad_norm:max"),
                )
        return cls(
            base_loss=float(metrics["custom_loss/base:sum"]),
            total=float(metrics["custom_loss/total:sum"]),
            regularizers=regs,
            base_grad_norm=_opt(metrics, "custom_loss/base/grad_norm:max"),
            total_grad_norm=_opt(metrics, "custom_loss/total/grad_norm:max"),
        )


def _opt(metrics: Mapping[str, float], key: str) -> float | None:
    return float(metrics[key]) if key in metrics else None


# -- built-in terms ---------------------------------------------------------------------------------------


def _masks(data: Sequence[Datum], logprobs: Sequence[Any]) -> list[Any]:
    """Per-datum token masks: the datum's `weights` input where given (its loss mask), else ones."""
    import torch

    out = []
    for datum, lp in zip(data, logprobs, strict=True):
        w = datum.loss_fn_inputs.get("weights")
        if w is None:
            out.append(torch.ones_like(lp))
        else:
            out.append(w.to_torch().to(lp.dtype).reshape(lp.shape))
    return out


def l1_regularizer(weight: float, *, name: str = "l1") -> RegularizerSpec:
    """L1 on the logprobs: value = sum over datums and tokens of m * |logprob|, m the datum's
    `weights` (its loss mask) or 1. Penalises confident-but-wrong tokens linearly.

    Example::

        tc.forward_backward_custom(data, loss_fn, regularizers=[tinkex.l1_regularizer(0.01)])
    """

    def fn(data: list[Datum], logprobs: list[Any]) -> Any:
        return sum((m * lp.abs()).sum() for m, lp in zip(_masks(data, logprobs), logprobs, strict=True))

    return RegularizerSpec(name, weight, fn)


def l2_regularizer(weight: float, *, name: str = "l2") -> RegularizerSpec:
    """L2 on the logprobs: value = sum over datums and tokens of m * logprob**2 (m as in L1).

    Example::

        tc.forward_backward_custom(data, loss_fn, regularizers=[tinkex.l2_regularizer(0.01)])
    """

    def fn(data: list[Datum], logprobs: list[Any]) -> Any:
        return sum((m * lp.pow(2)).sum() for m, lp in zip(_masks(data, logprobs), logprobs, strict=True))

    return RegularizerSpec(name, weight, fn)


def entropy_regularizer(weight: float, *, name: str = "entropy") -> RegularizerSpec:
    """Entropy of the policy, estimated from the target tokens' logprobs alone.

    Only the chosen token's log-probability is known per position, so the estimate is the Monte
    Carlo one: value = sum of m * (-logprob) over tokens, i.e. the surprisal of the target tokens,
    whose expectation is the entropy when those tokens were sampled from the current model (RL
    rollouts). For other data it is the cross-entropy, an upper bound. Use a negative weight to
    reward entropy (keep exploration), a positive one to penalise it.

    Example::

        tc.forward_backward_custom(data, loss_fn, regularizers=[tinkex.entropy_regularizer(-0.01)])
    """

    def fn(data: list[Datum], logprobs: list[Any]) -> Any:
        return sum((m * -lp).sum() for m, lp in zip(_masks(data, logprobs), logprobs, strict=True))

    return RegularizerSpec(name, weight, fn)


def kl_regularizer(
    weight: float,
    reference_logprobs: Sequence[Sequence[float] | Any],
    *,
    name: str = "kl",
    estimator: Literal["k1", "k3"] = "k3",
) -> RegularizerSpec:
    """KL(policy || reference) on the target tokens, from the reference model's logprobs of the same
    tokens (`reference_logprobs[d]`, one per token of datum d, e.g. from a frozen sampler's
    compute_logprobs). With d = reference - logprob per token (m as in L1):

    - "k3" (default): sum of m * (exp(d) - d - 1), never negative, low variance;
    - "k1": sum of m * (logprob - reference), the plain estimate (can go negative).

    Both are unbiased when the tokens were sampled from the policy.

    Example::

        ref = [sampler.compute_logprobs(d.model_input).result()[1:] for d in data]
        tc.forward_backward_custom(data, loss_fn, regularizers=[tinkex.kl_regularizer(0.05, ref)])
    """
    if estimator not in ("k1", "k3"):
        raise TinkexValidationError(
            "kl_regularizer(estimator)", f"must be 'k1' or 'k3', got {estimator!r}", ""
        )
    refs = list(reference_logprobs)

    def fn(data: list[Datum], logprobs: list[Any]) -> Any:
        import torch

        if len(refs) != len(logprobs):
            raise TinkexValidationError(
                "kl_regularizer(reference_logprobs)",
                f"has {len(refs)} entries for {len(logprobs)} datums",
                "give one sequence of reference logprobs per datum",
            )
        total = None
        for d, (m, lp, ref) in enumerate(zip(_masks(data, logprobs), logprobs, refs, strict=True)):
            r = torch.as_tensor(ref, dtype=lp.dtype).reshape(-1)
            if r.numel() != lp.numel():
                raise TinkexValidationError(
                    f"kl_regularizer(reference_logprobs)[{d}]",
                    f"has {r.numel()} values for {lp.numel()} target tokens",
                    "give one reference logprob per target token",
                )
            diff = r.reshape(lp.shape) - lp
            term = (m * (-diff)).sum() if estimator == "k1" else (m * (diff.exp() - diff - 1)).sum()
            total = term if total is None else total + term
        return total if total is not None else torch.zeros(())

    return RegularizerSpec(name, weight, fn)


# -- the pipeline -------------------------------------------------------------------------------------------


def _scalar(value: Any, what: str) -> tuple[Any, dict[str, float]]:
    import torch

    metrics: Mapping[str, Any] = {}
    if isinstance(value, tuple):
        if len(value) != 2:
            raise TinkexValidationError(
                what, "must return a tensor or (tensor, metrics)", "return loss or (loss, {})"
            )
        value, metrics = value
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise TinkexValidationError(
            what,
            f"must return a scalar torch tensor, got {type(value).__name__}"
            + (f" of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else ""),
            "reduce it to one number, e.g. .sum()",
        )
    return value.reshape(()), {str(k): float(v) for k, v in dict(metrics).items()}


def _num(tensor: Any) -> float:
    return float(tensor.detach())


def _grad_norm(term: Any, logprobs: Sequence[Any]) -> float:
    import torch

    if not term.requires_grad:
        return 0.0
    grads = torch.autograd.grad(term, list(logprobs), retain_graph=True, allow_unused=True)
    return float(math.sqrt(sum(float(g.pow(2).sum()) for g in grads if g is not None)))


def run_custom_loss(
    data: Sequence[Datum],
    logprobs: Sequence[Any],
    loss_fn: Callable[[list[Datum], list[Any]], Any],
    regularizers: Sequence[RegularizerSpec] = (),
    *,
    track_grad_norms: bool = False,
) -> tuple[CustomLossOutput, dict[str, float]]:
    """Compute base loss and every term on the same leaf `logprobs`, backpropagate their sum (the
    logprobs' `.grad` is set), and return the figures and the loss_fn's own metrics.

    Example::

        lps = [torch.tensor([-1.0, -2.0], requires_grad=True)]
        figures, _ = run_custom_loss(data, lps, lambda d, lp: (-lp[0].sum(), {}), [l2_regularizer(0.5)])
    """
    names = [r.name for r in regularizers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise TinkexValidationError(
            "forward_backward_custom(regularizers)",
            f"names {dupes} appear more than once",
            "give every RegularizerSpec its own name",
        )
    data_list, lp_list = list(data), list(logprobs)
    base, base_metrics = _scalar(loss_fn(data_list, lp_list), "forward_backward_custom(loss_fn)")
    terms: list[tuple[RegularizerSpec, Any, dict[str, float]]] = []
    for spec in regularizers:
        try:
            value, metrics = _scalar(spec.fn(data_list, lp_list), f"RegularizerSpec({spec.name!r}).fn")
        except TinkexError:
            raise
        except Exception as exc:
            raise TinkexError(f"regularizer {spec.name!r} raised {type(exc).__name__}: {exc}") from exc
        terms.append((spec, value, metrics))
    total = base
    for spec, value, _ in terms:
        total = total + spec.weight * value
    if not math.isfinite(_num(total)):
        raise TinkexValidationError(
            "forward_backward_custom",
            f"the loss is not finite (base {_num(base)}, total {_num(total)})",
            "check the loss and regularizer functions (e.g. log of 0)",
        )
    norms: dict[str, float] = {}
    if track_grad_norms:
        norms["base"] = _grad_norm(base, lp_list)
        for spec, value, _ in terms:
            norms[spec.name] = _grad_norm(spec.weight * value, lp_list)
        norms["total"] = _grad_norm(total, lp_list)
    if total.requires_grad:
        total.backward()
    outputs = {
        spec.name: RegularizerOutput(
            name=spec.name,
            value=_num(value),
            weight=float(spec.weight),
            contribution=_num(spec.weight * value),
            grad_norm=norms.get(spec.name),
            metrics=metrics,
        )
        for spec, value, metrics in terms
    }
    extra = dict(base_metrics)
    for _, _, metrics in terms:
        extra.update(metrics)
    figures = CustomLossOutput(
        base_loss=_num(base),
        total=_num(total),
        regularizers=outputs,
        base_grad_norm=norms.get("base"),
        total_grad_norm=norms.get("total"),
    )
    return figures, extra
