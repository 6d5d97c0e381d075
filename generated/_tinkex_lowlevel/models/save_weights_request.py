from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SaveWeightsRequest")


@_attrs_define
class SaveWeightsRequest:
    """Body of save_weights. `path` is a plain name (no `/`), not a tinker:// path."""

    model_id: str
    """ A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`. """
    path: None | str | Unset = UNSET
    """ Checkpoint name. Decision: null lets the server pick one (e.g. the seq_id, zero-padded). One path segment
    (no `/`) of at most 255 bytes of UTF-8 (the tinkex local server refuses longer names with 400). """
    seq_id: int | None | Unset = UNSET
    """ Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the next
    expected seq_id (`--seq-window`) with 400. """
    type_: Literal["save_weights"] | Unset = "save_weights"
    """ Request tag. """

    def to_dict(self) -> dict[str, Any]:
        model_id = self.model_id

        path: None | str | Unset
        if isinstance(self.path, Unset):
            path = UNSET
        else:
            path = self.path

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

        def _parse_seq_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seq_id = _parse_seq_id(d.pop("seq_id", UNSET))

        type_ = cast(Literal["save_weights"] | Unset, d.pop("type", UNSET))
        if type_ != "save_weights" and not isinstance(type_, Unset):
            raise ValueError(f"type must match const 'save_weights', got '{type_}'")

        save_weights_request = cls(
            model_id=model_id,
            path=path,
            seq_id=seq_id,
            type_=type_,
        )

        return save_weights_request
