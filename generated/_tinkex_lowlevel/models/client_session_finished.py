from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from tinkex.types._base import Codec, Obj, WireModel, frozen

from .client_session_finished_reason import ClientSessionFinishedReason


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class ClientSessionFinished(WireModel):
    """Body of session_finish, and a finished session's status in searches."""

    type: Literal["client_finished"] = "client_finished"
    """Type tag."""
    reason: ClientSessionFinishedReason
    """Why the session ended."""
    detail: str | None = None
    """Free text from the client."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "reason": Obj(ClientSessionFinishedReason),
    }
    _TAGS: ClassVar[dict[str, str]] = {"type": "client_finished"}
    _TAG: ClassVar[str | None] = "client_finished"
