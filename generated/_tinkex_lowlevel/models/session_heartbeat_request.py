from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionHeartbeatRequest(WireModel):
    """Body of session_heartbeat."""

    session_id: str
    """The session to keep alive."""
    type: Literal["session_heartbeat"] = "session_heartbeat"
    """Request tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "session_heartbeat"}
    _TAG: ClassVar[str | None] = "session_heartbeat"
