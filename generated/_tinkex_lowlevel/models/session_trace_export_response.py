from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen

from .session_trace_export_response_status import (
    SessionTraceExportResponseStatus,
)


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionTraceExportResponse(WireModel):
    """Answer of session_trace_export."""

    status: SessionTraceExportResponseStatus
    """The export's state."""
    url: str | None = None
    """Download URL when ready."""
    error: str | None = None
    """Why it failed."""

    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "status": frozenset({"failed", "pending", "ready"}),
    }
