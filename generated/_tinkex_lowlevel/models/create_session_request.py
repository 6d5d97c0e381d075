from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JSONObject


T = TypeVar("T", bound="CreateSessionRequest")


@_attrs_define
class CreateSessionRequest:
    """Body of create_session. `user_metadata` must be present (the client sends `{}` when empty) but may be null."""

    tags: list[str]
    """ Free-form session tags (TINKER_TAGS). """
    user_metadata: JSONObject | None
    """ Arbitrary JSON metadata. """
    sdk_version: str
    """ Client SDK version. """
    type_: Literal["create_session"] | Unset = "create_session"
    """ Request tag. """

    def to_dict(self) -> dict[str, Any]:
        from ..models.json_object import JSONObject  # noqa: PLC0415

        tags = self.tags

        user_metadata: dict[str, Any] | None
        if isinstance(self.user_metadata, JSONObject):
            user_metadata = self.user_metadata.to_dict()
        else:
            user_metadata = self.user_metadata

        sdk_version = self.sdk_version

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "tags": tags,
                "user_metadata": user_metadata,
                "sdk_version": sdk_version,
            }
        )
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JSONObject  # noqa: PLC0415

        d = dict(src_dict)
        tags = cast(list[str], d.pop("tags"))

        def _parse_user_metadata(data: object) -> JSONObject | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_metadata_type_0 = JSONObject.from_dict(data)

                return user_metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JSONObject | None, data)

        user_metadata = _parse_user_metadata(d.pop("user_metadata"))

        sdk_version = d.pop("sdk_version")

        type_ = cast(Literal["create_session"] | Unset, d.pop("type", UNSET))
        if type_ != "create_session" and not isinstance(type_, Unset):
            raise ValueError(f"type must match const 'create_session', got '{type_}'")

        create_session_request = cls(
            tags=tags,
            user_metadata=user_metadata,
            sdk_version=sdk_version,
            type_=type_,
        )

        return create_session_request
