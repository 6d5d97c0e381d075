from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from tinkex.types._base import Codec, DictOf, ListOf, Obj, WireModel, frozen
from tinkex.types._datum import DatumMixin

from .loss_fn_inputs import LossFnInputs
from .model_input import ModelInput
from .provenance_span import ProvenanceSpan
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
    model_input_spans: list[ProvenanceSpan] | None = None
    """Provenance of model_input (protobuf Datum.3); accepted and not used."""
    loss_fn_input_spans: list[ProvenanceSpan] | None = None
    """Provenance of loss_fn_inputs (protobuf Datum.4); accepted and not used."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "loss_fn_inputs": DictOf(Obj(TensorData)),
        "model_input": Obj(ModelInput),
        "model_input_spans": ListOf(lenient=True, inner=Obj(ProvenanceSpan)),
        "loss_fn_input_spans": ListOf(lenient=True, inner=Obj(ProvenanceSpan)),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"model_input_spans", "loss_fn_input_spans"})
