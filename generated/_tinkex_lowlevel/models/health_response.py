from __future__ import annotations

import dataclasses
from typing import Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class HealthResponse(WireModel):
    """Answer of healthz."""

    status: Literal["ok"]
    """Always `ok`."""
