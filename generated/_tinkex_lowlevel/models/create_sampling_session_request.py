from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CreateSamplingSessionRequest(WireModel):
    """Body of create_sampling_session. Both model keys are sent, one of them null."""

    session_id: str
    """The owning session."""
    sampling_session_seq_id: int
    """Per-session counter from 0, shared with ephemeral sampler saves."""
    base_model: str | None = None
    """Base model to sample from."""
    model_path: str | None = None
    """A `tinker://` sampler (or training) checkpoint path."""
    type: Literal["create_sampling_session"] = "create_sampling_session"
    """Request tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "create_sampling_session"}
    _TAG: ClassVar[str | None] = "create_sampling_session"
