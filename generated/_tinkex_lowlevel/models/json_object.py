from __future__ import annotations

from typing import Any, TypeAlias

JSONObject: TypeAlias = dict[str, Any]
"""A free-form JSON object (user metadata, telemetry event data)."""
