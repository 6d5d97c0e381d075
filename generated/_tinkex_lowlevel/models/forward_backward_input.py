from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen
from tinkex.types._mixins import ForwardBackwardInputMixin

from .datum import Datum
from .loss_fn_type import LossFnType
from .number_map import NumberMap


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ForwardBackwardInput(ForwardBackwardInputMixin, WireModel):
    """A batch and the loss to apply to it."""

    data: list[Datum]
    """The batch."""
    loss_fn: LossFnType
    """The built-in loss functions. Added by 0.38 (x-tinker-since-values), in server-semantics.md terms
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
    * `custom`: server-side custom loss graphs; refused by tinkex serve (its client flag is off)."""
    loss_fn_config: NumberMap | None = None
    """Loss hyper-parameters (e.g. PPO clip thresholds). The 0.7.0 client sends it, often as null."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "data": ListOf(Obj(Datum)),
    }
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "loss_fn": frozenset(
            {"cispo", "cross_entropy", "custom", "dro", "gspo", "importance_sampling", "ppo", "stable_reinforce"}
        ),
    }
