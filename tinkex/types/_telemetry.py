"""Telemetry events (session start/end, unhandled exception, generic) and the batch that carries them."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

import attrs

from tinkex._exceptions import TinkexValidationError
from tinkex.types._base import Codec, DateTime, ListOf, Union_, WireModel, parse_datetime
from tinkex.types._enums import EventType, Severity

__all__ = [
    "GenericEvent",
    "SessionEndEvent",
    "SessionStartEvent",
    "TelemetryBatch",
    "TelemetryEvent",
    "UnhandledExceptionEvent",
]


def _to_datetime(value: Any) -> Any:
    return parse_datetime(value)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SessionStartEvent(WireModel):
    """Telemetry: a session started.

    Example::

        >>> e = SessionStartEvent(event="SESSION_START", event_id="e1", event_session_index=0,
        ...                       severity="INFO", timestamp="2025-12-03T01:00:00Z")
        >>> e.to_dict()["timestamp"]
        '2025-12-03T01:00:00Z'
    """

    event: EventType
    event_id: str
    event_session_index: int
    severity: Severity
    timestamp: _dt.datetime = attrs.field(converter=_to_datetime)

    _CODECS: ClassVar[dict[str, Codec]] = {"timestamp": DateTime()}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SessionEndEvent(WireModel):
    """Telemetry: a session ended after `duration` (ISO 8601 duration text).

    Example::

        >>> SessionEndEvent(duration="PT5S", event="SESSION_END", event_id="e", event_session_index=3,
        ...                 severity="INFO", timestamp="2025-12-03T01:00:05Z").duration
        'PT5S'
    """

    duration: str
    event: EventType
    event_id: str
    event_session_index: int
    severity: Severity
    timestamp: _dt.datetime = attrs.field(converter=_to_datetime)

    _CODECS: ClassVar[dict[str, Codec]] = {"timestamp": DateTime()}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class UnhandledExceptionEvent(WireModel):
    """Telemetry: an exception escaped to the user (type, message, optional traceback).

    Example::

        >>> UnhandledExceptionEvent(error_message="x", error_type="ValueError", event="UNHANDLED_EXCEPTION",
        ...     event_id="e", event_session_index=1, severity="ERROR",
        ...     timestamp="2025-12-03T01:00:00Z").traceback is None
        True
    """

    error_message: str
    error_type: str
    event: EventType
    event_id: str
    event_session_index: int
    severity: Severity
    timestamp: _dt.datetime = attrs.field(converter=_to_datetime)
    traceback: str | None = None

    _CODECS: ClassVar[dict[str, Codec]] = {"timestamp": DateTime()}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GenericEvent(WireModel):
    """Telemetry: a named event with a free-form JSON payload.

    Example::

        >>> GenericEvent(event="GENERIC_EVENT", event_id="e", event_name="retry", event_session_index=2,
        ...              severity="DEBUG", timestamp="2025-12-03T01:00:00Z").event_data
        {}
    """

    event: EventType
    event_id: str
    event_name: str
    event_session_index: int
    severity: Severity
    timestamp: _dt.datetime = attrs.field(converter=_to_datetime)
    event_data: dict[str, object] = attrs.field(factory=dict)

    _CODECS: ClassVar[dict[str, Codec]] = {"timestamp": DateTime()}


TelemetryEvent: TypeAlias = SessionStartEvent | SessionEndEvent | UnhandledExceptionEvent | GenericEvent

_EVENT_CLASSES: dict[str, type[WireModel]] = {
    "SESSION_START": SessionStartEvent,
    "SESSION_END": SessionEndEvent,
    "UNHANDLED_EXCEPTION": UnhandledExceptionEvent,
    "GENERIC_EVENT": GenericEvent,
}
_EVENT_TYPES = (SessionStartEvent, SessionEndEvent, UnhandledExceptionEvent, GenericEvent)


def pick_event(d: Mapping[str, Any]) -> type[WireModel]:
    """The event class for a JSON event, by its `event` field."""
    cls = _EVENT_CLASSES.get(d.get("event"))  # type: ignore[arg-type]
    if cls is None:
        raise TinkexValidationError(
            "TelemetryEvent.event",
            f"unknown event {d.get('event')!r}",
            f"use one of {sorted(_EVENT_CLASSES)}",
        )
    return cls


def to_events(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TinkexValidationError("events", f"must be a list of events, got {type(value).__name__}", "")
    out = list(value)
    for i, event in enumerate(out):
        if isinstance(event, Mapping):
            out[i] = pick_event(event).from_dict(event)
        elif not isinstance(event, _EVENT_TYPES):
            raise TinkexValidationError(
                f"events[{i}]",
                f"must be a telemetry event, got {type(event).__name__}",
                "build a SessionStartEvent ...",
            )
    return out


@attrs.frozen(kw_only=True, repr=False, eq=False)
class TelemetryBatch(WireModel):
    """A batch of telemetry events of one session (client side; sent as TelemetrySendRequest).

    Example::

        >>> TelemetryBatch(events=[], platform="Linux", sdk_version="0.1.0", session_id="s").events
        []
    """

    events: list[TelemetryEvent] = attrs.field(converter=to_events)
    platform: str
    sdk_version: str
    session_id: str

    _CODECS: ClassVar[dict[str, Codec]] = {"events": ListOf(Union_(pick_event))}
