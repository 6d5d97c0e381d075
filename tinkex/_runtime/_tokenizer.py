"""Loading a HuggingFace tokenizer for a model (optional `transformers`): which id to load (the
server's tokenizer_id first, then the official fallbacks from the model name), offline when the id
is a local directory or already cached, and every loading failure surfaced as one clear error."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from tinkex._exceptions import TinkexError

__all__ = [
    "decode_tokens",
    "encode_text",
    "load_tokenizer",
    "no_tokenizer_error",
    "server_lists_no_tokenizer",
    "tokenizer_id_for",
    "tokenizer_id_from_capabilities",
]

# Llama 3 repos are gated on the Hub; the official client points at an ungated copy of the tokenizer.
_LLAMA3_TOKENIZER = "thinkingmachineslabinc/meta-llama-3-tokenizer"
# Kimi's tokenizer needs remote code pinned to a known revision (as the official client does).
_KIMI = "moonshotai/Kimi-K2-Thinking"
_KIMI_REVISION = "612681931a8c906ddb349f8ad0f582cb552189cd"
_TRUTHY = frozenset({"1", "true", "yes", "on"})


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
        if os.path.exists(tokenizer_id) or _is_path(tokenizer_id):
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


def tokenizer_id_from_capabilities(body: object, base_model: str) -> str | None:
    """The `tokenizer_id` a get_server_capabilities reply lists for `base_model`, if any.

    The 0.7.0 protocol's SupportedModel has only `model_name`; a server may add `tokenizer_id`
    (e.g. a local directory), and then a sampler of a base model needs no name-based guess.

    >>> tokenizer_id_from_capabilities({"supported_models": [{"model_name": "m", "tokenizer_id": "/t"}]}, "m")
    '/t'
    >>> tokenizer_id_from_capabilities({"supported_models": [{"model_name": "m"}]}, "m") is None
    True
    """
    models = body.get("supported_models") if isinstance(body, Mapping) else None
    if not isinstance(models, Iterable) or isinstance(models, str | bytes):
        return None
    for model in models:
        if isinstance(model, Mapping) and model.get("model_name") == base_model:
            tid = model.get("tokenizer_id")
            return tid if isinstance(tid, str) and tid else None
    return None


def server_lists_no_tokenizer(body: object, base_model: str) -> bool:
    """Whether a get_server_capabilities reply says outright that `base_model` has no tokenizer: its
    entry carries `tokenizer_id: null` (a tinkex server's answer for a model without one). Then
    guessing a hub repository from the model name would only waste time on a name the server owns.

    >>> server_lists_no_tokenizer({"supported_models": [{"model_name": "m", "tokenizer_id": None}]}, "m")
    True
    >>> server_lists_no_tokenizer({"supported_models": [{"model_name": "m"}]}, "m")
    False
    """
    models = body.get("supported_models") if isinstance(body, Mapping) else None
    if not isinstance(models, Iterable) or isinstance(models, str | bytes):
        return False
    return any(
        isinstance(m, Mapping)
        and m.get("model_name") == base_model
        and "tokenizer_id" in m
        and m["tokenizer_id"] is None
        for m in models
    )


def no_tokenizer_error(base_model: str) -> TinkexError:
    """The error for a model whose server offers no tokenizer: say so at once, and how to go on."""
    return TinkexError(
        f"the server offers no tokenizer for {base_model!r}; encode the prompt yourself and pass token "
        "ids (types.ModelInput.from_ints([...]), or `tinkex sample --tokens 1,2,3`)"
    )


def _is_path(tokenizer_id: str) -> bool:
    # A filesystem path, never a hub repository id ("org/name"): absolute, or explicitly relative.
    return os.path.isabs(tokenizer_id) or tokenizer_id.startswith(("./", "../", "~"))


def _hub_offline() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUTHY:
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(getattr(constants, "HF_HUB_OFFLINE", False))


def load_tokenizer(tokenizer_id: str) -> Any:
    """`AutoTokenizer.from_pretrained(tokenizer_id)`: a local directory or a cached hub copy loads
    with no network; only then is the hub asked (never when HF_HUB_OFFLINE is set). Any failure is
    a TinkexError that names the id and what to do, chained from the loader's error."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise TinkexError(
            "get_tokenizer needs the optional 'transformers' package: pip install 'tinkex[tokenizer]'"
        ) from exc
    if _is_path(tokenizer_id) and not os.path.isdir(os.path.expanduser(tokenizer_id)):
        # The server's own directory, absent here (a server on another machine): the hub has no such
        # repository, so asking it would only cost retries.
        raise TinkexError(
            f"the tokenizer directory {tokenizer_id!r} the server named does not exist on this machine; "
            "load the tokenizer yourself, or pass token ids (types.ModelInput.from_ints([...]))"
        )
    tokenizer_id = os.path.expanduser(tokenizer_id)
    kwargs: dict[str, Any] = {"use_fast": True}
    if tokenizer_id == _KIMI:
        kwargs.update(trust_remote_code=True, revision=_KIMI_REVISION)
    local_dir = os.path.isdir(tokenizer_id)
    try:
        return AutoTokenizer.from_pretrained(tokenizer_id, local_files_only=True, **kwargs)
    except Exception as exc:
        if local_dir or _hub_offline():
            where = "the local directory" if local_dir else "the Hugging Face cache (HF_HUB_OFFLINE is set)"
            raise TinkexError(
                f"could not load the tokenizer {tokenizer_id!r} from {where}: {type(exc).__name__}: "
                f"{exc}; check that it holds a HuggingFace tokenizer (tokenizer.json / tokenizer_config.json)"
            ) from exc
    try:
        # huggingface_hub bounds each request (HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT, 10 s).
        return AutoTokenizer.from_pretrained(tokenizer_id, **kwargs)
    except Exception as exc:
        raise TinkexError(
            f"could not load the tokenizer {tokenizer_id!r} (not cached locally, and the Hugging Face "
            f"hub failed: {type(exc).__name__}: {exc}); check the network or HF_TOKEN, or load the "
            "tokenizer yourself with transformers.AutoTokenizer.from_pretrained(<local path>)"
        ) from exc


def encode_text(tokenizer: Any, text: str, *, add_special_tokens: bool = True) -> list[int]:
    """`tokenizer.encode(text)` as a list of ints (the clients' `encode`); HuggingFace's default
    add_special_tokens=True is passed only when turned off, so tokenizers without it work too."""
    if not isinstance(text, str):
        from tinkex._exceptions import TinkexValidationError

        raise TinkexValidationError(
            "encode(text)", f"must be a str, got {type(text).__name__}", "pass the text"
        )
    tokens = (
        tokenizer.encode(text) if add_special_tokens else tokenizer.encode(text, add_special_tokens=False)
    )
    return [int(t) for t in tokens]


def decode_tokens(tokenizer: Any, tokens: Any, *, skip_special_tokens: bool = False) -> str:
    """`tokenizer.decode(tokens)` (the clients' `decode`); `tokens` may be a list of ints, a numpy
    array, a `ModelInput` or a `SampledSequence` (anything with `to_ints()` or `.tokens`)."""
    if hasattr(tokens, "to_ints"):
        tokens = tokens.to_ints()
    elif hasattr(tokens, "tokens"):
        tokens = tokens.tokens
    ids = [int(t) for t in tokens]
    text = tokenizer.decode(ids, skip_special_tokens=True) if skip_special_tokens else tokenizer.decode(ids)
    return str(text)
