from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class FuturePendingResponse(WireModel):
    """Optional body of a 408 from retrieve_future (still pending). `queue_state` is an open string here
    (known: `active`, `paused_rate_limit`, `paused_capacity`; clients read other values as unknown)."""

    queue_state: str | None = None
    """Why the operation is waiting."""
    queue_state_reason: str | None = None
    """A message for the user (read since 0.7.0)."""
