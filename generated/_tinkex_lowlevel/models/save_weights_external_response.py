from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SaveWeightsExternalResponse(WireModel):
    """Result of save_weights_external."""

    path: str
    """The export's tinker:// path."""
    type: str | None = None
    """Type tag."""
