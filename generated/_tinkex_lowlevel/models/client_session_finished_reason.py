from __future__ import annotations

import dataclasses
from typing import ClassVar

from tinkex.types._base import WireModel, frozen

from .client_session_finished_reason_type import (
    ClientSessionFinishedReasonType,
)


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ClientSessionFinishedReason(WireModel):
    """Why the session ended."""

    type: ClientSessionFinishedReasonType
    """The reason."""

    _ENUMS: ClassVar[dict[str, frozenset[str]]] = {
        "type": frozenset({"errored", "interrupted", "success"}),
    }
