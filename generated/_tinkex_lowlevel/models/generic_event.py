from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_type import EventType, check_event_type
from ..models.severity import Severity, check_severity
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JSONObject


T = TypeVar("T", bound="GenericEvent")


@_attrs_define
class GenericEvent:
    """A named event with arbitrary data (e.g. `APIFuture.result_async.timeout`, `user_error`)."""

    event: EventType
    """ Kind of a telemetry event. """
    event_id: str
    """ A UUID4. """
    event_name: str
    """ Low-cardinality event name. """
    event_session_index: int
    """ Per-session counter. """
    severity: Severity
    """ Severity of a telemetry event. """
    timestamp: datetime.datetime
    """ UTC. """
    event_data: JSONObject | Unset = UNSET
    """ A free-form JSON object (user metadata, telemetry event data). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event: str = self.event

        event_id = self.event_id

        event_name = self.event_name

        event_session_index = self.event_session_index

        severity: str = self.severity

        timestamp = self.timestamp.isoformat().replace("+00:00", "Z")

        event_data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.event_data, Unset):
            event_data = self.event_data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event": event,
                "event_id": event_id,
                "event_name": event_name,
                "event_session_index": event_session_index,
                "severity": severity,
                "timestamp": timestamp,
            }
        )
        if event_data is not UNSET:
            field_dict["event_data"] = event_data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JSONObject  # noqa: PLC0415

        d = dict(src_dict)
        event = check_event_type(d.pop("event"))

        event_id = d.pop("event_id")

        event_name = d.pop("event_name")

        event_session_index = d.pop("event_session_index")

        severity = check_severity(d.pop("severity"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        _event_data = d.pop("event_data", UNSET)
        event_data: JSONObject | Unset
        if isinstance(_event_data, Unset):
            event_data = UNSET
        else:
            event_data = JSONObject.from_dict(_event_data)

        generic_event = cls(
            event=event,
            event_id=event_id,
            event_name=event_name,
            event_session_index=event_session_index,
            severity=severity,
            timestamp=timestamp,
            event_data=event_data,
        )

        generic_event.additional_properties = d
        return generic_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
