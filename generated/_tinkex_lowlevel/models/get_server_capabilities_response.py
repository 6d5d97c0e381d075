from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen

from .supported_model import SupportedModel


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class GetServerCapabilitiesResponse(WireModel):
    """Answer of get_server_capabilities."""

    supported_models: list[SupportedModel]
    """The base models."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "supported_models": ListOf(Obj(SupportedModel)),
    }
