from __future__ import annotations

from typing import TypeAlias

GetSessionResponseUserMetadataType0: TypeAlias = dict[str, str]
"""From create_session (string values); sent when not empty."""
