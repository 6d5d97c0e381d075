from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SaveWeightsForSamplerResponse(WireModel):
    """The public result of a named save_weights_for_sampler."""

    path: str
    """`tinker://<run>/sampler_weights/<name>`."""
    type: Literal["save_weights_for_sampler"] | None = None
    """Result tag (optional, nullable)."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "save_weights_for_sampler"}
    _TAG: ClassVar[str | None] = "save_weights_for_sampler"
