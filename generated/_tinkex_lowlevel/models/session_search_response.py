from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen

from .session_search_response_next_cursor_type_0 import SessionSearchResponseNextCursorType0
from .session_summary import SessionSummary


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionSearchResponse(WireModel):
    """Answer of search_sessions."""

    sessions: list[SessionSummary]
    """Newest first."""
    next_cursor: SessionSearchResponseNextCursorType0 | None = None
    """Always null here (one page)."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "sessions": ListOf(Obj(SessionSummary)),
    }
