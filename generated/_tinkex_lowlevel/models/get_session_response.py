from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen

from .get_session_response_user_metadata_type_0 import GetSessionResponseUserMetadataType0


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class GetSessionResponse(WireModel):
    """Answer of get_session."""

    training_run_ids: list[str]
    """Runs created in the session."""
    sampler_ids: list[str]
    """Samplers created in the session."""
    user_metadata: GetSessionResponseUserMetadataType0 | None = None
    """From create_session (string values); sent when not empty."""
    display_name: str | None = None
    """From create_session; sent when set."""

    _LATER: ClassVar[frozenset[str]] = frozenset({"user_metadata", "display_name"})
