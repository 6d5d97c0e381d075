from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="WeightsInfoRequest")


@_attrs_define
class WeightsInfoRequest:
    """Body of weights_info (an untyped dict in the official SDK)."""

    tinker_path: str
    """ A `tinker://<run>/<kind>/<name>` path. """

    def to_dict(self) -> dict[str, Any]:
        tinker_path = self.tinker_path

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "tinker_path": tinker_path,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        tinker_path = d.pop("tinker_path")

        weights_info_request = cls(
            tinker_path=tinker_path,
        )

        return weights_info_request
