from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CreateSessionResponse(WireModel):
    """Answer of create_session. The client logs the three messages at info, warning and error level."""

    type: Literal["create_session"] = "create_session"
    """Response tag."""
    info_message: str | None = None
    """Logged at info level."""
    warning_message: str | None = None
    """Logged at warning level."""
    error_message: str | None = None
    """Logged at error level."""
    session_id: str
    """The new session's id."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "create_session"}
    _TAG: ClassVar[str | None] = "create_session"
