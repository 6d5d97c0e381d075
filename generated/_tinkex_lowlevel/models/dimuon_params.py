from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class DimuonParams(WireModel):
    """One Dimuon step's hyperparameters (optim_step `optim_params` with type dimuon)."""

    type: Literal["dimuon"] = "dimuon"
    """Type tag."""
    learning_rate: float
    """Step size."""
    grad_clip_norm: float = 0.0
    """Global-norm clip of the accumulated gradient; 0 = off."""
    beta1: float = 0.9
    """Momentum, in [0, 1)."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "dimuon"}
    _TAG: ClassVar[str | None] = "dimuon"
