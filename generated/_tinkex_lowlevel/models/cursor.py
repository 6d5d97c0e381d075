from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class Cursor(WireModel):
    """Offset pagination state of a listing."""

    offset: int
    """Items skipped."""
    limit: int
    """Page size asked for."""
    total_count: int
    """Items in the whole listing."""
