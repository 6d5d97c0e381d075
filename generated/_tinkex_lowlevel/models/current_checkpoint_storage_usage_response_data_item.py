from __future__ import annotations

from typing import Any, TypeAlias

CurrentCheckpointStorageUsageResponseDataItem: TypeAlias = dict[str, Any]
