from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen

from .event_type import EventType
from .severity import Severity


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionEndEvent(WireModel):
    """Emitted after a fatal exception. `duration` is Python's `str(timedelta)` (e.g. `0:00:01.234000`), not ISO 8601."""

    duration: str
    """Session age."""
    event: EventType
    """Kind of a telemetry event."""
    event_id: str
    """A UUID4."""
    event_session_index: int
    """Per-session counter."""
    severity: Severity
    """Severity of a telemetry event."""
    timestamp: datetime.datetime
    """UTC."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "timestamp": DateTime(),
    }
    _TAGS: ClassVar[dict[str, str]] = {"event": "SESSION_END"}
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "event": frozenset({"GENERIC_EVENT", "SESSION_END", "SESSION_START", "UNHANDLED_EXCEPTION"}),
        "severity": frozenset({"CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING"}),
    }
