from __future__ import annotations

import dataclasses

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ClientConfigRequest(WireModel):
    """Body of client/config and client/dynamic_config."""

    sdk_version: str
    """The client's SDK version."""
