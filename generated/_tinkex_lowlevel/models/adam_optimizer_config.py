from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class AdamOptimizerConfig(WireModel):
    """AdamW (the default); steps take `AdamParams`."""

    type: Literal["adamw"] = "adamw"
    """Type tag."""

    _TAGS: ClassVar[dict[str, str]] = {"type": "adamw"}
    _TAG: ClassVar[str | None] = "adamw"
