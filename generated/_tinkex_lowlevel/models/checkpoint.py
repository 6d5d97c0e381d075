from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen

from .checkpoint_type import CheckpointType
from .checkpoint_user_metadata_type_0 import CheckpointUserMetadataType0


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class Checkpoint(WireModel):
    """A saved checkpoint. `checkpoint_id` is `weights/<name>` or `sampler_weights/<name>`."""

    checkpoint_id: str
    """`<kind>/<name>`."""
    checkpoint_type: CheckpointType
    """`training` for `weights/` checkpoints (with optimizer state), `sampler` for `sampler_weights/`,
    `external` (0.38) for `external_weights/` exports."""
    time: datetime.datetime
    """Creation time (UTC)."""
    tinker_path: str
    """`tinker://<run>/<kind>/<name>`."""
    size_bytes: int | None = None
    """Stored size."""
    public: bool = False
    """Whether any user may load it."""
    user_metadata: CheckpointUserMetadataType0 | None = None
    """From the save."""
    expires_at: datetime.datetime | None = None
    """When the TTL ends; null = never."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "time": DateTime(),
        "expires_at": DateTime(),
    }
    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "checkpoint_type": frozenset({"external", "sampler", "training"}),
    }
    _LATER: ClassVar[frozenset[str]] = frozenset({"user_metadata", "expires_at"})
