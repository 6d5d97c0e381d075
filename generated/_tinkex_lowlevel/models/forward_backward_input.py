from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen
from tinkex.types._mixins import ForwardBackwardInputMixin

from .datum import Datum
from .loss_fn_type import LossFnType
from .number_map import NumberMap


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ForwardBackwardInput(ForwardBackwardInputMixin, WireModel):
    """A batch and the loss to apply to it."""

    data: list[Datum]
    """The batch."""
    loss_fn: LossFnType
    """The built-in loss functions."""
    loss_fn_config: NumberMap | None = None
    """Loss hyper-parameters (e.g. PPO clip thresholds). The 0.7.0 client sends it, often as null."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "data": ListOf(Obj(Datum)),
    }
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "loss_fn": frozenset({"cispo", "cross_entropy", "dro", "importance_sampling", "ppo"}),
    }
