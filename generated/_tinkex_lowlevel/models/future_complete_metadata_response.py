from __future__ import annotations

import dataclasses
from typing import Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class FutureCompleteMetadataResponse(WireModel):
    """A poll with `allow_metadata_only: true` of a finished result of at least 1 MiB gets this first,
    so the client can reserve the size in its in-flight bytes budget; its next poll (without the
    flag) gets the result. Smaller results come at once."""

    status: Literal["complete_metadata"]
    """Marker."""
    response_payload_size: int
    """Bytes of the result body."""
