from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, Obj, WireModel, frozen

from .forward_backward_input import ForwardBackwardInput


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ForwardBackwardRequest(WireModel):
    """Body of forward_backward (no `type` tag)."""

    forward_backward_input: ForwardBackwardInput
    """A batch and the loss to apply to it."""
    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    seq_id: int | None = None
    """Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the
    next expected seq_id (`--seq-window`) with 400."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "forward_backward_input": Obj(ForwardBackwardInput),
    }
