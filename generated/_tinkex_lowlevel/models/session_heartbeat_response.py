from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionHeartbeatResponse(WireModel):
    """Answer of session_heartbeat; `{}` is valid."""

    type: Literal["session_heartbeat"] = "session_heartbeat"
    """Response tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "session_heartbeat"}
    _TAG: ClassVar[str | None] = "session_heartbeat"
