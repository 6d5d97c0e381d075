from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, WireModel, frozen

from .external_weights_urls_response_urls import ExternalWeightsUrlsResponseUrls


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ExternalWeightsUrlsResponse(WireModel):
    """Answer of external_weights_urls."""

    urls: ExternalWeightsUrlsResponseUrls
    """Signed URL per file path relative to the checkpoint root."""
    expires: datetime.datetime
    """When the URLs stop working."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "expires": DateTime(),
    }
