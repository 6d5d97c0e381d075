from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CopyWeightsRequest(WireModel):
    """Body of copy_weights."""

    source_path: str
    """tinker:// path of a readable checkpoint."""
    session_id: str | None = None
    """Session the new run belongs to (required by tinkex serve)."""
    model_seq_id: int | None = None
    """The new run's number in that session (required by tinkex serve)."""
    destination_project_id: str | None = None
    """Accepted and ignored."""
    ttl_seconds: int | None = None
    """The copy's expiry; null = never."""
    weights_access_token: str | None = None
    """Accepted and ignored."""
