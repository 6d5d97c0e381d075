from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class GetInfoRequest(WireModel):
    """Body of get_info."""

    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    type: Literal["get_info"] = "get_info"
    """Request tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "get_info"}
    _TAG: ClassVar[str | None] = "get_info"
