from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen

from .event_type import EventType
from .json_object import JSONObject
from .severity import Severity


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class GenericEvent(WireModel):
    """A named event with arbitrary data (e.g. `APIFuture.result_async.timeout`, `user_error`)."""

    event: EventType
    """Kind of a telemetry event."""
    event_id: str
    """A UUID4."""
    event_name: str
    """Low-cardinality event name."""
    event_session_index: int
    """Per-session counter."""
    severity: Severity
    """Severity of a telemetry event."""
    timestamp: datetime.datetime
    """UTC."""
    event_data: JSONObject = dataclasses.field(default_factory=dict)
    """A free-form JSON object (user metadata, telemetry event data)."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "timestamp": DateTime(),
    }
    _TAGS: ClassVar[dict[str, str]] = {"event": "GENERIC_EVENT"}
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "event": frozenset({"GENERIC_EVENT", "SESSION_END", "SESSION_START", "UNHANDLED_EXCEPTION"}),
        "severity": frozenset({"CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING"}),
    }
