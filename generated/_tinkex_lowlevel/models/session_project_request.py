from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionProjectRequest(WireModel):
    """Body of set_session_project."""

    project_id: str
    """The project (non-empty)."""
