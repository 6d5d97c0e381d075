from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen

from .current_checkpoint_storage_usage_response_data_item import CurrentCheckpointStorageUsageResponseDataItem


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CurrentCheckpointStorageUsageResponse(WireModel):
    """Answer of get_checkpoint_storage_usage."""

    effective_rate_usd_per_gigabyte_month: float | None = None
    """Price (0 here)."""
    data: list[CurrentCheckpointStorageUsageResponseDataItem]
    """Per project or user: `{checkpoint_count, size_bytes, size_gigabytes, estimated_monthly_cost_usd, ...}`."""

    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"data"})
