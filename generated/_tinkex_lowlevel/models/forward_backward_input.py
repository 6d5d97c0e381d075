from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.loss_fn_type import LossFnType, check_loss_fn_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.datum import Datum
    from ..models.number_map import NumberMap


T = TypeVar("T", bound="ForwardBackwardInput")


@_attrs_define
class ForwardBackwardInput:
    """A batch and the loss to apply to it."""

    data: list[Datum]
    """ The batch. """
    loss_fn: LossFnType
    """ The built-in loss functions. Added by 0.38 (x-tinker-since-values), in server-semantics.md terms
    (lp = learner logprob, q = `logprobs` input, A = `advantages`, r = exp(lp - q), per datum):

    * `gspo` (Zheng et al. 2025, Group Sequence Policy Optimization): one sequence-level ratio
      s = exp(sum_t m_t (lp_t - q_t) / sum_t m_t) over the mask m (`sequence_ratio_mask` input, else the
      tokens with A != 0); each masked token's loss is -min(s A_t, clip(s, lo, hi) A_t) / sum_t m_t, so a
      datum with one advantage contributes the paper's clipped objective. `loss_fn_config`
      `clip_low_threshold` / `clip_high_threshold` bound s (defaults 1 - 3e-4 and 1 + 4e-4, the paper's).
    * `stable_reinforce`: REINFORCE with a truncated importance weight held constant,
      l_t = -sg(min(r_t, C)) A_t lp_t (truncated importance sampling, Yao et al. 2025), so stale
      (off-policy) samples cannot blow up the step; C = `clip_high_threshold`, default 2. Tokens with
      A = 0 contribute nothing. Provenance spans and record_stability_info are accepted and not needed.
    * `custom`: server-side custom loss graphs; refused by tinkex serve (its client flag is off).
     """
    loss_fn_config: None | NumberMap | Unset = UNSET
    """ Loss hyper-parameters (e.g. PPO clip thresholds). The 0.7.0 client sends it, often as null. """

    def to_dict(self) -> dict[str, Any]:
        from ..models.number_map import NumberMap  # noqa: PLC0415

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        loss_fn: str = self.loss_fn

        loss_fn_config: dict[str, Any] | None | Unset
        if isinstance(self.loss_fn_config, Unset):
            loss_fn_config = UNSET
        elif isinstance(self.loss_fn_config, NumberMap):
            loss_fn_config = self.loss_fn_config.to_dict()
        else:
            loss_fn_config = self.loss_fn_config

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "data": data,
                "loss_fn": loss_fn,
            }
        )
        if loss_fn_config is not UNSET:
            field_dict["loss_fn_config"] = loss_fn_config

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.datum import Datum  # noqa: PLC0415
        from ..models.number_map import NumberMap  # noqa: PLC0415

        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = Datum.from_dict(data_item_data)

            data.append(data_item)

        loss_fn = check_loss_fn_type(d.pop("loss_fn"))

        def _parse_loss_fn_config(data: object) -> None | NumberMap | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                loss_fn_config_type_0 = NumberMap.from_dict(data)

                return loss_fn_config_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | NumberMap | Unset, data)

        loss_fn_config = _parse_loss_fn_config(d.pop("loss_fn_config", UNSET))

        forward_backward_input = cls(
            data=data,
            loss_fn=loss_fn,
            loss_fn_config=loss_fn_config,
        )

        return forward_backward_input
