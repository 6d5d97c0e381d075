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
class TelemetrySendRequest(WireModel):
    """Body of send_telemetry."""

    events: list[GenericEvent | UnhandledExceptionEvent | SessionEndEvent | SessionStartEvent]
    """At most 100 events."""
    platform: str
    """OS name, e.g. `Linux`."""
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
                "TelemetrySendRequest.events",
            )
        ),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"process_uuid"})
