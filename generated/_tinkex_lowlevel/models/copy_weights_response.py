from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CopyWeightsResponse(WireModel):
    """Answer of copy_weights."""

    tinker_path: str
    """The copy."""
