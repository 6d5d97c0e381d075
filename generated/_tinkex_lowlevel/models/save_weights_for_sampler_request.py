from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen

from .save_weights_for_sampler_request_kind import (
    SaveWeightsForSamplerRequestKind,
)
from .save_weights_for_sampler_request_user_metadata_type_0 import SaveWeightsForSamplerRequestUserMetadataType0


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SaveWeightsForSamplerRequest(WireModel):
    """Body of save_weights_for_sampler; `path` for a named save, `sampling_session_seq_id` for an ephemeral one."""

    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    path: str | None = None
    """Checkpoint name: one path segment (no `/`), at most 255 bytes of UTF-8."""
    sampling_session_seq_id: int | None = None
    """Set for an ephemeral save."""
    seq_id: int | None = None
    """Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the
    next expected seq_id (`--seq-window`) with 400."""
    type: Literal["save_weights_for_sampler"] = "save_weights_for_sampler"
    """Request tag."""
    kind: SaveWeightsForSamplerRequestKind | None = None
    """Recorded; both kinds are stored as sampler checkpoints here."""
    ttl_seconds: int | None = None
    """Expiry, as for save_weights."""
    user_metadata: SaveWeightsForSamplerRequestUserMetadataType0 | None = None
    """Stored with the checkpoint."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "save_weights_for_sampler"}
    _TAG: ClassVar[str | None] = "save_weights_for_sampler"
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "kind": frozenset({"inflight", "snapshot"}),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"kind", "ttl_seconds", "user_metadata"})
