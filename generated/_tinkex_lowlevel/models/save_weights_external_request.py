from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SaveWeightsExternalRequest(WireModel):
    """Body of save_weights_external."""

    model_id: str
    """The model."""
    path: str
    """Name of the export: `tinker://<run>/external_weights/<path>`."""
    seq_id: int | None = None
    """Per-model request order."""
    ttl_seconds: int | None = None
    """Expiry; null = never."""
    age_encryption_recipients: list[str] | None = None
    """Refused when non-empty (exports are not encrypted here)."""
    type: Literal["save_weights_external"] = "save_weights_external"
    """Type tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "save_weights_external"}
    _TAG: ClassVar[str | None] = "save_weights_external"
