from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen

from .save_weights_request_user_metadata_type_0 import SaveWeightsRequestUserMetadataType0


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SaveWeightsRequest(WireModel):
    """Body of save_weights. `path` is a plain name (no `/`), not a tinker:// path."""

    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    path: str | None = None
    """Checkpoint name. Decision: null lets the server pick one (e.g. the seq_id, zero-padded). One path
    segment (no `/`) of at most 255 bytes of UTF-8 (the tinkex local server refuses longer names with 400)."""
    seq_id: int | None = None
    """Position in the model's request stream; the tinkex local server refuses one more than 256 ahead of the
    next expected seq_id (`--seq-window`) with 400."""
    type: Literal["save_weights"] = "save_weights"
    """Request tag."""
    ttl_seconds: int | None = None
    """Expiry: after it the checkpoint is gone from listings and loads (404)."""
    overwrite: bool | None = None
    """Replace an existing checkpoint of the same name (else the save fails)."""
    user_metadata: SaveWeightsRequestUserMetadataType0 | None = None
    """Stored with the checkpoint and answered in Checkpoint.user_metadata."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "save_weights"}
    _TAG: ClassVar[str | None] = "save_weights"
    _LATER: ClassVar[frozenset[str]] = frozenset({"ttl_seconds", "overwrite", "user_metadata"})
