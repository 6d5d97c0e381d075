from __future__ import annotations

from typing import Any, TypeAlias

SessionSummaryStatusType0: TypeAlias = dict[str, Any]
"""`{type: active}`, `{type: client_finished, reason, detail}` or `{type: failed, reason}` (heartbeats stopped)."""
