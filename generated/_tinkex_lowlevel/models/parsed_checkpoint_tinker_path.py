from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen
from tinkex.types._mixins import ParsedCheckpointTinkerPathMixin

from .checkpoint_type import CheckpointType


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ParsedCheckpointTinkerPath(ParsedCheckpointTinkerPathMixin, WireModel):
    """Client-side only: the parts of `tinker://<training_run_id>/<kind>/<name>`."""

    tinker_path: str
    """The whole path."""
    training_run_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    checkpoint_type: CheckpointType
    """`training` for `weights/` checkpoints (with optimizer state), `sampler` for `sampler_weights/`,
    `external` (0.38) for `external_weights/` exports."""
    checkpoint_id: str
    """`<kind>/<name>`."""

    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "checkpoint_type": frozenset({"external", "sampler", "training"}),
    }
