from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class UnloadModelRequest(WireModel):
    """Body of unload_model."""

    model_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    type: Literal["unload_model"] = "unload_model"
    """Request tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "unload_model"}
    _TAG: ClassVar[str | None] = "unload_model"
