"""The request checks every backend shares, so the null and torch backends refuse the same input with the
same message (issue 12: the null backend used to accept `beta1=1.5`, `top_p=5` and token ids past the
vocabulary). Pure and torch-free: the HTTP layer runs the vocabulary-independent ones before queuing
(a 400 at once), the backends run them all again with their vocabulary and context (a failed future
with category `user`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from tinkex_server.backends.base import AdamSpec, DimuonSpec, SamplingSpec, UserInputError

__all__ = [
    "DEFAULT_MAX_TOKENS_CAP",
    "check_adam",
    "check_loss_fn_config",
    "check_sample_counts",
    "check_sampling",
    "check_token_ids",
    "token_budget",
]

#: Ceiling for `max_tokens=None` (open point 4): the remaining context, but never more than this, so a
#: forgotten max_tokens on a model with a huge context cannot tie up the worker for minutes.
DEFAULT_MAX_TOKENS_CAP = 1024


def check_adam(adam: AdamSpec | DimuonSpec) -> None:
    """UserInputError naming the field when `adam` is outside AdamW's domain (betas in [0, 1), the rest
    finite and >= 0); torch checks this only in the optimizer's constructor, not for per-step values.

    Example:
        >>> check_adam(AdamSpec(beta1=1.0))  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        UserInputError: adam_params.beta1 must be in [0, 1), got 1.0
    """
    # A tinker >= 0.38 Dimuon step has its own knobs (momentum beta1, no beta2 / eps / weight decay).
    field = "optim_params" if isinstance(adam, DimuonSpec) else "adam_params"
    betas = ("beta1",) if isinstance(adam, DimuonSpec) else ("beta1", "beta2")
    rest = (
        ("learning_rate", "grad_clip_norm")
        if isinstance(adam, DimuonSpec)
        else ("learning_rate", "eps", "weight_decay", "grad_clip_norm")
    )
    for name in betas:
        value = getattr(adam, name)
        if not 0.0 <= value < 1.0:
            raise UserInputError(f"{field}.{name} must be in [0, 1), got {value}")
    for name in rest:
        value = getattr(adam, name)
        if not (math.isfinite(value) and value >= 0.0):
            raise UserInputError(f"{field}.{name} must be a finite number >= 0, got {value}")


def check_sampling(params: SamplingSpec, vocab_size: int | None) -> None:
    """Refuse sampling knobs that make no distribution (named by field); stop token ids are checked
    against the vocabulary when `vocab_size` is known.

    Example:
        >>> check_sampling(SamplingSpec(top_p=0.0), 259)  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        UserInputError: sampling_params.top_p must be in (0, 1]
    """
    if not math.isfinite(params.temperature):
        raise UserInputError(
            f"sampling_params.temperature must be a finite number >= 0, got {params.temperature}"
        )
    if not 0.0 < params.top_p <= 1.0:
        raise UserInputError(f"sampling_params.top_p must be in (0, 1], got {params.top_p}")
    if params.top_k == 0 or params.top_k < -1:
        raise UserInputError(f"sampling_params.top_k must be -1 (no limit) or >= 1, got {params.top_k}")
    if params.max_tokens is not None and params.max_tokens <= 0:
        raise UserInputError(f"sampling_params.max_tokens must be > 0, got {params.max_tokens}")
    if vocab_size is not None:
        bad = [t for t in params.stop_token_ids if not 0 <= t < vocab_size]
        if bad:
            raise UserInputError(f"sampling_params.stop has token ids outside the vocabulary: {bad[:5]}")


def check_sample_counts(num_samples: int, topk_prompt_logprobs: int) -> None:
    """The counts of an asample request (the server's ceilings are checked by the HTTP layer)."""
    if num_samples < 1:
        raise UserInputError(f"num_samples must be >= 1, got {num_samples}")
    if topk_prompt_logprobs < 0:
        raise UserInputError(f"topk_prompt_logprobs must be >= 0, got {topk_prompt_logprobs}")


def check_token_ids(tokens: Iterable[Any], vocab_size: int, where: str) -> None:
    """UserInputError naming `where` when an id is not an integer in [0, vocab_size).

    Example:
        >>> check_token_ids([1, 300], 256, "prompt.chunks[*].tokens")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        UserInputError: prompt.chunks[*].tokens has token ids outside the vocabulary [0, 256): [300]
    """
    bad = [t for t in tokens if not (isinstance(t, int | float) and 0 <= t < vocab_size and t == int(t))]
    if bad:
        raise UserInputError(f"{where} has token ids outside the vocabulary [0, {vocab_size}): {bad[:5]}")


def check_loss_fn_config(config: Mapping[str, Any] | None) -> None:
    """Every value finite; clip bounds ordered (both are bounds on the ratio itself)."""
    if not config:
        return
    for key, value in config.items():
        if value is None:
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise UserInputError(f"loss_fn_config.{key} must be a finite number, got {value}")
    lo, hi = config.get("clip_low_threshold"), config.get("clip_high_threshold")
    if lo is not None and hi is not None and lo > hi:
        raise UserInputError(
            f"loss_fn_config.clip_low_threshold ({lo}) must not exceed clip_high_threshold ({hi}); "
            "both are bounds on the ratio itself"
        )


def token_budget(prompt_len: int, max_tokens: int | None, context: int) -> int:
    """How many tokens to generate, or UserInputError naming the numbers when it cannot fit.

    Example:
        >>> token_budget(10, None, 512), token_budget(10, 5, 512)
        (502, 5)
    """
    if prompt_len <= 0:
        raise UserInputError("prompt is empty; sampling needs at least one prompt token")
    if max_tokens is not None and max_tokens <= 0:
        raise UserInputError(f"sampling_params.max_tokens must be > 0, got {max_tokens}")
    room = context - prompt_len
    if max_tokens is None:
        if room <= 0:
            raise UserInputError(f"prompt has {prompt_len} tokens; the model's context is {context}")
        return min(room, DEFAULT_MAX_TOKENS_CAP)
    if max_tokens > room:
        raise UserInputError(
            f"prompt length {prompt_len} + max_tokens {max_tokens} = {prompt_len + max_tokens} "
            f"exceeds the model's context length {context}"
        )
    return max_tokens
