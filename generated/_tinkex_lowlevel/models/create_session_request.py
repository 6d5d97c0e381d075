from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen

from .json_object import JSONObject


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CreateSessionRequest(WireModel):
    """Body of create_session. `user_metadata` must be present (the client sends `{}` when empty) but may be null."""

    tags: list[str]
    """Free-form session tags (TINKER_TAGS)."""
    user_metadata: JSONObject | None
    """Arbitrary JSON metadata."""
    sdk_version: str
    """Client SDK version."""
    type: Literal["create_session"] = "create_session"
    """Request tag."""
    project_id: str | None = None
    """The project the session (and its runs) belongs to; stored, filters searches and
    `training_runs?project_id=`."""
    display_name: str | None = None
    """A name for the session; stored, answered by get_session and searches."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "create_session"}
    _TAG: ClassVar[str | None] = "create_session"
    _LATER: ClassVar[frozenset[str]] = frozenset({"project_id", "display_name"})
