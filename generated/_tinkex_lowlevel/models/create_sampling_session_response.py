from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CreateSamplingSessionResponse(WireModel):
    """Answer of create_sampling_session."""

    type: Literal["create_sampling_session"] = "create_sampling_session"
    """Response tag."""
    sampling_session_id: str
    """The sampler id, e.g. `sess-1:sample:0`."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "create_sampling_session"}
    _TAG: ClassVar[str | None] = "create_sampling_session"
