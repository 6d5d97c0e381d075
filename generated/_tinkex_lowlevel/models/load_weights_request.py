from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class LoadWeightsRequest(WireModel):
    """Body of load_weights. `optimizer` true also restores the Adam state."""

    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    path: str
    """A `tinker://` path."""
    optimizer: bool
    """Restore optimizer state too."""
    seq_id: int | None = None
    """Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the
    next expected seq_id (`--seq-window`) with 400."""
    type: Literal["load_weights"] = "load_weights"
    """Request tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "load_weights"}
    _TAG: ClassVar[str | None] = "load_weights"
