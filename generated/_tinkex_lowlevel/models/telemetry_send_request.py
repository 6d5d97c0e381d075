from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.generic_event import GenericEvent
    from ..models.session_end_event import SessionEndEvent
    from ..models.session_start_event import SessionStartEvent
    from ..models.unhandled_exception_event import UnhandledExceptionEvent


T = TypeVar("T", bound="TelemetrySendRequest")


@_attrs_define
class TelemetrySendRequest:
    """Body of send_telemetry."""

    events: list[GenericEvent | SessionEndEvent | SessionStartEvent | UnhandledExceptionEvent]
    """ At most 100 events. """
    platform: str
    """ OS name, e.g. `Linux`. """
    sdk_version: str
    """ Client SDK version. """
    session_id: str
    """ The session. """

    def to_dict(self) -> dict[str, Any]:
        from ..models.generic_event import GenericEvent  # noqa: PLC0415
        from ..models.session_end_event import SessionEndEvent  # noqa: PLC0415
        from ..models.unhandled_exception_event import UnhandledExceptionEvent  # noqa: PLC0415

        events = []
        for events_item_data in self.events:
            events_item: dict[str, Any]
            if isinstance(events_item_data, GenericEvent):
                events_item = events_item_data.to_dict()
            elif isinstance(events_item_data, UnhandledExceptionEvent):
                events_item = events_item_data.to_dict()
            elif isinstance(events_item_data, SessionEndEvent):
                events_item = events_item_data.to_dict()
            else:
                events_item = events_item_data.to_dict()

            events.append(events_item)

        platform = self.platform

        sdk_version = self.sdk_version

        session_id = self.session_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "events": events,
                "platform": platform,
                "sdk_version": sdk_version,
                "session_id": session_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.generic_event import GenericEvent  # noqa: PLC0415
        from ..models.session_end_event import SessionEndEvent  # noqa: PLC0415
        from ..models.session_start_event import SessionStartEvent  # noqa: PLC0415
        from ..models.unhandled_exception_event import UnhandledExceptionEvent  # noqa: PLC0415

        d = dict(src_dict)
        events = []
        _events = d.pop("events")
        for events_item_data in _events:

            def _parse_events_item(
                data: object,
            ) -> GenericEvent | SessionEndEvent | SessionStartEvent | UnhandledExceptionEvent:
                if (
                    isinstance(data, dict)
                    and data.keys()
                    <= {"event", "event_id", "event_name", "event_session_index", "severity", "timestamp", "event_data"}
                    and all(
                        key in data
                        for key in ["event", "event_id", "event_name", "event_session_index", "severity", "timestamp"]
                    )
                ):
                    componentsschemas_telemetry_event_type_0 = GenericEvent.from_dict(data)

                    return componentsschemas_telemetry_event_type_0
                if (
                    isinstance(data, dict)
                    and data.keys()
                    <= {
                        "error_message",
                        "error_type",
                        "event",
                        "event_id",
                        "event_session_index",
                        "severity",
                        "timestamp",
                        "traceback",
                    }
                    and all(
                        key in data
                        for key in [
                            "error_message",
                            "error_type",
                            "event",
                            "event_id",
                            "event_session_index",
                            "severity",
                            "timestamp",
                        ]
                    )
                ):
                    componentsschemas_telemetry_event_type_1 = UnhandledExceptionEvent.from_dict(data)

                    return componentsschemas_telemetry_event_type_1
                if (
                    isinstance(data, dict)
                    and data.keys() <= {"duration", "event", "event_id", "event_session_index", "severity", "timestamp"}
                    and all(
                        key in data
                        for key in ["duration", "event", "event_id", "event_session_index", "severity", "timestamp"]
                    )
                ):
                    componentsschemas_telemetry_event_type_2 = SessionEndEvent.from_dict(data)

                    return componentsschemas_telemetry_event_type_2
                if (
                    isinstance(data, dict)
                    and data.keys() <= {"event", "event_id", "event_session_index", "severity", "timestamp"}
                    and all(
                        key in data for key in ["event", "event_id", "event_session_index", "severity", "timestamp"]
                    )
                ):
                    componentsschemas_telemetry_event_type_3 = SessionStartEvent.from_dict(data)

                    return componentsschemas_telemetry_event_type_3
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_telemetry_event_type_0 = GenericEvent.from_dict(data)

                    return componentsschemas_telemetry_event_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    if isinstance(data, dict) and all(
                        key in data
                        for key in ["event", "event_id", "event_name", "event_session_index", "severity", "timestamp"]
                    ):
                        raise
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_telemetry_event_type_1 = UnhandledExceptionEvent.from_dict(data)

                    return componentsschemas_telemetry_event_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    if isinstance(data, dict) and all(
                        key in data
                        for key in [
                            "error_message",
                            "error_type",
                            "event",
                            "event_id",
                            "event_session_index",
                            "severity",
                            "timestamp",
                        ]
                    ):
                        raise
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_telemetry_event_type_2 = SessionEndEvent.from_dict(data)

                    return componentsschemas_telemetry_event_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    if isinstance(data, dict) and all(
                        key in data
                        for key in ["duration", "event", "event_id", "event_session_index", "severity", "timestamp"]
                    ):
                        raise
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_telemetry_event_type_3 = SessionStartEvent.from_dict(data)

                return componentsschemas_telemetry_event_type_3

            events_item = _parse_events_item(events_item_data)

            events.append(events_item)

        platform = d.pop("platform")

        sdk_version = d.pop("sdk_version")

        session_id = d.pop("session_id")

        telemetry_send_request = cls(
            events=events,
            platform=platform,
            sdk_version=sdk_version,
            session_id=session_id,
        )

        return telemetry_send_request
