from __future__ import annotations

import dataclasses
from typing import Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class TelemetryResponse(WireModel):
    """Answer of send_telemetry."""

    status: Literal["accepted"]
    """Always `accepted`."""
