from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.loss_fn_inputs import LossFnInputs
    from ..models.model_input import ModelInput


T = TypeVar("T", bound="Datum")


@_attrs_define
class Datum:
    """One training example."""

    loss_fn_inputs: LossFnInputs
    """ Loss inputs of one datum by name (`target_tokens`, `weights`, `advantages`, `logprobs`,
    `clip_low_threshold`, `clip_high_threshold`, ...). May be empty.
     """
    model_input: ModelInput
    """ A model input as a list of chunks (may be empty). """

    def to_dict(self) -> dict[str, Any]:
        loss_fn_inputs = self.loss_fn_inputs.to_dict()

        model_input = self.model_input.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "loss_fn_inputs": loss_fn_inputs,
                "model_input": model_input,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.loss_fn_inputs import LossFnInputs  # noqa: PLC0415
        from ..models.model_input import ModelInput  # noqa: PLC0415

        d = dict(src_dict)
        loss_fn_inputs = LossFnInputs.from_dict(d.pop("loss_fn_inputs"))

        model_input = ModelInput.from_dict(d.pop("model_input"))

        datum = cls(
            loss_fn_inputs=loss_fn_inputs,
            model_input=model_input,
        )

        return datum
