"""Loading a HuggingFace tokenizer for a model (optional `transformers`), with the official fallbacks
for tokenizer ids, and strictly offline when the id is a local directory."""

from __future__ import annotations

import os
from typing import Any

from tinkex._exceptions import TinkexError

__all__ = ["load_tokenizer", "tokenizer_id_for"]

# Llama 3 repos are gated on the Hub; the official client points at an ungated copy of the tokenizer.
_LLAMA3_TOKENIZER = "thinkingmachineslabinc/meta-llama-3-tokenizer"
# Kimi's tokenizer needs remote code pinned to a known revision (as the official client does).
_KIMI = "moonshotai/Kimi-K2-Thinking"
_KIMI_REVISION = "612681931a8c906ddb349f8ad0f582cb552189cd"


def tokenizer_id_for(tokenizer_id: str | None, model_name: str | None) -> str:
    """Which tokenizer to load: the server's tokenizer_id if given, else derived from the model name.

    >>> tokenizer_id_for(None, "meta-llama/Llama-3.1-8B")
    'thinkingmachineslabinc/meta-llama-3-tokenizer'
    >>> tokenizer_id_for(None, "org/model/variant")
    'org/model'
    >>> tokenizer_id_for("Qwen/Qwen3-8B:v2", None)
    'Qwen/Qwen3-8B'
    """
    if tokenizer_id:
        if os.path.exists(tokenizer_id):
            return tokenizer_id
        # Later official clients strip a ":suffix" the server may append to the hub id.
        return tokenizer_id.split(":", 1)[0]
    if not model_name:
        raise TinkexError(
            "the server reported neither a tokenizer_id nor a model name; cannot pick a tokenizer"
        )
    if model_name.startswith("meta-llama/Llama-3"):
        return _LLAMA3_TOKENIZER
    parts = model_name.split("/")
    if len(parts) == 3:
        return "/".join(parts[:2])
    return model_name


def load_tokenizer(tokenizer_id: str) -> Any:
    """`AutoTokenizer.from_pretrained(tokenizer_id)`; a local directory is loaded with no network."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise TinkexError(
            "get_tokenizer needs the optional 'transformers' package: pip install 'tinkex[tokenizer]'"
        ) from exc
    kwargs: dict[str, Any] = {}
    if os.path.isdir(tokenizer_id):
        kwargs["local_files_only"] = True
    if tokenizer_id == _KIMI:
        kwargs.update(trust_remote_code=True, revision=_KIMI_REVISION)
    return AutoTokenizer.from_pretrained(tokenizer_id, use_fast=True, **kwargs)
