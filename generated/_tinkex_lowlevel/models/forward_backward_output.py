from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, DictOf, ListOf, Obj, WireModel, frozen
from tinkex.types._mixins import ForwardBackwardOutputMixin

from .loss_fn_output import LossFnOutput
from .number_map import NumberMap
from .tensor_data import TensorData


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ForwardBackwardOutput(ForwardBackwardOutputMixin, WireModel):
    """Result of forward and forward_backward. `loss_fn_outputs` has one entry per input datum, in order.
    Every `metrics` key must be `name:reduction` with exactly one `:` (reductions: mean, slack, sum,
    min, max, hash_unordered, unique) - the client's merge crashes otherwise."""

    loss_fn_output_type: str
    """A class name, e.g. `ArrayRecord`."""
    loss_fn_outputs: list[LossFnOutput]
    """Per-datum outputs."""
    metrics: NumberMap
    """An object with number values (metrics, loss_fn_config)."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "loss_fn_outputs": ListOf(DictOf(Obj(TensorData))),
    }
