from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class GetSessionResponse(WireModel):
    """Answer of get_session."""

    training_run_ids: list[str]
    """Runs created in the session."""
    sampler_ids: list[str]
    """Samplers created in the session."""
