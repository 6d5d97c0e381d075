from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JSONObject
    from ..models.lora_config import LoraConfig


T = TypeVar("T", bound="CreateModelRequest")


@_attrs_define
class CreateModelRequest:
    """Body of create_model."""

    session_id: str
    """ The owning session. """
    model_seq_id: int
    """ Per-session counter from 0. """
    base_model: str
    """ One of get_server_capabilities' model names. """
    user_metadata: JSONObject | None | Unset = UNSET
    """ Arbitrary JSON metadata. """
    lora_config: LoraConfig | None | Unset = UNSET
    """ LoRA settings. """
    type_: Literal["create_model"] | Unset = "create_model"
    """ Request tag. """

    def to_dict(self) -> dict[str, Any]:
        from ..models.json_object import JSONObject  # noqa: PLC0415
        from ..models.lora_config import LoraConfig  # noqa: PLC0415

        session_id = self.session_id

        model_seq_id = self.model_seq_id

        base_model = self.base_model

        user_metadata: dict[str, Any] | None | Unset
        if isinstance(self.user_metadata, Unset):
            user_metadata = UNSET
        elif isinstance(self.user_metadata, JSONObject):
            user_metadata = self.user_metadata.to_dict()
        else:
            user_metadata = self.user_metadata

        lora_config: dict[str, Any] | None | Unset
        if isinstance(self.lora_config, Unset):
            lora_config = UNSET
        elif isinstance(self.lora_config, LoraConfig):
            lora_config = self.lora_config.to_dict()
        else:
            lora_config = self.lora_config

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "session_id": session_id,
                "model_seq_id": model_seq_id,
                "base_model": base_model,
            }
        )
        if user_metadata is not UNSET:
            field_dict["user_metadata"] = user_metadata
        if lora_config is not UNSET:
            field_dict["lora_config"] = lora_config
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JSONObject  # noqa: PLC0415
        from ..models.lora_config import LoraConfig  # noqa: PLC0415

        d = dict(src_dict)
        session_id = d.pop("session_id")

        model_seq_id = d.pop("model_seq_id")

        base_model = d.pop("base_model")

        def _parse_user_metadata(data: object) -> JSONObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                user_metadata_type_0 = JSONObject.from_dict(data)

                return user_metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JSONObject | None | Unset, data)

        user_metadata = _parse_user_metadata(d.pop("user_metadata", UNSET))

        def _parse_lora_config(data: object) -> LoraConfig | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            if (
                isinstance(data, dict)
                and data.keys() <= {"rank", "seed", "train_unembed", "train_mlp", "train_attn"}
                and all(key in data for key in ["rank"])
            ):
                lora_config_type_0 = LoraConfig.from_dict(data)

                return lora_config_type_0
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                lora_config_type_0 = LoraConfig.from_dict(data)

                return lora_config_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                if isinstance(data, dict) and all(key in data for key in ["rank"]):
                    raise
                pass
            return cast(LoraConfig | None | Unset, data)

        lora_config = _parse_lora_config(d.pop("lora_config", UNSET))

        type_ = cast(Literal["create_model"] | Unset, d.pop("type", UNSET))
        if type_ != "create_model" and not isinstance(type_, Unset):
            raise ValueError(f"type must match const 'create_model', got '{type_}'")

        create_model_request = cls(
            session_id=session_id,
            model_seq_id=model_seq_id,
            base_model=base_model,
            user_metadata=user_metadata,
            lora_config=lora_config,
            type_=type_,
        )

        return create_model_request
