from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import Codec, ListOf, Obj, WireModel, frozen

from .error_detail_item import ErrorDetailItem


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ErrorResponse(WireModel):
    """The body of every error status. Decision: FastAPI style, as the official SDK's docstrings and the
    observed production answers imply. `detail` is a message string, or for 422 a list of
    `{loc, msg, type}` objects naming the invalid field. Servers always send `detail`; clients must
    also accept any other body (or none)."""

    detail: str | list[ErrorDetailItem] | None = None
    """What went wrong."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "detail": ListOf(lenient=True, inner=Obj(ErrorDetailItem)),
    }
