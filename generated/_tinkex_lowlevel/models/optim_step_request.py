from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, Obj, Union_, WireModel, frozen

from .adam_params import AdamParams
from .dimuon_params import DimuonParams


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class OptimStepRequest(WireModel):
    """Body of optim_step."""

    adam_params: AdamParams
    """AdamW hyper-parameters. Omitted fields take these defaults (the 0.7.0 client omits unset ones)."""
    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    seq_id: int | None = None
    """Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the
    next expected seq_id (`--seq-window`) with 400."""
    type: Literal["optim_step"] = "optim_step"
    """Request tag."""
    optim_params: AdamParams | DimuonParams | None = None
    """0.38 replaces adam_params by this: AdamParams (no type tag) or DimuonParams; must match the model's
    optimizer_config (400 otherwise)."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "adam_params": Obj(AdamParams),
        "optim_params": Union_(
            (
                AdamParams,
                DimuonParams,
            ),
            "OptimStepRequest.optim_params",
        ),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "optim_step"}
    _TAG: ClassVar[str | None] = "optim_step"
    _LATER: ClassVar[frozenset[str]] = frozenset({"optim_params"})
