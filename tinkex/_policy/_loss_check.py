"""Local validation of a forward / forward_backward request against its built-in loss, before
anything is sent: the loss is known, every datum carries the inputs that loss reads with one value
per model_input position, and loss_fn_config holds only keys the loss reads, as finite numbers.

A real server can answer such mistakes with a 5xx that the retry policy then repeats for minutes;
here they fail at once with the datum index, the field and the fix. `LOSSES` is the
`x-tinkex-losses` extension of `LossFnType` in openapi/tinker.yaml, compiled by `make gen`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from _tinkex_lowlevel.losses import LOSSES as _GENERATED_LOSSES

from tinkex._exceptions import TinkexValidationError

__all__ = ["LOSSES", "LossSpec", "check_loss_config", "check_loss_inputs", "check_loss_request"]

# loss -> {"inputs": required per datum, "optional_inputs": may be given, "config": loss_fn_config keys}:
# compiled by `make gen` from `x-tinkex-losses` on LossFnType (the spec's 0.7.0 view the SDK speaks).
LossSpec = Mapping[str, tuple[str, ...]]
LOSSES: Mapping[str, LossSpec] = _GENERATED_LOSSES

# Every input key some loss reads (plus the per-token clip thresholds older clients typed as inputs):
# a key outside it that closely resembles a missing input of this loss is taken for a typo.
_KNOWN_INPUTS = frozenset(
    k for spec in LOSSES.values() for k in (*spec["inputs"], *spec["optional_inputs"])
) | {"clip_low_threshold", "clip_high_threshold"}


def _spec(loss_fn: object) -> LossSpec:
    spec = LOSSES.get(loss_fn) if isinstance(loss_fn, str) else None
    if spec is None:
        close = difflib.get_close_matches(str(loss_fn), LOSSES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise TinkexValidationError(
            "loss_fn",
            f"{loss_fn!r} is not a built-in loss",
            f"{hint}pass one of {', '.join(LOSSES)}, or use forward_backward_custom for your own loss",
        )
    return spec


def check_loss_config(loss_fn: str, config: Mapping[str, Any] | None) -> None:
    """Raise TinkexValidationError unless `config` holds only finite numbers under keys `loss_fn` reads.

    >>> check_loss_config("ppo", {"clip_low_threshold": 0.8, "clip_high_threshold": 1.2})
    >>> check_loss_config("cross_entropy", {"beta": 0.1})
    Traceback (most recent call last):
    ...
    tinkex._exceptions.TinkexValidationError: loss_fn_config['beta']: cross_entropy reads no loss_fn_config keys; pass loss_fn_config=None
    """
    spec = _spec(loss_fn)
    if config is None:
        return
    if not isinstance(config, Mapping):
        raise TinkexValidationError(
            "loss_fn_config",
            f"must be a dict of str -> number or None, got {type(config).__name__}",
            "pass e.g. {'clip_low_threshold': 0.8}",
        )
    allowed = spec["config"]
    for key, value in config.items():
        if key not in allowed:
            if not allowed:
                raise TinkexValidationError(
                    f"loss_fn_config[{key!r}]",
                    f"{loss_fn} reads no loss_fn_config keys",
                    "pass loss_fn_config=None",
                )
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise TinkexValidationError(
                f"loss_fn_config[{key!r}]",
                f"is not read by {loss_fn}",
                f"{hint}{loss_fn} reads only {', '.join(allowed)}; per-token tensors such as advantages "
                "belong in each Datum's loss_fn_inputs",
            )
        if isinstance(value, str):
            continue  # tinker 0.38 takes string values (the client refuses them on a 0.7.0 server)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TinkexValidationError(
                f"loss_fn_config[{key!r}]",
                f"must be a finite number or a string, got {type(value).__name__} {value!r:.60}",
                "pass one float (tensors belong in each Datum's loss_fn_inputs)",
            )
    lo, hi = config.get("clip_low_threshold"), config.get("clip_high_threshold")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
        raise TinkexValidationError(
            "loss_fn_config['clip_low_threshold']",
            f"({lo}) exceeds clip_high_threshold ({hi})",
            "the thresholds bound the ratio itself, e.g. 0.8 and 1.2",
        )


def _leading_and_size(tensor: Any) -> tuple[int | None, int]:
    """(leading dimension if a shape is given, number of values) of a TensorData."""
    data = getattr(tensor, "data", tensor)
    size = int(data.size) if hasattr(data, "size") and not isinstance(data, (list, tuple)) else len(data)
    shape = getattr(tensor, "shape", None)
    return (int(shape[0]) if shape else None), size


def check_loss_inputs(index: int, loss_fn: str, length: int | None, inputs: Mapping[str, Any]) -> None:
    """Check one datum's loss_fn_inputs for `loss_fn`; `length` is its model_input length (None when
    unknown, e.g. an image chunk without expected_tokens, which skips the length checks).

    Keys the loss does not read are left alone (forward_backward_custom sends RL inputs to
    cross_entropy, and servers ignore them), unless one looks like a typo of a missing input.

    >>> check_loss_inputs(0, "ppo", 3, {"target_tokens": [1, 2, 3], "logprobs": [0.0] * 3})
    Traceback (most recent call last):
    ...
    tinkex._exceptions.TinkexValidationError: data[0].loss_fn_inputs['advantages']: is missing (ppo needs target_tokens, logprobs, advantages); add advantages, one float per model_input token (3 here), to every datum
    """
    spec = _spec(loss_fn)
    reads = (*spec["inputs"], *spec["optional_inputs"])
    for key in spec["inputs"]:
        if key not in inputs:
            strays = [k for k in inputs if k not in _KNOWN_INPUTS]
            close = difflib.get_close_matches(key, strays, n=1)
            field = f"data[{index}].loss_fn_inputs[{key!r}]"
            if close:
                raise TinkexValidationError(
                    field,
                    f"is missing, and {close[0]!r} is not an input of any loss",
                    f"rename {close[0]!r} to {key!r}",
                )
            per = "one token id" if key == "target_tokens" else "one float"
            n = f" ({length} here)" if length is not None else ""
            raise TinkexValidationError(
                field,
                f"is missing ({loss_fn} needs {', '.join(spec['inputs'])})",
                f"add {key}, {per} per model_input token{n}, to every datum",
            )
    for key in spec["optional_inputs"]:
        if key not in inputs:
            close = difflib.get_close_matches(key, [k for k in inputs if k not in _KNOWN_INPUTS], n=1)
            if close:
                raise TinkexValidationError(
                    f"data[{index}].loss_fn_inputs[{close[0]!r}]",
                    f"is not an input of {loss_fn} (it would be ignored)",
                    f"rename it to {key!r}",
                )
    if length is None:
        return
    for key in reads:
        if key not in inputs:
            continue
        leading, size = _leading_and_size(inputs[key])
        if (leading if leading is not None else size) != length:
            got = f"shape [{leading}, ...]" if leading is not None and leading != size else f"{size} values"
            raise TinkexValidationError(
                f"data[{index}].loss_fn_inputs[{key!r}]",
                f"has {got} but model_input has {length} tokens",
                "give one value per model_input position (model_input = tokens[:-1], "
                "target_tokens = tokens[1:], and every other input aligned with target_tokens)",
            )


def check_loss_request(data: Sequence[Any], loss_fn: str, config: Mapping[str, Any] | None) -> None:
    """Validate a whole forward / forward_backward call: the loss, its config, then every datum.

    >>> check_loss_request([], "cross_entropy", None)
    >>> check_loss_request([], "crossentropy", None)
    Traceback (most recent call last):
    ...
    tinkex._exceptions.TinkexValidationError: loss_fn: 'crossentropy' is not a built-in loss; did you mean 'cross_entropy'? pass one of cross_entropy, importance_sampling, ppo, cispo, dro, gspo, stable_reinforce, or use forward_backward_custom for your own loss
    """
    check_loss_config(loss_fn, config)
    for i, datum in enumerate(data):
        try:
            length: int | None = datum.model_input.length
        except TinkexValidationError:
            length = None  # image chunk without expected_tokens: the server knows the length
        check_loss_inputs(i, loss_fn, length, datum.loss_fn_inputs)
