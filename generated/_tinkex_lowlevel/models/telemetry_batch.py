from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Union_, WireModel, frozen

from .generic_event import GenericEvent
from .session_end_event import SessionEndEvent
from .session_start_event import SessionStartEvent
from .unhandled_exception_event import UnhandledExceptionEvent


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class TelemetryBatch(WireModel):
    """Client-side batch of telemetry events (same fields as TelemetrySendRequest, open)."""

    events: list[GenericEvent | UnhandledExceptionEvent | SessionEndEvent | SessionStartEvent]
    """The events."""
    platform: str
    """OS name."""
    sdk_version: str
    """Client SDK version."""
    session_id: str
    """The session."""
    process_uuid: str | None = None
    """Accepted and ignored."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "events": ListOf(
            Union_(
                (
                    GenericEvent,
                    UnhandledExceptionEvent,
                    SessionEndEvent,
                    SessionStartEvent,
                ),
                "TelemetryBatch.events",
            )
        ),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"process_uuid"})
