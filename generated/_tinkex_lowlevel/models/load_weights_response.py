from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class LoadWeightsResponse(WireModel):
    """Result of load_weights."""

    path: str | None = None
    """The loaded path."""
    type: Literal["load_weights"] | None = None
    """Result tag (optional, nullable)."""
    model_id: str | None = None
    """Create-via-load: the model created."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "load_weights"}
    _TAG: ClassVar[str | None] = "load_weights"
    _LATER: ClassVar[frozenset[str]] = frozenset({"model_id"})
