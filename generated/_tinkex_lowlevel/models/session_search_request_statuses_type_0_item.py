from __future__ import annotations

from typing import Any, TypeAlias

SessionSearchRequestStatusesType0Item: TypeAlias = dict[str, Any]
