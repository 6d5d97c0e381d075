from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen

from .try_again_response_queue_state import TryAgainResponseQueueState


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class TryAgainResponse(WireModel):
    """A 200 pending answer of retrieve_future (`type` = `try_again`); the client re-polls at once."""

    type: Literal["try_again"] = "try_again"
    """Pending tag."""
    request_id: str
    """A future's request id. Opaque."""
    queue_state: TryAgainResponseQueueState
    """Why the operation is waiting."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "try_again"}
    _TAG: ClassVar[str | None] = "try_again"
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "queue_state": frozenset({"active", "paused_capacity", "paused_rate_limit"}),
    }
