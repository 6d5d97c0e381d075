from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class DimuonOptimizerConfig(WireModel):
    """Dimuon; steps take `DimuonParams`. On tinkex serve it is Muon (Jordan et al. 2024): momentum
    `beta1` with a Nesterov look-ahead, each matrix update replaced by the nearest semi-orthogonal
    matrix (5 Newton-Schulz iterations) times sqrt(max(1, rows/cols)), then `p -= lr * update`."""

    type: Literal["dimuon"] = "dimuon"
    """Type tag."""
    version: int = 1
    """Algorithm version (1)."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "dimuon"}
    _TAG: ClassVar[str | None] = "dimuon"
