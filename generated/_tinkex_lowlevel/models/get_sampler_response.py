from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class GetSamplerResponse(WireModel):
    """Answer of get_sampler."""

    sampler_id: str
    """The sampler id."""
    base_model: str
    """Base model name."""
    model_path: str | None = None
    """The sampler weights' tinker:// path; null for a base-model sampler."""
