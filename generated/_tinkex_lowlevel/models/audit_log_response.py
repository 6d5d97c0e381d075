from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen

from .audit_log_response_entries_item import AuditLogResponseEntriesItem


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class AuditLogResponse(WireModel):
    """Answer of get_audit_log."""

    entries: list[AuditLogResponseEntriesItem]
    """Events, as `{timestamp, event, event_details, model_id, tinker_path, purpose}`."""

    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"entries"})
