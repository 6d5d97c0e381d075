from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SetCheckpointTtlRequest(WireModel):
    """Body of set_checkpoint_ttl."""

    ttl_seconds: int | None
    """Seconds from now until the checkpoint expires; null = never."""
