from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="LoadWeightsRequest")


@_attrs_define
class LoadWeightsRequest:
    """Body of load_weights. `optimizer` true also restores the Adam state."""

    model_id: str
    """ A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`. """
    path: str
    """ A `tinker://` path. """
    optimizer: bool
    """ Restore optimizer state too. """
    seq_id: int | None | Unset = UNSET
    """ Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the next
    expected seq_id (`--seq-window`) with 400. """
    type_: Literal["load_weights"] | Unset = "load_weights"
    """ Request tag. """

    def to_dict(self) -> dict[str, Any]:
        model_id = self.model_id

        path = self.path

        optimizer = self.optimizer

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
                "path": path,
                "optimizer": optimizer,
            }
        )
        if seq_id is not UNSET:
            field_dict["seq_id"] = seq_id
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        model_id = d.pop("model_id")

        path = d.pop("path")

        optimizer = d.pop("optimizer")

        def _parse_seq_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seq_id = _parse_seq_id(d.pop("seq_id", UNSET))

        type_ = cast(Literal["load_weights"] | Unset, d.pop("type", UNSET))
        if type_ != "load_weights" and not isinstance(type_, Unset):
            raise ValueError(f"type must match const 'load_weights', got '{type_}'")

        load_weights_request = cls(
            model_id=model_id,
            path=path,
            optimizer=optimizer,
            seq_id=seq_id,
            type_=type_,
        )

        return load_weights_request
