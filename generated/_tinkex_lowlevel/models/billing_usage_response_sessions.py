from __future__ import annotations

from typing import Any, TypeAlias

BillingUsageResponseSessions: TypeAlias = dict[str, Any]
"""Sessions the events name."""
