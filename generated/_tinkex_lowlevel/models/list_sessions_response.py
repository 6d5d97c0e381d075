from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ListSessionsResponse(WireModel):
    """Answer of list_sessions."""

    sessions: list[str]
    """Session ids."""
