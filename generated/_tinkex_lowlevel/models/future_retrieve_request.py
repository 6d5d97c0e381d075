from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="FutureRetrieveRequest")


@_attrs_define
class FutureRetrieveRequest:
    """Body of retrieve_future."""

    request_id: str
    """ A future's request id. Opaque. """

    def to_dict(self) -> dict[str, Any]:
        request_id = self.request_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "request_id": request_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        request_id = d.pop("request_id")

        future_retrieve_request = cls(
            request_id=request_id,
        )

        return future_retrieve_request
