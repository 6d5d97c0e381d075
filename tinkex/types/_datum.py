"""The hand-written part of `Datum` (generated from the spec): converting lists, numpy arrays and torch
tensors in `loss_fn_inputs` to `TensorData` exactly as the official client does."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import WireModel
from tinkex.types._enums import TensorDtype
from tinkex.types._tensor import _numpy_tensor_dtype

if TYPE_CHECKING:
    from _tinkex_lowlevel.models.model_input import ModelInput
    from _tinkex_lowlevel.models.tensor_data import TensorData

__all__ = ["DatumMixin"]

# The dtype of a plain-list loss input is chosen by its key (the official table, 0.7.0).
KEY_DTYPES: dict[str, TensorDtype] = {
    "target_tokens": "int64",
    "weights": "float32",
    "advantages": "float32",
    "logprobs": "float32",
    "clip_low_threshold": "float32",
    "clip_high_threshold": "float32",
}


def convert_loss_input(key: str, value: Any) -> TensorData:
    """One `loss_fn_inputs` value -> TensorData (TensorData, torch tensor, numpy array, list, dict)."""
    from _tinkex_lowlevel.models.tensor_data import TensorData

    if isinstance(value, TensorData):
        return value
    if isinstance(value, list):
        dtype = KEY_DTYPES.get(key)
        if dtype is None:
            raise TinkexValidationError(
                f"Datum.loss_fn_inputs[{key!r}]",
                f"a plain list needs a known key ({', '.join(KEY_DTYPES)}) to pick its dtype",
                "pass a TensorData, numpy array or torch tensor instead",
            )
        return TensorData(data=value, dtype=dtype, shape=[len(value)])
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return TensorData.from_torch(value)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        _numpy_tensor_dtype(value, f"Datum.loss_fn_inputs[{key!r}]")
        return TensorData.from_numpy(value)
    if isinstance(value, Mapping):
        return TensorData.from_dict(value)
    raise TinkexValidationError(
        f"Datum.loss_fn_inputs[{key!r}]",
        f"unsupported value of type {type(value).__name__}",
        "pass a TensorData, a numpy array, a torch tensor or a plain list",
    )


def _to_loss_inputs(value: Any) -> dict[str, TensorData]:
    if not isinstance(value, Mapping):
        raise TinkexValidationError(
            "Datum.loss_fn_inputs",
            f"must be a dict of name -> tensor, got {type(value).__name__}",
            "pass e.g. loss_fn_inputs={'target_tokens': [...], 'weights': [...]}",
        )
    return {key: convert_loss_input(key, v) for key, v in value.items()}


def _to_model_input(value: Any) -> ModelInput:
    from _tinkex_lowlevel.models.model_input import ModelInput

    if isinstance(value, ModelInput):
        return value
    if isinstance(value, Mapping):
        return ModelInput.from_dict(value)
    raise TinkexValidationError(
        "Datum.model_input",
        f"must be a ModelInput, got {type(value).__name__}",
        "wrap token ids with ModelInput.from_ints(tokens)",
    )


class DatumMixin(WireModel):
    """One training example: the model input and the named tensors its loss function reads.

    Plain lists get their dtype from the key (target_tokens -> int64; weights, advantages, logprobs,
    clip thresholds -> float32); numpy and torch values keep their shape.

    Example::

        >>> from tinkex.types import Datum, ModelInput
        >>> d = Datum(
        ...     model_input=ModelInput.from_ints([1, 2, 3]),
        ...     loss_fn_inputs={"target_tokens": [2, 3, 4], "weights": [1.0, 1.0, 1.0]},
        ... )
        >>> d.loss_fn_inputs["weights"].dtype
        'float32'
    """

    __slots__ = ()

    if TYPE_CHECKING:
        loss_fn_inputs: Any
        model_input: ModelInput
        model_input_spans: Any
        loss_fn_input_spans: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "loss_fn_inputs", _to_loss_inputs(self.loss_fn_inputs))
        object.__setattr__(self, "model_input", _to_model_input(self.model_input))

    def to_dict(self) -> dict[str, Any]:
        # Hot path (32 datums per request): straight-line, no generic machinery.
        out: dict[str, Any] = {
            "loss_fn_inputs": {k: v.to_dict() for k, v in self.loss_fn_inputs.items()},
            "model_input": self.model_input.to_dict(),
        }
        if self.model_input_spans is not None or self.loss_fn_input_spans is not None:
            # tinker 0.38 provenance: sent only when set, so 0.7.0 bodies stay as they were.
            for name in ("model_input_spans", "loss_fn_input_spans"):
                spans = getattr(self, name)
                if spans is not None:
                    out[name] = [s.to_dict() for s in spans]
        return out

    def with_provenance(self, model_input: Sequence[Any], loss_fn_inputs: Sequence[Any]) -> Self:
        """A copy carrying provenance (tinker 0.38): runs of `PromptProvenanceSpan` /
        `SampledProvenanceSpan` that tile the model input and the target tokens, checked here.

        Example::

            >>> from tinkex.types import Datum, ModelInput, PromptProvenanceSpan, SampledProvenanceSpan
            >>> d = Datum(model_input=ModelInput.from_ints([1, 2, 3]), loss_fn_inputs={"target_tokens": [2, 3, 4]})
            >>> d2 = d.with_provenance(
            ...     model_input=[PromptProvenanceSpan(sequence_id="r:0", length=3)],
            ...     loss_fn_inputs=[PromptProvenanceSpan(sequence_id="r:0", offset=1, length=2),
            ...                     SampledProvenanceSpan(sequence_id="r:0", length=1)])
            >>> len(d2.loss_fn_input_spans)
            2
        """
        from tinkex.types._provenance import check_tiling

        target = self.loss_fn_inputs.get("target_tokens")
        shape = getattr(target, "shape", None)
        expected = int(shape[0]) if shape is not None and len(shape) == 1 else None
        try:
            length: int | None = self.model_input.length
        except TinkexValidationError:
            length = None  # an image without expected_tokens: the tiling cannot be checked here
        return dataclasses.replace(  # type: ignore[type-var]
            self,
            model_input_spans=check_tiling("with_provenance(model_input=...)", model_input, length),
            loss_fn_input_spans=check_tiling("with_provenance(loss_fn_inputs=...)", loss_fn_inputs, expected),
        )
