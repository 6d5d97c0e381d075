from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen

from .billing_usage_response_data_item import BillingUsageResponseDataItem
from .billing_usage_response_sessions import BillingUsageResponseSessions


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class BillingUsageResponse(WireModel):
    """Answer of get_billing_usage."""

    data: list[BillingUsageResponseDataItem]
    """Billing events (none here)."""
    sessions: BillingUsageResponseSessions | None = None
    """Sessions the events name."""
    cost_data_through: datetime.datetime | None = None
    """Events are complete up to this time."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "cost_data_through": DateTime(),
    }
    _SHORT_REPR: ClassVar[frozenset[str]] = frozenset({"data"})
