from __future__ import annotations

from typing import Any, TypeAlias

SampleResponsePromptAltTokensType0: TypeAlias = dict[str, Any]
"""`{tokens, logprobs}` TensorData [len(prompt) - 1, k]; see SampleRequest.prompt_alt_tokens_k."""
