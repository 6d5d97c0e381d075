from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ClientDynamicConfigResponse(WireModel):
    """Flags re-read every refresh_interval_sec."""

    refresh_interval_sec: int = 300
    """Seconds until the client asks again."""
    sample_cancel_enabled: bool = False
    """Send cancel_future for abandoned samples (never on here)."""
    sample_cancel_max_batch_size: int = 64
    """Unused while sample_cancel_enabled is off."""
