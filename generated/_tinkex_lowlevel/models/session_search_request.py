from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen

from .session_search_request_cursor_type_0 import SessionSearchRequestCursorType0
from .session_search_request_owner import SessionSearchRequestOwner
from .session_search_request_statuses_type_0_item import SessionSearchRequestStatusesType0Item
from .session_search_request_user_metadata import SessionSearchRequestUserMetadata


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionSearchRequest(WireModel):
    """Body of search_sessions; every given filter must match."""

    session_id: str | None = None
    """Exactly this session."""
    project_ids: list[str] | None = None
    """In one of these projects."""
    user_metadata: SessionSearchRequestUserMetadata | None = None
    """Each key equal."""
    display_name: str | None = None
    """Exactly this display name."""
    owner: SessionSearchRequestOwner | None = None
    """Whose sessions (`{type: own}`: the caller's; the only owner here)."""
    statuses: list[SessionSearchRequestStatusesType0Item] | None = None
    """Status `type`s to match: active, failed, cancelled, client_finished."""
    limit: int | None = None
    """Page size (tinkex serve: at most 100 sessions per answer)."""
    cursor: SessionSearchRequestCursorType0 | None = None
    """Ignored: every answer is one page (next_cursor null)."""

    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"statuses"})
