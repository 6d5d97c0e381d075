from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SaveWeightsForSamplerResponseInternal(WireModel):
    """What the client parses as the result of save_weights_for_sampler: `path` set for a named save,
    `sampling_session_id` set (and `path` null) for an ephemeral one."""

    path: str | None = None
    """The saved path."""
    sampling_session_id: str | None = None
    """The ephemeral sampler's id."""
    type: Literal["save_weights_for_sampler"] | None = None
    """Result tag (optional, nullable)."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "save_weights_for_sampler"}
    _TAG: ClassVar[str | None] = "save_weights_for_sampler"
