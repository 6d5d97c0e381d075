from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, Union_, WireModel, frozen

from .adam_optimizer_config import AdamOptimizerConfig
from .dimuon_optimizer_config import DimuonOptimizerConfig
from .load_weights_request_user_metadata_type_0 import LoadWeightsRequestUserMetadataType0


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
    session_id: str | None = None
    """Create-via-load (no model_id): the session of the new model `{session_id}:train:{model_seq_id}`."""
    model_seq_id: int | None = None
    """Create-via-load: the new model's number in the session."""
    base_model: str | None = None
    """Create-via-load: must be the checkpoint's base model (default: it)."""
    user_metadata: LoadWeightsRequestUserMetadataType0 | None = None
    """Create-via-load: the new run's metadata."""
    optimizer_config: AdamOptimizerConfig | DimuonOptimizerConfig | None = None
    """Create-via-load: the new model's optimizer (default: the source run's)."""
    weights_access_token: str | None = None
    """Accepted and ignored (no cross-account tokens on a local server; public checkpoints load without one)."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "optimizer_config": Union_(
            (
                AdamOptimizerConfig,
                DimuonOptimizerConfig,
            ),
            "LoadWeightsRequest.optimizer_config",
        ),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "load_weights"}
    _TAG: ClassVar[str | None] = "load_weights"
    _LATER: ClassVar[frozenset[str]] = frozenset(
        {"session_id", "model_seq_id", "base_model", "user_metadata", "optimizer_config", "weights_access_token"}
    )
