from __future__ import annotations

from typing import Any, TypeAlias

AuditLogResponseEntriesItem: TypeAlias = dict[str, Any]
