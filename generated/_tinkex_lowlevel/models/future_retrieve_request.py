from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class FutureRetrieveRequest(WireModel):
    """Body of retrieve_future."""

    request_id: str
    """A future's request id. Opaque."""
    allow_metadata_only: bool | None = None
    """A finished result of >= 1 MiB may be answered FutureCompleteMetadataResponse first."""

    _LATER: ClassVar[frozenset[str]] = frozenset({"allow_metadata_only"})
