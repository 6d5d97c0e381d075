from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen

from .number_map import NumberMap


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class OptimStepResponse(WireModel):
    """Result of optim_step."""

    metrics: NumberMap | None = None
    """Optional step metrics."""
