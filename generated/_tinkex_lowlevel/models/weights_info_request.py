from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class WeightsInfoRequest(WireModel):
    """Body of weights_info (an untyped dict in the official SDK)."""

    tinker_path: str
    """A `tinker://<run>/<kind>/<name>` path."""
