from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SaveWeightsForSamplerRequest")


@_attrs_define
class SaveWeightsForSamplerRequest:
    """Body of save_weights_for_sampler; `path` for a named save, `sampling_session_seq_id` for an ephemeral one."""

    model_id: str
    """ A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`. """
    path: None | str | Unset = UNSET
    """ Checkpoint name: one path segment (no `/`), at most 255 bytes of UTF-8. """
    sampling_session_seq_id: int | None | Unset = UNSET
    """ Set for an ephemeral save. """
    seq_id: int | None | Unset = UNSET
    """ Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the next
    expected seq_id (`--seq-window`) with 400. """
    type_: Literal["save_weights_for_sampler"] | Unset = "save_weights_for_sampler"
    """ Request tag. """

    def to_dict(self) -> dict[str, Any]:
        model_id = self.model_id

        path: None | str | Unset
        if isinstance(self.path, Unset):
            path = UNSET
        else:
            path = self.path

        sampling_session_seq_id: int | None | Unset
        if isinstance(self.sampling_session_seq_id, Unset):
            sampling_session_seq_id = UNSET
        else:
            sampling_session_seq_id = self.sampling_session_seq_id

        seq_id: int | None | Unset
        if isinstance(self.seq_id, Unset):
            seq_id = UNSET
        else:
            seq_id = self.seq_id

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "model_id": model_id,
            }
        )
        if path is not UNSET:
            field_dict["path"] = path
        if sampling_session_seq_id is not UNSET:
            field_dict["sampling_session_seq_id"] = sampling_session_seq_id
        if seq_id is not UNSET:
            field_dict["seq_id"] = seq_id
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        model_id = d.pop("model_id")

        def _parse_path(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        path = _parse_path(d.pop("path", UNSET))

        def _parse_sampling_session_seq_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        sampling_session_seq_id = _parse_sampling_session_seq_id(d.pop("sampling_session_seq_id", UNSET))

        def _parse_seq_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seq_id = _parse_seq_id(d.pop("seq_id", UNSET))

        type_ = cast(Literal["save_weights_for_sampler"] | Unset, d.pop("type", UNSET))
        if type_ != "save_weights_for_sampler" and not isinstance(type_, Unset):
            raise ValueError(f"type must match const 'save_weights_for_sampler', got '{type_}'")

        save_weights_for_sampler_request = cls(
            model_id=model_id,
            path=path,
            sampling_session_seq_id=sampling_session_seq_id,
            seq_id=seq_id,
            type_=type_,
        )

        return save_weights_for_sampler_request
