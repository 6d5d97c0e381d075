from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SaveWeightsResponse(WireModel):
    """Result of save_weights."""

    path: str
    """`tinker://<run>/weights/<name>`."""
    type: Literal["save_weights"] | None = None
    """Result tag (optional, nullable)."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "save_weights"}
    _TAG: ClassVar[str | None] = "save_weights"
