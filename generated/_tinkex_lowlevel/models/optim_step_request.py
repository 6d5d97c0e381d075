from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.adam_params import AdamParams


T = TypeVar("T", bound="OptimStepRequest")


@_attrs_define
class OptimStepRequest:
    """Body of optim_step."""

    adam_params: AdamParams
    """ AdamW hyper-parameters. Omitted fields take these defaults (the 0.7.0 client omits unset ones). """
    model_id: str
    """ A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`. """
    seq_id: int | None | Unset = UNSET
    """ Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the next
    expected seq_id (`--seq-window`) with 400. """
    type_: Literal["optim_step"] | Unset = "optim_step"
    """ Request tag. """

    def to_dict(self) -> dict[str, Any]:
        adam_params = self.adam_params.to_dict()

        model_id = self.model_id

        seq_id: int | None | Unset
        if isinstance(self.seq_id, Unset):
            seq_id = UNSET
        else:
            seq_id = self.seq_id

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "adam_params": adam_params,
                "model_id": model_id,
            }
        )
        if seq_id is not UNSET:
            field_dict["seq_id"] = seq_id
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.adam_params import AdamParams  # noqa: PLC0415

        d = dict(src_dict)
        adam_params = AdamParams.from_dict(d.pop("adam_params"))

        model_id = d.pop("model_id")

        def _parse_seq_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seq_id = _parse_seq_id(d.pop("seq_id", UNSET))

        type_ = cast(Literal["optim_step"] | Unset, d.pop("type", UNSET))
        if type_ != "optim_step" and not isinstance(type_, Unset):
            raise ValueError(f"type must match const 'optim_step', got '{type_}'")

        optim_step_request = cls(
            adam_params=adam_params,
            model_id=model_id,
            seq_id=seq_id,
            type_=type_,
        )

        return optim_step_request
