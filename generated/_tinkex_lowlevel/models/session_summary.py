from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen

from .session_summary_status_type_0 import SessionSummaryStatusType0
from .session_summary_user_metadata_type_0 import SessionSummaryUserMetadataType0


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class SessionSummary(WireModel):
    """One session in a search answer."""

    session_id: str
    """The session."""
    created_at: datetime.datetime
    """Creation time."""
    owner: str
    """The owner."""
    project_id: str
    """Its project (`default` until assigned)."""
    status: SessionSummaryStatusType0 | None = None
    """`{type: active}`, `{type: client_finished, reason, detail}` or `{type: failed, reason}` (heartbeats
    stopped)."""
    checkpoints_count: int
    """Checkpoints of its runs."""
    display_name: str | None = None
    """From create_session."""
    user_metadata: SessionSummaryUserMetadataType0 | None = None
    """From create_session."""
    checkpoint_storage_bytes: int | None = None
    """Their total size."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "created_at": DateTime(),
    }
