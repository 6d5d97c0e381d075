from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from tinkex.types._base import Codec, DictOf, Obj, WireModel, frozen
from tinkex.types._datum import DatumMixin

from .loss_fn_inputs import LossFnInputs
from .model_input import ModelInput
from .tensor_data import TensorData


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class Datum(DatumMixin, WireModel):
    """One training example."""

    loss_fn_inputs: LossFnInputs | Mapping[str, Any]
    """Loss inputs of one datum by name (`target_tokens`, `weights`, `advantages`, `logprobs`,
    `clip_low_threshold`, `clip_high_threshold`, ...). May be empty."""
    model_input: ModelInput
    """A model input as a list of chunks (may be empty)."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "loss_fn_inputs": DictOf(Obj(TensorData)),
        "model_input": Obj(ModelInput),
    }
