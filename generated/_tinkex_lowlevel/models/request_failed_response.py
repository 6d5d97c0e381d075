from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen
from tinkex.types._mixins import RequestFailedResponseMixin

from .request_error_category import RequestErrorCategory


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class RequestFailedResponse(RequestFailedResponseMixin, WireModel):
    """A 200 failure answer of retrieve_future: the operation failed for good. Clients detect it by the
    `error` key (so no result type may have a top-level `error` field)."""

    error: str
    """The message, e.g. `PromptTooLong: ...`."""
    category: RequestErrorCategory
    """Who caused a failed operation. `user`: the request was wrong; `server` / `unknown`: the service.
    Clients read a missing or unrecognised value as `unknown`."""

    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "category": frozenset({"server", "unknown", "user"}),
    }
