from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class CheckpointArchiveUrlResponse(WireModel):
    """Client-side in 0.7.0: built from the archive endpoint's 302 `Location` and `Expires` headers, not
    from a JSON body."""

    url: str
    """The signed download URL."""
    expires: datetime.datetime
    """When the URL stops working."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "expires": DateTime(),
    }
