from __future__ import annotations

from typing import Any, TypeAlias

BillingUsageResponseDataItem: TypeAlias = dict[str, Any]
