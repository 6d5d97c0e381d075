from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen

from .event_type import EventType
from .severity import Severity


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class UnhandledExceptionEvent(WireModel):
    """An exception that escaped user code or the SDK."""

    error_message: str
    """str(exception)."""
    error_type: str
    """Exception class name."""
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
    traceback: str | None = None
    """Formatted traceback."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "timestamp": DateTime(),
    }
    _TAGS: ClassVar[dict[str, str]] = {"event": "UNHANDLED_EXCEPTION"}
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "event": frozenset({"GENERIC_EVENT", "SESSION_END", "SESSION_START", "UNHANDLED_EXCEPTION"}),
        "severity": frozenset({"CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING"}),
    }
