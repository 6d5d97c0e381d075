from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FuturePendingResponse")


@_attrs_define
class FuturePendingResponse:
    """Optional body of a 408 from retrieve_future (still pending). `queue_state` is an open string here
    (known: `active`, `paused_rate_limit`, `paused_capacity`; clients read other values as unknown).

    """

    queue_state: str | Unset = UNSET
    """ Why the operation is waiting. """
    queue_state_reason: None | str | Unset = UNSET
    """ A message for the user (read since 0.7.0). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        queue_state = self.queue_state

        queue_state_reason: None | str | Unset
        if isinstance(self.queue_state_reason, Unset):
            queue_state_reason = UNSET
        else:
            queue_state_reason = self.queue_state_reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if queue_state is not UNSET:
            field_dict["queue_state"] = queue_state
        if queue_state_reason is not UNSET:
            field_dict["queue_state_reason"] = queue_state_reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        queue_state = d.pop("queue_state", UNSET)

        def _parse_queue_state_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        queue_state_reason = _parse_queue_state_reason(d.pop("queue_state_reason", UNSET))

        future_pending_response = cls(
            queue_state=queue_state,
            queue_state_reason=queue_state_reason,
        )

        future_pending_response.additional_properties = d
        return future_pending_response

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
